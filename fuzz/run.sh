#!/usr/bin/env bash
# Coverage-guided fuzzing of stepdbg on the STABLE toolchain: libFuzzer from the
# libfuzzer-sys crate, coverage from rustc's stable SanitizerCoverage codegen flags (no
# cargo-fuzz, no nightly, no sanitizer runtime).
#
#   fuzz/run.sh [TARGET|all] [SECONDS]        (default: all 180)
#
# Builds every target (release, debug assertions and overflow checks on, -j1), then runs
# each chosen target for SECONDS in one process, over fuzz/corpus/<target>/ (seeds plus
# whatever earlier runs found). Crashes, timeouts (>10 s for one input) and out-of-memory
# (>2 GiB) land in fuzz/artifacts/<target>/. Prints executions and findings per target;
# exits 1 when anything was found.
#
# Replay one input:  fuzz/target/x86_64-unknown-linux-gnu/release/<target> FILE
# Extra libFuzzer flags: FUZZ_ARGS="-max_len=65536 -dict=..." fuzz/run.sh loader 600
set -euo pipefail

cd "$(dirname "$0")"
here=$(pwd)
TARGETS=(loader run evaluate jsonpath intrinsics jsonata mock_file config session_file endpoint)
what=${1:-all}
secs=${2:-180}
if [[ $what == all ]]; then
    chosen=("${TARGETS[@]}")
else
    found=0
    for t in "${TARGETS[@]}"; do [[ $t == "$what" ]] && found=1; done
    if [[ $found == 0 ]]; then
        echo "unknown target '$what' (targets: ${TARGETS[*]}, or all)" >&2
        exit 2
    fi
    chosen=("$what")
fi

triple=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps build scripts and proc macros uninstrumented (they run inside cargo/rustc).
export RUSTFLAGS="--cfg fuzzing \
 -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks ${EXTRA_RUSTFLAGS:-}"
echo "== building fuzz targets ($triple, release, -j1)"
cargo build --release -j1 --target "$triple" --manifest-path "$here/Cargo.toml" --bins

status=0
summary=()
for t in "${chosen[@]}"; do
    bin="${CARGO_TARGET_DIR:-$here/target}/$triple/release/$t"
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/last-run.log"
    before=$(find "artifacts/$t" -type f ! -name '*.log' | wc -l)
    echo "== $t: ${secs}s"
    # -rss_limit_mb: out-of-memory is a finding; -timeout: so is one input running 10 s.
    dict=()
    case $t in
        loader | run) dict=(-dict=dict/asl.dict) ;;
        jsonpath | intrinsics | jsonata) dict=(-dict="dict/$t.dict") ;;
        evaluate) dict=(-dict=dict/jsonata.dict) ;;
    esac
    set +e
    "$bin" "corpus/$t" "${dict[@]}" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    after=$(find "artifacts/$t" -type f ! -name '*.log' | wc -l)
    new=$((after - before))
    line=$(printf '%-13s execs=%-10s exec/s=%-7s cov=%-6s new_artifacts=%s rc=%s' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$new" "$rc")
    echo "$line"
    summary+=("$line")
    if [[ $rc != 0 || $new != 0 ]]; then
        status=1
        grep -E '^(==[0-9]+== ERROR|thread .* panicked|.*deadly signal|.*out-of-memory|.*timeout after)' "$log" | head -5 || true
        find "artifacts/$t" -type f ! -name '*.log' -newer "$bin" | head -5
    fi
done
echo "== summary (log of each run: fuzz/artifacts/<target>/last-run.log)"
printf '%s\n' "${summary[@]}"
exit $status
