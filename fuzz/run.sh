#!/bin/sh
# Runs both fuzz targets for a bounded time and prints how many inputs each executed.
#
#   fuzz/run.sh [SECONDS]      # SECONDS per target, default 60
#
# Installs cargo-fuzz if it is missing. cargo-fuzz needs nightly compiler flags; on a stable
# toolchain RUSTC_BOOTSTRAP=1 (set here) unlocks them. Exits non-zero, naming the crashing input
# under fuzz/artifacts/, when a target fails. New corpus entries go to fuzz/corpus/ (not kept in
# git); fuzz/seeds/ and the built-in checklists are read as seeds.
set -eu

seconds=${1:-60}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz..." >&2
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

start=$(date +%s)
cargo fuzz build >&2
echo "built the fuzz targets in $(( $(date +%s) - start )) s" >&2

mkdir -p logs
status=0
for target in log_parser checklist_loader; do
    mkdir -p "corpus/$target"
    seeds="seeds/$target"
    if [ "$target" = checklist_loader ]; then seeds="$seeds ../checklists"; fi
    log="logs/$target.log"
    # shellcheck disable=SC2086 # $seeds is a list of directories
    if cargo fuzz run "$target" "corpus/$target" $seeds -- -max_total_time="$seconds" -timeout=10 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
    fi
    runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 | awk '{print $2 " executions in " $5 " s"}')
    echo "$target: $result, ${runs:-no summary}"
    if [ "$result" = FAILED ]; then
        grep -E 'panicked|SUMMARY|Test unit written|ERROR' "$log" >&2 || tail -n 30 "$log" >&2
    fi
done
exit "$status"
