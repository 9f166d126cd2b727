#!/usr/bin/env python3
"""The drift rule's prototype: what a "median of the last N durations" rule would add to log_lm.

Reads the simulator's normal run (SIM/normal/logs.jsonl, OTLP JSON lines) and learns, per service
and statement (the line with every token holding a digit masked; Spring headers and `ts=` dropped),
the highest median of N consecutive durations of that statement in one pod's stream. Then replays
the windows of a `augur eval log-windows --drift-run 0 --windows-out DUMP` run per stream in time
order and flags a window also when one of its lines brings its statement's median of the last N
above MARGIN x that bound. Prints P / R / F1 of the dump's own decisions and with the rule added,
overall and per scenario. The C++ rule (docs/log-lm.md, step 6) was built after this and agreed
with it on seeds 1 and 8 (docs/BENCHMARKS.md, "sustained slowdowns").

Usage: bench/log_drift_prototype.py SIM DUMP [N=16] [MARGIN=1.1]
"""
import collections
import json
import re
import statistics
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__)
SIM, DUMP = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 16
MARGIN = float(sys.argv[4]) if len(sys.argv) > 4 else 1.1
DUR = re.compile(r'(?:took=([\d.]+)(ns|µs|us|ms|s)\b)|(?: ([\d.]+) ms\b)')
UNIT = {'ns': 1e-6, 'µs': 1e-3, 'us': 1e-3, 'ms': 1, 's': 1000}


def duration(body):
    m = DUR.search(body)
    if not m:
        return None
    if m.group(3):
        return float(m.group(3))
    return float(m.group(1)) * UNIT[m.group(2)]


def statement(body):
    body = re.sub(r'^\S+ \S+ +\w+ \[[^\]]*\] \d+ --- \[[^\]]*\]', '', body)
    body = re.sub(r'ts=\S+', '', body)
    return ' '.join('*' if re.search(r'\d', t) else t for t in body.split())


streams = collections.defaultdict(list)
for line in open(f'{SIM}/normal/logs.jsonl'):
    doc = json.loads(line)
    for rl in doc.get('resourceLogs', []):
        attrs = {a['key']: a['value'].get('stringValue', '') for a in rl['resource']['attributes']}
        for sl in rl['scopeLogs']:
            for r in sl['logRecords']:
                streams[(attrs['service.name'], attrs.get('k8s.pod.name', ''))].append(
                    (int(r['timeUnixNano']), r['body']['stringValue']))

bound = {}
for (service, _), lines in streams.items():
    recent = collections.defaultdict(lambda: collections.deque(maxlen=N))
    for _, body in sorted(lines):
        d = duration(body)
        if d is None:
            continue
        q = recent[statement(body)]
        q.append(d)
        if len(q) == N:
            k = (service, statement(body))
            bound[k] = max(bound.get(k, 0), statistics.median(q))

windows = [json.loads(line) for line in open(DUMP)]
windows.sort(key=lambda w: (w['scenario'], w['instance'], w['start']))
counts = collections.defaultdict(collections.Counter)
stream, recent = None, None
for w in windows:
    if (w['scenario'], w['instance']) != stream:
        stream = (w['scenario'], w['instance'])
        recent = collections.defaultdict(lambda: collections.deque(maxlen=N))
    drift = False
    for body in w['real']:
        d = duration(body)
        if d is None:
            continue
        k = (w['service'], statement(body))
        q = recent[k[1]]
        q.append(d)
        if len(q) == N and k in bound and statistics.median(q) > MARGIN * bound[k]:
            drift = True
    for name, flagged in (('dump', w['anomalous']), ('with drift', w['anomalous'] or drift)):
        outcome = ('tp' if w['truth'] else 'fp') if flagged else ('fn' if w['truth'] else 'tn')
        counts[(name, 'overall')][outcome] += 1
        counts[(name, w['scenario'])][outcome] += 1


def prf(c):
    p = c['tp'] / max(1, c['tp'] + c['fp'])
    r = c['tp'] / max(1, c['tp'] + c['fn'])
    return p, r, 2 * p * r / max(1e-9, p + r)


print(f'N {N}, margin {MARGIN}, {len(bound)} statements with a bound')
for scope in ['overall'] + sorted({s for _, s in counts if s != 'overall'}):
    a, b = counts[('dump', scope)], counts[('with drift', scope)]
    print('%-26s dump %.3f / %.3f / %.3f (fp %d fn %d)  with drift %.3f / %.3f / %.3f (fp %d fn %d)'
          % (scope, *prf(a), a['fp'], a['fn'], *prf(b), b['fp'], b['fn']))
