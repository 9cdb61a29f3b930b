#!/usr/bin/env bash
# Runs each fuzz target for SECONDS, one after another (or only the targets
# named after SECONDS). Needs nightly Rust and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# New inputs go to fuzz/corpus/TARGET (not checked in); the checked-in seeds
# in fuzz/seeds/TARGET are read too. A failing input is saved under
# fuzz/artifacts/TARGET and the run stops there. Keywords in
# fuzz/dicts/TARGET.dict, where there is one, are given to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")"

secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Debug assertions and overflow checks on (cargo-fuzz's default); no
# sanitizer: the code is safe Rust, and plain builds run several times more
# inputs per second.
build=(--sanitizer none)
cargo +nightly fuzz build "${build[@]}"
for target in "${targets[@]}"; do
    echo "== $target: ${secs}s"
    mkdir -p "corpus/$target"
    dict=()
    if [ -f "dicts/$target.dict" ]; then
        dict=(-dict="dicts/$target.dict")
    fi
    cargo +nightly fuzz run "${build[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 "${dict[@]}"
    echo "== $target: corpus $(find "corpus/$target" -type f | wc -l) inputs"
done
