-- SLA compliance as a maintained aggregate (issue 12, docs/stats.md): the clocks of the tickets filed
-- per desk day, queue and promise, counted as met, breached or pending, kept by triggers on sla_clocks
-- and on tickets (a queue move, a changed filing time), so the chart reads a few small rows instead of
-- every ticket of the range. Forward-only.

-- A clock's state, from what is stored only (a trigger cannot see time pass): breached once the sweep
-- recorded it (breached_at, within 2 s of due_at) or met after it was due; met when met in time;
-- pending otherwise (running, paused, or past due and not yet recorded by the sweep).
CREATE FUNCTION loket_stats_sla_state(met_at timestamptz, due_at timestamptz, breached_at timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN breached_at IS NOT NULL OR coalesce(due_at < met_at, false) THEN 'breached'
                      WHEN met_at IS NOT NULL THEN 'met' ELSE 'pending' END $$;

CREATE TABLE stats_sla (
    day      date NOT NULL,                 -- the ticket's filing day in the desk's time zone
    queue_id bigint NOT NULL,
    target   text NOT NULL CHECK (target IN ('first_response', 'resolution')),
    met      integer NOT NULL DEFAULT 0,
    breached integer NOT NULL DEFAULT 0,
    pending  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, queue_id, target)
);
COMMENT ON TABLE stats_sla IS 'SLA clocks of the tickets filed per desk day and queue, per promise: met in time, breached, pending';

