#!/usr/bin/env python3
"""What any detector that judges log lines could reach on Nezha's log windows.

Usage: bench/nezha_window_ceiling.py WINDOWS_JSONL

WINDOWS_JSONL is the `--windows-out` dump of
`augur eval log-windows --data ../shared/datasets/nezha-trainticket`. For each fault type it scores
two oracle rules against the same truth as the eval (windows of the injected service that reach
into the minutes after inject_time):
  - novel:  the window holds a line its service never wrote in construct_data (after the detector's
            masking: the dump's `novel` indices);
  - error:  the window holds a line with ERROR or an exception in it;
and says how many anomalous windows hold neither (nothing in their lines tells them apart from the
normal minute). Prints one JSON object."""
import collections
import json
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    windows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]

    def novel(w):
        return len(w["novel"]) > 0

    def error(w):
        return any("ERROR" in line or "xception" in line for line in w["real"])

    out = collections.defaultdict(dict)
    for scenario in sorted({w["scenario"] for w in windows}):
        ws = [w for w in windows if w["scenario"] == scenario]
        anomalous = [w for w in ws if w["truth"]]
        out[scenario]["anomalous_windows"] = len(anomalous)
        out[scenario]["normal_windows"] = len(ws) - len(anomalous)
        out[scenario]["anomalous_with_neither"] = sum(1 for w in anomalous if not novel(w) and not error(w))
        for name, rule in (("novel", novel), ("error", error),
                           ("either", lambda w: novel(w) or error(w))):
            tp = sum(1 for w in anomalous if rule(w))
            fp = sum(1 for w in ws if not w["truth"] and rule(w))
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / len(anomalous) if anomalous else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            out[scenario][name] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                                   "tp": tp, "fp": fp}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
