#!/usr/bin/env python3
"""Deterministic generator of large snapshot files for the throughput benchmark.

Writes N accounts, one snapshot each (as_of 2026-11-01), ~12 events per
account, in the schema of examples/digital-signals (4 scores, 15 rules,
5 triggers), grouped by account, as JSON Lines.

    python3 bench/gen.py 100000 > /tmp/bench-100k.jsonl

Options for the side-by-side benchmark (bench/compare.sh, rules bench/rules):

    python3 bench/gen.py 200000 --events 2-7 --history 0.05 > /tmp/vital-cmp-200000.jsonl

`--events LO-HI` draws LO..HI events per snapshot (default 8-16); with
`--history F` a share F of the accounts also get a second, earlier snapshot
(own signals, own events, as_of around 30 days back; written just before the
account's current one) so `previous`/`change` have history, and a few edge
cases appear (no seats, an absent sponsor key, exact -10-point usage drops,
exactly halved logins). Without these options the output is unchanged.
"""
import argparse
import json
import random
import sys
from datetime import date, timedelta

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--events", default="8-16", help="LO-HI events per snapshot")
    ap.add_argument("--history", type=float, default=0.0,
                    help="share of accounts with an earlier snapshot (and edge cases)")
    a = ap.parse_args()
    n = a.n
    ev_lo, ev_hi = (int(x) for x in a.events.split("-"))
    rng = random.Random(20261101)
    # a second stream for the --history extras, so that the main stream (and
    # the default output) does not depend on them
    xr = random.Random(31101)
    as_of = date(2026, 11, 1)
    hist_dates = [as_of - timedelta(days=d) for d in (29, 30, 31, 45, 60)]
    out = sys.stdout
    sev = ["low", "high", "critical"]
    lvl = ["c_level", "vp", "director"]
    sponsors = ["Dana Kim", "Lee Park", "Ana Diaz", None]
    buf = []
    for i in range(n):
        seats = rng.randint(5, 500)
        events = gen_events(rng, as_of, ev_lo, ev_hi, sev, lvl)
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
        if a.history > 0:
            extras(xr, rec, a.history, hist_dates, ev_lo, ev_hi, sev, lvl, buf)
        buf.append(json.dumps(rec, separators=(",", ":")))
        if len(buf) >= 10_000:
            out.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        out.write("\n".join(buf) + "\n")

def gen_events(rng, as_of, lo, hi, sev, lvl):
    events = []
    for _ in range(rng.randint(lo, hi)):
        at = (as_of - timedelta(days=rng.randint(0, 364))).isoformat()
        if rng.random() < 0.7:
            ev = {"type": "ticket_opened", "at": at, "severity": rng.choice(sev)}
            if rng.random() < 0.8:
                ev["hours_to_close"] = round(rng.uniform(0.5, 120), 1)
        else:
            ev = {"type": "exec_meeting", "at": at, "level": rng.choice(lvl)}
        events.append(ev)
    return events


def extras(xr, rec, share, hist_dates, lo, hi, sev, lvl, buf):
    """Edge cases in `rec`, and maybe an earlier snapshot of it, appended to buf."""
    sig = rec["signals"]
    r = xr.random()
    if r < 0.002:
        sig["licensed_seats"] = 0  # logins per seat divides by zero: usage n/a
        sig["active_users"] = 0
    elif r < 0.004:
        del sig["exec_sponsor"]  # an absent optional key is missing, like null
    if xr.random() >= share:
        return
    day = xr.choice(hist_dates)
    fu = float(sig["feature_usage"])
    k = xr.random()
    if k < 0.1:
        prev_fu = round(fu + 10, 1)  # exactly a 10-point drop: not < -10%
    else:
        prev_fu = round(fu + xr.uniform(-10, 30), 1)
    logins = sig["logins_30d"]
    prev_logins = 2 * logins if k > 0.9 else int(logins * xr.uniform(0.5, 3.0))
    seats = sig["licensed_seats"]
    prev = {
        "account": rec["account"],
        "as_of": day.isoformat(),
        "signals": dict(sig, feature_usage=prev_fu, logins_30d=prev_logins,
                        active_users=xr.randint(0, seats) if seats else 0),
        "events": gen_events(xr, day, lo, hi, sev, lvl),
    }
    buf.append(json.dumps(prev, separators=(",", ":")))


if __name__ == "__main__":
    main()
