-- Statistics (issue 12, docs/stats.md): when a ticket was first answered and resolved, and aggregates kept
-- by triggers so that every chart of GET /api/stats reads a few small tables instead of scanning tickets.
-- Forward-only.

-- The desk's time zone: statistics count per day, and a day starts at midnight here. Exactly one row.
-- After changing it, run SELECT loket_stats_rebuild() (docs/stats.md).
CREATE TABLE stats_settings (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tz       text NOT NULL DEFAULT 'Asia/Jakarta' CHECK (now() AT TIME ZONE tz IS NOT NULL)
);
COMMENT ON TABLE stats_settings IS 'one row: the time zone whose midnights start statistics days';
INSERT INTO stats_settings DEFAULT VALUES;

CREATE FUNCTION loket_stats_tz() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT tz FROM stats_settings $$;

-- The statistics day of a moment, in the desk's time zone.
CREATE FUNCTION loket_stats_day(at timestamptz, tz text) RETURNS date LANGUAGE sql IMMUTABLE
    AS $$ SELECT (at AT TIME ZONE tz)::date $$;

-- Durations are counted in log-scaled buckets: bucket 0 holds 0 s, bucket b >= 1 holds
-- [1.18^(b-1), 1.18^b) seconds. A percentile read from the buckets is the bucket's geometric middle,
-- within 8.7 % (sqrt(1.18) - 1) of the true value (core/src/domain/stats.rs, the same formula).
CREATE FUNCTION loket_stats_bucket(seconds double precision) RETURNS smallint LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN seconds < 1 THEN 0 ELSE 1 + floor(ln(seconds) / ln(1.18))::int END::smallint $$;

ALTER TABLE tickets
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN resolved_at timestamptz;
COMMENT ON COLUMN tickets.first_response_at IS 'the first public reply by an agent; NULL: not answered yet';
COMMENT ON COLUMN tickets.resolved_at IS 'when it last became resolved or closed; NULL while open (cleared on reopen)';

-- Backfill from the conversation and the history.
UPDATE tickets t SET first_response_at = c.first
    FROM (SELECT ticket_id, min(created_at) AS first FROM comments
          WHERE author_agent_id IS NOT NULL AND NOT internal GROUP BY ticket_id) c
    WHERE c.ticket_id = t.id;
UPDATE tickets t SET resolved_at = coalesce(
        (SELECT max(e.created_at) FROM ticket_events e
         WHERE e.ticket_id = t.id AND e.kind = 'changed' AND e.field = 'status'
           AND e.new_value IN ('resolved', 'closed')),
        t.updated_at)
    WHERE t.status IN ('resolved', 'closed');

-- Tickets filed and resolved per day, queue and category (0: no category).
CREATE TABLE stats_daily (
    day         date NOT NULL,
    queue_id    bigint NOT NULL,
    category_id bigint NOT NULL,                     -- 0: none
    created     integer NOT NULL DEFAULT 0,
    resolved    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, queue_id, category_id)
);
COMMENT ON TABLE stats_daily IS 'tickets filed (by created_at) and resolved (by resolved_at) per desk day, queue and category';

-- Durations per day and queue: first response (counted on the day of the reply) and resolution
-- (counted on the day it was resolved), in loket_stats_bucket buckets.
CREATE TABLE stats_histograms (
    day      date NOT NULL,
    queue_id bigint NOT NULL,
    metric   text NOT NULL CHECK (metric IN ('first_response', 'resolution')),
    bucket   smallint NOT NULL,
    count    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, queue_id, metric, bucket)
);
COMMENT ON TABLE stats_histograms IS 'first-response and resolution seconds per desk day and queue, log-scaled buckets';

-- Per agent, day and queue: public replies written, tickets resolved while assigned to them.
CREATE TABLE stats_agents (
    day      date NOT NULL,
    agent_id bigint NOT NULL,
    queue_id bigint NOT NULL,
    replies  integer NOT NULL DEFAULT 0,
    resolved integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, queue_id, agent_id)
);
COMMENT ON TABLE stats_agents IS 'public replies and resolutions (of tickets assigned to the agent) per agent, desk day and queue';

-- Ratings (CSAT) per day rated, queue and rating.
CREATE TABLE stats_ratings (
    day      date NOT NULL,
    queue_id bigint NOT NULL,
    rating   smallint NOT NULL,
    count    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, queue_id, rating)
);
COMMENT ON TABLE stats_ratings IS 'reporters'' ratings per desk day rated, queue and rating (1-5)';

-- Backlog (open tickets by queue and status) and open tickets per assignee, from the index alone.
CREATE INDEX tickets_backlog_idx ON tickets (queue_id, status, assignee_id) WHERE status IN ('new', 'open', 'pending');

