#!/usr/bin/env bash
# Runs a Cortex-M4 ELF under QEMU's mps2-an386 and passes its exit status through
# (main()'s return value, via semihosting SYS_EXIT_EXTENDED).
#
# Usage:
#   firmware-sim/cortex-m/run.sh [--timeout SECONDS] APP.elf [EXTRA QEMU ARGS...]
#
# Exit status: the firmware's (0..255); 124 if the timeout (default 120 s) expired;
# 241 = fault reported by the HardFault handler (see startup.c).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"

TIMEOUT=120
if [[ "${1:-}" == "--timeout" ]]; then TIMEOUT="${2:?--timeout needs seconds}"; shift 2; fi
ELF="${1:?usage: run.sh [--timeout S] APP.elf [QEMU ARGS...]}"; shift
[[ -f "$ELF" ]] || die "$ELF not found"
need_tool qemu-system-arm "run tools/install-toolchain.sh"

set +e
timeout -k 5 "$TIMEOUT" qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -chardev stdio,id=minnow_sh -semihosting-config enable=on,target=native,chardev=minnow_sh \
    -kernel "$ELF" "$@" </dev/null
rc=$?
set -e
if [[ $rc -eq 124 ]]; then
    echo "[cortex-m run] TIMEOUT after ${TIMEOUT}s: $ELF" >&2
elif [[ $rc -eq 241 ]]; then
    echo "[cortex-m run] firmware FAULT (exit 241): $ELF" >&2
fi
exit $rc
