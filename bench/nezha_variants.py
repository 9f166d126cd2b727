#!/usr/bin/env python3
"""Builds Nezha-style variants of the shared TrainTicket day, to check augur on layouts the shared
data lack (another day, Online-Boutique-like service names and JSON logs).

usage: bench/nezha_variants.py [--src DIR] [--out DIR] [VARIANT...]
  ident_sub   the first six and last two faults of 2023-01-29 and their minute files, unchanged
  ob_go       the same, services renamed to Online Boutique's, log messages as Go-style JSON objects
  ob_mixed    the same, log messages in the shapes of OB's Go, Node (pino), Python, C# and Java
Then: `augur eval nezha --data OUT/<variant> --json`.

Never writes into the source folder. Each variant: a transform of the original (time shift, service renaming,
log-shape rewriting) applied to a chosen subset of faults and their minute files, plus an optional
edit of the fault list / root_cause_ts.json / construct_data layout."""
import csv, datetime as dt, io, json, os, re, shutil, sys, uuid, random

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'datasets', 'nezha-trainticket')
OUT = '/tmp/nezha-variants'
SDAY = '2023-01-29'
UTC = dt.timezone.utc
csv.field_size_limit(1 << 30)

def load_faults():
    d = json.load(open(f'{SRC}/rca_data/{SDAY}/{SDAY}-fault_list.json'))
    out = []
    for h, lst in d.items():
        for f in lst:
            out.append(dict(f))
    out.sort(key=lambda f: f['inject_time'])
    return out

def parse_it(s):
    return dt.datetime.strptime(s, '%Y-%m-%d %H:%M:%S').replace(tzinfo=UTC)

ALL_PODS = sorted(fn[:-len('_metric.csv')] for fn in os.listdir(f'{SRC}/rca_data/{SDAY}/metric') if fn.endswith('_metric.csv'))

def svc_of(pod):
    return '-'.join(pod.split('-')[:-2])

ALL_SVCS = sorted({svc_of(p) for p in ALL_PODS})

OB = {
    'ts-contacts-service': 'cartservice',
    'ts-basic-service': 'checkoutservice',
    'ts-food-service': 'currencyservice',
    'ts-verification-code-service': 'emailservice',
    'ts-travel-service': 'productcatalogservice',
    'ts-travel2-service': 'recommendationservice',
    'ts-route-service': 'shippingservice',
    'ts-price-service': 'paymentservice',
    'ts-preserve-service': 'adservice',
    'ts-gateway-service': 'frontend',
    'ts-order-service': 'redis-cart',
    'ts-ui-dashboard': 'loadgenerator',
}

def ob_map():
    m = {}
    for s in ALL_SVCS:
        m[s] = OB.get(s) or (s[3:].replace('-service', '').replace('-', '') + 'service')
    return m

