#!/usr/bin/env python3
"""How many of the trace-injection eval's slow-downs can any per-event response-time rule catch?

Reads the dump of `augur eval trace-injection --events-out FILE` (every train, validation and test
trace, clean and slowed, with the model's per-event residuals and scores) and scores the same
slow-downs with rules that need no training:

  marginal emp       each label's empirical upper-tail probability of log(1 + time) on the
                     training traces; a trace's score is its least probable event
  marginal exptail   the same with an exponential tail beyond the slowest 5 %
  marginal gauss     a Gaussian per label (median, 1.4826 MAD)
  marginal LR        the likelihood ratio "this event was slowed by a factor in (2, 5)" under a kernel
                     estimate of each label's density: the best test given the labels' marginal
                     distributions, knowing the injection's own distribution (an upper bound for
                     marginal rules, not a usable rule); min and mean over the trace's events

and, for comparison, rules on the model's residuals (empirical, exponential tail, Gaussian) and the
model's own chosen score as dumped. Each is reported with its bound from the clean validation traces
(3 %, 4 %, 5 % flagged) and with the bound set on the clean test traces at 5 % (a ceiling).

With a Nezha fault list as second argument, the clean test traces the eval flagged (its own verdicts,
as dumped) are counted by the kind of the next recorded fault: Nezha keeps traces only for the
minutes around each fault, so this separates the morning's windows (before `exception` and `return`
faults, as in training and validation) from the afternoon's (before `cpu_contention` faults).

Usage: bench/trace_rt_ceiling.py DUMP.jsonl [FAULT_LIST.json]   (plain python3; a minute or two)
"""
import bisect
import calendar
import datetime
import json
import math
import sys
from collections import defaultdict

MIN_N = 10  # fewer training samples of a label: never flagged


def lg(x):
    return math.log1p(max(0.0, x))


