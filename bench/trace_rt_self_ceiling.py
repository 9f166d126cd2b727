#!/usr/bin/env python3
"""Does a span's self time (its time minus its children's) show a 2-5x slow-down its own time hides?

A study for `augur eval trace-injection`'s response-time bar (docs/BENCHMARKS.md, "Response-time
ceiling"), beside bench/trace_rt_share_ceiling.py and with the same time-ordered split of every Nezha
TrainTicket trace of the shared day (first 60 % training, next 20 % validation, last 20 % test; not
the eval's split). Per label (service + operation, digits masked) it learns the median and robust
spread of log(self time) and of log(duration); a trace scores its most upward-deviating span
(robust z, one-sided: a slow-down only adds time). It slows one random span of each test trace three
times by a factor in (2, 5) and prints, for both statistics, the detection at the bound set on the
clean validation traces (5 % flagged) and the ceiling with the bound set on the clean test traces.

Usage: bench/trace_rt_self_ceiling.py [NEZHA_DIR]   (default ../shared/datasets/nezha-trainticket)
"""
import collections
import math
import random
import sys

import nezha_trace_split

D = sys.argv[1] if len(sys.argv) > 1 else '../shared/datasets/nezha-trainticket'
train, val, test = nezha_trace_split.load(D)
def selfs(ev):
    kids=collections.defaultdict(list)
    for e in ev:
        if e['parent']: kids[e['parent']].append(e)
    out=[]
    for e in ev:
        a,b=e['start'],e['start']+e['dur']
        iv=sorted((max(a,k['start']),min(b,k['start']+k['dur'])) for k in kids[e['id']])
        cov=0; cur=None
        for x,y in iv:
            if y<=x: continue
            if cur and x<=cur[1]: cur[1]=max(cur[1],y)
            else:
                if cur: cov+=cur[1]-cur[0]
                cur=[x,y]
        if cur: cov+=cur[1]-cur[0]
        out.append((e,max(1.0,e['dur']-cov),len(kids[e['id']])>0))
    return out
S=collections.defaultdict(list); M=collections.defaultdict(list)
for ev in train:
    for e,s,nl in selfs(ev):
        S[e['label']].append(math.log(s)); M[e['label']].append(math.log(e['dur']))
def fit(v):
    v=sorted(v); q=lambda p: v[min(len(v)-1,int(p*len(v)))]
    return (q(.5),max(1e-3,(q(.9)-q(.1))/2.56),len(v))
SS={l:fit(v) for l,v in S.items()}; MM={l:fit(v) for l,v in M.items()}
def score(ev, which):
    best=0
    for e,s,nl in selfs(ev):
        st=(SS if which=='self' else MM).get(e['label'])
        if not st or st[2]<20: continue
        x=math.log(s) if which=='self' else math.log(e['dur'])
        best=max(best,(x-st[0])/st[1])
    return best
def inject(ev,rng):
    ev=[dict(e) for e in ev]; i=rng.randrange(len(ev)); ev[i]['dur']*=rng.uniform(2,5); return ev,i
rng=random.Random(1)
injs=[inject(ev,rng) for ev in test for _ in range(3)]
nonleaf=0
for ev,i in injs:
    if any(e['parent']==ev[i]['id'] for e in ev): nonleaf+=1
print('test traces',len(test),'injections',len(injs),'into non-leaf spans',nonleaf)
for which in ('marg','self'):
    vs=sorted(score(ev,which) for ev in val); thr=vs[int(.95*len(vs))]
    cs=[score(ev,which) for ev in test]
    inj=[score(ev,which) for ev,i in injs]
    t2=sorted(cs)[int(.95*len(cs))]
    print('own time ' if which=='marg' else 'self time','bound from validation: test FPR %.3f, caught %.3f; ceiling at test FPR 5%%: %.3f'%(sum(c>thr for c in cs)/len(cs),sum(c>thr for c in inj)/len(inj),sum(c>t2 for c in inj)/len(inj)))
