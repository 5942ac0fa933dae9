#!/usr/bin/env python3
"""Speed and memory benchmark for `triage`, driven by benches/run.sh.

Measures ingest time, diagnose time against ripgrep running the same
patterns on the same file (a large and a small synthetic log), peak RSS,
search latency, and finally prints the eval figures so that speed is never
read without accuracy next to it. Never fails: every problem is reported and
the exit status is 0.
"""

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

TRIAGE = "./target/release/triage"
SHARED = "../shared"
CORPUS = f"{SHARED}/corpus"
CASES = f"{SHARED}/eval/cases.toml"
QUERIES = f"{SHARED}/eval/queries.toml"

# Targets: diagnose at grep speed (the issue "Speed and memory"), and the
# budgets of the issue "Search by meaning", which added a sentence-embedding
# model: ingest including the article vectors, search including start-up and
# the query's vector, peak memory of every command.
TARGET_LARGE_RATIO = 1.0
TARGET_SMALL_RATIO = 1.5
TARGET_RSS_MIB = 150
TARGET_INGEST_S = 5.0
TARGET_SEARCH_MS = 30.0

SMALL_BYTES = 100 * 1024
# Lines of the planted failure: the tail of a labelled failing log, which is
# where a real run stops.
FAILURE_TAIL_LINES = 40


def parse_size(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1G, 256M, 100K)")
    scale = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]
    return int(float(m.group(1)) * scale)


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


def log(msg):
    print(msg, flush=True)


