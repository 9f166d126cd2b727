#!/usr/bin/env python3
"""Which of log_lm's rules flagged each window, and were they right?

Reads the dump of `augur eval log-windows --windows-out FILE` and sorts every flagged window by the
rules that fired on it: `sim` (block similarity below its threshold, not for a stream's first
window), `nov` (a line its service never wrote in normal logs), `slow` (at least the service's k
slow lines) and `drift` (a drifting line). Prints hits and false alarms per rule set, overall and
and per service. A rule that fires alone mostly on normal windows
costs precision for little recall (docs/BENCHMARKS.md, "stricter similarity and slow-line
targets").

Note: the novelty rule applies only to services whose held-out windows seldom hold a new line; the
dump says which lines are new, not whether the rule was on for the service, so `nov` here means
"new lines present".

Usage: bench/log_windows_rules.py WINDOWS.jsonl
"""
import collections
import json
import sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
hits, false_alarms = collections.Counter(), collections.Counter()
with open(sys.argv[1]) as f:
    for n, line in enumerate(f, 1):
        try:
            w = json.loads(line)
        except json.JSONDecodeError as e:
            sys.exit(f'{sys.argv[1]}:{n}: not JSON: {e}')
        if not w.get('anomalous'):
            continue
        rules = []
        if w.get('by_similarity', True) and w['similarity'] < w['threshold']:
            rules.append('sim')
        if w.get('novel'):
            rules.append('nov')
        if w.get('slow_needed', 0) > 0 and len(w.get('slow', [])) >= w['slow_needed']:
            rules.append('slow')
        if w.get('drift'):
            rules.append('drift')
        key = (w['service'], '+'.join(rules) or '?')
        (hits if w['truth'] else false_alarms)[key] += 1
        (hits if w['truth'] else false_alarms)[('all', '+'.join(rules) or '?')] += 1
print(f'{"service":14} {"rules":18} {"hits":>7} {"false alarms":>13}')
for key in sorted(set(hits) | set(false_alarms), key=lambda k: (k[0] != 'all', k)):
    print(f'{key[0]:14} {key[1]:18} {hits[key]:7} {false_alarms[key]:13}')
