#!/usr/bin/env bash
# The Swift test suite under the sanitizers (a CI step: docs/robustness.md).
#
#   tools/test-sanitizers.sh            AddressSanitizer, then UndefinedBehaviorSanitizer
#   tools/test-sanitizers.sh address    only ASan   (scratch path .build-asan)
#   tools/test-sanitizers.sh undefined  only UBSan  (scratch path .build-ubsan)
#
# Every target (Swift and C: MallocCounter, MinnowCHeader) is compiled with
# the sanitizer, the executables the tests run (export-int8, train) too.
# Swift already traps on overflow and out-of-range indexing; ASan adds the
# checks Swift cannot make itself: unsafe pointers (model bytes, arena,
# kernels), the C code, use-after-free and leaks of C allocations. UBSan
# covers the C targets (swiftc does not offer it for Swift on Linux). Extra swift test arguments (e.g. --filter X)
# are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."

kinds=(address undefined)
if [[ $# -ge 1 && ( $1 == address || $1 == undefined ) ]]; then kinds=("$1"); shift; fi

# Leak checking stays on for our code; the Swift runtime's and Foundation's
# one-time allocations are not leaks we can act on, hence the suppressions.
suppressions=$(mktemp /tmp/minnow-lsan.XXXXXX)
trap 'rm -f "$suppressions"' EXIT
cat > "$suppressions" <<'SUPP'
leak:libFoundation
leak:libFoundationEssentials
leak:libFoundationInternationalization
leak:libswiftCore
leak:libswiftDispatch
leak:libdispatch
leak:libXCTest
leak:libTesting
SUPP
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_stack_use_after_return=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$suppressions}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for kind in "${kinds[@]}"; do
    if [[ $kind == address ]]; then
        scratch=.build-asan
        flags=(--sanitize=address)
    else
        # swiftc has no -sanitize=undefined on Linux ("unsupported option"): Swift
        # code checks overflow and bounds itself. UBSan instruments the C targets
        # and links its runtime through clang as the linker driver.
        scratch=.build-ubsan
        flags=(-Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
               -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined)
    fi
    start=$(date +%s)
    echo "== swift test, $kind sanitizer (scratch $scratch): ${flags[*]}"
    swift build --build-tests "${flags[@]}" --scratch-path "$scratch" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol"
    built=$(date +%s)
    swift test --skip-build "${flags[@]}" --scratch-path "$scratch" "$@"
    end=$(date +%s)
    echo "== $kind: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
done