def run_timed(cmd, stdin=None):
    """Wall time of one run, output discarded; returns (seconds, exit code)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=stdin)
    return time.perf_counter() - start, proc.returncode


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    if not xs:
        return float("nan")
    s = sorted(xs)
    # Nearest rank: the smallest value with at least 90% of samples at or below it.
    k = max(0, min(len(s) - 1, -(-9 * len(s) // 10) - 1))
    return s[k]


def load_cases():
    with open(CASES, "rb") as f:
        return tomllib.load(f)["case"]


def read_lines(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").splitlines()


def generate_logs(out_dir, size, seed):
    """Writes big.log (`size` bytes, roughly) and small.log (100 KiB) from
    real successful-run lines with a real failure tail at the end. Returns the
    paths and the case the failure came from."""
    cases = load_cases()
    eval_dir = os.path.dirname(CASES)
    control = [c for c in cases if c.get("theme") == "control"]
    failing = sorted(
        (c for c in cases if c.get("expect") and c.get("confidence") == "high"),
        key=lambda c: c["id"],
    )
    if not control or not failing:
        raise RuntimeError("cases.toml has no control cases or no high-confidence failing cases")
    filler_logs = [read_lines(os.path.join(eval_dir, c["log"])) for c in sorted(control, key=lambda c: c["id"])]
    filler_logs = [ls for ls in filler_logs if ls]
    rng = random.Random(seed)
    failure_case = rng.choice(failing)
    failure_lines = read_lines(os.path.join(eval_dir, failure_case["log"]))[-FAILURE_TAIL_LINES:]
    failure_blob = ("\n".join(failure_lines) + "\n").encode()

    def write(path, total):
        filler_target = max(0, total - len(failure_blob))
        written = 0
        with open(path, "wb", buffering=1 << 20) as f:
            while written < filler_target:
                # A run of consecutive lines from one successful log, so that
                # the filler keeps the structure of real output (exception
                # boxes, progress bars) rather than shuffled single lines.
                lines = rng.choice(filler_logs)
                start = rng.randrange(len(lines))
                length = rng.randint(20, 200)
                # Whole lines only: the size may overshoot by one run (<= 200 lines).
                chunk = ("\n".join(lines[start : start + length]) + "\n").encode()
                f.write(chunk)
                written += len(chunk)
            f.write(failure_blob)

    big = os.path.join(out_dir, "big.log")
    small = os.path.join(out_dir, "small.log")
    write(big, size)
    write(small, SMALL_BYTES)
    return big, small, failure_case


def peak_rss_kib(cmd):
    proc = subprocess.run(
        ["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", proc.stderr)
    return int(m.group(1)) if m else None


def alternate(cmd_a, cmd_b, runs):
    """Runs a and b alternately so that cache state and machine load fall on
    both alike. Returns the two lists of seconds and the exit codes seen."""
    ta, tb, codes_a, codes_b = [], [], set(), set()
    for _ in range(runs):
        t, rc = run_timed(cmd_a)
        ta.append(t)
        codes_a.add(rc)
        t, rc = run_timed(cmd_b)
        tb.append(t)
        codes_b.add(rc)
    return ta, tb, codes_a, codes_b


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
                    break
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return [
        ("nproc", str(os.cpu_count())),
        ("CPU", model),
        ("memory", mem),
        ("load average (1/5/15 min, at end)", load),
        ("kernel", platform.release()),
        ("rg", subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
         if shutil.which("rg") else "missing"),
    ]


def first_ranked(rules, path):
    """The first finding (diagnoses, then possibly related), as `triage eval`
    ranks them: its id, then its other editions' ids."""
    proc = subprocess.run(
        [TRIAGE, "diagnose", "--rules", rules, "--format", "json", path], capture_output=True, text=True
    )
    try:
        import json

        d = json.loads(proc.stdout)
        findings = d.get("diagnoses", []) + d.get("related", [])
        if not findings:
            return []
        return [findings[0]["id"]] + list(findings[0].get("also", []))
    except Exception:  # noqa: BLE001 - a report, not a test
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("1G"), help="large log size (default 1G)")
    ap.add_argument("--runs", type=int, default=None, help="runs per timing (default 5 small / 3 large)")
    ap.add_argument("--seed", type=int, default=1, help="seed for the synthetic logs (default 1)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--tmp", default=None, help="directory for the temporary files (default: system temp)")
    args = ap.parse_args()

    rows = []  # (metric, value, target, met)

    def row(metric, value, target="", met=None):
        rows.append((metric, value, target, "" if met is None else ("yes" if met else "no")))

    tmp = tempfile.mkdtemp(prefix="triage-bench-", dir=args.tmp)
    try:
        runs_small = args.runs or 5
        runs_large = args.runs or 3
        rules = os.path.join(tmp, "rules")

        # 1. ingest
        log(f"== ingest {CORPUS} (median of 5, fresh directory each run)")
        ingest_times = []
        for i in range(5):
            out = os.path.join(tmp, f"rules-{i}")
            t, rc = run_timed([TRIAGE, "ingest", CORPUS, "--out", out])
            if rc != 0:
                log(f"   ingest exited {rc}")
            ingest_times.append(t)
            if i == 0:
                os.rename(out, rules)
            else:
                shutil.rmtree(out, ignore_errors=True)
        rule_files = len(os.listdir(rules)) if os.path.isdir(rules) else 0
        log(f"   {rule_files} rule files; runs: " + ", ".join(f"{t:.3f}s" for t in ingest_times))
        ing = median(ingest_times)
        row("ingest corpus (median of 5)", f"{ing:.3f} s", f"< {TARGET_INGEST_S} s", ing < TARGET_INGEST_S)

        patterns = os.path.join(tmp, "patterns.txt")
        with open(patterns, "w") as f:
            subprocess.run([TRIAGE, "patterns", "--rules", rules], stdout=f)
        with open(patterns) as f:
            n_patterns = sum(1 for _ in f)
        log(f"   {n_patterns} patterns for rg")

        # 2. logs
        log(f"== generating logs (large {human_bytes(args.size)}, small {human_bytes(SMALL_BYTES)}, seed {args.seed})")
        t0 = time.perf_counter()
        big, small, failure_case = generate_logs(tmp, args.size, args.seed)
        log(f"   generated in {time.perf_counter() - t0:.1f}s; failure planted from case "
            f"{failure_case['id']} (expect {failure_case['expect']})")
        big_bytes, small_bytes = os.path.getsize(big), os.path.getsize(small)
        # Warm the page cache so the first timed run is not a cold read.
        with open(big, "rb") as f:
            while f.read(1 << 24):
                pass

        for label, path, runs, target in (
            ("large", big, runs_large, TARGET_LARGE_RATIO),
            ("small", small, runs_small, TARGET_SMALL_RATIO),
        ):
            size_b = os.path.getsize(path)
            log(f"== {label} log {human_bytes(size_b)}: triage diagnose vs rg -c -f patterns, {runs} runs each, alternating")
            tt, tr, codes_t, codes_r = alternate(
                [TRIAGE, "diagnose", "--rules", rules, path], ["rg", "-c", "-f", patterns, path], runs
            )
            log("   triage: " + ", ".join(f"{t:.3f}s" for t in tt) + f"  (exit codes {sorted(codes_t)})")
            log("   rg:     " + ", ".join(f"{t:.3f}s" for t in tr) + f"  (exit codes {sorted(codes_r)})")
            mt, mr = median(tt), median(tr)
            ratio = mt / mr if mr > 0 else float("nan")
            def rate(t):
                # Throughput means nothing when start-up is the whole time.
                return f" ({size_b / t / (1 << 20):.0f} MiB/s)" if size_b >= (1 << 20) and t > 0 else ""

            row(f"{label} log: triage diagnose (median)", f"{mt:.3f} s{rate(mt)}")
            row(f"{label} log: rg -c -f patterns (median)", f"{mr:.3f} s{rate(mr)}")
            row(f"{label} log: ratio triage/rg", f"{ratio:.2f}", f"<= {target}", ratio <= target)
            bad = codes_t - {0, 1}
            if bad:
                row(f"{label} log: triage exit codes", str(sorted(codes_t)), "0 or 1", False)
            found = first_ranked(rules, path)
            hit = bool(found) and any(i in failure_case["expect"] for i in found)
            row(f"{label} log: planted failure ranked first",
                f"{found[0] if found else 'none'}", "in expect", hit)

        # 2b. the same output as a container runtime stores it (Docker's
        # json-file driver: one JSON record per line), against that text
        # plain; both must give the same report.
        docker_target = min(args.size, 128 << 20)
        plain_c, docker_c = os.path.join(tmp, "container.log"), os.path.join(tmp, "container.json.log")
        with open(small) as f:
            small_lines = f.read().splitlines()
        with open(plain_c, "w") as fp, open(docker_c, "w") as fd:
            written = 0
            records = [json.dumps({"log": l + "\n", "stream": "stdout",
                                   "time": "2024-05-01T10:00:00.000000000Z"}) + "\n" for l in small_lines]
            plain_block = "\n".join(small_lines) + "\n"
            docker_block = "".join(records)
            while written < docker_target:
                fp.write(plain_block)
                fd.write(docker_block)
                written += len(docker_block)
        docker_b = os.path.getsize(docker_c)
        log(f"== container log {human_bytes(docker_b)} (Docker json-file) vs the same text plain, {runs_large} runs each")
        td, tp, _, _ = alternate([TRIAGE, "diagnose", "--rules", rules, docker_c],
                                 [TRIAGE, "diagnose", "--rules", rules, plain_c], runs_large)
        md, mp = median(td), median(tp)
        row(f"Docker log {human_bytes(docker_b)}: triage diagnose (median)",
            f"{md:.3f} s ({docker_b / md / (1 << 20):.0f} MiB/s)" if md > 0 else f"{md:.3f} s")
        row("  the same text plain: triage diagnose (median)", f"{mp:.3f} s")
        reports = [subprocess.run([TRIAGE, "diagnose", "--format", "json", "--rules", rules, p],
                                  capture_output=True, text=True).stdout for p in (docker_c, plain_c)]
        row("Docker log: same report as the plain text", "yes" if reports[0] == reports[1] else "no",
            "same", reports[0] == reports[1])

        # 3. memory
        log("== peak RSS (/usr/bin/time -v)")
        for label, path in (("large", big), ("small", small), ("Docker", docker_c)):
            kib = peak_rss_kib([TRIAGE, "diagnose", "--rules", rules, path])
            if kib is None:
                row(f"{label} log: peak RSS triage diagnose", "unmeasured", f"< {TARGET_RSS_MIB} MiB", False)
            else:
                mib = kib / 1024
                row(f"{label} log: peak RSS triage diagnose", f"{mib:.1f} MiB", f"< {TARGET_RSS_MIB} MiB",
                    mib < TARGET_RSS_MIB)
        kib = peak_rss_kib(["rg", "-c", "-f", patterns, big])
        if kib is not None:
            row("large log: peak RSS rg (for reference)", f"{kib / 1024:.1f} MiB")
        for label, cmd in (
            ("search", [TRIAGE, "search", "--rules", rules, "checkout page blank after upgrade"]),
            ("ingest (corpus, vectors included)", [TRIAGE, "ingest", CORPUS, "--out", os.path.join(tmp, "rss-rules")]),
        ):
            kib = peak_rss_kib(cmd)
            if kib is not None:
                row(f"peak RSS triage {label}", f"{kib / 1024:.1f} MiB", f"< {TARGET_RSS_MIB} MiB",
                    kib / 1024 < TARGET_RSS_MIB)

        # 4. search
        log("== triage search per labelled query (wall time incl. start-up)")
        with open(QUERIES, "rb") as f:
            queries = tomllib.load(f)["query"]
        search_times = []
        for q in queries:
            t, rc = run_timed([TRIAGE, "search", "--rules", rules, q["text"]])
            search_times.append(t)
        sm, sp = median(search_times) * 1000, p90(search_times) * 1000
        row(f"search: median over {len(queries)} queries", f"{sm:.1f} ms", f"< {TARGET_SEARCH_MS:.0f} ms",
            sm < TARGET_SEARCH_MS)
        row("search: p90", f"{sp:.1f} ms")
        # Start-up alone, to tell loading the rules apart from searching.
        t_help = median([run_timed([TRIAGE, "--version"])[0] for _ in range(5)]) * 1000
        row("process start-up (triage --version, median)", f"{t_help:.1f} ms")

        # 5. accuracy, so speed is never read alone
        accuracy = []
        for label, path in (("cases", CASES), ("queries", QUERIES)):
            proc = subprocess.run([TRIAGE, "eval", path, "--rules", rules], capture_output=True, text=True)
            summary = [l for l in proc.stdout.splitlines() if re.search(r"top-1|no diagnosis|mrr|MRR|abstain", l)]
            accuracy.append((label, summary or proc.stdout.splitlines()[-3:]))

        # Summary
        log("")
        log(f"== summary (large log {human_bytes(big_bytes)}, small log {human_bytes(small_bytes)}, "
            f"{n_patterns} patterns, {rule_files} rules, runs {runs_large}/{runs_small})")
        widths = [max(len(str(r[i])) for r in rows + [("metric", "value", "target", "met")]) for i in range(4)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        log(fmt.format("metric", "value", "target", "met"))
        log(fmt.format(*("-" * w for w in widths)))
        for r in rows:
            log(fmt.format(*r))
        log("")
        log("== machine")
        for k, v in machine_info():
            log(f"{k}: {v}")
        log("")
        log("== accuracy (triage eval --rules <ingested corpus>)")
        for label, lines in accuracy:
            for l in lines:
                log(f"{label}: {l}")
    except Exception as e:  # noqa: BLE001 - the benchmark reports, it never fails a build
        log(f"benchmark error: {e!r}")
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
