#!/usr/bin/env bash
# Runs Twofold's cargo-fuzz targets (fuzz/fuzz_targets/) for a fixed time each and prints a
# summary table: executions, new corpus entries and new crash artifacts per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=600] [target...]     (default: every target)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Not run in
# CI: a useful run takes minutes per target. Targets run one after another, each as a single
# libFuzzer process, so the machine keeps its other cores. Each run reads fuzz/seeds/<target>/
# and fuzz/corpus/<target>/; new corpus entries land in the latter (kept in git: minimise it
# before committing; FUZZ_CMIN=1 does that here). Crash, out-of-memory and timeout inputs land
# in fuzz/artifacts/<target>/ (not kept). Logs: fuzz/target/fuzz-logs/<target>.log.
#
# Environment: FUZZ_RSS_MB (default 2048), FUZZ_TIMEOUT (seconds one input may take, default
# 30), FUZZ_CMIN=1 (minimise each corpus after its run), CARGO_BUILD_JOBS (build parallelism).
# Exit status: 0 if no target produced a new artifact, 1 otherwise, 2 on usage/build errors.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$repo/fuzz"
seconds=${1:-600}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET=600] [target...]" >&2
    exit 2
fi
shift || true
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-30}

cd "$fuzz"
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Longest input per target: a little above the largest real file of that kind, so the fuzzer
# spends its time on plausible sizes (the parsers' own size limits are tested separately).
max_len() {
    case $1 in
        otpauth_uri | license) echo 4096 ;;
        migration_uri) echo 8192 ;;
        importers | scanner_image) echo 65536 ;;
        *) echo 16384 ;;
    esac
}

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# -a: debug assertions (and with them overflow checks) in the fuzzed code, so an integer
# overflow is a crash instead of a silent wrap.
# Built up front (all targets share one build), so the seconds below are fuzzing time only.
echo "building fuzz targets (cargo +nightly fuzz build -a)..." >&2
cargo +nightly fuzz build -a >&2 || exit 2

logs="$fuzz/target/fuzz-logs"
mkdir -p "$logs"
rows=()
failed=0
for t in "${targets[@]}"; do
    corpus="$fuzz/corpus/$t"
    artifacts="$fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$fuzz/seeds/$t"
    corpus_before=$(count_files "$corpus")
    artifacts_before=$(find "$artifacts" -maxdepth 1 -type f | sort)
    log="$logs/$t.log"
    echo "fuzzing $t for ${seconds}s (log: $log)..." >&2
    start=$(date +%s)
    # libFuzzer exits non-zero on a crash; the table reports it, so carry on with the next.
    # corpus/<t> first: libFuzzer writes new entries to the first directory. seeds/<t> holds the
    # hand-made and fixture-derived inputs under readable names; it is only read.
    cargo +nightly fuzz run -a "$t" "$corpus" "$fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
        -max_len="$(max_len "$t")" -print_final_stats=1 >"$log" 2>&1 || true
    elapsed=$(($(date +%s) - start))

    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n1)
    if [ -z "$execs" ]; then
        # Older libFuzzer, or killed before the final stats: the last "#N" status line.
        execs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n1)
    fi
    new_corpus=$(($(count_files "$corpus") - corpus_before))
    new_artifacts=$(comm -13 <(echo "$artifacts_before") \
        <(find "$artifacts" -maxdepth 1 -type f | sort) | sed '/^$/d')
    crashes=$(printf '%s' "$new_artifacts" | grep -c . || true)
    kinds=$(printf '%s\n' "$new_artifacts" | sed -n 's|.*/\([a-z-]*\)-[0-9a-f]*$|\1|p' |
        sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    [ "$crashes" -gt 0 ] && failed=1
    rows+=("$(printf '| %-14s | %7s | %12s | %11s | %7s %s |' "$t" "$elapsed" "${execs:-?}" \
        "$new_corpus" "$crashes" "${kinds:+($kinds)}")")

    if [ "${FUZZ_CMIN:-0}" = 1 ]; then
        echo "minimising corpus/$t..." >&2
        # Edges only (-use_counters=0): every covered edge keeps an input, but not every
        # hit-count variation, which roughly halves the files kept in git.
        cargo +nightly fuzz cmin -a "$t" -- -use_counters=0 -rss_limit_mb="$rss_mb" \
            -timeout="$timeout" \
            -max_len="$(max_len "$t")" >>"$log" 2>&1 || echo "cmin of $t failed (see $log)" >&2
    fi
done

echo
echo "| target         | seconds |   executions | new corpus | crashes |"
echo "|----------------|---------|--------------|------------|---------|"
printf '%s\n' "${rows[@]}"
exit "$failed"
