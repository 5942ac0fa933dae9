#!/usr/bin/env bash
# Speed and memory benchmark for triage: diagnose against ripgrep on the same
# patterns and file, peak RSS, ingest and search times, and the eval figures.
#
#   bash benches/run.sh [--size 1G] [--runs N] [--seed S] [--keep] [--tmp DIR]
#
# Run from anywhere; it works from the crate root. It reports and always exits
# 0, because a benchmark on a shared machine must never fail a build.

cd "$(dirname "$0")/.." || exit 0

note() { printf '== %s\n' "$*"; }

note "cargo build --release"
if ! { set -o pipefail; cargo build --release 2>&1 | tail -n 2; }; then
    echo "build failed; nothing to measure"
    exit 0
fi
if [ ! -x ./target/release/triage ]; then
    echo "no ./target/release/triage after the build; nothing to measure"
    exit 0
fi

# The tools the comparison needs. apt first (fast, prebuilt); cargo as a
# fallback where apt is unavailable.
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@"; } >/dev/null 2>&1
}
if ! command -v rg >/dev/null 2>&1; then
    note "installing ripgrep"
    apt_install ripgrep || cargo install ripgrep --locked >/dev/null 2>&1 || true
    [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"
fi
if [ ! -x /usr/bin/time ]; then
    note "installing time (for /usr/bin/time -v)"
    apt_install time || true
fi
command -v rg >/dev/null 2>&1 || { echo "ripgrep unavailable; cannot compare"; exit 0; }
[ -x /usr/bin/time ] || echo "warning: /usr/bin/time missing; peak RSS will be reported as unmeasured"
command -v python3 >/dev/null 2>&1 || { echo "python3 unavailable; cannot run benches/bench.py"; exit 0; }
[ -d ../shared/corpus ] && [ -f ../shared/eval/cases.toml ] || {
    echo "../shared (corpus and eval) absent; skipping the benchmark"
    exit 0
}

python3 benches/bench.py "$@" || echo "benches/bench.py exited $?"
exit 0
