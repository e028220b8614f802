#!/usr/bin/env python3
"""Generate the snapshot files of the bundled Vital examples.

    python3 examples/generate.py

Writes, next to this script:

    advocacy/snapshots.jsonl          1,000 accounts x 3 monthly snapshots
    digital-signals/snapshots.jsonl   2,000 accounts x 3 monthly snapshots
    support-health/snapshots.jsonl      500 accounts x 3 monthly snapshots
    support-health/snapshots.csv      the latest snapshot of each of those accounts

The data is synthetic and deterministic: every example has its own fixed
seed, and the script uses the Python 3.11 standard library only (no network),
so running it again reproduces the files byte for byte.

Format (docs/language.md section 7): one JSON object per line,
{"account", "as_of", "signals", "events", "override"?}, grouped by account and
in date order. Every snapshot carries all non-optional signals of its rule set
(optional ones are sometimes null), and 0-15 events dated within the year
before its as_of. Each account has one event timeline; a snapshot lists the
part of it it could see on its as_of (at most the 15 most recent events), so
re-running an old snapshot reproduces its result. Percents are percentage
points, money and numbers have at most two decimals, dates are YYYY-MM-DD.
"""

from __future__ import annotations

import calendar
import math
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

AS_OFS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
LATEST = AS_OFS[-1]
# Event timelines start a year before the first snapshot.
TIMELINE_START = date(2025, 9, 1)
MAX_EVENTS = 15

COMPANIES = [
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka",
    "tyrell", "cyberdyne", "soylent", "aperture", "oscorp", "monarch",
    "nakatomi", "stark", "wayne", "duff", "gringotts", "massive", "dunder",
    "sterling", "pinnacle", "northwind", "contoso", "fabrikam", "tailspin",
    "adventure", "litware", "proseware", "lucerne", "margie", "alpine",
    "bluebird", "cedar", "harbor", "summit", "redwood", "silverline",
    "brightpath", "ironclad", "keystone", "meridian", "evergreen", "polaris",
]
INDUSTRIES = [
    "logistics", "health", "foods", "labs", "retail", "energy", "media",
    "bank", "insurance", "systems", "freight", "pharma", "studios", "motors",
    "analytics", "telecom", "travel", "robotics", "farms", "textiles",
    "software", "clinics", "airlines", "realty", "education",
]
FIRST_NAMES = [
    "Priya", "Tom", "Ana", "Lena", "Sam", "Dana", "Omar", "Mei", "Jonas",
    "Fatima", "Carlos", "Ingrid", "Kwame", "Yuki", "Elena", "Rahul", "Sofia",
    "Marcus", "Aisha", "Pierre", "Hana", "Diego", "Nora", "Viktor", "Leila",
]
LAST_NAMES = [
    "Raman", "Becker", "Souza", "Fischer", "Okafor", "Kim", "Haddad", "Chen",
    "Larsen", "Mensah", "Rossi", "Novak", "Tanaka", "Garcia", "Patel",
    "Johansson", "Dubois", "Nakamura", "Kowalski", "Silva", "Ahmed", "Moreau",
]


# ---------------------------------------------------------------- helpers