-- Adds `sign` clocks in `state` to a day, queue and promise.
CREATE FUNCTION loket_stats_sla_add(d date, queue bigint, tgt text, state text, sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO stats_sla AS s (day, queue_id, target, met, breached, pending)
        VALUES (d, queue, tgt, CASE WHEN state = 'met' THEN sign ELSE 0 END,
                CASE WHEN state = 'breached' THEN sign ELSE 0 END, CASE WHEN state = 'pending' THEN sign ELSE 0 END)
        ON CONFLICT (day, queue_id, target) DO UPDATE SET
            met = s.met + EXCLUDED.met, breached = s.breached + EXCLUDED.breached, pending = s.pending + EXCLUDED.pending
$$;

-- Adds `sign` times all clocks of ticket `t` (as its row says: filing day and queue).
CREATE FUNCTION loket_stats_sla_ticket(t tickets, sign integer, tz text) RETURNS void LANGUAGE sql AS $$
    SELECT loket_stats_sla_add(loket_stats_day(t.created_at, tz), t.queue_id, c.target,
                               loket_stats_sla_state(c.met_at, c.due_at, c.breached_at), sign)
    FROM sla_clocks c WHERE c.ticket_id = t.id
$$;

-- A clock written, moved between states, or deleted. A clock deleted with its ticket finds no ticket:
-- tickets_stats_sla_delete took it out before.
CREATE FUNCTION loket_stats_sla_clocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := loket_stats_tz();
    t record;
BEGIN
    PERFORM loket_stats_lock();  -- V25: one order for every counter change
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT loket_stats_day(created_at, tz) AS day, queue_id INTO t FROM tickets WHERE id = OLD.ticket_id;
        IF FOUND THEN
            PERFORM loket_stats_sla_add(t.day, t.queue_id, OLD.target,
                                        loket_stats_sla_state(OLD.met_at, OLD.due_at, OLD.breached_at), -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT loket_stats_day(created_at, tz) AS day, queue_id INTO t FROM tickets WHERE id = NEW.ticket_id;
        IF FOUND THEN
            PERFORM loket_stats_sla_add(t.day, t.queue_id, NEW.target,
                                        loket_stats_sla_state(NEW.met_at, NEW.due_at, NEW.breached_at), 1);
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sla_clocks_stats_insert AFTER INSERT OR DELETE ON sla_clocks
    FOR EACH ROW EXECUTE FUNCTION loket_stats_sla_clocks();
-- Only a change of state fires (most updates: used time, warn_at, warned_at, running_since).
CREATE TRIGGER sla_clocks_stats_update AFTER UPDATE ON sla_clocks
    FOR EACH ROW WHEN (OLD.ticket_id <> NEW.ticket_id OR OLD.target <> NEW.target
        OR loket_stats_sla_state(OLD.met_at, OLD.due_at, OLD.breached_at)
           <> loket_stats_sla_state(NEW.met_at, NEW.due_at, NEW.breached_at))
    EXECUTE FUNCTION loket_stats_sla_clocks();

-- A ticket moved to another queue (or its filing time changed) takes its clocks along; a deleted ticket
-- takes them out (before the cascade deletes them, when they can still be read).
CREATE FUNCTION loket_stats_sla_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := loket_stats_tz();
BEGIN
    PERFORM loket_stats_lock();  -- V25: one order for every counter change
    PERFORM loket_stats_sla_ticket(OLD, -1, tz);
    IF TG_OP = 'UPDATE' THEN
        PERFORM loket_stats_sla_ticket(NEW, 1, tz);
        RETURN NULL;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER tickets_stats_sla_move AFTER UPDATE ON tickets
    FOR EACH ROW WHEN (OLD.queue_id <> NEW.queue_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION loket_stats_sla_tickets();
CREATE TRIGGER tickets_stats_sla_delete BEFORE DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION loket_stats_sla_tickets();

-- Fills stats_sla from sla_clocks and tickets (the caller empties it and holds the locks).
CREATE FUNCTION loket_stats_sla_fill(tz text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stats_sla (day, queue_id, target, met, breached, pending)
        SELECT day, queue_id, target, count(*) FILTER (WHERE state = 'met')::int,
               count(*) FILTER (WHERE state = 'breached')::int, count(*) FILTER (WHERE state = 'pending')::int
        FROM (SELECT loket_stats_day(t.created_at, tz) AS day, t.queue_id, c.target,
                     loket_stats_sla_state(c.met_at, c.due_at, c.breached_at) AS state
              FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id) x
        GROUP BY 1, 2, 3
$$;

-- The rebuild of V25, now with stats_sla.
CREATE OR REPLACE FUNCTION loket_stats_rebuild(new_tz text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text;
BEGIN
    IF new_tz IS NOT NULL THEN
        UPDATE stats_settings SET tz = new_tz;
    END IF;
    tz := loket_stats_tz();
    LOCK TABLE tickets, comments, ticket_ratings, sla_clocks IN SHARE MODE;
    TRUNCATE stats_daily, stats_histograms, stats_agents, stats_ratings, stats_sla;
    INSERT INTO stats_daily (day, queue_id, category_id, created, resolved)
        SELECT day, queue_id, cat, sum(c)::int, sum(r)::int FROM (
            SELECT loket_stats_day(created_at, tz) AS day, queue_id, coalesce(category_id, 0) AS cat, 1 AS c, 0 AS r
            FROM tickets
            UNION ALL
            SELECT loket_stats_day(resolved_at, tz), queue_id, coalesce(category_id, 0), 0, 1
            FROM tickets WHERE resolved_at IS NOT NULL) x
        GROUP BY 1, 2, 3;
    INSERT INTO stats_histograms (day, queue_id, metric, bucket, count)
        SELECT day, queue_id, metric, bucket, count(*)::int FROM (
            SELECT loket_stats_day(resolved_at, tz) AS day, queue_id, 'resolution' AS metric,
                   loket_stats_bucket(greatest(extract(epoch FROM resolved_at - created_at), 0)) AS bucket
            FROM tickets WHERE resolved_at IS NOT NULL
            UNION ALL
            SELECT loket_stats_day(first_response_at, tz), queue_id, 'first_response',
                   loket_stats_bucket(greatest(extract(epoch FROM first_response_at - created_at), 0))
            FROM tickets WHERE first_response_at IS NOT NULL) x
        GROUP BY 1, 2, 3, 4;
    INSERT INTO stats_agents (day, agent_id, queue_id, replies, resolved)
        SELECT day, agent, queue_id, sum(rp)::int, sum(rs)::int FROM (
            SELECT loket_stats_day(c.created_at, tz) AS day, c.author_agent_id AS agent, t.queue_id, 1 AS rp, 0 AS rs
            FROM comments c JOIN tickets t ON t.id = c.ticket_id
            WHERE c.author_agent_id IS NOT NULL AND NOT c.internal
            UNION ALL
            SELECT loket_stats_day(resolved_at, tz), assignee_id, queue_id, 0, 1
            FROM tickets WHERE resolved_at IS NOT NULL AND assignee_id IS NOT NULL) x
        GROUP BY 1, 2, 3;
    INSERT INTO stats_ratings (day, queue_id, rating, count)
        SELECT loket_stats_day(r.rated_at, tz), t.queue_id, r.rating, count(*)::int
        FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id
        GROUP BY 1, 2, 3;
    PERFORM loket_stats_sla_fill(tz);
END $$;

LOCK TABLE tickets, sla_clocks IN SHARE MODE;
SELECT loket_stats_sla_fill(loket_stats_tz());
