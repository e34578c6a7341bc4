-- Edit locks as leases in the database, so that several `loket` instances agree on who holds a ticket's
-- lock (core/src/db/leases.rs). One row per locked ticket; the row is the truth, whatever a process
-- remembers. Expiry is by the database clock. Forward-only, like every migration.

-- Fencing tokens: every lease taken gets a new one, so a holder whose lease ended behind its back (its
-- process paused, its instance declared dead) cannot commit with the token it remembers.
CREATE SEQUENCE ticket_lease_token_seq AS bigint;

CREATE TABLE ticket_leases (
    ticket_id    bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    holder_agent bigint NOT NULL REFERENCES agents (id),
    holder_name  text NOT NULL,            -- the holder's display name when it was taken (as LockInfo shows it)
    via          text NOT NULL CHECK (via IN ('session', 'rest')),
    session_key  bigint,                   -- with 'session': the WebSocket session, unique within its instance
    instance_id  bigint,                   -- the instance the lease was taken through (NULL: one that does not register)
    token        bigint NOT NULL DEFAULT nextval('ticket_lease_token_seq'),
    since        timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,     -- by the database clock; a row past it holds nothing
    CHECK ((via = 'session') = (session_key IS NOT NULL))
);
ALTER SEQUENCE ticket_lease_token_seq OWNED BY ticket_leases.token;
CREATE INDEX ticket_leases_expires_at_idx ON ticket_leases (expires_at);
CREATE INDEX ticket_leases_instance_idx ON ticket_leases (instance_id);

-- Every instance LISTENs on `loket_events` and reads the event log after its last position when woken.
-- The notification carries no payload: the log is the source. Sent at COMMIT, once per transaction.
CREATE FUNCTION loket_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('loket_events', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER event_log_notify AFTER INSERT ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION loket_notify_events();
