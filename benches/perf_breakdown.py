#!/usr/bin/env python3
"""Share of perf samples whose stack contains each stage of triage.

    perf record -F 999 --call-graph dwarf,16384 -o perf.data \
        ./target/release/triage diagnose --rules RULES big.log >/dev/null
    perf script -i perf.data | python3 benches/perf_breakdown.py

Inclusive shares (a sample counts for every stage on its stack), so nested
rows add up to at most their parent. Inlined frames count, because perf
script prints them with `(inlined)`.
"""

import re
import sys

# (label, substring of a frame's symbol); indented rows are nested stages.
STAGES = [
    ("start-up: Engine::new (regex compile, automaton, search index)", "diagnose::Engine::new"),
    ("  regex compile (regex::Builder)", "regex::builders::Builder::build"),
    ("  search index build", "SearchIndex::build"),
    ("start-up: rule loading (TOML)", "rulebook::store"),
    ("diagnose loop", "triage::diagnose::diagnose"),
    ("  Lines::next (read + normalise)", "normalise::Lines"),
    ("    PhysicalLines::read_into", "read_into"),
    ("    clean_physical (ANSI, UTF-8, CR)", "clean_physical"),
    ("    split_escaped (JSON-in-a-line)", "split_escaped"),
    ("    strip_visible_escapes", "strip_visible_escapes"),
    ("    parse_prefix", "parse_prefix"),
    ("    BoxAssembler", "BoxAssembler"),
    ("  Matcher::scan", "Matcher::scan"),
    ("    Aho-Corasick overlapping anchors", "try_find_overlapping"),
    ("  FailureFinder::push", "FailureFinder::push"),
    ("    classify (STRONG/WEAK/SUCCESS/... regexes)", "failure::classify"),
    ("  dropping LogLine", "drop_in_place<triage::log::LogLine>"),
    ("  failure_similarity", "failure_similarity"),
    ("  Matcher::rank", "Matcher::rank"),
    ("regex search anywhere (is_match)", "Regex::is_match"),
    ("allocator (malloc/free/realloc) anywhere", re.compile(r"\b(?:malloc|free|realloc|cfree|_int_malloc|_int_free|__memcpy\w*)\b")),
    ("kernel (page faults, read syscalls)", "[kernel.kallsyms]"),
]


def samples(stream):
    stack = []
    for line in stream:
        if line.startswith((" ", "\t")):
            stack.append(line.strip())
        elif stack:
            yield stack
            stack = []
    if stack:
        yield stack


def main():
    counts = [0] * len(STAGES)
    total = 0
    for stack in samples(sys.stdin):
        total += 1
        for i, (_, key) in enumerate(STAGES):
            if isinstance(key, str):
                hit = any(key in frame for frame in stack)
            else:
                hit = any(key.search(frame) for frame in stack)
            counts[i] += hit
    if not total:
        print("no samples on standard input (pipe `perf script` output in)")
        return 0
    print(f"{total} samples")
    for (label, _), n in zip(STAGES, counts):
        print(f"{label:<62} {100 * n / total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
