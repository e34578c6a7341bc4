-- Several `loket` instances on one database: who runs, which instance leads the Telegram bot, the inbox of
-- Telegram updates (handled once, whoever received them), which instance claimed what, and attachments
-- stored in the database so every instance can serve them. Forward-only, like every migration.

-- Every running `loket serve` registers itself here and heartbeats (by the database clock). One that has
-- stopped heartbeating for 30 seconds, or that stopped gracefully, is dead; one survivor then cleans up
-- after it, once (core/src/cluster.rs).
CREATE TABLE instances (
    id           bigint PRIMARY KEY,                 -- chosen at random by the process when it starts
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(), -- its last heartbeat, by the database clock
    stopped_at   timestamptz,                        -- set when it stopped gracefully: dead at once
    host         text NOT NULL,                      -- for operators: the machine it runs on,
    pid          integer NOT NULL,                   -- its process id there,
    bind         text NOT NULL,                      -- the address it listens on,
    version      text NOT NULL,                      -- and the Loket release it runs
    cleaned_by   bigint,                             -- the instance that cleaned up after it (itself, after a graceful stop)
    cleaned_at   timestamptz                         -- when; set once, in the transaction that did the cleaning
);

-- Leases that one instance at a time holds, e.g. 'telegram': the one instance that polls Telegram and
-- delivers the notification outbox. Taken and renewed by one statement; expiry by the database clock.
CREATE TABLE cluster_leases (
    name        text PRIMARY KEY,                    -- what is held
    holder      bigint NOT NULL,                     -- instances.id of the holder
    token       bigint NOT NULL,                     -- fencing token: grows by one whenever the holder changes
    acquired_at timestamptz NOT NULL,                -- when this holder took it
    expires_at  timestamptz NOT NULL                 -- the holder renews it before then; after it, anyone may take it
);

-- Telegram updates, recorded before they are handled: by the leader's getUpdates, or by the webhook on any
-- instance. The primary key makes a repeated update (Telegram retrying, two instances receiving it) one row;
-- one sender's updates are handled in update_id order, by whichever instance claims them.
CREATE TABLE telegram_updates (
    update_id   bigint PRIMARY KEY,
    sender      bigint,                              -- the Telegram user it came from; NULL: none
    body        jsonb NOT NULL,                      -- the update as Telegram sent it
    received_at timestamptz NOT NULL DEFAULT now(),
    claimed_by  bigint,                              -- instances.id of the instance handling it
    claimed_at  timestamptz,
    handled_at  timestamptz                          -- handled rows are kept for a day, then deleted
);
CREATE INDEX telegram_updates_pending_idx ON telegram_updates (sender, update_id) WHERE handled_at IS NULL;
CREATE INDEX telegram_updates_handled_idx ON telegram_updates (handled_at) WHERE handled_at IS NOT NULL;

-- The instance that claimed a notification for sending (with sending_since); NULL on rows claimed before
-- this migration. A claim of a dead instance becomes 'failed' (delivery interrupted), never a resend.
ALTER TABLE notifications ADD COLUMN claimed_by bigint;

-- On 'lock_taken': the instance whose process holds the lock in memory. When that instance dies, one
-- survivor records the lock as expired. NULL on other kinds and on locks taken before this migration.
ALTER TABLE ticket_events ADD COLUMN instance_id bigint;
CREATE INDEX ticket_events_lock_instance_idx ON ticket_events (instance_id) WHERE kind = 'lock_taken';

-- Attachments' bytes live in the database, in chunks, so every instance serves them. `storage_path` names a
-- file under an instance's data directory only for files stored before this migration and not yet moved
-- into the database (each instance moves the ones it has when it starts); NULL once the bytes are here.
ALTER TABLE attachments ALTER COLUMN storage_path DROP NOT NULL;
CREATE TABLE attachment_chunks (
    attachment_id bigint NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           integer NOT NULL CHECK (seq >= 0), -- 0, 1, 2, ...: the file is the chunks in this order
    bytes         bytea NOT NULL,                    -- at most 256 KiB each
    PRIMARY KEY (attachment_id, seq)
);
