#!/usr/bin/env python3
"""Generate the churn example: 12 monthly snapshots and the outcomes.

    python3 examples/churn/generate.py
    python3 examples/churn/generate.py --accounts 4000 --out /tmp/churn-big

Writes, next to this script:

    snapshots/YYYY-MM-01.jsonl   one file per month, 2025-12-01 .. 2026-11-01
    outcomes.csv                 account,date,outcome (churned, renewed,
                                 contracted, expanded), up to 2026-12-31

`--out DIR` writes the snapshots and outcomes there instead; then run
`vital calibrate --rules examples/churn/rules --outcomes DIR/outcomes.csv
DIR/snapshots/*.jsonl`. Deterministic (fixed seed, Python 3 standard library only): running it again
reproduces the files byte for byte. It does not touch the other examples or
examples/generate.py.

The hidden model (what `vital calibrate` should recover)
--------------------------------------------------------
Each account has a hidden engagement u ~ N(0, 1), fixed, and a plan
(monthly with probability 0.3, else annual).

* feature_usage (percent) = 100 * sigmoid(0.9 u + w_t), where w_t is the
  account's own random walk (steps N(0, 0.25)), clamped to 2..98.
* ticket_opened events per month: critical ~ Poisson(0.12 exp(-0.7 u)),
  high ~ Poisson(0.3), low ~ Poisson(0.6) — high and low tickets carry no
  churn risk.
* reference_completed: each month with probability 0.05 exp(0.8 u).
* survey_score: uniform 1..10, drawn once, independent of everything — the
  decoy: the `sentiment` score built on it predicts nothing.

Each month after a snapshot, an account that has not churned churns with
probability sigmoid(z), on a uniform day of the month, where

    z = -4.4 + 4.0 (0.45 - usage/100)         low usage raises churn
             + 1.2 [a critical ticket in the last 90 days]  (1 or 2: same)
             - 1.3 [a reference in the last year]
             + 0.9 [monthly plan]             (the rule set's "flexible
                                               plan" bonus points the wrong way)
             + N(0, 0.5)                      noise

The simulation runs three months past the last snapshot (to 2026-12-31), so
the horizons of the earlier snapshots are over. An account that has not
churned renews once a year on its renewal day: `expanded` when its usage is
above 65% (half of the time), `contracted` with probability sigmoid(z + 1.5),
else `renewed`. So the truly predictive scores are adoption, support and
advocacy; sentiment is the decoy.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 1
ACCOUNTS = 400
MONTHS = [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 12)]
SIM_END = date(2026, 12, 31)
NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka",
         "tyrell", "soylent", "aperture", "oscorp", "monarch", "stark",
         "wayne", "contoso", "fabrikam", "tailspin", "northwind", "litware",
         "proseware"]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def month_after(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=ACCOUNTS)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    rng = random.Random(SEED)
    snapshots: dict[date, list[str]] = {m: [] for m in MONTHS}
    outcomes: list[tuple[str, date, str]] = []
    # months simulated: the 12 snapshot months and the ones after, to SIM_END
    months = list(MONTHS)
    while month_after(months[-1]) <= SIM_END:
        months.append(month_after(months[-1]))
    for i in range(args.accounts):
        account = f"{NAMES[i % len(NAMES)]}-{i + 1:04d}"
        u = rng.gauss(0, 1)
        plan = "monthly" if rng.random() < 0.3 else "annual"
        survey = rng.randint(1, 10)
        renewal_day = rng.randint(1, 365)
        walk = rng.gauss(0, 0.5)
        events: list[tuple[date, str, str | None]] = []
        # a year of history before the first snapshot
        start = date(2024, 12, 1)
        m = start
        history_months = []
        while m < MONTHS[0]:
            history_months.append(m)
            m = month_after(m)

        def month_events(m: date) -> None:
            days = (month_after(m) - m).days
            for sev, lam in (("critical", 0.12 * math.exp(-0.7 * u)),
                             ("high", 0.3), ("low", 0.6)):
                for _ in range(poisson(rng, lam)):
                    events.append((m + timedelta(rng.randrange(days)), "ticket_opened", sev))
            if rng.random() < min(0.9, 0.05 * math.exp(0.8 * u)):
                events.append((m + timedelta(rng.randrange(days)), "reference_completed", None))

        for m in history_months:
            month_events(m)
        churned = False
        for k, m in enumerate(months):
            walk += rng.gauss(0, 0.25)
            usage = min(98.0, max(2.0, 100 * sigmoid(0.9 * u + walk)))
            usage = round(usage, 1)
            if m in snapshots:
                seen = sorted(e for e in events if m - timedelta(365) <= e[0] < m)
                record = {
                    "account": account,
                    "as_of": m.isoformat(),
                    "signals": {"feature_usage": usage, "plan": plan, "survey_score": survey},
                    "events": [
                        {"type": t, "at": d.isoformat(), **({"severity": s} if s else {})}
                        for d, t, s in seen
                    ],
                }
                snapshots[m].append(json.dumps(record, separators=(",", ":")))
            crit = any(t == "ticket_opened" and s == "critical" and m - timedelta(90) <= d < m
                       for d, t, s in events)
            ref = any(t == "reference_completed" and m - timedelta(365) <= d < m
                      for d, t, s in events)
            z = (-4.4 + 4.0 * (0.45 - usage / 100) + 1.2 * crit - 1.3 * ref
                 + 0.9 * (plan == "monthly") + rng.gauss(0, 0.5))
            days = (month_after(m) - m).days
            # the yearly renewal, when it falls in this month
            renewal = date(m.year, 1, 1) + timedelta(renewal_day - 1)
            if rng.random() < sigmoid(z):
                outcomes.append((account, m + timedelta(rng.randrange(days)), "churned"))
                churned = True
                break
            if renewal.year == m.year and renewal.month == m.month and renewal <= SIM_END:
                if usage > 65 and rng.random() < 0.5:
                    kind = "expanded"
                elif rng.random() < sigmoid(z + 1.5):
                    kind = "contracted"
                else:
                    kind = "renewed"
                outcomes.append((account, renewal, kind))
            month_events(m)
        del churned
    out = args.out / "snapshots"
    out.mkdir(parents=True, exist_ok=True)
    for m, lines in snapshots.items():
        (out / f"{m.isoformat()}.jsonl").write_text("\n".join(lines) + "\n")
    outcomes.sort(key=lambda r: (r[1], r[0]))
    with open(args.out / "outcomes.csv", "w", newline="") as f:
        f.write("account,date,outcome\n")
        for a, d, o in outcomes:
            f.write(f"{a},{d.isoformat()},{o}\n")


if __name__ == "__main__":
    main()
