"""Writes the worst inputs of issue 17 into the directory given, for
benches/hostile.sh (see there)."""

import os
import sys

w = sys.argv[1]


def path(rel):
    p = os.path.join(w, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def put(rel, data):
    with open(path(rel), "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


good = ("---\ntitle: Widget explodes at the dial\n---\n## Issue\n\n```\n"
        "Error: widget exploded at dial 7\n```\n\n## Solution\n\n1. Turn the dial back.\n")
head = "---\ntitle: Hostile\n---\n## Issue\n\nError: boom\n\n## Solution\n\n"
n = 100_000
put("div/good.md", good)
put("div/deep.html", "---\ntitle: Deep\n---\n<h2>Issue</h2><p>Error: x</p>"
    + "<div>" * n + "deep" + "</div>" * n)
put("lists/good.md", good)
put("lists/lists-100k.md", head + "- " * n + "fix\n")
put("lists/quotes-100k.md", head + "> " * n + "fix\n")
put("lists/indented-900.md", head + "".join("  " * i + f"- step {i}\n" for i in range(900)))
bomb = "---\ntitle: Bomb\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
for c, p in zip("bcdefghi", "abcdefgh"):
    bomb += f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
put("bomb/good.md", good)
put("bomb/bomb.md", bomb + "---\n## Issue\n\nError: boom\n\n## Solution\n\n1. Fix.\n")
# The largest articles the default limit lets through, shaped to cost the
# most: quoted errors by the ten thousand, list items by the ten thousand.
blocks = "".join(f"```\nError {i}: widget {i} exploded at dial {i * 7}\n```\n\n"
                 for i in range(20_000))
put("big/blocks.md", (head + blocks)[: 1 << 20])
items = "".join(f"{i}. Turn dial {i} back to {i * 3}, then restart widget {i}.\n"
                for i in range(30_000))
put("big/items.md", (head + items)[: 1 << 20])
# 100 MB of article text.
para = "The widget explodes when the dial is turned past seven. " * 20 + "\n\n"
with open(path("huge/huge.md"), "w") as f:
    f.write(head)
    while f.tell() < 100 << 20:
        f.write(para * 100)
put("huge/good.md", good)
# Logs.
with open(path("line-200mb.log"), "wb") as f:
    f.write(b"Error: widget exploded at dial 9 ")
    block = b"x" * (1 << 20)
    for _ in range(200):
        f.write(block)
    f.write(b"\nRolling back\n")
words = items.split()
line = " ".join(words)[:16_000]
put("long-failure-lines.log", "".join(f"ERROR: {i} {line}\n" for i in range(60)))
text = ("".join(f"step {i} of the deploy\n" for i in range(2_000_000))
        + "Error: widget exploded at dial 9\n")
put("utf16.log", b"\xff\xfe" + text.encode("utf-16-le"))
# A rule file just under the 4 MiB limit, and one of 50 MB.
sig = "    'Widget {} exploded at dial <*> in zone {}',\n"
top = 'id = "huge-rule"\ntitle = "Widget explodes"\nsignatures = [\n'
end = ']\nsteps = ["Turn the dial back."]\n'
for name, size in [("rules-4m", (4 << 20) - 200), ("rules-50m", 50 << 20)]:
    with open(path(f"{name}/huge-rule.toml"), "w") as f:
        f.write(top)
        i = 0
        while f.tell() < size - 100:
            f.write(sig.format(i, i % 97))
            i += 1
        f.write(end)
# The worst the limits let through: sixteen rules at the limit of 256
# signature lines, every line sharing its words (so every one is checked
# against a line that has them), and one rule of 4 MiB of prose.
for r in range(16):
    sigs = "".join(f"    'Widget {r} {i} exploded at dial <*> in zone {i % 97}',\n"
                   for i in range(256))
    put(f"rules-cap/r{r}.toml", f'id = "r{r}"\ntitle = "Widget explodes {r}"\n'
        f'signatures = [\n{sigs}]\nsteps = ["Turn the dial back."]\n')
prose = " ".join(words)
quote3 = "'" * 3
put("rules-prose/prose.toml", 'id = "prose"\ntitle = "Widget explodes"\n'
    "signatures = ['Widget exploded at dial <*>']\n"
    'steps = ["Turn the dial back."]\n'
    f"cause = {quote3}{(prose * 5)[: (4 << 20) - 300]}{quote3}\n")
put("widget.log", "Starting the widget\nERROR: Widget 3 7 exploded at dial 9 in zone 7\n")
query = " ".join(words)
put("query-8k.txt", query[:8192].rsplit(" ", 1)[0])
# 1 MB of query in ten arguments (one may not pass 128 KiB), NUL-separated.
chunk = (query * 2)[:100_000].rsplit(" ", 1)[0]
put("query-1m.bin", "\0".join([chunk] * 10))
