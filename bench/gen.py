#!/usr/bin/env python3
"""Deterministic generator of large snapshot files for the throughput benchmark.

Writes N accounts, one snapshot each (as_of 2026-11-01), ~12 events per
account, in the schema of examples/digital-signals (4 scores, 15 rules,
5 triggers), grouped by account, as JSON Lines.

    python3 bench/gen.py 100000 > /tmp/bench-100k.jsonl
"""
import json
import random
import sys
from datetime import date, timedelta

def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(20261101)
    as_of = date(2026, 11, 1)
    out = sys.stdout
    sev = ["low", "high", "critical"]
    lvl = ["c_level", "vp", "director"]
    sponsors = ["Dana Kim", "Lee Park", "Ana Diaz", None]
    buf = []
    for i in range(n):
        seats = rng.randint(5, 500)
        events = []
        for _ in range(rng.randint(8, 16)):
            at = (as_of - timedelta(days=rng.randint(0, 364))).isoformat()
            if rng.random() < 0.7:
                ev = {"type": "ticket_opened", "at": at, "severity": rng.choice(sev)}
                if rng.random() < 0.8:
                    ev["hours_to_close"] = round(rng.uniform(0.5, 120), 1)
            else:
                ev = {"type": "exec_meeting", "at": at, "level": rng.choice(lvl)}
            events.append(ev)
        rec = {
            "account": f"account-{i:07d}",
            "as_of": as_of.isoformat(),
            "signals": {
                "feature_usage": round(rng.uniform(0, 100), 1),
                "logins_30d": rng.randint(0, 3000),
                "licensed_seats": seats,
                "active_users": rng.randint(0, seats),
                "exec_sponsor": rng.choice(sponsors),
                "arr": round(rng.uniform(5_000, 900_000), 2),
                "renewal_date": (as_of + timedelta(days=rng.randint(-30, 400))).isoformat(),
            },
            "events": events,
        }
        buf.append(json.dumps(rec, separators=(",", ":")))
        if len(buf) >= 10_000:
            out.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        out.write("\n".join(buf) + "\n")

if __name__ == "__main__":
    main()
