#!/usr/bin/env python3
"""Durations written in a simulator run's logs, baseline vs fault interval, per log statement.

Usage: bench/sim_durations.py SIM_RUN_DIR   (a folder of `augur simulate --out`, with labels.json)
Prints, for each (service, statement) whose lines carry a duration ("took=2.4ms", "5.665 ms",
"300 seconds"), the median and 95th percentile in milliseconds during the protocol's baseline and
fault intervals (docs/BENCHMARKS.md, "Log language model: durations keep their magnitude").
"""
import datetime
import json
import re
import statistics
import sys
from collections import defaultdict

UNIT_MS = {"ms": 1.0, "µs": 1e-3, "s": 1e3, "seconds": 1e3}
DURATION = re.compile(r"(?:took=|\s)([0-9.]+)\s?(ms|µs|s\b|seconds)")


def records(path):
    for line in open(path, encoding="utf-8"):
        for rl in json.loads(line)["resourceLogs"]:
            attrs = {a["key"]: a["value"].get("stringValue") for a in rl["resource"]["attributes"]}
            for sl in rl["scopeLogs"]:
                for r in sl["logRecords"]:
                    yield attrs.get("service.name"), int(r["timeUnixNano"]), r["body"].get("stringValue", "")


def ns(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1e9)


def statement(service, body):
    if body.startswith("ts="):  # Go kit: the method names the statement
        return re.sub(r"\S*\d\S*", "#", body.split(" ", 2)[2][:30])
    if service == "front-end":  # morgan: method and path
        return " ".join(body.split()[:2])[:40]
    return re.sub(r"\S*\d\S*", "#", body[-60:])


def main():
    run = sys.argv[1]
    labels = json.load(open(f"{run}/labels.json"))
    fault_start, fault_end = map(ns, labels["protocol"]["fault"])
    values = defaultdict(lambda: ([], []))
    for service, t, body in records(f"{run}/logs.jsonl"):
        m = DURATION.search(body)
        if not m or t >= fault_end:
            continue
        values[(service, statement(service, body))][t >= fault_start].append(
            float(m.group(1)) * UNIT_MS[m.group(2)])
    for (service, stmt), (base, fault) in sorted(values.items()):
        if len(base) < 5 or len(fault) < 5:
            continue
        qb, qf = statistics.quantiles(base, n=20), statistics.quantiles(fault, n=20)
        print(f"{service:10s} {stmt[:40]:40s} n={len(base):5d}/{len(fault):5d} "
              f"baseline p50={qb[9]:.3g} p95={qb[18]:.3g} | fault p50={qf[9]:.3g} p95={qf[18]:.3g}")


if __name__ == "__main__":
    main()
