-- The event log: every event broadcast to WebSocket sessions, written in the transaction of the change it
-- reports (so an event is on record exactly when its change committed). `Resume` replays it after a
-- reconnect; a reader that is not the writer (another instance, or the next process) follows it using
-- `xid`. Old rows are deleted by a background job (LOKET_EVENT_RETENTION_HOURS / _MIN_EVENTS).
-- Forward-only, like every migration.
CREATE SEQUENCE event_log_position_seq AS bigint;

CREATE TABLE event_log (
    position    bigint PRIMARY KEY,             -- from event_log_position_seq, taken inside the change's transaction; never reused
    ticket_id   bigint NOT NULL,                -- the ticket the event is about (history: no foreign key, nothing to check on insert)
    kind        text NOT NULL,                  -- the event's wire `type` (TicketCreated, TicketUpdated, CommentAdded, ...)
    payload     jsonb NOT NULL,                 -- the ServerMessage as sent to sessions, `position` included
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(), -- the writing transaction, for readers that are not the writer
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp() -- when the row was written (not when its transaction began), for pruning
);
ALTER SEQUENCE event_log_position_seq OWNED BY event_log.position;
CREATE INDEX event_log_created_at ON event_log (created_at);

-- How far pruning has gone: a `Resume` from below this position cannot be answered (resync_required).
CREATE TABLE event_log_horizon (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton), -- exactly one row
    pruned_through  bigint NOT NULL                                     -- every event at or below this was deleted
);
INSERT INTO event_log_horizon (pruned_through) VALUES (0);
