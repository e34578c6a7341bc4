-- Search words in a table of their own, and board indexes that cost writes only where views need them
-- (issue 9; core/src/db/views.rs, docs/architecture.md "Views and search"). Forward-only.
--
-- V15 kept the search words on `tickets` (a generated `search` column and a trigger-kept
-- `search_comments`, one GIN index over both). Every update of a ticket (a status, an assignee) then
-- recomputed the tsvector, wrote a new row version with every lexeme inserted again into the GIN index,
-- and rechecked `search || search_comments` per row in searches. Measured at 1,000,000 tickets this made
-- writes several times dearer (fan-out p99 at 1,000 sessions 3.4x the bare baseline, from 1.5x).
--
-- Now `ticket_search` holds one document per ticket (title weight A, body B, every comment C), written
-- only when the title or body changes or a comment is added, by the triggers below, plus whether the
-- ticket is open work (new, open, pending: the board's default view), which a second, partial GIN index
-- serves: a search of open work reads only open tickets' matches. A ticket's priority, assignee or
-- category change no longer touches the search table at all, and a status change only when it enters
-- or leaves open work.

CREATE TABLE ticket_search (
    ticket_id bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    doc       tsvector NOT NULL,
    open_work boolean NOT NULL
);
COMMENT ON TABLE ticket_search IS 'search words per ticket (title A, body B, comments C); kept by triggers on tickets and comments';

-- The document of a ticket's own text (without comments).
CREATE FUNCTION loket_ticket_doc(title text, body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT setweight(to_tsvector('simple'::regconfig, loket_fold(coalesce(title, ''))), 'A') ||
             setweight(to_tsvector('simple'::regconfig, loket_fold(coalesce(body, ''))), 'B') $$;

-- The document of a ticket's comments (weight C), in the order they were written.
CREATE FUNCTION loket_comments_doc(ticket bigint) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(setweight(to_tsvector('simple'::regconfig, loket_fold(string_agg(body, ' ' ORDER BY id))), 'C'),
                      ''::tsvector)
        FROM comments WHERE ticket_id = ticket $$;

-- New tickets: one statement-level trigger, so a bulk insert writes the documents in one statement.
CREATE FUNCTION loket_search_tickets_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_search (ticket_id, doc, open_work)
    SELECT id, loket_ticket_doc(title, body), status IN ('new', 'open', 'pending') FROM inserted;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION loket_search_tickets_inserted();

-- A title or body that really changed: the document is rebuilt (its comments' words kept). The WHEN
-- clause skips updates that write the same text again, which is every status or assignee change.
CREATE FUNCTION loket_search_ticket_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search
       SET doc = loket_ticket_doc(NEW.title, NEW.body) || loket_comments_doc(NEW.id)
     WHERE ticket_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_text AFTER UPDATE OF title, body ON tickets
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION loket_search_ticket_text();

-- A status that enters or leaves open work.
CREATE FUNCTION loket_search_ticket_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search SET open_work = NEW.status IN ('new', 'open', 'pending') WHERE ticket_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_status AFTER UPDATE OF status ON tickets
    FOR EACH ROW WHEN ((OLD.status IN ('new', 'open', 'pending')) IS DISTINCT FROM (NEW.status IN ('new', 'open', 'pending')))
    EXECUTE FUNCTION loket_search_ticket_status();

-- A comment (public reply or internal note: only agents search) appends its words. Comments are never
-- edited.
DROP TRIGGER comments_search ON comments;
DROP FUNCTION loket_comment_search();
CREATE FUNCTION loket_search_comment_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search
       SET doc = doc || setweight(to_tsvector('simple'::regconfig, loket_fold(NEW.body)), 'C')
     WHERE ticket_id = NEW.ticket_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER comments_search AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION loket_search_comment_added();

-- The documents of the tickets on file, from V15's columns (the same words and weights).
INSERT INTO ticket_search (ticket_id, doc, open_work)
SELECT id, search || search_comments, status IN ('new', 'open', 'pending') FROM tickets;

CREATE INDEX ticket_search_doc_idx ON ticket_search USING gin (doc);
CREATE INDEX ticket_search_open_doc_idx ON ticket_search USING gin (doc) WHERE open_work;

DROP INDEX tickets_search_idx;
ALTER TABLE tickets DROP COLUMN search;
ALTER TABLE tickets DROP COLUMN search_comments;

-- Indexes that every update paid for and few views used: "recently updated" and "priority" over every
-- status are rare (the board's default is open work, which keeps its partial indexes); without them a
-- ticket update writes two index entries fewer.
DROP INDEX tickets_updated_idx;
DROP INDEX tickets_priority_idx;

-- Done tickets (most of a mature desk) by category, in priority order: the archive view "resolved or
-- closed, this category, high and urgent" reads its page and its count from this index alone.
CREATE INDEX tickets_done_category_idx ON tickets (category_id, priority_rank, created_at, id)
    WHERE status IN ('resolved', 'closed');