class Xf:
    def __init__(self, shift=0, rename=None, logstyle=None, seed=1, idsalt=0):
        self.idsalt = idsalt
        self.shift = shift                      # seconds
        self.rename = rename or {}              # service -> new service
        self.logstyle = logstyle                # None | 'go' | 'mixed'
        self.rng = random.Random(seed)
        if self.rename:
            names = sorted(self.rename, key=len, reverse=True)
            self.rx = re.compile(r'(?<![A-Za-z0-9_-])(' + '|'.join(map(re.escape, names)) + r')(?![A-Za-z0-9_])')
        else:
            self.rx = None
        self.day_from = SDAY
        self.day_to = (dt.datetime(2023, 1, 29, tzinfo=UTC) + dt.timedelta(seconds=shift)).strftime('%Y-%m-%d') if shift % 86400 == 0 else None

    def hid(self, h):
        if not self.idsalt or not h or h == 'root':
            return h
        try:
            v = int(h, 16)
        except ValueError:
            return h
        return format(v ^ (self.idsalt & ((1 << (4 * len(h))) - 1)), '0%dx' % len(h))

    def body_ids(self, s):
        if not self.idsalt:
            return s
        return re.sub(r'(TraceID: |SpanID: )([0-9a-f]+)', lambda m: m[1] + self.hid(m[2]), s)

    def ren(self, s):
        if self.rx:
            s = self.rx.sub(lambda m: self.rename[m.group(1)], s)
        return s

    def svc(self, s):
        return self.rename.get(s, s)

    def ns(self, v):
        try:
            x = int(v)
        except ValueError:
            return v
        if x <= 0:
            return v
        return str(x + self.shift * 10**9)

    def secs(self, v):
        try:
            return str(int(v) + self.shift)
        except ValueError:
            return v

    def dtstr(self, s, sep):
        # 'YYYY-MM-DD<sep>HH:MM:SS<rest>'
        m = re.match(r'(\d{4}-\d\d-\d\d)' + sep + r'(\d\d:\d\d:\d\d)(.*)$', s, re.S)
        if not m:
            return s
        t = dt.datetime.strptime(m[1] + ' ' + m[2], '%Y-%m-%d %H:%M:%S') + dt.timedelta(seconds=self.shift)
        return t.strftime('%Y-%m-%d') + sep + t.strftime('%H:%M:%S') + m[3]

    def body_dates(self, s):
        if self.shift and self.day_to:
            s = s.replace(self.day_from, self.day_to)
        return s

    def tod(self, s):
        # leading 'HH:MM:SS.mmm' time of day (CST in TrainTicket's Java logs)
        m = re.match(r'(\d\d):(\d\d):(\d\d)(\.\d+)?(.*)$', s, re.S)
        if not m or self.shift % 86400 == 0:
            return s
        t = dt.datetime(2000, 1, 1, int(m[1]), int(m[2]), int(m[3])) + dt.timedelta(seconds=self.shift)
        return t.strftime('%H:%M:%S') + (m[4] or '') + m[5]

    # ---- files
    def trace(self, src, dst):
        def edit(row, ix):
            row[ix['StartTimeUnixNano']] = self.ns(row[ix['StartTimeUnixNano']])
            row[ix['EndTimeUnixNano']] = self.ns(row[ix['EndTimeUnixNano']])
            for c in ('TraceID', 'SpanID', 'ParentID'):
                row[ix[c]] = self.hid(row[ix[c]])
            row[ix['PodName']] = self.ren(row[ix['PodName']])
            row[ix['OperationName']] = self.ren(row[ix['OperationName']])
            return row
        rewrite_csv(src, dst, edit)

    def log(self, src, dst):
        def edit(row, ix):
            row[ix['Timestamp']] = self.dtstr(row[ix['Timestamp']], 'T')
            row[ix['TimeUnixNano']] = self.ns(row[ix['TimeUnixNano']])
            row[ix['PodName']] = self.ren(row[ix['PodName']])
            row[ix['TraceID']] = self.hid(row[ix['TraceID']]); row[ix['SpanID']] = self.hid(row[ix['SpanID']])
            L = row[ix['Log']]
            try:
                d = json.loads(L)
            except Exception:
                row[ix['Log']] = self.ren(self.body_dates(L))
                return row
            if 'time' in d:
                d['time'] = self.dtstr(d['time'], 'T')
            inner = self.body_ids(self.ren(self.body_dates(self.tod(d.get('log', '')))))
            if self.logstyle:
                inner = self.restyle(inner, row[ix['PodName']], d.get('time', row[ix['Timestamp']]),
                                     row[ix['TraceID']], row[ix['SpanID']])
            d['log'] = inner
            row[ix['Log']] = json.dumps(d, ensure_ascii=False, separators=(',', ':'))
            return row
        rewrite_csv(src, dst, edit)

    LINE = re.compile(r'^(\d\d:\d\d:\d\d\.\d+)\s+([A-Z]+)\s+(\S+)\s+(.*?)\n?$', re.S)

    def restyle(self, inner, pod, iso, trace, span):
        m = self.LINE.match(inner)
        if m:
            level, logger, msg = m[2], m[3], m[3] + ' ' + m[4]
        else:
            level, logger, msg = 'INFO', 'main', inner.rstrip('\n')
        svc = svc_of(pod) if pod.count('-') >= 2 else pod
        style = 'go'
        if self.logstyle == 'mixed':
            style = {'currencyservice': 'node', 'paymentservice': 'node', 'emailservice': 'python',
                     'recommendationservice': 'python', 'cartservice': 'csharp', 'adservice': 'java'}.get(svc, 'go')
        iso_ms = iso[:23] + 'Z' if len(iso) > 23 else iso
        if style == 'go':
            o = {'http.req.id': str(uuid.UUID(int=self.rng.getrandbits(128))), 'http.req.method': 'GET',
                 'http.req.path': '/product/' + format(self.rng.getrandbits(40), 'X'), 'message': msg,
                 'session': str(uuid.UUID(int=self.rng.getrandbits(128))), 'severity': level.lower(),
                 'timestamp': iso}
            return json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n'
        if style == 'node':
            lv = {'ERROR': 50, 'WARN': 40, 'INFO': 30, 'DEBUG': 20}.get(level, 30)
            t = dt.datetime.strptime(iso[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=UTC)
            o = {'level': lv, 'time': int(t.timestamp() * 1000) + self.rng.randrange(1000), 'pid': 1,
                 'hostname': pod, 'name': svc + '-server', 'msg': msg}
            return json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n'
        if style == 'python':
            o = {'timestamp': iso[:26] + 'Z', 'severity': level, 'name': svc + '-server', 'message': msg}
            return json.dumps(o, ensure_ascii=False) + '\n'
        if style == 'csharp':
            lv = {'ERROR': 'fail', 'WARN': 'warn', 'INFO': 'info', 'DEBUG': 'dbug'}.get(level, 'info')
            return f'{lv}: cartservice.cartstore.RedisCartStore[0] {msg}\n'
        if style == 'java':
            t = dt.datetime.strptime(iso[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=UTC)
            o = {'instant': {'epochSecond': int(t.timestamp()), 'nanoOfSecond': 123000000},
                 'thread': 'grpc-default-executor-1', 'level': level, 'loggerName': 'hipstershop.AdService',
                 'message': msg, 'endOfBatch': False, 'loggerFqcn': 'org.apache.logging.log4j.spi.AbstractLogger',
                 'threadId': 20, 'threadPriority': 5, 'logging.googleapis.com/trace': trace,
                 'logging.googleapis.com/spanId': span, 'logging.googleapis.com/traceSampled': 'true',
                 'time': iso[:23] + 'Z'}
            return json.dumps(o, ensure_ascii=False, separators=(',', ':')) + '\n'

    def metric(self, src, dst, keep=None):
        def edit(row, ix):
            if keep and not keep(int(row[ix['TimeStamp']])):
                return None
            row[ix['Time']] = self.dtstr(row[ix['Time']], ' ')
            row[ix['TimeStamp']] = self.secs(row[ix['TimeStamp']])
            if 'PodName' in ix:
                row[ix['PodName']] = self.ren(row[ix['PodName']])
            return row
        rewrite_csv(src, dst, edit)

    def fault(self, f):
        g = dict(f)
        g['inject_time'] = self.dtstr(f['inject_time'], ' ')
        g['inject_timestamp'] = self.secs(f['inject_timestamp'])
        g['inject_pod'] = self.ren(f['inject_pod'])
        return g


def rewrite_csv(src, dst, edit):
    """Copies a CSV through edit(row, column index by name), which returns the row or None to drop it."""
    with open(src, newline='') as fi, open(dst, 'w', newline='') as fo:
        r = csv.reader(fi); w = csv.writer(fo, lineterminator='\n')
        h = next(r); w.writerow(h)
        ix = {n: i for i, n in enumerate(h)}
        for row in r:
            row = edit(row, ix)
            if row is not None:
                w.writerow(row)


def minute_files(f, offsets=(0, 1, 2)):
    t = parse_it(f['inject_time'])
    return [(t + dt.timedelta(minutes=o)).strftime('%H_%M') for o in offsets]


def copy_day(xf, src_day_dir, dst_day_dir, minutes, metric_keep=None):
    """minutes: list of original HH_MM names to copy (None = all)."""
    for sub in ('trace', 'log', 'traceid', 'metric'):
        os.makedirs(f'{dst_day_dir}/{sub}', exist_ok=True)
    names = sorted(n[:5] for n in os.listdir(f'{src_day_dir}/trace'))
    if minutes is not None:
        names = [n for n in names if n in set(minutes)]
    base = dt.datetime(2023, 1, 29, tzinfo=UTC)
    for n in names:
        t = base + dt.timedelta(hours=int(n[:2]), minutes=int(n[3:])) + dt.timedelta(seconds=xf.shift)
        nn = t.strftime('%H_%M')
        xf.trace(f'{src_day_dir}/trace/{n}_trace.csv', f'{dst_day_dir}/trace/{nn}_trace.csv')
        xf.log(f'{src_day_dir}/log/{n}_log.csv', f'{dst_day_dir}/log/{nn}_log.csv')
        if os.path.exists(f'{src_day_dir}/traceid/{n}_traceid.csv'):
            open(f'{dst_day_dir}/traceid/{nn}_traceid.csv', 'w').write(''.join(xf.hid(l.strip()) + '\n' for l in open(f'{src_day_dir}/traceid/{n}_traceid.csv') if l.strip()))
    for fn in sorted(os.listdir(f'{src_day_dir}/metric')):
        nfn = xf.ren(fn[:-len('_metric.csv')]) + '_metric.csv' if fn.endswith('_metric.csv') else fn
        xf.metric(f'{src_day_dir}/metric/{fn}', f'{dst_day_dir}/metric/{nfn}', metric_keep)
    return names


def write_faults(xf, faults, path, edit=None):
    out = {}
    fl = [xf.fault(f) for f in faults]
    if edit:
        fl = edit(fl)
    for f in fl:
        try:
            h = f['inject_time'][11:13]
        except Exception:
            h = '??'
        out.setdefault(h, []).append(f)
    json.dump(out, open(path, 'w'), indent=4)


def rootcause(xf, path, mode='copy'):
    d = json.load(open(f'{SRC}/construct_data/root_cause_ts.json'))
    if mode == 'none':
        return
    if mode == 'bad':
        open(path, 'w').write('{"cartservice": {"return": "x"')  # truncated
        return
    if mode == 'other':
        d = {'frontend': {'exception': 'handler.go:123_handler.go:140', 'cpu_consumed': 'CpuUsageRate(%)'},
             'adservice': ['not', 'an', 'object'], 'emailservice': {'return': 7}}
    else:
        d = {xf.svc(k): v for k, v in d.items()}
    json.dump(d, open(path, 'w'), indent=4)


def build(name, faults, shift=0, rename=None, logstyle=None, rday=None, cday=None, rc='copy',
          fault_edit=None, trim_metrics=True, extra_cdays=(), offsets=(0, 1, 2), cshift=None, post=None):
    out = f'{OUT}/{name}'
    if os.path.exists(out):
        shutil.rmtree(out)
    xf = Xf(shift, rename, logstyle)
    newday = (parse_it(faults[0]['inject_time']) + dt.timedelta(seconds=shift)).strftime('%Y-%m-%d')
    rday = rday or newday
    cday = cday or (dt.datetime(2023, 1, 29) + dt.timedelta(seconds=shift)).strftime('%Y-%m-%d')
    mins = sorted({m for f in faults for m in minute_files(f, offsets)})
    keep = None
    if trim_metrics:
        lo = min(parse_it(f['inject_time']) for f in faults).timestamp() - 600
        hi = max(parse_it(f['inject_time']) for f in faults).timestamp() + 600
        keep = lambda s: lo <= s <= hi
    copy_day(xf, f'{SRC}/rca_data/{SDAY}', f'{out}/rca_data/{rday}', mins, keep)
    write_faults(xf, faults, f'{out}/rca_data/{rday}/{rday}-fault_list.json', fault_edit)
    cx = xf if cshift is None else Xf(cshift, rename, logstyle)
    if cday != '-':
        copy_day(cx, f'{SRC}/construct_data/{SDAY}', f'{out}/construct_data/{cday}', None)
    else:
        os.makedirs(f'{out}/construct_data', exist_ok=True)
    for extra_name, extra_shift in extra_cdays:
        x2 = Xf(shift + extra_shift, rename, logstyle, idsalt=0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a + extra_shift)
        copy_day(x2, f'{SRC}/construct_data/{SDAY}', f'{out}/construct_data/{extra_name}', None)
    rootcause(xf, f'{out}/construct_data/root_cause_ts.json', rc)
    if post:
        post(out, rday)
    return out, rday

if __name__ == '__main__':
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('--src', default=SRC)
    ap.add_argument('--out', default=OUT)
    ap.add_argument('variants', nargs='*', default=['ident_sub', 'ob_go', 'ob_mixed'])
    a = ap.parse_args()
    SRC, OUT = a.src, a.out
    F = load_faults()
    sub = F[:6] + F[-2:]
    OBM = ob_map()
    styles = {'ident_sub': {}, 'ob_go': {'rename': OBM, 'logstyle': 'go'},
              'ob_mixed': {'rename': OBM, 'logstyle': 'mixed'}}
    for v in a.variants:
        print(build(v, sub, **styles[v]))
