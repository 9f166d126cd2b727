#!/usr/bin/env python3
"""Extracts the message of every Nezha TrainTicket log line (the "log" string of the docker JSON in the
Log column of */log/*.csv), one per line, for the template miner benchmark.

usage: nezha_logs.py NEZHA_DIR OUT_FILE
"""
import csv
import glob
import json
import os
import sys

csv.field_size_limit(1 << 30)


def main():
    src, out = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(src, "**", "log", "*.csv"), recursive=True))
    n = bad = 0
    with open(out, "w", encoding="utf-8") as f:
        for path in files:
            with open(path, encoding="utf-8", errors="replace", newline="") as fh:
                for row in csv.DictReader(fh):
                    raw = row.get("Log", "")
                    try:
                        msg = json.loads(raw).get("log", "")
                    except (ValueError, AttributeError):
                        msg, bad = raw, bad + 1
                    msg = msg.rstrip("\n").replace("\n", " ").replace("\r", " ")
                    f.write(msg + "\n")
                    n += 1
    print(f"{len(files)} files, {n} lines ({bad} not JSON, kept as is)", file=sys.stderr)


if __name__ == "__main__":
    main()
