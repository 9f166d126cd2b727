#!/usr/bin/env python3
"""Scores `augur detect` incidents against the Nezha TrainTicket fault list.

Usage: bench/e2e_nezha.py INCIDENT_JSON FAULT_LIST_JSON [--match-minutes M]

A fault is found when an incident is open at its inject_time or opens within M minutes (default 5)
after it; each incident matches one fault (faults injected inside an incident first); an incident is
a true positive when it matches some fault. For found faults it reports
the rank of the true service (pod name reduced to its deployment) in that incident's ranking, and
how often the incident's diagnosed fault type is the injected one (over all faults).
Prints one JSON object."""
import json, sys, datetime

# Nezha's injected types → the types augur diagnoses (diagnose::FaultTypeOfInjection).
TYPE_OF = {"exception": "error_response", "return": "wrong_return", "cpu_contention": "cpu_contention"}

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
    # Each incident is matched to one fault. First the faults injected while an incident was open
    # (the earliest such fault gets it), then the others to an unused incident that opens within M
    # minutes after their injection. Matching strictly in time order instead let a fault folded into
    # an earlier incident take the next incident, which belonged to the next fault.
    used, match = set(), {}
    for i, inc in enumerate(incidents):
        for k, f in enumerate(faults):
            if k not in match and inc["start_ns"] <= f["t"] <= inc["end_ns"]:
                match[k] = i
                used.add(i)
                break
    for k, f in enumerate(faults):
        if k in match:
            continue
        for i, inc in enumerate(incidents):
            if i not in used and f["t"] <= inc["start_ns"] <= f["t"] + m * 60e9:
                match[k] = i
                used.add(i)
                break
    cases = []
    for k, f in enumerate(faults):
        best = match.get(k)
        rank = None
        if best is not None:
            names = [r["service"] for r in incidents[best]["ranking"]]
            rank = names.index(f["service"]) + 1 if f["service"] in names else None
        cases.append({"inject_time": f["inject_time"], "truth": f["service"], "type": f["type"],
                      "incident": incidents[best]["id"] if best is not None else None, "rank": rank,
                      "fault_type": incidents[best]["fault_type"] if best is not None else None})
    found = sum(c["incident"] is not None for c in cases)
    tp = len(used)
    out = {
        "faults": len(faults), "incidents": len(incidents), "faults_found": found,
        "recall": found / len(faults) if faults else 0,
        "precision": tp / len(incidents) if incidents else 0,
        "as1": sum(c["rank"] == 1 for c in cases) / len(faults),
        "as3": sum(c["rank"] is not None and c["rank"] <= 3 for c in cases) / len(faults),
        # The incident's diagnosed type against the injected one (docs/diagnose.md's mapping).
        "type_accuracy": sum(c["fault_type"] == TYPE_OF.get(c["type"]) for c in cases) / len(faults),
        "cases": cases,
    }
    print(json.dumps(out, indent=1))

main()
