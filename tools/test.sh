#!/usr/bin/env bash
# The project's test command (README.md; .ci/run calls exactly this):
#   1. the Swift test suites (swift test),
#   2. command-line misuse of every tool (tools/test-cli.sh),
#   3. the engine core built in Embedded Swift mode for x86_64 and Cortex-M4,
#      the no-allocator check, the C host and the QEMU Cortex-M4 runs
#      (tools/test-embedded.sh; installs the ARM toolchain and QEMU when missing),
#   4. the Swift test suite again under AddressSanitizer, and the C targets
#      under UndefinedBehaviorSanitizer (tools/test-sanitizers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== swift test"
swift build --build-tests
swift test --skip-build

echo "== command-line misuse"
tools/test-cli.sh "$(swift build --show-bin-path)"

echo "== embedded builds, C host, Cortex-M4 under QEMU"
tools/test-embedded.sh

echo "== sanitizers"
tools/test-sanitizers.sh
