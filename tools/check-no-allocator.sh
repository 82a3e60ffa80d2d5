#!/usr/bin/env bash
# Checks that the Embedded-Swift engine, linked into a program with --gc-sections,
# reaches no allocator and no reference-counting runtime symbol.
#
# Usage:
#   tools/check-no-allocator.sh [--target host|cortex-m4|all] [--lib LIB.a]
#                               [--roots capi|all|SYM,SYM...] [--strict]
#   tools/check-no-allocator.sh --binary FILE...     # check already linked programs
#
# Library mode (default: both targets, out/<target>/libminnow.a from build-embedded.sh):
#   1. roots = the C API: global, non-weak functions with plain C names (@_cdecl)
#      in the library; when there are none yet (no Sources/MinnowC), every global
#      non-weak function of the library (--roots all), i.e. all the engine can do.
#   2. links a probe program (an empty main, each root kept with -u ROOT) with
#      --gc-sections: on Cortex-M4 with startup.c + mps2-an386.ld + newlib-nano,
#      on the host with cc.
#   3. lists the allocator / runtime symbols the linked probe defines or imports.
#      Weak runtime copies (swift_allocObject, ...) that Embedded mode puts in every
#      object are fine as long as gc-sections drops them.
#   4. if any is left, a call-graph walk over the library's relocations names the
#      roots that reach it and one call chain each.
#   Exit 1 if a root of the C API reaches an allocator. With --roots all (no C API
#   yet) the result is reported as a WARNING and exits 0, unless --strict.
#
# Binary mode: lists allocator symbols defined in or imported by each FILE; exit 1 if any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/embedded-env.sh"

# Allocators and the heap/refcount runtime (a match on the whole name, version suffix allowed).
ALLOC_RE='^(malloc|calloc|realloc|reallocf|reallocarray|free|cfree|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|_malloc_r|_calloc_r|_realloc_r|_free_r|_memalign_r|_sbrk|_sbrk_r|sbrk|_Znwm|_Znam|_Znwj|_Znaj|_ZdlPv|_ZdaPv|_ZdlPvm|_ZdlPvj|swift_allocObject|swift_allocEmptyBox|swift_allocBox|swift_slowAlloc|swift_slowDealloc|swift_deallocObject|swift_deallocClassInstance|swift_deallocPartialClassInstance|swift_deallocUninitializedObject|swift_coroFrameAlloc|swift_retain|swift_retain_n|swift_release|swift_release_n|swift_bridgeObjectRetain|swift_bridgeObjectRetain_n|swift_bridgeObjectRelease|swift_bridgeObjectRelease_n|swift_unknownObjectRetain|swift_unknownObjectRelease|swift_setDeallocating|swift_isUniquelyReferenced_native|swift_isUniquelyReferenced_nonNull_native)(@.*)?$'

