#!/usr/bin/env python3
"""Does a span's share of its parent's time show a 2-5x slow-down that its own time hides?

A study for `augur eval trace-injection`'s response-time bar (docs/seq.md, "ceiling"). Seed 002's
protocol multiplies one event's response time by a factor in (2, 5) and leaves the rest of the trace
as it was, so the slowed span's share of its parent's time grows by that factor and its children's
shares shrink by it. This script reads every Nezha TrainTicket trace of the shared day (construct_data
and rca_data, in time order: first 60 % training, next 20 % validation, last 20 % test; not the
eval's split), learns per label (service + operation, digits masked) the median and robust spread
of log(duration / parent duration), scores a trace by its most deviating share (robust z), sets the
bound on the clean validation traces at 5 % flagged, and slows one random span of each test trace
three times.

Usage: bench/trace_rt_share_ceiling.py [NEZHA_DIR]   (default ../shared/datasets/nezha-trainticket)
"""
import collections
import math
import random
import sys

import nezha_trace_split

D = sys.argv[1] if len(sys.argv) > 1 else '../shared/datasets/nezha-trainticket'
train, val, test = nezha_trace_split.load(D)
n = len(train) + len(val) + len(test)
print('traces',n,'train',len(train),'val',len(val),'test',len(test))
# per label: log share distribution; per label: log dur distribution
def shares(ev):
    d={e['id']:e for e in ev}
    out=[]
    for e in ev:
        p=d.get(e['parent']) if e['parent'] else None
        out.append((e, math.log(e['dur']/p['dur']) if p else None))
    return out
S=collections.defaultdict(list)
for ev in train:
    for e,s in shares(ev):
        if s is not None: S[e['label']].append(s)
stat={}
for l,v in S.items():
    v=sorted(v); m=v[len(v)//2]
    # robust spread
    q=lambda p: v[min(len(v)-1,int(p*len(v)))]
    stat[l]=(m,max(1e-3,(q(.9)-q(.1))/2.56),len(v))
def score(ev):
    best=0
    for e,s in shares(ev):
        if s is None or e['label'] not in stat: continue
        m,sd,cnt=stat[e['label']]
        if cnt<20: continue
        best=max(best,abs(s-m)/sd)
    return best
def inject(ev,rng):
    ev=[dict(e) for e in ev]
    i=rng.randrange(len(ev)); ev[i]['dur']*=rng.uniform(2,5)
    return ev
rng=random.Random(1)
vs=sorted(score(ev) for ev in val)
thr=vs[int(.95*len(vs))]
cs=[score(ev) for ev in test]
fpr=sum(c>thr for c in cs)/len(cs)
inj=[score(inject(ev,rng)) for ev in test for _ in range(3)]
print('threshold (val 95%%) %.2f test FPR %.3f detection %.3f'%(thr,fpr,sum(c>thr for c in inj)/len(inj)))
# ceiling with threshold on test itself
t2=sorted(cs)[int(.95*len(cs))]
print('ceiling at test 5%% FPR: %.3f'%(sum(c>t2 for c in inj)/len(inj)))
