-- Workflow, first slice (issue 11): idle leases, public display names, canned replies.

-- Idle leases: a lock whose holder makes no edits lapses at `idle_at` (by the database clock), even while
-- the holder's heartbeat keeps `expires_at` ahead. Activity (taking the lock, the holder renewing it
-- explicitly, an update or a comment by the holder) pushes it; heartbeat renewals do not
-- (core/src/db/leases.rs). Leases on record when this runs get the default idle time from now.
ALTER TABLE ticket_leases ADD COLUMN idle_at timestamptz NOT NULL DEFAULT now() + interval '10 minutes';
ALTER TABLE ticket_leases ALTER COLUMN idle_at DROP DEFAULT;
COMMENT ON COLUMN ticket_leases.idle_at IS 'the lease lapses (reason idle) at this time unless its holder edits';
CREATE INDEX ticket_leases_idle_at_idx ON ticket_leases (idle_at);

-- Public display names: what reporters see when an agent replies (bot notifications). Optional; without
-- one, reporters see the desk's neutral name, never the account's name or email. Set by the agent on the
-- account page (PUT /api/auth/public-name), audited in admin_audit as public_name_changed.
ALTER TABLE agents ADD COLUMN public_name text
    CHECK (public_name IS NULL OR (length(public_name) BETWEEN 1 AND 60 AND public_name = btrim(public_name)));
COMMENT ON COLUMN agents.public_name IS 'the name reporters see; NULL: the desk''s neutral name';

-- Canned replies (text modules), inserted into replies from the composer (`::`). Shared ones
-- (owner_agent NULL) are managed by admins and offered to everyone; personal ones only to their owner.
-- Searched with ILIKE over title, shortcut and both texts: the table holds tens to hundreds of rows, so a
-- scan is cheap and needs no trigram index (see docs/workflow.md).
CREATE TABLE canned_replies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_agent bigint REFERENCES agents (id) ON DELETE CASCADE,  -- NULL: shared
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
    shortcut    text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    text_en     text NOT NULL CHECK (length(text_en) BETWEEN 1 AND 4000),  -- may name {{placeholders}}
    text_id     text NOT NULL CHECK (length(text_id) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- A shortcut names one reply among those an agent sees of each kind (shared, or their own).
CREATE UNIQUE INDEX canned_replies_shortcut_key ON canned_replies (coalesce(owner_agent, 0), shortcut);