-- Adds `sign` times what one ticket row contributes to stats_daily, stats_histograms and the resolved
-- column of stats_agents: its filing (if `filed`), its resolution (if `resolution`) and its first
-- response (if `response`). An update takes out and puts back only the parts it changed, so a resolution
-- does not touch the row of the day the ticket was filed.
-- Every change to the aggregates takes this transaction-level lock first, so two transactions never
-- update shared counter rows (a day's row, a bucket, an agent's day) in opposite orders and deadlock:
-- they queue here instead, for as long as the rest of their transaction takes.
CREATE FUNCTION loket_stats_lock() RETURNS void LANGUAGE sql AS
$$ SELECT pg_advisory_xact_lock(7715534011) $$;

CREATE FUNCTION loket_stats_ticket(t tickets, sign integer, tz text, filed boolean, resolution boolean, response boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cat bigint := coalesce(t.category_id, 0);
BEGIN
    PERFORM loket_stats_lock();
    IF filed THEN
        INSERT INTO stats_daily AS s (day, queue_id, category_id, created)
            VALUES (loket_stats_day(t.created_at, tz), t.queue_id, cat, sign)
            ON CONFLICT (day, queue_id, category_id) DO UPDATE SET created = s.created + sign;
    END IF;
    IF resolution AND t.resolved_at IS NOT NULL THEN
        INSERT INTO stats_daily AS s (day, queue_id, category_id, resolved)
            VALUES (loket_stats_day(t.resolved_at, tz), t.queue_id, cat, sign)
            ON CONFLICT (day, queue_id, category_id) DO UPDATE SET resolved = s.resolved + sign;
        INSERT INTO stats_histograms AS s (day, queue_id, metric, bucket, count)
            VALUES (loket_stats_day(t.resolved_at, tz), t.queue_id, 'resolution',
                    loket_stats_bucket(greatest(extract(epoch FROM t.resolved_at - t.created_at), 0)), sign)
            ON CONFLICT (day, queue_id, metric, bucket) DO UPDATE SET count = s.count + sign;
        IF t.assignee_id IS NOT NULL THEN
            INSERT INTO stats_agents AS s (day, agent_id, queue_id, resolved)
                VALUES (loket_stats_day(t.resolved_at, tz), t.assignee_id, t.queue_id, sign)
                ON CONFLICT (day, queue_id, agent_id) DO UPDATE SET resolved = s.resolved + sign;
        END IF;
    END IF;
    IF response AND t.first_response_at IS NOT NULL THEN
        INSERT INTO stats_histograms AS s (day, queue_id, metric, bucket, count)
            VALUES (loket_stats_day(t.first_response_at, tz), t.queue_id, 'first_response',
                    loket_stats_bucket(greatest(extract(epoch FROM t.first_response_at - t.created_at), 0)), sign)
            ON CONFLICT (day, queue_id, metric, bucket) DO UPDATE SET count = s.count + sign;
    END IF;
END $$;

-- Moves what a ticket's replies and rating contribute from one queue to another (a queue move).
CREATE FUNCTION loket_stats_move(ticket bigint, from_queue bigint, to_queue bigint, tz text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    PERFORM loket_stats_lock();
    FOR r IN SELECT loket_stats_day(created_at, tz) AS day, author_agent_id AS agent, count(*)::int AS n
             FROM comments WHERE ticket_id = ticket AND author_agent_id IS NOT NULL AND NOT internal
             GROUP BY 1, 2 LOOP
        UPDATE stats_agents SET replies = replies - r.n WHERE day = r.day AND queue_id = from_queue AND agent_id = r.agent;
        INSERT INTO stats_agents AS s (day, agent_id, queue_id, replies) VALUES (r.day, r.agent, to_queue, r.n)
            ON CONFLICT (day, queue_id, agent_id) DO UPDATE SET replies = s.replies + r.n;
    END LOOP;
    FOR r IN SELECT loket_stats_day(rated_at, tz) AS day, rating FROM ticket_ratings WHERE ticket_id = ticket LOOP
        UPDATE stats_ratings SET count = count - 1 WHERE day = r.day AND queue_id = from_queue AND rating = r.rating;
        INSERT INTO stats_ratings AS s (day, queue_id, rating, count) VALUES (r.day, to_queue, r.rating, 1)
            ON CONFLICT (day, queue_id, rating) DO UPDATE SET count = s.count + 1;
    END LOOP;
END $$;

-- resolved_at follows the status: set on entering resolved or closed, cleared on leaving them.
CREATE FUNCTION loket_stats_resolved_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('resolved', 'closed') AND NEW.resolved_at IS NULL THEN
            NEW.resolved_at := NEW.updated_at;
        END IF;
    ELSIF NEW.status IN ('resolved', 'closed') AND OLD.status NOT IN ('resolved', 'closed') THEN
        NEW.resolved_at := now();
    ELSIF NEW.status NOT IN ('resolved', 'closed') THEN
        NEW.resolved_at := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_stats_resolved_at BEFORE INSERT OR UPDATE OF status ON tickets
    FOR EACH ROW EXECUTE FUNCTION loket_stats_resolved_at();

CREATE FUNCTION loket_stats_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := loket_stats_tz();
    moved boolean;
    filed boolean := true;
    resolution boolean := true;
    response boolean := true;
BEGIN
    PERFORM loket_stats_lock();
    IF TG_OP = 'UPDATE' THEN
        moved := OLD.queue_id <> NEW.queue_id OR OLD.created_at IS DISTINCT FROM NEW.created_at;
        filed := moved OR OLD.category_id IS DISTINCT FROM NEW.category_id;
        resolution := filed OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
            OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id;
        response := moved OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM loket_stats_ticket(OLD, -1, tz, filed, resolution, response);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM loket_stats_ticket(NEW, 1, tz, filed, resolution, response);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.queue_id <> NEW.queue_id THEN
        PERFORM loket_stats_move(NEW.id, OLD.queue_id, NEW.queue_id, tz);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_stats_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION loket_stats_tickets();
-- Only the changes that move a number: most updates (title, priority, locks' versions) fire nothing.
CREATE TRIGGER tickets_stats_update AFTER UPDATE ON tickets
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at
        OR OLD.queue_id IS DISTINCT FROM NEW.queue_id
        OR OLD.category_id IS DISTINCT FROM NEW.category_id
        OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at
        OR (NEW.resolved_at IS NOT NULL AND OLD.assignee_id IS DISTINCT FROM NEW.assignee_id))
    EXECUTE FUNCTION loket_stats_tickets();
CREATE TRIGGER tickets_stats_delete AFTER DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION loket_stats_tickets();

-- A public agent reply counts for its author and may be the ticket's first response.
CREATE FUNCTION loket_stats_comments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := loket_stats_tz();
    queue bigint;
BEGIN
    PERFORM loket_stats_lock();
    UPDATE tickets SET first_response_at = NEW.created_at
        WHERE id = NEW.ticket_id AND first_response_at IS NULL
        RETURNING queue_id INTO queue;
    IF queue IS NULL THEN
        SELECT queue_id INTO queue FROM tickets WHERE id = NEW.ticket_id;
    END IF;
    INSERT INTO stats_agents AS s (day, agent_id, queue_id, replies)
        VALUES (loket_stats_day(NEW.created_at, tz), NEW.author_agent_id, queue, 1)
        ON CONFLICT (day, queue_id, agent_id) DO UPDATE SET replies = s.replies + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER comments_stats_insert AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.author_agent_id IS NOT NULL AND NOT NEW.internal)
    EXECUTE FUNCTION loket_stats_comments();

CREATE FUNCTION loket_stats_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := loket_stats_tz();
BEGIN
    PERFORM loket_stats_lock();
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE stats_ratings s SET count = s.count - 1 FROM tickets t
            WHERE t.id = OLD.ticket_id AND s.queue_id = t.queue_id
              AND s.day = loket_stats_day(OLD.rated_at, tz) AND s.rating = OLD.rating;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO stats_ratings AS s (day, queue_id, rating, count)
            SELECT loket_stats_day(NEW.rated_at, tz), t.queue_id, NEW.rating, 1 FROM tickets t WHERE t.id = NEW.ticket_id
            ON CONFLICT (day, queue_id, rating) DO UPDATE SET count = s.count + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_ratings_stats AFTER INSERT OR UPDATE OR DELETE ON ticket_ratings
    FOR EACH ROW EXECUTE FUNCTION loket_stats_ratings();

-- Recomputes every aggregate from tickets, comments and ratings, in the given time zone (stored in
-- stats_settings). Run it after changing the time zone; it also answers what the triggers should hold.
CREATE FUNCTION loket_stats_rebuild(new_tz text DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text;
BEGIN
    IF new_tz IS NOT NULL THEN
        UPDATE stats_settings SET tz = new_tz;
    END IF;
    tz := loket_stats_tz();
    LOCK TABLE tickets, comments, ticket_ratings IN SHARE MODE;
    TRUNCATE stats_daily, stats_histograms, stats_agents, stats_ratings;
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
END $$;
COMMENT ON FUNCTION loket_stats_rebuild(text) IS 'recompute the statistics aggregates (optionally in a new desk time zone)';

SELECT loket_stats_rebuild();