def minus_months(d: date, months: int) -> date:
    """Calendar months back, clamped to the month's end (docs/language.md section 1)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def next_month(d: date) -> date:
    return minus_months(d, -1)


def account_names(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.choice(COMPANIES)}-{rng.choice(INDUSTRIES)}-{i:04d}" for i in range(1, n + 1)]


def rand_date(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def dates(rng: random.Random, n: int, lo: date = TIMELINE_START, hi: date = LATEST) -> list[date]:
    return [rand_date(rng, lo, hi) for _ in range(n)]


def periodic(rng: random.Random, every_days: int, jitter: int, lo: date = TIMELINE_START,
             hi: date = LATEST) -> list[date]:
    """Roughly periodic dates (business reviews, ...) with a random phase."""
    out = []
    d = lo + timedelta(days=rng.randint(0, every_days))
    while d <= hi:
        out.append(d)
        d += timedelta(days=every_days + rng.randint(-jitter, jitter))
    return out


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; means here are small."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def pct(x: float) -> float | int:
    """A percent in percentage points, 0..100, one decimal (whole when it is whole)."""
    x = round(clamp(x, 0, 100), 1)
    return int(x) if x == int(x) else x


def num(x: float, places: int = 2) -> float | int:
    x = round(x, places)
    return int(x) if x == int(x) else x


def visible_events(timeline: list[dict], as_of: date) -> list[dict]:
    """The events a snapshot on `as_of` carries: dated within the year before it,
    at most the MAX_EVENTS most recent, oldest first."""
    lo = minus_months(as_of, 12)
    seen = [e for e in timeline if lo <= e["at"] <= as_of]
    seen.sort(key=lambda e: (e["at"], e["type"]))
    seen = seen[-MAX_EVENTS:]
    out = []
    for e in seen:
        rec = {"type": e["type"], "at": e["at"].isoformat()}
        for k, v in e.items():
            if k in ("type", "at") or k.startswith("_"):
                continue
            rec[k] = v(as_of) if callable(v) else v
        out.append(rec)
    return out


def record(account: str, as_of: date, signals: dict, events: list[dict],
           override: dict | None = None) -> dict:
    rec = {"account": account, "as_of": as_of.isoformat(), "signals": signals, "events": events}
    if override is not None:
        rec["override"] = override
    return rec


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    names, weights = zip(*weighted)
    return rng.choices(names, weights=weights)[0]


# ---------------------------------------------------------------- advocacy

ADVOCACY_ARCHETYPES = [
    ("champion", 0.18), ("engaged", 0.40), ("quiet_advocate", 0.15),
    ("at_risk", 0.17), ("danger", 0.10),
]


def advocacy(seed: int = 1001, n: int = 1000) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for account in account_names(rng, n):
        kind = pick(rng, ADVOCACY_ARCHETYPES)
        renewal = rand_date(rng, date(2026, 11, 10), date(2027, 10, 31))
        timeline: list[dict] = []

        def add(etype: str, when: list[date]) -> None:
            timeline.extend({"type": etype, "at": d} for d in when)

        if kind == "champion":
            is_adv = True
            usage, usage_trend = rng.uniform(68, 95), rng.uniform(-2, 3)
            logins = rng.uniform(30, 60)
            nps = rng.uniform(35, 80)
            add("reference_completed", dates(rng, rng.randint(2, 4), date(2025, 12, 1)))
            if rng.random() < 0.6:
                add("success_story_published", dates(rng, 1))
            add("webinar_attended", dates(rng, rng.randint(1, 4)))
            add("event_attended", dates(rng, rng.randint(0, 2)))
            add("spoke_at_event", dates(rng, rng.choice([0, 1, 1, 2])))
            add("qbr_held", periodic(rng, 91, 12))
        elif kind == "engaged":
            is_adv = rng.random() < 0.25
            usage, usage_trend = rng.uniform(48, 82), rng.uniform(-3, 3)
            logins = rng.uniform(20, 45)
            nps = rng.uniform(10, 60)
            add("reference_completed", dates(rng, rng.choice([0, 0, 1, 1, 2])))
            if rng.random() < 0.1:
                add("success_story_published", dates(rng, 1))
            add("webinar_attended", dates(rng, rng.randint(0, 4)))
            add("event_attended", dates(rng, rng.randint(0, 2)))
            if rng.random() < 0.05:
                add("spoke_at_event", dates(rng, 1))
            add("qbr_held", periodic(rng, rng.choice([91, 120, 150]), 15))
        elif kind == "quiet_advocate":
            # Active last winter, silent since: the "quiet advocate" rule and the
            # "advocacy slipping" trigger find these as their activity ages.
            is_adv = True
            usage, usage_trend = rng.uniform(40, 75), rng.uniform(-4, 2)
            logins = rng.uniform(12, 35)
            nps = rng.uniform(-5, 45)
            add("reference_completed", dates(rng, rng.randint(1, 3), TIMELINE_START, date(2026, 6, 30)))
            if rng.random() < 0.3:
                add("success_story_published", dates(rng, 1, TIMELINE_START, date(2026, 3, 31)))
            if rng.random() < 0.3:
                add("spoke_at_event", dates(rng, 1, TIMELINE_START, date(2026, 5, 31)))
            add("webinar_attended", dates(rng, rng.randint(0, 2)))
            add("qbr_held", periodic(rng, rng.choice([120, 180]), 20))
        elif kind == "at_risk":
            is_adv = rng.random() < 0.1
            usage, usage_trend = rng.uniform(20, 50), rng.uniform(-6, 2)
            logins = rng.uniform(5, 22)
            nps = rng.uniform(-30, 20)
            if is_adv:
                add("reference_completed", dates(rng, 1, TIMELINE_START, date(2026, 4, 30)))
            add("webinar_attended", dates(rng, rng.randint(0, 2)))
            add("qbr_held", dates(rng, rng.randint(0, 2)))
        else:  # danger
            is_adv = rng.random() < 0.05
            usage, usage_trend = rng.uniform(5, 30), rng.uniform(-8, 1)
            logins = rng.uniform(0, 9)
            nps = rng.uniform(-60, 0)
            add("webinar_attended", dates(rng, rng.randint(0, 1)))
            add("qbr_held", dates(rng, rng.randint(0, 1), TIMELINE_START, date(2026, 3, 31)))

        nps_missing = {"champion": 0.1, "engaged": 0.2, "quiet_advocate": 0.25,
                       "at_risk": 0.35, "danger": 0.4}[kind]
        sharp_drop = rng.random() < 0.08  # feature usage falls 11-20 points in the last month
        for i, as_of in enumerate(AS_OFS):
            u = usage + usage_trend * i + rng.uniform(-2, 2)
            if sharp_drop and i == 2:
                u -= rng.uniform(11, 20)
            account_nps = nps + rng.uniform(-6, 6) * i
            signals = {
                "is_advocate": is_adv,
                "feature_usage": pct(u),
                "logins_30d": max(0, round(logins * rng.uniform(0.8, 1.2))),
                "nps": None if rng.random() < nps_missing else round(clamp(account_nps, -100, 100)),
                "renewal_date": renewal.isoformat(),
            }
            records.append(record(account, as_of, signals, visible_events(timeline, as_of)))
    return records


# ---------------------------------------------------------------- digital signals

DIGITAL_ARCHETYPES = [
    ("thriving", 0.40), ("steady", 0.25), ("declining", 0.12),
    ("ticket_heavy", 0.13), ("dormant", 0.10),
]
SEVERITIES = {
    "normal": [("low", 0.65), ("high", 0.27), ("critical", 0.08)],
    "heavy": [("low", 0.40), ("high", 0.38), ("critical", 0.22)],
}
CLOSE_HOURS = {"low": (2, 48), "high": (6, 120), "critical": (3, 220)}


def ticket(rng: random.Random, at: date, mix: str) -> dict:
    severity = pick(rng, SEVERITIES[mix])
    lo, hi = CLOSE_HOURS[severity]
    hours = None if rng.random() < 0.02 else round(rng.uniform(lo, hi), 1)
    closed_on = None if hours is None else at + timedelta(days=int(hours // 24) + 1)

    def hours_to_close(as_of: date, hours=hours, closed_on=closed_on):
        # Missing while the ticket is still open on the snapshot's date.
        if closed_on is None or closed_on > as_of:
            return None
        return num(hours, 1)

    return {"type": "ticket_opened", "at": at, "severity": severity, "hours_to_close": hours_to_close}


def exec_meetings(rng: random.Random, n: int) -> list[dict]:
    levels = [("c_level", 0.25), ("vp", 0.45), ("director", 0.30)]
    return [{"type": "exec_meeting", "at": d, "level": pick(rng, levels)} for d in dates(rng, n)]


def digital_signals(seed: int = 2002, n: int = 2000) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for account in account_names(rng, n):
        kind = pick(rng, DIGITAL_ARCHETYPES)
        pilot = rng.random() < 0.005  # a free pilot: no paid seats yet
        seats = 0 if pilot else int(rng.choice([10, 15, 20, 25, 40, 50, 75, 100, 150, 250, 400])
                                    * rng.uniform(0.8, 1.3))
        price = rng.uniform(240, 1400)
        arr = num(5000.0 if pilot else seats * price, 2)
        renewal = rand_date(rng, date(2026, 11, 5), date(2027, 10, 31))
        sponsor_p = {"thriving": 0.95, "steady": 0.8, "declining": 0.7, "ticket_heavy": 0.8,
                     "dormant": 0.4}[kind]
        sponsor = (f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                   if rng.random() < sponsor_p else None)

        if kind == "thriving":
            usage, trend = rng.uniform(58, 92), rng.uniform(-2, 3)
            active_share, per_seat = rng.uniform(0.75, 0.99), rng.uniform(11, 26)
            n_tickets, mix, n_meet = poisson(rng, 3), "normal", rng.randint(2, 5)
        elif kind == "steady":
            usage, trend = rng.uniform(35, 65), rng.uniform(-3, 3)
            active_share, per_seat = rng.uniform(0.55, 0.85), rng.uniform(6, 14)
            n_tickets, mix, n_meet = poisson(rng, 5), "normal", rng.randint(0, 3)
        elif kind == "declining":
            usage, trend = rng.uniform(45, 72), rng.uniform(-4, 0)
            active_share, per_seat = rng.uniform(0.45, 0.8), rng.uniform(6, 16)
            n_tickets, mix, n_meet = poisson(rng, 5), "normal", rng.randint(0, 2)
        elif kind == "ticket_heavy":
            usage, trend = rng.uniform(40, 72), rng.uniform(-3, 2)
            active_share, per_seat = rng.uniform(0.5, 0.9), rng.uniform(6, 15)
            n_tickets, mix, n_meet = rng.randint(10, 18), "heavy", rng.randint(0, 3)
        else:  # dormant
            usage, trend = rng.uniform(4, 26), rng.uniform(-3, 1)
            active_share, per_seat = rng.uniform(0.08, 0.45), rng.uniform(0.5, 5)
            n_tickets, mix, n_meet = poisson(rng, 1.5), "normal", rng.randint(0, 1)

        timeline = exec_meetings(rng, n_meet)
        if kind == "ticket_heavy":
            # The flood is recent: most tickets fall in the last four months.
            when = dates(rng, n_tickets // 3) + dates(rng, n_tickets - n_tickets // 3, date(2026, 7, 1))
        else:
            when = dates(rng, n_tickets)
        timeline += [ticket(rng, d, mix) for d in when]

        drop_from = rng.choice([1, 2]) if kind == "declining" else None
        login_slump = kind == "declining" and rng.random() < 0.5
        for i, as_of in enumerate(AS_OFS):
            u = usage + trend * i + rng.uniform(-2.5, 2.5)
            if drop_from is not None and i >= drop_from:
                u -= rng.uniform(12, 24) * (i - drop_from + 1) / (3 - drop_from)
            share = clamp(active_share + rng.uniform(-0.04, 0.04), 0, 1)
            active = round(seats * share) if seats else rng.randint(0, 4)
            logins = max(0, round((seats or 3) * per_seat * rng.uniform(0.85, 1.15)))
            if login_slump and i == 2:
                logins = round(logins * rng.uniform(0.25, 0.45))
            signals = {
                "feature_usage": pct(u),
                "logins_30d": logins,
                "licensed_seats": seats,
                "active_users": active,
                "exec_sponsor": sponsor,
                "arr": arr,
                "renewal_date": renewal.isoformat(),
            }
            records.append(record(account, as_of, signals, visible_events(timeline, as_of)))
    return records


# ---------------------------------------------------------------- support health

SUPPORT_ARCHETYPES = [("champion", 0.40), ("ok", 0.30), ("troubled", 0.18), ("silent", 0.12)]
PLANS = [("premier", 0.25), ("standard", 0.55), ("basic", 0.20)]
# Typical average first response, in hours, per plan.
RESPONSE = {"premier": (0.5, 3.0), "standard": (1.5, 9.0), "basic": (4.0, 18.0)}
# Manual overrides by account archetype: (status, reason) a CSM might set.
OVERRIDES = {
    "champion": [
        ("needs_attention", "renewal at risk: budget freeze announced"),
        ("needs_attention", "new procurement lead, renewal not confirmed"),
        ("needs_attention", "champion left the company before renewal"),
    ],
    "ok": [
        ("champion", "multi-year renewal verbally committed"),
        ("champion", "exec sponsor confirmed expansion at renewal"),
        ("danger", "customer evaluating a competitor before renewal"),
    ],
    "troubled": [
        ("needs_attention", "remediation plan agreed ahead of renewal"),
        ("needs_attention", "escalations resolved, exec sponsor re-engaged"),
    ],
    "silent": [
        ("danger", "no response to renewal outreach"),
        ("danger", "renewal downgraded to basic plan pending review"),
    ],
}


def support_health(seed: int = 3003, n: int = 500) -> list[dict]:
    rng = random.Random(seed)
    records: list[dict] = []
    candidates: list[tuple[dict, str, date]] = []
    for account in account_names(rng, n):
        kind = pick(rng, SUPPORT_ARCHETYPES)
        plan = pick(rng, PLANS)
        renewal = rand_date(rng, date(2026, 11, 5), date(2027, 10, 31))
        lo, hi = RESPONSE[plan]
        if kind == "champion":
            nps, csat, ces = rng.uniform(30, 75), rng.uniform(89, 99.5), rng.uniform(5.3, 6.9)
            frh = rng.uniform(lo, (lo + hi) / 2)
            rate, urgent, esc = rng.uniform(0.3, 1.0), 0.05, 0.3
        elif kind == "ok":
            nps, csat, ces = rng.uniform(0, 40), rng.uniform(76, 92), rng.uniform(4.0, 6.0)
            frh = rng.uniform(lo, hi)
            rate, urgent, esc = rng.uniform(0.4, 1.1), 0.1, 0.8
        elif kind == "troubled":
            nps, csat, ces = rng.uniform(-45, 15), rng.uniform(52, 82), rng.uniform(2.2, 4.6)
            frh = rng.uniform((lo + hi) / 2, hi * 1.6)
            rate, urgent, esc = rng.uniform(2.5, 5.5), 0.25, 1.5
        else:  # silent: hardly any tickets in the last months
            nps, csat, ces = rng.uniform(-10, 40), rng.uniform(70, 95), rng.uniform(4.0, 6.5)
            frh = rng.uniform(lo, hi)
            rate, urgent, esc = 0.0, 0.1, 0.1

        # Tickets per month; silent accounts only have old tickets.
        timeline: list[dict] = []
        if kind == "silent":
            old = dates(rng, rng.randint(0, 4), TIMELINE_START, date(2026, 5, 31))
            timeline += [{"type": "ticket_opened", "at": d, "priority": "normal"} for d in old]
        else:
            month = TIMELINE_START
            while month <= LATEST:
                end = min(LATEST, next_month(month) - timedelta(days=1))
                for d in dates(rng, poisson(rng, rate), month, end):
                    prio = "urgent" if rng.random() < urgent else pick(rng, [("low", 0.35), ("normal", 0.65)])
                    timeline.append({"type": "ticket_opened", "at": d, "priority": prio})
                month = next_month(month)
        timeline += [{"type": "escalation", "at": d} for d in dates(rng, poisson(rng, esc))]
        if kind == "troubled" and rng.random() < 0.4:
            # A recent burst of escalations (the "escalation review" playbook).
            burst = dates(rng, rng.randint(2, 3), date(2026, 9, 15), LATEST)
            timeline += [{"type": "escalation", "at": d} for d in burst]

        slipping = rng.random() < 0.15 and kind != "silent"  # last month got worse
        improving = rng.random() < 0.1  # first response got faster
        nps_missing = 0.3 if kind == "silent" else 0.1
        ces_missing = 0.5 if kind == "silent" else 0.15
        for i, as_of in enumerate(AS_OFS):
            a_nps, a_csat, a_ces, a_frh = nps + rng.uniform(-4, 4), csat + rng.uniform(-2, 2), \
                ces + rng.uniform(-0.3, 0.3), frh * rng.uniform(0.9, 1.1)
            if slipping and i == 2:
                a_nps -= rng.uniform(10, 25)
                a_csat -= rng.uniform(5, 12)
                a_frh *= rng.uniform(1.3, 1.8)
            if improving and i == 2:
                a_frh = max(0.3, a_frh - rng.uniform(2, 4))
            signals = {
                "nps": None if rng.random() < nps_missing else round(clamp(a_nps, -100, 100)),
                "csat": pct(a_csat),
                "ces": None if rng.random() < ces_missing else num(clamp(a_ces, 1, 7), 1),
                "first_response_hours": num(max(0.2, a_frh), 2),
                "support_plan": plan,
                "renewal_date": renewal.isoformat(),
            }
            records.append(record(account, as_of, signals, visible_events(timeline, as_of)))

        if (renewal - LATEST).days <= 150:
            candidates.append((records[-1], kind, renewal))

    # 3% of the latest snapshots carry a manual override, set by the CSM ahead
    # of a renewal that is at most five months away.
    for latest, kind, renewal in rng.sample(candidates, round(n * 0.03)):
        status, reason = rng.choice(OVERRIDES[kind])
        latest["override"] = {
            "status": status,
            "until": min(renewal, rand_date(rng, date(2026, 11, 20), date(2027, 2, 28))).isoformat(),
            "reason": reason,
        }
    return records


SUPPORT_SIGNALS = ["nps", "csat", "ces", "first_response_hours", "support_plan", "renewal_date"]


def write_support_csv(path: Path, records: list[dict]) -> int:
    """The latest snapshot of each account as CSV (section 7): no events, empty cell = missing."""
    latest = [r for r in records if r["as_of"] == LATEST.isoformat()]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "as_of", *SUPPORT_SIGNALS])
        for r in latest:
            s = r["signals"]
            w.writerow([r["account"], r["as_of"], *["" if s[k] is None else s[k] for k in SUPPORT_SIGNALS]])
    return len(latest)


def main() -> None:
    outputs = [
        ("advocacy", advocacy()),
        ("digital-signals", digital_signals()),
        ("support-health", support_health()),
    ]
    for name, records in outputs:
        path = HERE / name / "snapshots.jsonl"
        write_jsonl(path, records)
        accounts = len({r["account"] for r in records})
        events = sum(len(r["events"]) for r in records)
        overrides = sum(1 for r in records if "override" in r)
        print(f"{path.relative_to(HERE.parent)}: {accounts} accounts, {len(records)} snapshots, "
              f"{events} events, {overrides} overrides, {path.stat().st_size:,} bytes")
    support = dict(outputs)["support-health"]
    csv_path = HERE / "support-health" / "snapshots.csv"
    rows = write_support_csv(csv_path, support)
    print(f"{csv_path.relative_to(HERE.parent)}: {rows} rows, {csv_path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
