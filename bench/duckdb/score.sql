-- The benchmark's scoring (bench/rules) as one DuckDB query over the same
-- JSON Lines file that `vital run` reads. bench/duckdb/run.py sets the
-- variable `input` to the file's path and writes the result as JSON Lines;
-- bench/duckdb/check.py compares it with `vital run --format jsonl`.
--
-- In the duckdb shell:  SET VARIABLE input = 'data.jsonl';  then this query.
--
-- Exactness (docs/language.md §6.1): DuckDB's `/` on DECIMAL gives a DOUBLE,
-- so nothing here divides in floating point. Signals are read as DECIMAL or
-- BIGINT; scores are kept in tenths (integers) and every division is an exact
-- integer one: comparisons with a quotient are cross-multiplied, `linear` is
-- a fraction num/den, and rounding to one decimal half away from zero of a
-- non-negative n/d is (2n + d) // (2d). The outputs are DECIMAL(4,1).
--
-- Assumptions, true of bench/gen.py's files: every record is valid (vital
-- rejects nothing — bench/compare.sh checks), no overrides, accounts appear
-- in account order (results are ordered by account; vital keeps input order).
WITH snap AS (
    SELECT
        account,
        as_of,
        signals.feature_usage AS fu,
        signals.logins_30d AS logins,
        signals.licensed_seats AS seats,
        signals.active_users AS active,
        signals.exec_sponsor AS sponsor,
        signals.arr AS arr,
        signals.renewal_date AS renewal,
        -- events dated after as_of are ignored; `within N days` is
        -- as_of - N .. as_of, both ends inclusive; no rule looks further
        -- back than 180 days
        list_filter(coalesce(events, []), lambda e: e.at <= as_of AND e.at >= as_of - 180) AS ev
    FROM read_ndjson(
        getvariable('input'),
        columns = {
            account: 'VARCHAR',
            as_of: 'DATE',
            signals: 'STRUCT(
                feature_usage DECIMAL(18,6),
                logins_30d BIGINT,
                licensed_seats BIGINT,
                active_users BIGINT,
                exec_sponsor VARCHAR,
                arr DECIMAL(18,6),
                renewal_date DATE)',
            events: 'STRUCT(
                "type" VARCHAR,
                "at" DATE,
                severity VARCHAR,
                hours_to_close DECIMAL(18,6),
                "level" VARCHAR)[]'
        }
    )
),
-- the event counts of each snapshot (list lambdas over the snapshot's own
-- events: faster here than unnest + GROUP BY)
agg AS (
    SELECT
        *,
        len(list_filter(t90, lambda e: e.severity = 'critical')) AS crit90,
        len(list_filter(t90, lambda e: e.severity = 'high')) AS high90,
        list_filter(t90, lambda e: e.hours_to_close IS NOT NULL) AS closed90,
        len(list_filter(t90, lambda e: e.at >= as_of - 30 AND e.severity = 'critical'
                                      AND e.hours_to_close IS NULL)) AS open_crit30,
        len(list_filter(m180, lambda e: e.level IN ('c_level', 'vp'))) AS meet180,
        len(list_filter(m180, lambda e: e.at >= as_of - 60 AND e.level = 'c_level')) AS clevel60
    FROM (
        SELECT
            *,
            -- tickets within ticket_window (90 days)
            list_filter(ev, lambda e: e.type = 'ticket_opened' AND e.at >= as_of - 90) AS t90,
            -- meetings within 180 days
            list_filter(ev, lambda e: e.type = 'exec_meeting') AS m180
        FROM snap
    )
),
-- previous(X, 30 days): X in the account's latest snapshot dated on or
-- before as_of - 30 days. (An equi-join on account, not an ASOF join: DuckDB
-- plans that ASOF join as an inequality join, quadratic in the row count.)
prev AS (
    SELECT a.account, a.as_of, max(p.as_of) AS prev_as_of
    FROM agg a
    JOIN agg p ON a.account = p.account AND p.as_of <= a.as_of - 30
    GROUP BY a.account, a.as_of
),
hist AS (
    SELECT
        a.*,
        prev.prev_as_of,
        p.fu AS prev_fu,
        p.logins AS prev_logins
    FROM agg a
    LEFT JOIN prev ON prev.account = a.account AND prev.as_of = a.as_of
    LEFT JOIN agg p ON p.account = a.account AND p.as_of = prev.prev_as_of
),
raw AS (
    SELECT
        *,
        -- adoption: band feature_usage, "usage drop", "low seat utilization"
        CASE
            WHEN fu < 15 THEN 10
            WHEN fu < 30 THEN 35
            WHEN fu < 50 THEN 60
            WHEN fu < 70 THEN 80
            ELSE 95
        END
        - CASE WHEN fu - prev_fu < -10 THEN 20 ELSE 0 END
        -- active_users / licensed_seats < 0.5 (missing when seats = 0)
        - CASE WHEN seats > 0 AND 2 * active < seats OR seats < 0 AND 2 * active > seats
               THEN 10 ELSE 0 END AS adoption_raw,
        -- usage: linear(logins / seats, 4, 20) = 25 (logins - 4 seats) / (4 seats),
        -- clamped to 0..100, as the fraction lin_n / lin_d (lin_d > 0)
        sign(seats) * 25 * (logins - 4 * seats) AS l_num,
        abs(seats) * 4 AS l_den,
        -- "login slump": logins < previous(logins_30d, 30 days) / 2
        - CASE WHEN 2 * logins < prev_logins THEN 15 ELSE 0 END
        -- "saturated seats": active_users / licensed_seats >= 0.9
        + CASE WHEN seats > 0 AND 10 * active >= 9 * seats OR seats < 0 AND 10 * active <= 9 * seats
               THEN 5 ELSE 0 END AS usage_adj,
        -- support; "slow resolution": avg(hours_to_close) > 72 <=> sum > 72 * n (n > 0)
        100 - 4 * len(t90) - 15 * crit90 - 6 * high90
        - CASE WHEN len(closed90) > 0
                    AND list_sum(list_transform(closed90, lambda e: e.hours_to_close)) > 72 * len(closed90)
               THEN 10 ELSE 0 END
        - CASE WHEN open_crit30 > 0 THEN 20 ELSE 0 END AS support_raw,
        -- relationship
        CASE WHEN meet180 >= 3 THEN 90 WHEN meet180 >= 1 THEN 65 ELSE 30 END
        - CASE WHEN sponsor IS NULL THEN 20 ELSE 0 END
        + CASE WHEN clevel60 > 0 THEN 10 ELSE 0 END AS relationship_raw
    FROM hist
),
lin AS (
    SELECT
        *,
        CASE WHEN l_den = 0 THEN NULL WHEN l_num <= 0 THEN 0 WHEN l_num >= 100 * l_den THEN 100 END AS l_clamped
    FROM raw
),
tenths AS (
    -- every score clamped to 0..100 and in tenths, rounded half away from zero
    SELECT
        *,
        10 * greatest(0, least(100, adoption_raw)) AS adoption10,
        CASE
            WHEN l_den = 0 THEN NULL
            WHEN l_clamped IS NOT NULL THEN 10 * greatest(0, least(100, l_clamped + usage_adj))
            WHEN l_num + usage_adj * l_den <= 0 THEN 0
            WHEN l_num + usage_adj * l_den >= 100 * l_den THEN 1000
            ELSE (20 * (l_num + usage_adj * l_den) + l_den) // (2 * l_den)
        END AS usage10,
        10 * greatest(0, least(100, support_raw)) AS support10,
        10 * greatest(0, least(100, relationship_raw)) AS relationship10
    FROM lin
),
health AS (
    -- health from the rounded scores, over the scores that are not n/a
    SELECT
        *,
        (2 * (35 * adoption10 + 15 * coalesce(usage10, 0) + 25 * support10 + 25 * relationship10)
         + (85 + CASE WHEN usage10 IS NULL THEN 0 ELSE 15 END))
        // (2 * (85 + CASE WHEN usage10 IS NULL THEN 0 ELSE 15 END)) AS health10
    FROM tenths
),
scored AS (
    SELECT
        *,
        CASE
            WHEN health10 >= 750 THEN 'thriving'
            WHEN health10 >= 550 THEN 'steady'
            WHEN health10 >= 400 THEN 'at_risk'
            ELSE 'danger'
        END AS status
    FROM health
),
latest AS (
    -- `vital run` reports each account's latest snapshot
    SELECT s.*, p.health10 AS prev_health10
    FROM scored s
    LEFT JOIN scored p ON p.account = s.account AND p.as_of = s.prev_as_of
    QUALIFY s.as_of = max(s.as_of) OVER (PARTITION BY s.account)
)
SELECT
    account,
    as_of,
    CAST(health10 * 0.1 AS DECIMAL(4,1)) AS health,
    status,
    status AS computed_status,
    {
        'adoption': CAST(adoption10 * 0.1 AS DECIMAL(4,1)),
        'usage': CAST(usage10 * 0.1 AS DECIMAL(4,1)),
        'support': CAST(support10 * 0.1 AS DECIMAL(4,1)),
        'relationship': CAST(relationship10 * 0.1 AS DECIMAL(4,1))
    } AS scores,
    -- each playbook once, at its first firing rule, in declaration order
    list_filter([
        CASE WHEN health10 < 500 AND support10 >= 500
                  OR health10 - prev_health10 <= -150 THEN 'save playbook' END,
        CASE WHEN health10 < 600 AND support10 < 500 THEN 'support escalation' END,
        CASE WHEN arr >= 100000 AND status = 'danger' AND renewal - as_of < 120
             THEN 'executive sponsor call' END
    ], lambda x: x IS NOT NULL) AS triggered,
    NULL AS override
FROM latest
ORDER BY account
