#!/usr/bin/env python3
"""Does a span's time measured against its own trace show a 2-5x slow-down that per-label statistics hide?

A study for `augur eval trace-injection`'s response-time bar (docs/BENCHMARKS.md, "Response-time
ceiling"), beside bench/trace_rt_share_ceiling.py and bench/trace_rt_self_ceiling.py, with the same
time-ordered split of every Nezha TrainTicket trace of the shared day (60 % training, 20 %
validation, 20 % test). Per label it learns the median and robust spread of log(duration). Three
scores per trace, each its most upward-deviating span (robust z, one-sided):
  label     z against the label's training statistics (the baseline of the other studies);
  trace     the same z minus the trace's own median z (a slow moment slows the whole trace);
  siblings  for a span whose label occurs at least twice more in the trace, z against the median
            log duration of those siblings (the label's spread as scale); other spans as `label`.
It slows one random span of each test trace three times by a factor in (2, 5) and prints the
detection at the bound set on the clean validation traces (5 % flagged) and the ceiling with the
bound set on the clean test traces.

Usage: bench/trace_rt_context_ceiling.py [NEZHA_DIR]   (default ../shared/datasets/nezha-trainticket)
"""
import collections
import math
import random
import statistics
import sys

import nezha_trace_split

D = sys.argv[1] if len(sys.argv) > 1 else '../shared/datasets/nezha-trainticket'
train, val, test = nezha_trace_split.load(D)
M = collections.defaultdict(list)
for ev in train:
    for e in ev:
        M[e['label']].append(math.log(e['dur']))


def fit(v):
    v = sorted(v)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    return (q(.5), max(1e-3, (q(.9) - q(.1)) / 2.56), len(v))


MM = {l: fit(v) for l, v in M.items()}


def zs(ev):
    out = []
    for e in ev:
        st = MM.get(e['label'])
        if st and st[2] >= 20:
            out.append((e, (math.log(e['dur']) - st[0]) / st[1], st))
    return out


def score(ev, which):
    z = zs(ev)
    if not z:
        return 0.0
    if which == 'label':
        return max(x for _, x, _ in z)
    if which == 'trace':
        m = statistics.median(x for _, x, _ in z)
        return max(x - m for _, x, _ in z)
    by = collections.defaultdict(list)
    for e, _, _ in z:
        by[e['label']].append(math.log(e['dur']))
    best = 0.0
    for e, x, st in z:
        others = list(by[e['label']])
        others.remove(math.log(e['dur']))
        if len(others) >= 2:
            x = (math.log(e['dur']) - statistics.median(others)) / st[1]
        best = max(best, x)
    return best


def inject(ev, rng):
    ev = [dict(e) for e in ev]
    i = rng.randrange(len(ev))
    ev[i]['dur'] *= rng.uniform(2, 5)
    return ev, i


rng = random.Random(1)
injs = [inject(ev, rng) for ev in test for _ in range(3)]
with_sibs = sum(sum(e['label'] == ev[i]['label'] for e in ev) >= 3 for ev, i in injs)
print('test traces', len(test), 'injections', len(injs), 'into spans with 2+ same-label siblings',
      with_sibs)
for which in ('label', 'trace', 'siblings'):
    vs = sorted(score(ev, which) for ev in val)
    thr = vs[int(.95 * len(vs))]
    cs = [score(ev, which) for ev in test]
    inj = [score(ev, which) for ev, i in injs]
    t2 = sorted(cs)[int(.95 * len(cs))]
    print('%-8s bound from validation: test FPR %.3f, caught %.3f; ceiling at test FPR 5%%: %.3f' %
          (which, sum(c > thr for c in cs) / len(cs), sum(c > thr for c in inj) / len(inj),
           sum(c > t2 for c in inj) / len(inj)))
