#!/usr/bin/env bash
# Installs the Debian packages the Cortex-M4 / QEMU harness needs, only when
# one of them is missing. Idempotent: a second run does nothing.
#
#   tools/install-toolchain.sh          # install what is missing (needs root or sudo)
#   tools/install-toolchain.sh --check  # exit 0 if all present, 1 otherwise
#
# Packages: qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi
#           binutils-arm-none-eabi (with --no-install-recommends: ~113 MB download
#           instead of ~570 MB).
set -euo pipefail

PACKAGES=(qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi)

log() { echo "[install-toolchain] $*"; }

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            echo "$p"
        fi
    done
}

tools_present() {
    command -v arm-none-eabi-gcc >/dev/null 2>&1 &&
    command -v arm-none-eabi-ar >/dev/null 2>&1 &&
    command -v arm-none-eabi-nm >/dev/null 2>&1 &&
    command -v qemu-system-arm >/dev/null 2>&1
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    if tools_present; then
        log "no dpkg on this system, but all tools are on PATH: nothing to do"
        exit 0
    fi
    log "ERROR: no dpkg/apt on this system; install ${PACKAGES[*]} (or equivalents) by hand" >&2
    exit 1
fi

mapfile -t MISSING < <(missing_packages)

if [[ ${#MISSING[@]} -eq 0 ]] && tools_present; then
    log "all present: ${PACKAGES[*]}"
    exit 0
fi

if [[ "${1:-}" == "--check" ]]; then
    log "missing: ${MISSING[*]:-<tools not on PATH>}"
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        log "ERROR: need root (or sudo) to install: ${MISSING[*]}" >&2
        exit 1
    fi
fi

# Another apt/dpkg may be running (an earlier install, unattended upgrades):
# wait for its locks instead of failing.
wait_for_dpkg_lock() {
    local waited=0 limit=600
    local locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
    while :; do
        local busy=0 l
        for l in "${locks[@]}"; do
            if [[ -e "$l" ]] && command -v fuser >/dev/null 2>&1 && "${SUDO[@]}" fuser "$l" >/dev/null 2>&1; then
                busy=1
            fi
        done
        if [[ $busy -eq 0 ]] && ! pgrep -x 'apt-get|apt|dpkg' >/dev/null 2>&1; then
            return 0
        fi
        if [[ $waited -ge $limit ]]; then
            log "ERROR: dpkg/apt still busy after ${limit}s" >&2
            return 1
        fi
        [[ $waited -eq 0 ]] && log "another apt/dpkg is running; waiting for it..."
        sleep 5
        waited=$((waited + 5))
    done
}

wait_for_dpkg_lock
# An install that ran meanwhile may have done the work.
mapfile -t MISSING < <(missing_packages)
if [[ ${#MISSING[@]} -eq 0 ]] && tools_present; then
    log "all present (installed meanwhile): ${PACKAGES[*]}"
    exit 0
fi

log "installing: ${MISSING[*]:-${PACKAGES[*]}}"
export DEBIAN_FRONTEND=noninteractive
# apt-get's own lock timeout covers a race with a job that starts right now.
"${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update
"${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${PACKAGES[@]}"

mapfile -t MISSING < <(missing_packages)
if [[ ${#MISSING[@]} -ne 0 ]] || ! tools_present; then
    log "ERROR: still missing after install: ${MISSING[*]:-<tools not on PATH>}" >&2
    exit 1
fi
log "installed: ${PACKAGES[*]}"
