#!/usr/bin/env python3
"""Generates a LogHub-style benchmark corpus for the template miner: the lines of the LogHub 2k sets
re-emitted in a loop with fresh parameter values (each variable part of the truth template gets new
random digits, hex values new hex digits; header digits too), one output file per system.

usage: miner_corpus.py LOGHUB_2K_DIR OUT_DIR TOTAL_LINES
The corpus stays outside the repository (it is derived from LogHub; regenerate it, never commit it).
"""
import csv
import os
import random
import re
import string
import sys


def mutate(s, rng):
    """Fresh digits (and hex digits in hex-looking values); words keep the 2k file's vocabulary, as a
    variable like a user or state name takes a limited set of values in real logs."""
    hexlike = any(c.isdigit() for c in s) and all(c in string.hexdigits or not c.isalnum() for c in s)
    out = []
    for ch in s:
        if ch.isdigit():
            out.append(rng.choice(string.digits))
        elif hexlike and ch in "abcdef":
            out.append(rng.choice("abcdef"))
        elif hexlike and ch in "ABCDEF":
            out.append(rng.choice("ABCDEF"))
        else:
            out.append(ch)
    return "".join(out)


def digits_only(s, rng):
    return "".join(rng.choice(string.digits) if c.isdigit() else c for c in s)


def load(system_dir, system):
    log = os.path.join(system_dir, system + "_2k.log")
    truth = os.path.join(system_dir, system + "_2k.log_structured.csv")
    with open(log, encoding="utf-8", errors="replace") as f:
        raw = [l.rstrip("\n").rstrip("\r") for l in f]
    with open(truth, encoding="utf-8", errors="replace", newline="") as f:
        rows = list(csv.DictReader(f))
    items = []
    for line, row in zip(raw, rows):
        content, tmpl = row["Content"], row["EventTemplate"]
        at = line.rfind(content) if content else -1
        parts = [re.escape(p) for p in tmpl.split("<*>")]
        try:
            rx = re.compile("^" + "(.*?)".join(parts) + "$", re.S)
        except re.error:
            rx = None
        items.append((line, content, at, rx))
    return items


def main():
    src, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(42)
    systems = sorted(d for d in os.listdir(src) if os.path.exists(os.path.join(src, d, d + "_2k.log")))
    os.makedirs(out, exist_ok=True)
    per = total // len(systems)
    for system in systems:
        items = load(os.path.join(src, system), system)
        with open(os.path.join(out, system + ".log"), "w", encoding="utf-8") as f:
            for k in range(per):
                line, content, at, rx = items[k % len(items)]
                m = rx.match(content) if rx and at >= 0 else None
                if m:
                    pieces, last = [], 0
                    for g in range(1, (m.lastindex or 0) + 1):
                        pieces.append(content[last:m.start(g)])
                        pieces.append(mutate(m.group(g), rng))
                        last = m.end(g)
                    pieces.append(content[last:])
                    new_content = "".join(pieces)
                else:
                    new_content = digits_only(content, rng)
                if at >= 0:
                    line = digits_only(line[:at], rng) + new_content + line[at + len(content):]
                else:
                    line = digits_only(line, rng)
                f.write(line + "\n")
        print(f"{system}: {per} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
