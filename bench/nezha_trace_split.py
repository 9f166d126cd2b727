"""Every Nezha TrainTicket trace of a data folder, split in time order for the ceiling studies.

Shared by bench/trace_rt_share_ceiling.py and bench/trace_rt_self_ceiling.py: traces of 2 to 300
spans from construct_data and rca_data, ordered by their first span; the first 60 % for training,
the next 20 % for validation, the last 20 % for testing (not the eval's split). A span is a dict:
id, parent (None for a root or a parent outside the trace), label (service + operation, digits
masked), dur (µs, at least 1) and start (µs).
"""
import collections
import csv
import glob
import re
import sys


def label(row):
    svc = re.sub(r'-[0-9a-f]{6,10}-[0-9a-z]{5}$', '', row['PodName'])
    op = re.sub(r'\d+', 'N', row['OperationName'])
    return svc + '|' + op


def load(folder):
    files = (sorted(glob.glob(folder + '/construct_data/*/trace/*.csv')) +
             sorted(glob.glob(folder + '/rca_data/*/trace/*.csv')))
    if not files:
        sys.exit(f'{folder}: no Nezha trace files (construct_data/*/trace, rca_data/*/trace); '
                 'give the folder')
    traces = collections.defaultdict(list)
    for f in files:
        for r in csv.DictReader(open(f)):
            traces[r['TraceID']].append(r)
    ordered = []
    for spans in traces.values():
        by_id = {s['SpanID']: s for s in spans}
        ev = [{'id': s['SpanID'], 'parent': s['ParentID'] if s['ParentID'] in by_id else None,
               'label': label(s), 'dur': max(float(s['Duration']), 1.0),
               'start': int(s['StartTimeUnixNano']) / 1e3} for s in spans]
        ev.sort(key=lambda e: e['start'])
        if 2 <= len(ev) <= 300:
            ordered.append((ev[0]['start'], ev))
    ordered.sort(key=lambda t: t[0])
    n = len(ordered)
    traces = [ev for _, ev in ordered]
    return traces[:int(n * .6)], traces[int(n * .6):int(n * .8)], traces[int(n * .8):]
