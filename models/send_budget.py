"""The send budget's table on PostgreSQL: the grants of the last window, shared by every instance.

One row per bot (`name`: the bot's id): `sends` holds, for each send of the last window, the server
time (epoch seconds) it counts from: its answer's, or a while after its grant until it is answered
(bot/budget.py). TAKE trims what left the window, grants as many of the sends asked for as fewer
than the limit leave room for, and says how many in `n` — in one UPDATE, so the row's lock makes the
instances' takes one after another (a second UPDATE waiting for the lock re-reads the row the first
wrote). ANSWERED moves sends to the time of their answer; PAUSE adds `limit` sends that count until a
429's retry_after has passed (so no grant before, however many instances). The clock is the server's
(clock_timestamp()): the instances' clocks need not agree.

The table is UNLOGGED (no WAL: a crash empties it, which costs nothing but a second of history) and
made by the migration 0027_send_budget on PostgreSQL only; SQLite has one instance and no table.
It is no mapped model: the schema's comparison with the models skips it (UNMAPPED_NAMES).
bot/budget.py runs these statements on a connection of its own.
"""
from __future__ import annotations

from .base import UNMAPPED_NAMES

TABLE = "send_budget"
UNMAPPED_NAMES.add(TABLE)

CREATE = f"""
CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} (
    name text PRIMARY KEY,
    sends double precision[] NOT NULL DEFAULT '{{}}',
    granted boolean NOT NULL DEFAULT false,
    at double precision NOT NULL DEFAULT 0,
    n integer NOT NULL DEFAULT 0
)"""
# The column `n` came after the table (migration 0028_send_budget_n); `granted` stays for an instance still on TAKE
# as it was (true when n > 0).
ADD_N = f"ALTER TABLE IF EXISTS {TABLE} ADD COLUMN IF NOT EXISTS n integer NOT NULL DEFAULT 0"

ENSURE_ROW = f"INSERT INTO {TABLE} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"

# $1 the row, $2 the limit (sends in a window), $3 the window in seconds, $4 how long after its grant a send
# not yet answered counts from, $5 how many sends ask. Returns how many were granted (`n`, the first of them — as
# many as the window has room for), the window's sends and the server's time. Grant i (from 0) is written
# now + $4 + i µs, after the window's others: each grant its own value, which the instance computes the same way.
TAKE = f"""
UPDATE {TABLE} SET (sends, granted, n, at) = (
    SELECT k.kept || ARRAY(SELECT k.now + $4 + i * 1e-6::double precision FROM generate_series(0, g.n - 1) AS i),
           g.n > 0, g.n, k.now
    FROM (SELECT ARRAY(SELECT s FROM unnest(sends) AS s WHERE s > c.now - $3 ORDER BY s) AS kept, c.now
          FROM (SELECT extract(epoch FROM clock_timestamp())::double precision AS now) AS c) AS k,
         LATERAL (SELECT greatest(0, least($5::int, $2::int - cardinality(k.kept))) AS n) AS g)
WHERE name = $1
RETURNING n, sends, at"""

# $1 the row, $2 grants' values (now + $4 + i µs above): their sends were answered, they count from now. Only a
# value found once: the sends of a pause share theirs, and one of them is never moved for a grant of the same value.
ANSWERED = f"""
UPDATE {TABLE} SET sends = ARRAY(
    SELECT CASE WHEN s = ANY($2::double precision[]) AND count(*) OVER (PARTITION BY s) = 1 THEN least(s, c.now)
                ELSE s END
    FROM unnest(sends) AS s)
FROM (SELECT extract(epoch FROM clock_timestamp())::double precision AS now) AS c
WHERE name = $1"""

# $1 the row, $2 the limit, $3 the window, $4 the pause in seconds: `limit` sends that count until now + $4
# (a window after now + $4 - $3), added to those still in the window; a shorter pause shortens none.
PAUSE = f"""
UPDATE {TABLE} SET sends = ARRAY(SELECT s FROM unnest(sends) AS s WHERE s > c.now - $3::double precision)
                           || array_fill(c.now + $4::double precision - $3::double precision, ARRAY[$2::int])
FROM (SELECT extract(epoch FROM clock_timestamp())::double precision AS now) AS c
WHERE name = $1"""