def median(v):
    return v[len(v) // 2]


def robust(v):
    m = median(v)
    d = sorted(abs(x - m) for x in v)
    return m, max(1.4826 * d[len(d) // 2], 0.05)


class Emp:
    def __init__(self, v):
        self.v = v

    def p(self, x):
        n = len(self.v)
        return (n - bisect.bisect_left(self.v, x) + 1) / (n + 1)


class ExpTail(Emp):
    def __init__(self, v, top=0.05):
        super().__init__(v)
        n = len(v)
        self.m = min(max(5, int(math.ceil(top * n))), n - 1)
        self.u = v[n - self.m - 1]
        self.beta = max(sum(x - self.u for x in v[n - self.m:]) / self.m, 1e-3)

    def p(self, x):
        if x <= self.u:
            return super().p(x)
        return (self.m + 1) / (len(self.v) + 1) * math.exp(-(x - self.u) / self.beta)


class Gauss:
    def __init__(self, v):
        self.m, self.s = robust(v)

    def p(self, x):
        return 0.5 * math.erfc((x - self.m) / self.s / math.sqrt(2))


class Kde:
    """Gaussian kernel density on a 0.01 grid (Silverman bandwidth on the robust deviation)."""
    STEP = 0.01

    def __init__(self, v):
        n = len(v)
        h = max(0.9 * robust(v)[1] * n ** -0.2, 0.02)
        self.lo = v[0] - 6 * h - 2.0
        size = int((v[-1] + 6 * h + 2.0 - self.lo) / self.STEP) + 1
        counts = [0] * size
        for x in v:
            counts[int((x - self.lo) / self.STEP)] += 1
        w = int(5 * h / self.STEP) + 1
        ker = [math.exp(-0.5 * (k * self.STEP / h) ** 2) for k in range(-w, w + 1)]
        z = sum(ker) * n
        self.d = [0.0] * size
        for i, c in enumerate(counts):
            if c:
                for k, kv in enumerate(ker):
                    if 0 <= i + k - w < size:
                        self.d[i + k - w] += c * kv / z

    def f(self, x):
        i = int((x - self.lo) / self.STEP)
        return max(self.d[i], 1e-300) if 0 <= i < len(self.d) else 1e-300


SHIFTS = [math.log(2 + 3 * (k + 0.5) / 12) for k in range(12)]  # factors in (2, 5)


def by_next_fault(test, fault_list):
    """Flagged share of the clean test traces by the kind of the next recorded fault."""
    faults = []
    for entries in json.load(open(fault_list)).values():
        for f in entries:  # inject_time read as UTC, as the eval does (the traces' clock)
            t = datetime.datetime.strptime(f["inject_time"], "%Y-%m-%d %H:%M:%S")
            faults.append((calendar.timegm(t.timetuple()) * 10**9, f["inject_type"]))
    faults.sort()
    groups = defaultdict(lambda: [0, 0, 0, 0])
    for r in test:
        nxt = [k for t, k in faults if t > r["start_ns"]]
        g = groups[nxt[0] if nxt else "none"]
        g[0] += 1
        g[1] += r["flagged_response_time"]
        g[2] += r["flagged_structural"] or r["flagged_response_time"]
        g[3] += r.get("flagged_likelihood", False)
    print("clean test traces by the next recorded fault: traces; flagged by the chosen response-time"
          " rule; by any rule; by the likelihood rule (when dumped)")
    for kind, (n, rt, any_flag, lk) in sorted(groups.items()):
        print(f"  before {kind:15s} {n:4d}  {rt / n:.3f}  {any_flag / n:.3f}  {lk / n:.3f}")


def main(path, fault_list=None):
    rows = [json.loads(line) for line in open(path)]
    part = defaultdict(list)
    for r in rows:
        part[(r["split"], r["slowed"] >= 0)].append(r)
    train = part[("train", False)]
    val, val_slow = part[("validation", False)], part[("validation", True)]
    test, test_slow = part[("test", False)], part[("test", True)]
    print(f"traces: train {len(train)}, validation {len(val)}, test {len(test)} (each slowed once)")
    logs, errs = defaultdict(list), defaultdict(list)
    for r in train:
        for label, t, e in zip(r["labels"], r["rt"], r["err"]):
            logs[label].append(lg(t))
            errs[label].append(e)
    for d in (logs, errs):
        for v in d.values():
            v.sort()

    def per_event(fits, values):
        return lambda r: [fits[l].p(x) if l in fits else 1.0 for l, x in zip(r["labels"], values(r))]

    def report(name, event_scores, combine=min):
        """event_scores(row) -> per event, smaller = more anomalous; a trace: combine over events
        (from the slowed one on for slowed traces: earlier events cannot see the change)."""
        def trace(r, start=0):
            s = event_scores(r)[start:]
            return combine(s) if s else 1.0
        vc = sorted(trace(r) for r in val)
        tc = [trace(r) for r in test]
        ts = [trace(r, r["slowed"]) for r in test_slow]
        out = []
        for target in (0.03, 0.04, 0.05):
            k = int(math.floor(target * len(vc)))
            bound = vc[k] if k < len(vc) else 1.0
            acc = sum(s < bound for s in ts) / len(ts)
            fpr = sum(s < bound for s in tc) / len(tc)
            out.append(f"val {target:.2f}: {acc:.3f} at FPR {fpr:.3f}")
        srt = sorted(tc)
        bound = srt[int(math.floor(0.05 * len(srt)))]
        acc = sum(s < bound for s in ts) / len(ts)
        fpr = sum(s < bound for s in tc) / len(tc)
        print(f"{name:44s} ceiling {acc:.3f} (FPR {fpr:.3f}) | " + " | ".join(out))

    for kind, cls in (("emp", Emp), ("exptail", ExpTail), ("gauss", Gauss)):
        fits = {l: cls(v) for l, v in logs.items() if len(v) >= MIN_N}
        report(f"marginal {kind}", per_event(fits, lambda r: [lg(t) for t in r["rt"]]))
    kdes = {l: Kde(v) for l, v in logs.items() if len(v) >= MIN_N}

    def lr(r):  # 1 / likelihood ratio: smaller = likelier slowed
        out = []
        for label, t in zip(r["labels"], r["rt"]):
            k = kdes.get(label)
            if not k:
                out.append(1.0)
                continue
            x = lg(t)
            out.append(k.f(x) / max(sum(k.f(x - d) for d in SHIFTS) / len(SHIFTS), 1e-300))
        return out
    report("marginal LR, knowing the injection (min)", lr)
    report("marginal LR, knowing the injection (mean)", lr,
           combine=lambda s: -sum(1 / max(p, 1e-300) for p in s) / len(s))
    for kind, cls in (("emp", Emp), ("exptail", ExpTail), ("gauss", Gauss)):
        fits = {l: cls(v) for l, v in errs.items() if len(v) >= MIN_N}
        report(f"model residual, {kind} (slower only)", per_event(fits, lambda r: r["err"]))
    if rows and "score" in rows[0]:
        report("model's chosen rule (dumped scores)", lambda r: [-s for s in r["score"]])
    if fault_list and rows and "start_ns" in rows[0]:
        by_next_fault(test, fault_list)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
