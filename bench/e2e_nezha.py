#!/usr/bin/env python3
"""Scores `augur detect` incidents against the Nezha TrainTicket fault list.

Usage: bench/e2e_nezha.py INCIDENT_JSON FAULT_LIST_JSON [--match-minutes M]

A fault is found when an incident starts within M minutes (default 5) after its inject_time (or
overlaps it); an incident is a true positive when it matches some fault. For found faults it reports
the rank of the true service (pod name reduced to its deployment) in that incident's ranking.
Prints one JSON object."""
import json, sys, datetime

def service_of(pod):
    return "-".join(pod.split("-")[:-2])

def main():
    inc_path, faults_path = sys.argv[1], sys.argv[2]
    m = 5
    if "--match-minutes" in sys.argv:
        m = float(sys.argv[sys.argv.index("--match-minutes") + 1])
    incidents = json.load(open(inc_path))["incidents"]
    faults = []
    for hour, lst in json.load(open(faults_path)).items():
        for f in lst:
            t = datetime.datetime.strptime(f["inject_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
            faults.append({"t": int(t.timestamp() * 1e9), "service": service_of(f["inject_pod"]), "type": f["inject_type"],
                           "inject_time": f["inject_time"]})
    faults.sort(key=lambda f: f["t"])
    used, cases = set(), []
    for f in faults:
        best = None
        for i, inc in enumerate(incidents):
            if i in used:
                continue
            if inc["end_ns"] >= f["t"] and inc["start_ns"] <= f["t"] + m * 60e9:
                best = i
                break
        rank = None
        if best is not None:
            used.add(best)
            names = [r["service"] for r in incidents[best]["ranking"]]
            rank = names.index(f["service"]) + 1 if f["service"] in names else None
        cases.append({"inject_time": f["inject_time"], "truth": f["service"], "type": f["type"],
                      "incident": incidents[best]["id"] if best is not None else None, "rank": rank})
    found = sum(c["incident"] is not None for c in cases)
    tp = len(used)
    out = {
        "faults": len(faults), "incidents": len(incidents), "faults_found": found,
        "recall": found / len(faults) if faults else 0,
        "precision": tp / len(incidents) if incidents else 0,
        "as1": sum(c["rank"] == 1 for c in cases) / len(faults),
        "as3": sum(c["rank"] is not None and c["rank"] <= 3 for c in cases) / len(faults),
        "cases": cases,
    }
    print(json.dumps(out, indent=1))

main()
