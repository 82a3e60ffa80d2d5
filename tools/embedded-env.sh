# Sourced by the Embedded-Swift / Cortex-M scripts (not executable on its own).
# The single place where the Embedded-mode compile flags and the tool names live.
#
# Sets: MINNOW_ROOT, SWIFTC, SWIFT_EMBEDDED_FLAGS (array),
#       SWIFT_TARGET_HOST, SWIFT_TARGET_CM4, SWIFT_TARGET_FLAGS_HOST (array),
#       SWIFT_TARGET_FLAGS_CM4 (array), CM4_CFLAGS (array), and helper functions.

MINNOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The Swift compiler: $SWIFTC, else swiftc on PATH, else the toolchain in /opt/swift.
if [[ -z "${SWIFTC:-}" ]]; then
    if command -v swiftc >/dev/null 2>&1; then
        SWIFTC="$(command -v swiftc)"
    elif [[ -x /opt/swift/usr/bin/swiftc ]]; then
        SWIFTC=/opt/swift/usr/bin/swiftc
    else
        SWIFTC=swiftc
    fi
fi

SWIFT_TARGET_HOST=x86_64-unknown-linux-gnu
SWIFT_TARGET_CM4=armv7em-none-none-eabi

# Embedded mode, whole module, size-optimised, one module.
#  -enable-experimental-feature Embedded : no Swift runtime, no existentials,
#        generics fully specialised; the stdlib is compiled into the object.
#  -wmo                    : whole-module (required by Embedded mode).
#  -Osize                  : tight loops stay tight on Cortex-M (see docs/cortex-m.md).
#  -parse-as-library       : no top-level code / no implicit main.
#  -D MINNOW_EMBEDDED_SINGLE_MODULE : the core and the C API (Sources/MinnowC) are
#        compiled as ONE module here, so the C API must not `import MinnowCore`
#        under this condition.
#  -function-sections      : every function in its own section, so the linker's
#        --gc-sections drops the weak runtime copies (swift_allocObject, ...)
#        Embedded mode puts in every object, and everything the program never calls.
#  -disable-stack-protector: no __stack_chk_guard / __stack_chk_fail references.
SWIFT_EMBEDDED_FLAGS=(
    -enable-experimental-feature Embedded
    -wmo
    -Osize
    -parse-as-library
    -D MINNOW_EMBEDDED_SINGLE_MODULE
    -Xfrontend -function-sections
    -Xfrontend -disable-stack-protector
)

# x86_64: objects go into a static library a plain `cc` links (PIE by default on Debian;
# swiftc emits PIC on Linux).
SWIFT_TARGET_FLAGS_HOST=(-target "$SWIFT_TARGET_HOST")

# Cortex-M4, soft-float calling convention (armv7em-none-none-eabihf has no embedded
# stdlib). C code linked with it must use -mfloat-abi=soft (or softfp).
# MINNOW_ARM_DSP + BuiltinModule: the dual-multiply kernels use the ARM DSP instructions
# (SMLAD, SXTB16, SXTAB16) as LLVM intrinsics (Sources/MinnowCore/Kernels/DualMultiply.swift).
SWIFT_TARGET_FLAGS_CM4=(-target "$SWIFT_TARGET_CM4" -Xcc -mfloat-abi=soft -Xcc -mcpu=cortex-m4
    -enable-experimental-feature BuiltinModule -D MINNOW_ARM_DSP)

# C flags for everything compiled with arm-none-eabi-gcc next to the Swift objects.
CM4_CFLAGS=(-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -O2 -ffunction-sections -fdata-sections -Wall -Wextra)

die() { echo "ERROR: $*" >&2; exit 1; }

need_tool() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found${2:+ ($2)}"
}

# Host archiver: binutils ar, else llvm-ar from the Swift toolchain.
host_ar() {
    if command -v ar >/dev/null 2>&1; then ar "$@"
    elif command -v llvm-ar >/dev/null 2>&1; then llvm-ar "$@"
    elif [[ -x /opt/swift/usr/bin/llvm-ar ]]; then /opt/swift/usr/bin/llvm-ar "$@"
    else die "no ar / llvm-ar found"; fi
}

host_size() {
    if command -v size >/dev/null 2>&1; then size "$@"
    elif command -v llvm-size >/dev/null 2>&1; then llvm-size "$@"
    else echo "(no size tool)"; fi
}
