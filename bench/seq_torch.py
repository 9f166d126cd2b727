#!/usr/bin/python3
"""The same next-key LSTM in Debian's python3-torch, for the side-by-side in bench/seq.sh.

Reads hdfs_100k_sessions.csv, builds every window (window 10, left padding, end class), scores them
with a 2-layer LSTM of the same size as augur's (embed 32, hidden 64), batched by 4096, and times the
whole path. Weights are random: scoring cost does not depend on them.
Usage: /usr/bin/python3 bench/seq_torch.py HDFS_DIR [THREADS]
"""
import csv
import sys
import time

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, vocab, embed=32, hidden=64, layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.lstm(self.emb(x))
        return self.fc(out[:, -1])


def main():
    path = sys.argv[1] + "/hdfs_100k_sessions.csv"
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    torch.manual_seed(1)
    window = 10
    vocab = {"<pad>": 0, "<end>": 1, "<unk>": 2}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["split"] == "train" and r["Label"] == "0":
                for k in r["EventSequence"].split():
                    vocab.setdefault(k, len(vocab))
    net = Net(len(vocab)).eval()

    t0 = time.perf_counter()
    sessions = []
    with open(path) as f:
        for r in csv.DictReader(f):
            sessions.append([vocab.get(k, 2) for k in r["EventSequence"].split()])
    ctx, tgt = [], []
    for s in sessions:
        ids = s + [1]
        for i in range(len(ids)):
            c = ids[max(0, i - window):i]
            ctx.append([0] * (window - len(c)) + c)
            tgt.append(ids[i])
    x = torch.tensor(ctx)
    y = torch.tensor(tgt)
    ranks = []
    with torch.no_grad():
        for b in range(0, len(tgt), 4096):
            p = torch.softmax(net(x[b:b + 4096]), 1)
            py = p.gather(1, y[b:b + 4096, None])
            ranks.append((p > py).sum(1))
    torch.cat(ranks)
    total = time.perf_counter() - t0
    print(f"python  read + window + score {len(sessions)} sessions ({len(tgt)} windows): {total:.3f} s = "
          f"{len(tgt) / total:.0f} windows/s, {len(sessions) / total:.0f} sessions/s")

    best = 1e9
    with torch.no_grad():
        for _ in range(3):
            t0 = time.perf_counter()
            for b in range(0, len(tgt), 4096):
                p = torch.softmax(net(x[b:b + 4096]), 1)
                p.gather(1, y[b:b + 4096, None])
            best = min(best, time.perf_counter() - t0)
    print(f"python  score batched: {len(tgt) / best:.0f} windows/s, {len(sessions) / best:.0f} sessions/s")


if __name__ == "__main__":
    main()
