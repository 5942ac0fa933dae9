#!/usr/bin/env bash
# The worst inputs of issue 17 (hostile and odd input), timed: wall time and
# peak memory of each command, from /usr/bin/time -v. The regression tests
# (tests/integration/cli_hostile.rs) check what each input does; this says
# what it costs, for the closing note and for anyone changing the limits.
#
#   bash benches/hostile.sh [--keep] [--tmp DIR]
#
# Needs python3 (to write the inputs) and GNU time (installed with apt when
# missing). ../shared/corpus, when present, gives a real rules directory for
# the search and diagnose rows; without it those use the bundled rules.
# Reports and always exits 0: a benchmark never fails a build.

cd "$(dirname "$0")/.." || exit 0

keep=0
tmp_root="${TMPDIR:-/tmp}"
while [ $# -gt 0 ]; do
    case "$1" in
        --keep) keep=1 ;;
        --tmp) tmp_root="$2"; shift ;;
        *) echo "unknown option $1"; exit 0 ;;
    esac
    shift
done

if ! { set -o pipefail; cargo build --release 2>&1 | tail -n 1; }; then
    echo "build failed; nothing to measure"
    exit 0
fi
bin="$(pwd)/target/release/triage"
if [ ! -x /usr/bin/time ]; then
    { apt-get update -qq && apt-get install -y -qq time; } >/dev/null 2>&1
fi
if [ ! -x /usr/bin/time ]; then
    echo "no /usr/bin/time (GNU time); nothing to measure"
    exit 0
fi

work="$(mktemp -d "$tmp_root/triage-hostile.XXXXXX")"
if [ "$keep" = 1 ]; then
    echo "inputs kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

python3 benches/hostile_inputs.py "$work" || exit 0
rules=""
if [ -d ../shared/corpus ]; then
    "$bin" ingest ../shared/corpus --out "$work/corpus-rules" >/dev/null 2>&1 && rules="--rules $work/corpus-rules"
fi
"$bin" ingest "$work/div" --out "$work/good-rules" >/dev/null 2>&1

printf '%-58s %8s %10s %4s\n' "input and command" "seconds" "peak MiB" "rc"
measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt"
    local rc=$?
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/time.txt")
    rc=$(awk -F': ' '/Exit status/ {print $2}' "$work/time.txt")
    printf '%-58s %8s %10s %4s\n' "$label" "$wall" "$rss" "$rc"
}
out() { rm -rf "$work/out"; echo "$work/out"; }

measure "ingest: 100k nested <div> (default limit: skipped)" "$bin" ingest "$work/div" --out "$(out)"
measure "ingest: 100k nested <div> (limit raised: refused)" "$bin" ingest "$work/div" --out "$(out)" --max-article-bytes 10000000
measure "ingest: lists/quotes nested 100k, 900 indented" "$bin" ingest "$work/lists" --out "$(out)"
measure "ingest: YAML alias bomb, 9 levels" "$bin" ingest "$work/bomb" --out "$(out)"
measure "ingest: 1 MiB article, 20k quoted errors" "$bin" ingest "$work/big/blocks.md" --out "$(out)"
measure "ingest: 1 MiB article, 30k list items" "$bin" ingest "$work/big/items.md" --out "$(out)"
measure "ingest: 100 MB article (skipped unread)" "$bin" ingest "$work/huge" --out "$(out)"
measure "ingest: 100 MB article, limit raised to 200 MB" "$bin" ingest "$work/huge" --out "$(out)" --max-article-bytes 200000000
measure "diagnose: 200 MB single line" "$bin" diagnose --rules "$work/good-rules" "$work/line-200mb.log"
measure "diagnose: 60 failure lines of 16 KB" "$bin" diagnose $rules "$work/long-failure-lines.log"
measure "diagnose: 2M-line UTF-16 log (88 MB)" "$bin" diagnose $rules "$work/utf16.log"
measure "diagnose: 4 MiB rule, 81k signatures (refused)" "$bin" diagnose --rules "$work/rules-4m" "$work/widget.log"
measure "diagnose: 50 MB rule file (refused)" "$bin" diagnose --rules "$work/rules-50m" "$work/widget.log"
measure "lint: 50 MB rule file (refused)" "$bin" lint --rules "$work/rules-50m"
measure "search: 50 MB rule file (refused)" "$bin" search --rules "$work/rules-50m" widget
measure "diagnose: 16 rules x 256 signatures, one anchor" "$bin" diagnose --rules "$work/rules-cap" "$work/widget.log"
measure "diagnose: same, 60 failure lines of 16 KB" "$bin" diagnose --rules "$work/rules-cap" "$work/long-failure-lines.log"
measure "lint: 16 rules x 256 signatures" "$bin" lint --rules "$work/rules-cap"
measure "diagnose: a 4 MiB rule of prose (cache built)" "$bin" diagnose --rules "$work/rules-prose" "$work/widget.log"
measure "search: a 4 MiB rule of prose (cached)" "$bin" search --rules "$work/rules-prose" widget exploded dial
measure "lint: a 4 MiB rule of prose" "$bin" lint --rules "$work/rules-prose"
measure "search: 8 KiB query (at the limit)" "$bin" search $rules "$(cat "$work/query-8k.txt")"
mapfile -d '' parts <"$work/query-1m.bin"
measure "search: 1 MB query (refused)" "$bin" search $rules "${parts[@]}"
exit 0
