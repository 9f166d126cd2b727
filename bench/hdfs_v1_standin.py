#!/usr/bin/env python3
"""Writes a stand-in for LogHub's HDFS_v1 layout from the shared HDFS sessions.

LogHub publishes HDFS as a raw log (HDFS.log), per-block labels (anomaly_label.csv, Normal/Anomaly)
and a preprocessed view (preprocessed/Event_traces.csv: BlockId, Label Success/Fail, Features
"[E5,E22,...]"). ../shared holds only the parsed sessions (hdfs_100k_sessions.csv), so this script
renders every session back into HDFS_v1 lines: each event id becomes a line of its template in
HDFS's layout (date, time, pid, level, component, content) with fresh values, sessions start two
seconds apart in file order and their lines interleave by time. The train sessions come first, so
splitting by order of appearance at 0.8 gives exactly the shared train/test split.

    python3 bench/hdfs_v1_standin.py --out /tmp/hdfs_v1 [--seed 1]
    augur eval hdfs-sessions --data /tmp/hdfs_v1            # raw log parsed by augur
    augur eval hdfs-sessions --data /tmp/hdfs_v1/preprocessed/Event_traces.csv
"""
import argparse
import csv
import datetime
import heapq
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "datasets", "hdfs-100k-sessions")


def ip(r):
    return "10.251.%d.%d" % (r.randrange(0, 256), r.randrange(1, 255))


def render(eid, blk, r):
    """Level, component and content of one line of event `eid` for block `blk`."""
    size = r.choice(["67108864", str(r.randrange(1000, 67108864))])
    port = str(r.randrange(30000, 60000))
    task = "/user/root/rand/_temporary/_task_200811092030_0001_m_%06d_0/part-%05d" % (
        r.randrange(1000), r.randrange(1000))
    lines = {
        "E1": ("INFO", "dfs.FSNamesystem", "BLOCK* NameSystem.allocateBlock: %s. %s" % (task, blk)),
        "E2": ("INFO", "dfs.DataNode$DataXceiver",
               "Receiving block %s src: /%s:%s dest: /%s:50010" % (blk, ip(r), port, ip(r))),
        "E3": ("INFO", "dfs.DataNode$PacketResponder",
               "Received block %s of size %s from /%s" % (blk, size, ip(r))),
        "E4": ("INFO", "dfs.FSNamesystem",
               "BLOCK* NameSystem.addStoredBlock: blockMap updated: %s:50010 is added to %s size %s"
               % (ip(r), blk, size)),
        "E5": ("INFO", "dfs.DataNode$PacketResponder",
               "PacketResponder %d for block %s terminating" % (r.randrange(3), blk)),
        "E6": ("INFO", "dfs.DataBlockScanner", "Verification succeeded for %s" % blk),
        "E7": ("WARN", "dfs.DataNode$DataXceiver",
               "writeBlock %s received exception java.io.IOException: Could not read from stream"
               % blk),
        "E8": ("INFO", "dfs.FSNamesystem",
               "BLOCK* ask %s:50010 to replicate %s to datanode(s) %s:50010" % (ip(r), blk, ip(r))),
        "E9": ("INFO", "dfs.DataNode",
               "%s:50010 Starting thread to transfer block %s to %s:50010" % (ip(r), blk, ip(r))),
        "E10": ("INFO", "dfs.DataNode$DataTransfer",
                "%s:50010:Transmitted block %s to /%s:50010" % (ip(r), blk, ip(r))),
        "E11": ("INFO", "dfs.DataNode$DataXceiver",
                "Received block %s src: /%s:%s dest: /%s:50010 of size %s"
                % (blk, ip(r), port, ip(r), size)),
        "E12": ("INFO", "dfs.FSDataset",
                "Deleting block %s file /mnt/hadoop/dfs/data/current/subdir%d/%s"
                % (blk, r.randrange(64), blk)),
        "E13": ("INFO", "dfs.FSNamesystem",
                "BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for %s"
                " on %s:50010 size %s" % (blk, ip(r), size)),
        "E14": ("INFO", "dfs.DataNode$PacketResponder",
                "PacketResponder %s %d Exception java.io.InterruptedIOException: Interruped while "
                "waiting for IO on channel java.nio.channels.SocketChannel[connected local=/%s:%s "
                "remote=/%s:50010]. 0 millis timeout left." % (blk, r.randrange(3), ip(r), port, ip(r))),
        "E15": ("INFO", "dfs.DataNode$DataXceiver",
                "Exception in receiveBlock for block %s java.io.IOException: Connection reset by peer"
                % blk),
        "E16": ("INFO", "dfs.DataNode$PacketResponder",
                "PacketResponder %d for block %s Interrupted." % (r.randrange(3), blk)),
        "E17": ("INFO", "dfs.DataNode",
                "Changing block file offset of block %s from %d to %d meta file offset to %d"
                % (blk, r.randrange(1 << 20), r.randrange(1 << 20), r.randrange(8192))),
        "E18": ("INFO", "dfs.DataNode$DataXceiver", "Receiving empty packet for block %s" % blk),
        "E19": ("INFO", "dfs.DataNode$DataXceiver",
                "%s:50010 Served block %s to /%s" % (ip(r), blk, ip(r))),
    }
    return lines[eid]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder with hdfs_100k_sessions.csv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1,
                    help="write each session this many times under new block ids (scale test: "
                         "72 gives about HDFS_v1's 575k blocks and 7.5M lines)")
    a = ap.parse_args()
    r = random.Random(a.seed)
    with open(os.path.join(a.data, "hdfs_100k_sessions.csv")) as f:
        sessions = []
        for s in csv.DictReader(f):
            for k in range(a.repeat):
                c = dict(s)
                if k:
                    c["BlockId"] = "blk_%d" % r.randrange(-(1 << 63), 1 << 63)
                sessions.append(c)
    os.makedirs(os.path.join(a.out, "preprocessed"), exist_ok=True)
    start = datetime.datetime(2008, 11, 9, 20, 35, 18)
    # (time, order, block, event): lines of all sessions merged by time.
    events = []
    for i, s in enumerate(sessions):
        t = 2.0 * i / a.repeat
        for k, e in enumerate(s["EventSequence"].split()):
            if k:
                t += r.expovariate(1 / 3.0)
            events.append((t, len(events), s["BlockId"], e))
    heapq.heapify(events)
    with open(os.path.join(a.out, "HDFS.log"), "w") as log:
        while events:
            t, _, blk, e = heapq.heappop(events)
            level, comp, content = render(e, blk, r)
            when = start + datetime.timedelta(seconds=t)
            log.write("%s %d %s %s: %s\n" % (when.strftime("%y%m%d %H%M%S"), r.randrange(1, 40000),
                                             level, comp, content))
    with open(os.path.join(a.out, "preprocessed", "anomaly_label.csv"), "w") as f:
        f.write("BlockId,Label\n")
        for s in sessions:
            f.write("%s,%s\n" % (s["BlockId"], "Anomaly" if s["Label"] == "1" else "Normal"))
    with open(os.path.join(a.out, "preprocessed", "Event_traces.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["BlockId", "Label", "Type", "Features", "TimeInterval", "Latency"])
        for s in sessions:
            ev = s["EventSequence"].split()
            w.writerow([s["BlockId"], "Fail" if s["Label"] == "1" else "Success", "",
                        "[" + ",".join(ev) + "]", "[" + ", ".join("0.0" for _ in ev) + "]", 0])
    print("wrote %d sessions to %s" % (len(sessions), a.out))


if __name__ == "__main__":
    main()
