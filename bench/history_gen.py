#!/usr/bin/env python3
"""Nightly snapshot files for the history store benchmark (bench/history.sh).

N accounts in the schema of bench/rules (as bench/gen.py writes them), one
snapshot per account per night, as JSON Lines grouped by account, one file
per night: DIR/night-NNN.jsonl for nights FIRST..LAST (night 0 is
2026-08-03, night 90 is 2026-11-01).

    python3 bench/history_gen.py 100000 DIR --last 90

Every account starts with ~12 events (bench/gen.py's, dated within the year
before night 0) and then, night after night, drifts as a nightly export
from a data warehouse does:

* events: the export carries the last 365 days; each night an account gets
  a new event with probability 12/365 (a ticket, 70 %, opened and still
  open, or an executive meeting), so it keeps ~12; an open ticket of the
  last 30 days is closed with probability 0.15 (its `hours_to_close`
  appears: the event changes); events older than 365 days drop out.
* signals: `logins_30d` (a rolling count) moves every night, by up to 3 %;
  `feature_usage` and `active_users` move on 30 % and 20 % of the nights;
  `licensed_seats`, `arr` and `exec_sponsor` change on about 0.3 % of the
  nights; `renewal_date` moves a year on once it is 30 days past.

Deterministic (one seeded generator). The files of nights written before
are not kept by this script: bench/history.sh removes each once recorded
(`--keep 2`: at most 2 files written ahead of the reader).
"""
import argparse
import os
import random
import sys
import time
from datetime import date, timedelta

NIGHT0 = date(2026, 8, 3)
SEV = ["low", "high", "critical"]
LVL = ["c_level", "vp", "director"]
SPONSORS = ["Dana Kim", "Lee Park", "Ana Diaz", None]


def ev_text(kind, at, a, b):
    """An event as JSON text: ticket (severity, hours or None) or meeting (level)."""
    if kind == 0:
        if b is None:
            return '{"type":"ticket_opened","at":"%s","severity":"%s"}' % (at, a)
        return '{"type":"ticket_opened","at":"%s","severity":"%s","hours_to_close":%s}' % (at, a, b)
    return '{"type":"exec_meeting","at":"%s","level":"%s"}' % (at, a)


class Account:
    __slots__ = ("name", "fu", "logins", "seats", "active", "sponsor", "arr", "renewal", "events")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("dir")
    ap.add_argument("--first", type=int, default=0, help="first night written")
    ap.add_argument("--last", type=int, default=90, help="last night written")
    ap.add_argument("--keep", type=int, default=0,
                    help="wait while this many written files are not yet removed (0: never wait)")
    a = ap.parse_args()
    rng = random.Random(20260803)
    accounts = []
    for i in range(a.n):
        x = Account()
        x.name = "account-%07d" % i
        x.seats = rng.randint(5, 500)
        x.fu = round(rng.uniform(0, 100), 1)
        x.logins = rng.randint(0, 3000)
        x.active = rng.randint(0, x.seats)
        x.sponsor = rng.choice(SPONSORS)
        x.arr = round(rng.uniform(5_000, 900_000), 2)
        x.renewal = NIGHT0 + timedelta(days=rng.randint(-30, 400))
        evs = []
        for _ in range(rng.randint(8, 16)):
            at = NIGHT0 - timedelta(days=rng.randint(0, 364))
            if rng.random() < 0.7:
                hours = round(rng.uniform(0.5, 120), 1) if rng.random() < 0.8 else None
                evs.append([at, 0, rng.choice(SEV), hours, None])
            else:
                evs.append([at, 1, rng.choice(LVL), None, None])
        for e in evs:
            e[4] = ev_text(e[1], e[0].isoformat(), e[2], e[3])
        x.events = evs
        accounts.append(x)
    os.makedirs(a.dir, exist_ok=True)
    written = []
    for night in range(0, a.last + 1):
        today = NIGHT0 + timedelta(days=night)
        iso = today.isoformat()
        out = [] if night >= a.first else None
        window = today - timedelta(days=365)
        recent = today - timedelta(days=30)
        for x in accounts:
            if night > 0:
                r = rng.random
                x.logins = max(0, int(x.logins * (0.97 + 0.06 * r())) + rng.randint(-5, 5))
                if r() < 0.3:
                    x.fu = round(min(100.0, max(0.0, x.fu + 6 * r() - 3)), 1)
                if r() < 0.2:
                    x.active = min(x.seats, max(0, x.active + rng.randint(-3, 3)))
                if r() < 0.003:
                    x.seats = max(1, int(x.seats * (0.9 + 0.2 * r())))
                    x.active = min(x.active, x.seats)
                if r() < 0.003:
                    x.arr = round(x.arr * (0.9 + 0.3 * r()), 2)
                if r() < 0.002:
                    x.sponsor = rng.choice(SPONSORS)
                if x.renewal < recent:
                    x.renewal = x.renewal + timedelta(days=365)
                evs = x.events
                if evs and min(e[0] for e in evs) < window:
                    evs = x.events = [e for e in evs if e[0] >= window]
                for e in evs:
                    if e[1] == 0 and e[3] is None and e[0] >= recent and r() < 0.15:
                        e[3] = round(0.5 + 119.5 * r(), 1)
                        e[4] = ev_text(0, e[0].isoformat(), e[2], e[3])
                if r() < 12 / 365:
                    if r() < 0.7:
                        e = [today, 0, rng.choice(SEV), None, None]
                    else:
                        e = [today, 1, rng.choice(LVL), None, None]
                    e[4] = ev_text(e[1], iso, e[2], e[3])
                    evs.append(e)
            if out is not None:
                sponsor = "null" if x.sponsor is None else '"%s"' % x.sponsor
                out.append(
                    '{"account":"%s","as_of":"%s","signals":{"feature_usage":%s,"logins_30d":%d,'
                    '"licensed_seats":%d,"active_users":%d,"exec_sponsor":%s,"arr":%s,"renewal_date":"%s"},'
                    '"events":[%s]}'
                    % (x.name, iso, x.fu, x.logins, x.seats, x.active, sponsor, x.arr,
                       x.renewal.isoformat(), ",".join(e[4] for e in x.events)))
        if out is None:
            continue
        path = os.path.join(a.dir, "night-%03d.jsonl" % night)
        with open(path + ".part", "w") as f:
            f.write("\n".join(out))
            f.write("\n")
        os.rename(path + ".part", path)
        written.append(path)
        if a.keep and night < a.last:
            while sum(os.path.exists(p) for p in written) >= a.keep:
                time.sleep(0.05)
        print(f"night {night}: {path}", file=sys.stderr) if os.environ.get("VERBOSE") else None


if __name__ == "__main__":
    main()
