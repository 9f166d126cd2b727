#!/usr/bin/env python3
"""Messier and bigger copies of LogHub-style sets, for checks on layouts the shared data lacks.

frames: copies a folder of LogHub sets (<S>/<S>_<tag>.log beside its *_structured.csv) and writes a
Java stack trace of 1-30 "\tat ..." frames after about one raw line in 100. The truth files are left
as they are, as LogHub-2.0's parser leaves out lines its log format does not match.

    python3 bench/loghub_messy.py frames --src /tmp/lhs_big --out /tmp/lhs_gaps [--seed 7]
    augur eval loghub --data /tmp/lhs_gaps

bgl: writes a raw BGL.log of LogHub's full size from the shared 2k sample: the sample 2,374 times,
each copy's epochs one day later (4,748,000 lines, 748 MB). Its windows repeat, so it measures time
and memory, not accuracy.

    python3 bench/loghub_messy.py bgl --src ../shared/datasets/loghub-2k/BGL/BGL_2k.log --out /tmp/bglfull
    augur eval log-windows --data /tmp/bglfull
"""
import argparse
import os
import random
import shutil


def frames(src, out, seed):
    rng = random.Random(seed)
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(src, out)
    added = 0
    for system in sorted(os.listdir(out)):
        folder = os.path.join(out, system)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith('.log'):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8', errors='surrogateescape') as f:
                lines = f.read().split('\n')
            if lines and lines[-1] == '':
                lines.pop()
            written = []
            for line in lines:
                written.append(line)
                if rng.random() < 0.01:
                    for k in range(rng.randint(1, 30)):
                        written.append(f'\tat org.example.Worker{k}.run(Worker.java:{rng.randint(1, 999)})')
            added += len(written) - len(lines)
            with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
                f.write('\n'.join(written) + '\n')
    print(f'{out}: {added} frame lines added to the raw logs')


def bgl(src, out, copies):
    os.makedirs(out, exist_ok=True)
    with open(src, encoding='utf-8', errors='surrogateescape') as f:
        sample = f.read().splitlines()
    path = os.path.join(out, 'BGL.log')
    with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
        for c in range(copies):
            for line in sample:
                parts = line.split(' ', 2)
                parts[1] = str(int(parts[1]) + c * 86400)
                f.write(' '.join(parts) + '\n')
    print(f'{path}: {copies * len(sample)} lines')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('kind', choices=['frames', 'bgl'])
    ap.add_argument('--src', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--copies', type=int, default=2374)
    a = ap.parse_args()
    if a.kind == 'frames':
        frames(a.src, a.out, a.seed)
    else:
        bgl(a.src, a.out, a.copies)


if __name__ == '__main__':
    main()