TARGET=all
LIB=""
ROOTS_MODE=auto
STRICT=0
BINARIES=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --target) TARGET="${2:?}"; shift 2 ;;
        --lib) LIB="${2:?}"; shift 2 ;;
        --roots) ROOTS_MODE="${2:?}"; shift 2 ;;
        --strict) STRICT=1; shift ;;
        --binary) shift; BINARIES=("$@"); [[ ${#BINARIES[@]} -gt 0 ]] || die "--binary needs files"; break ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) die "unknown argument $1" ;;
    esac
done

nm_for() {   # file -> nm command
    if file_is_arm "$1"; then echo arm-none-eabi-nm; else echo nm; fi
}
file_is_arm() {
    readelf -h "$1" 2>/dev/null | grep 'Machine:.*ARM' >/dev/null   # not grep -q: no SIGPIPE under pipefail
}

# Prints "defined|imported NAME" for every allocator symbol of a linked program.
alloc_symbols_of() {
    local f="$1" nmc
    nmc="$(nm_for "$f")"
    "$nmc" "$f" 2>/dev/null | awk -v re="$ALLOC_RE" '
        { name = $NF; type = (NF == 2) ? $1 : $2 }
        name ~ re { print ((type == "U" || type == "w" || type == "v") ? "imported " : "defined  ") name }' | sort -u
}

check_binary() {   # file -> 0 clean, 1 not
    local f="$1" found
    [[ -f "$f" ]] || die "$f not found"
    found="$(alloc_symbols_of "$f")"
    if [[ -z "$found" ]]; then
        echo "[no-alloc] $f: no allocator or refcount symbol"
        return 0
    fi
    echo "[no-alloc] $f: allocator / runtime symbols present:"
    sed 's/^/    /' <<<"$found"
    return 1
}

if [[ ${#BINARIES[@]} -gt 0 ]]; then
    rc=0
    for b in "${BINARIES[@]}"; do check_binary "$b" || rc=1; done
    exit $rc
fi

# ---- Call-graph attribution over the relocations of the library's objects ----
# Prints, for each root that reaches an allocator symbol, one chain root -> ... -> allocator.
explain() {   # lib.a readelf roots_file [symbol regex, default: the allocator list]
    local lib="$1" re="$2" roots="$3" pattern="${4:-$ALLOC_RE}" tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && ar x "$lib" 2>/dev/null || arm-none-eabi-ar x "$lib")
    local o
    for o in "$tmp"/*.o; do
        local b; b="$(basename "$o")"
        "$re" -SW "$o" | sed -n 's/^ *\[ *\([0-9][0-9]*\)\] \([^ ]*\) .*/S '"$b"' \1 \2/p'
        "$re" -sW "$o" | awk -v b="$b" '$1 ~ /^[0-9]+:$/ && NF >= 8 { print "Y", b, $7, $5, $4, $8 }'
        "$re" -rW "$o" | awk -v b="$b" '
            /^Relocation section/ { sec = $3; gsub(/\047/, "", sec); sub(/^\.rela?/, "", sec); next }
            sec != "" && NF >= 5 && $1 ~ /^[0-9a-f]+$/ { print "R", b, sec, $5 }'
    done | awk -v re="$pattern" -v rootsfile="$roots" '
        BEGIN { while ((getline r < rootsfile) > 0) isroot[r] = 1 }
        $1 == "S" { secname[$2 "#" $3] = $4; next }
        $1 == "Y" {
            ndx = $3; bind = $4; type = $5; name = $6
            if (ndx == "UND" || ndx == "ABS" || ndx == "COM") next
            node = $2 "#" secname[$2 "#" ndx]
            if (type == "SECTION") { next }
            if (bind != "LOCAL") { if (!(name in gdef) || bind == "GLOBAL") gdef[name] = node }
            ldef[$2 "#" name] = node
            if (type == "FUNC" && (!(node in label) || bind == "GLOBAL")) label[node] = name
            if (name ~ re) target[node] = name
            next
        }
        $1 == "R" {
            from = $2 "#" $3; sym = $4
            if (sym ~ /^\./) to = $2 "#" sym
            else if (($2 "#" sym) in ldef) to = ldef[$2 "#" sym]
            else if (sym in gdef) to = gdef[sym]
            else { to = "U#" sym; label[to] = sym; if (sym ~ re) target[to] = sym }
            if (from != to) { nedge++; efrom[nedge] = from; eto[nedge] = to }
            next
        }
        END {
            # Backward BFS from every allocator node: next[n] = the next hop towards one.
            for (t in target) { reach[t] = 1; q[++qt] = t }
            for (qh = 1; qh <= qt; qh++) {
                cur = q[qh]
                for (e = 1; e <= nedge; e++) if (eto[e] == cur && !(efrom[e] in reach)) {
                    reach[efrom[e]] = 1; nxt[efrom[e]] = cur; q[++qt] = efrom[e]
                }
            }
            n = 0
            for (r in isroot) {
                node = gdef[r]
                if (node == "" || !(node in reach)) continue
                n++
                chain = r; cur = node; steps = 0
                while ((cur in nxt) && steps < 12) {
                    cur = nxt[cur]; steps++
                    l = (cur in label) ? label[cur] : cur; sub(/^[^#]*#/, "", l)
                    chain = chain " -> " l
                }
                print "    " chain
            }
            if (n == 0) print "    (no root reaches it through the library alone)"
        }'
    rm -rf "$tmp"
}

check_lib() {   # target
    local t="$1" lib="$LIB" work roots nmc re cc_ok=1
    [[ -n "$lib" ]] || lib="$MINNOW_ROOT/out/$t/libminnow.a"
    [[ "$lib" = /* ]] || lib="$PWD/$lib"
    [[ -f "$lib" ]] || die "$lib not found: run tools/build-embedded.sh first"
    work="$(dirname "$lib")/no-alloc-probe"
    rm -rf "$work"; mkdir -p "$work"
    if [[ "$t" == cortex-m4 ]]; then nmc=arm-none-eabi-nm; re=arm-none-eabi-readelf
    else nmc=nm; re=readelf; fi
    command -v "$re" >/dev/null 2>&1 || re=readelf

    # Global, non-weak, defined functions of the library.
    "$nmc" -g --defined-only "$lib" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$work/globals.txt"
    grep -v -E '^(\$[se]|_?swift_|_swift)' "$work/globals.txt" >"$work/capi.txt" || true
    local mode="$ROOTS_MODE"
    if [[ "$mode" == auto ]]; then
        if [[ -s "$work/capi.txt" ]]; then mode=capi; else mode=all; fi
    fi
    case "$mode" in
        capi) cp "$work/capi.txt" "$work/roots.txt"
              [[ -s "$work/roots.txt" ]] || die "no C API (@_cdecl) symbols in $lib" ;;
        all)  cp "$work/globals.txt" "$work/roots.txt" ;;
        *)    tr ',' '\n' <<<"$mode" | sed '/^$/d' >"$work/roots.txt"; mode=list ;;
    esac
    local nroots; nroots=$(wc -l <"$work/roots.txt")
    echo "[no-alloc] $t: $lib — roots: $mode ($nroots function(s))"
    [[ "$nroots" -gt 0 ]] || { echo "[no-alloc] $t: nothing to check (no global functions)"; return 0; }
    sed 's/^/-Wl,-u,/' "$work/roots.txt" >"$work/roots.rsp"

    printf 'int main(void) { return 0; }\n' >"$work/probe.c"
    local out
    if [[ "$t" == cortex-m4 ]]; then
        out="$work/probe.elf"
        # Unresolved symbols are listed below instead of failing the link, so that
        # every reachable allocator is seen (newlib's malloc needs _sbrk, which the
        # harness deliberately does not provide).
        "$MINNOW_ROOT/firmware-sim/cortex-m/build.sh" -o "$out" --no-default-lib --lib "$lib" \
            -Wl,--unresolved-symbols=ignore-all \
            "@$work/roots.rsp" "$work/probe.c" >"$work/link.log" 2>&1 || cc_ok=0
    else
        out="$work/probe"
        cc -O2 -ffunction-sections -fdata-sections "$work/probe.c" -Wl,--gc-sections "@$work/roots.rsp" \
            "$lib" -lm -o "$out" >"$work/link.log" 2>&1 || cc_ok=0
    fi
    if [[ $cc_ok -eq 0 ]]; then
        # On Cortex-M a reachable malloc fails the link (no _sbrk): that is a finding too.
        echo "[no-alloc] $t: probe link FAILED:"; sed 's/^/    /' "$work/link.log" | tail -20
        if grep -q -E '_sbrk|undefined reference to .(malloc|free|posix_memalign)' "$work/link.log"; then
            echo "[no-alloc] $t: the link needs a heap: an allocator is reachable. Reached from:"
            explain "$lib" "$re" "$work/roots.txt"
            [[ "$mode" == all && $STRICT -eq 0 ]] && { echo "[no-alloc] $t: WARNING (no C API yet; --roots all)"; return 0; }
        fi
        return 1
    fi

    local found; found="$(alloc_symbols_of "$out")"
    # What the engine needs from the platform after gc-sections (informational).
    local imports
    if [[ "$t" == cortex-m4 ]]; then
        imports="$("$nmc" -u "$out" | awk '{ print $NF }' | sort -u | tr '\n' ' ')"
        echo "[no-alloc] $t: unresolved on bare metal: ${imports:-none}"
    else
        imports="$(nm -u "$out" | awk '{ print $NF }' | grep -v -E '^(__libc_start_main|__gmon_start__|_ITM_|__cxa_finalize|_Jv_)' | sort -u | tr '\n' ' ')"
        echo "[no-alloc] $t: imported from the C library: ${imports:-none}"
    fi
    # Randomness (Swift's hashing seed / SystemRandomNumberGenerator) has no source on
    # bare metal: newlib's arc4random wants getentropy. Say who needs it.
    if grep -q -E '(^| )(arc4random_buf|arc4random|getentropy)(@| |$)' <<<"$imports"; then
        echo "[no-alloc] $t: note: random numbers (arc4random_buf) are reached from:"
        explain "$lib" "$re" "$work/roots.txt" '^(arc4random_buf|arc4random)$'
    fi
    local kept; kept="$("$nmc" "$out" | awk '$NF ~ /^\$e|^\$s/' | wc -l)"
    local swift_bytes
    swift_bytes="$("$nmc" -S "$out" | awk 'NF == 4 && $3 ~ /^[tTwW]$/ && $4 ~ /^\$[es]/ { s += strtonum_hex($2) } function strtonum_hex(h,   i, c, v) { v = 0; h = tolower(h); for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c } return v } END { print s + 0 }')"
    echo "[no-alloc] $t: linked probe $out ($kept Swift function(s), $swift_bytes bytes of Swift code kept by gc-sections)"
    if [[ -z "$found" ]]; then
        echo "[no-alloc] $t: OK — no allocator or refcount symbol reachable from the $mode roots"
        return 0
    fi
    echo "[no-alloc] $t: allocator / runtime symbols reachable:"
    sed 's/^/    /' <<<"$found"
    echo "[no-alloc] $t: reached from:"
    explain "$lib" "$re" "$work/roots.txt"
    if [[ "$mode" == all && $STRICT -eq 0 ]]; then
        echo "[no-alloc] $t: WARNING (no C API yet: these are Swift-only entry points; use --strict to fail)"
        return 0
    fi
    echo "[no-alloc] $t: FAIL"
    return 1
}

case "$TARGET" in host|cortex-m4|all) ;; *) die "--target must be host, cortex-m4 or all" ;; esac
rc=0
if [[ "$TARGET" == host || "$TARGET" == all ]]; then check_lib host || rc=1; fi
if [[ "$TARGET" == cortex-m4 || "$TARGET" == all ]]; then check_lib cortex-m4 || rc=1; fi
exit $rc
