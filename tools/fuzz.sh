#!/usr/bin/env bash
# Fuzz the model loader + engine or the checkpoint reader with libFuzzer.
#
#   tools/fuzz.sh model SECONDS [extra libFuzzer flags...]
#   tools/fuzz.sh checkpoint SECONDS [extra libFuzzer flags...]
#   tools/fuzz.sh build                      # build both targets only
#
# Builds out/fuzz/fuzz-TARGET with swiftc -sanitize=fuzzer,address over the
# sources it needs (MinnowCore; + MinnowModel, MinnowTraining for checkpoints),
# seeds out/fuzz/corpus-TARGET from models/*.mnw or models/*.ckpt and the
# committed seeds in tools/fuzz/corpus/TARGET/, runs for SECONDS under
# `nice -n 10` and prints libFuzzer's summary. Crashes are written to
# out/fuzz/crashes-TARGET/ (crash-*, timeout-*, oom-*); reproduce one with
#   out/fuzz/fuzz-TARGET out/fuzz/crashes-TARGET/crash-...
# See docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-}
case "$target" in
    model|checkpoint|build) ;;
    *) echo "usage: tools/fuzz.sh model|checkpoint|build [SECONDS] [libFuzzer flags...]" >&2; exit 64 ;;
esac
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))
if [[ "$target" != build && ! "$seconds" =~ ^[0-9]+$ ]]; then
    echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 64
fi

out=out/fuzz
mods=$out/modules
mkdir -p "$mods"
flags=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 5 -g -use-ld=lld)

# One module per source directory, compiled whole-module into one object file.
build_module() { # NAME DIR [DEPS...]
    local name=$1 dir=$2
    local sources
    mapfile -t sources < <(find "$dir" -name '*.swift' | sort)
    local stamp=$mods/$name.o
    if [[ -f $stamp ]] && [[ -z $(find "$dir" -name '*.swift' -newer "$stamp" | head -1) ]] \
        && [[ -z $(find "$mods" -name '*.o' -newer "$stamp" | head -1) ]]; then
        return
    fi
    echo "fuzz.sh: compiling $name (${#sources[@]} files)" >&2
    nice -n 10 swiftc "${flags[@]}" -module-name "$name" -wmo -I "$mods" \
        -emit-module -emit-module-path "$mods/$name.swiftmodule" \
        -c "${sources[@]}" -o "$stamp"
}

build_target() { # model|checkpoint
    build_module MinnowCore Sources/MinnowCore
    local objects=("$mods/MinnowCore.o") source=tools/fuzz/FuzzModel.swift
    if [[ $1 == checkpoint ]]; then
        build_module MinnowModel Sources/MinnowModel
        build_module MinnowTraining Sources/MinnowTraining
        objects+=("$mods/MinnowModel.o" "$mods/MinnowTraining.o")
        source=tools/fuzz/FuzzCheckpoint.swift
    fi
    echo "fuzz.sh: linking $out/fuzz-$1" >&2
    nice -n 10 swiftc "${flags[@]}" -module-name "Fuzz_$1" -I "$mods" "$source" "${objects[@]}" \
        -o "$out/fuzz-$1"
}

if [[ $target == build ]]; then
    build_target model
    build_target checkpoint
    exit 0
fi
build_target "$target"

corpus=$out/corpus-$target
crashes=$out/crashes-$target
mkdir -p "$corpus" "$crashes"
ext=$([[ $target == model ]] && echo mnw || echo ckpt)
shopt -s nullglob
for f in models/*."$ext" tools/fuzz/corpus/"$target"/*; do cp -n "$f" "$corpus/" || true; done

# -max_len: room for the largest seed; -timeout: a slow input is a finding;
# -rss_limit_mb: a huge allocation is a finding.
max=4096
for f in "$corpus"/*; do s=$(stat -c %s "$f"); (( s > max )) && max=$s; done
echo "fuzz.sh: $target for ${seconds}s, $(ls "$corpus" | wc -l) corpus files, max_len $max" >&2
set +e
nice -n 10 "$out/fuzz-$target" "$corpus" -dict="tools/fuzz/$target.dict" -max_total_time="$seconds" -max_len="$max" -timeout=20 \
    -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz-$target.log"
status=${PIPESTATUS[0]}
set -e
echo "fuzz.sh: exit $status; log in $out/fuzz-$target.log; crashes in $crashes/" >&2
exit "$status"
