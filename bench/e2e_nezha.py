#!/usr/bin/env python3
"""Scores `augur detect` incidents against the Nezha TrainTicket fault list.

Usage: bench/e2e_nezha.py INCIDENT_JSON FAULT_LIST_JSON [--match-minutes M]

A fault is found when an incident is open at its inject_time or opens within M minutes (default 5)
after it; each incident matches one fault (faults injected inside an incident first); an incident is
a true positive when it matches some fault. For found faults it reports
the rank of the true service (pod name reduced to its deployment) in that incident's ranking, and
how often the incident's diagnosed fault type is the injected one (over the faults whose injected
type maps to one augur names; a fault without an incident counts as wrong). Fault-list entries that
cannot be read are skipped with a warning on stderr, as `augur eval nezha` does.
Prints one JSON object."""
import json, re, sys, datetime

# Nezha's injected types → the types augur diagnoses (diagnose::FaultTypeOfInjection).
TYPE_OF = {"exception": "error_response", "return": "wrong_return", "cpu_contention": "cpu_contention",
           "cpu_consumed": "cpu_contention", "network_delay": "network_delay"}

def service_of(pod):
    """core::ServiceFromPod: <name>-<replicaset hash>-<5 chars>, or a StatefulSet's <name>-<n>."""
    parts = pod.split("-")
    if (len(parts) >= 3 and re.fullmatch(r"[a-z0-9]{5}", parts[-1])
            and re.fullmatch(r"[a-z0-9]{6,10}", parts[-2])):
        return "-".join(parts[:-2])
    if len(parts) >= 2 and re.fullmatch(r"[0-9]{1,3}", parts[-1]):
        return "-".join(parts[:-1])
    return pod

def inject_time(text):
    """'2023-01-29 08:43:04' (UTC) or ISO 8601 with Z or an offset; None when unreadable."""
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)

def main():
    inc_path, faults_path = sys.argv[1], sys.argv[2]
    m = 5
    if "--match-minutes" in sys.argv:
        m = float(sys.argv[sys.argv.index("--match-minutes") + 1])
    incidents = json.load(open(inc_path))["incidents"]
    faults = []
    for hour, lst in json.load(open(faults_path)).items():
        for i, f in enumerate(lst):
            t = inject_time(f.get("inject_time"))
            if t is None or not isinstance(f.get("inject_pod"), str):
                print(f"{faults_path}: hour {hour} fault {i}: unreadable inject_time or inject_pod; skipped",
                      file=sys.stderr)
                continue
            faults.append({"t": int(t.timestamp() * 1e9), "service": service_of(f["inject_pod"]),
                           "type": f.get("inject_type", "unknown"), "inject_time": f["inject_time"]})
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
    typed = [c for c in cases if c["type"] in TYPE_OF]
    tp = len(used)
    out = {
        "faults": len(faults), "incidents": len(incidents), "faults_found": found,
        "recall": found / len(faults) if faults else 0,
        "precision": tp / len(incidents) if incidents else 0,
        "as1": sum(c["rank"] == 1 for c in cases) / len(faults) if faults else 0,
        "as3": sum(c["rank"] is not None and c["rank"] <= 3 for c in cases) / len(faults) if faults else 0,
        # The incident's diagnosed type against the injected one (docs/diagnose.md's mapping).
        "type_cases": len(typed),
        "type_accuracy": sum(c["fault_type"] == TYPE_OF[c["type"]] for c in typed) / len(typed) if typed else 0,
        "cases": cases,
    }
    print(json.dumps(out, indent=1))

if __name__ == "__main__":
    main()
