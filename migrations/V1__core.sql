-- Loket's core schema. Forward-only: once released, never edit this file; add a new V<n>__*.sql.

-- Support staff who work tickets in the web client.
CREATE TABLE agents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,                          -- sign-in name, unique regardless of case
    name          text NOT NULL,                          -- display name shown to other agents
    role          text NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash text NOT NULL,                          -- argon2id PHC string, never the password
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_email_key ON agents (lower(email));

-- Signed-in agent sessions. Only a SHA-256 of the bearer token is stored.
CREATE TABLE sessions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    agent_id   bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_agent_idx ON sessions (agent_id);

-- Codes reporters redeem with /start <code> in the Telegram bot.
CREATE TABLE invite_codes (
    code       text PRIMARY KEY,
    max_uses   integer NOT NULL CHECK (max_uses > 0),
    uses       integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at timestamptz,                               -- NULL: never expires
    revoked_at timestamptz,                               -- NULL: usable
    created_by bigint REFERENCES agents (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Members of the public, known by their Telegram account.
CREATE TABLE reporters (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_user_id bigint NOT NULL UNIQUE,
    chat_id          bigint NOT NULL,                     -- private chat the bot answers in
    name             text NOT NULL,
    language         text NOT NULL DEFAULT 'en',          -- 'en' or 'id'
    invite_code      text REFERENCES invite_codes (code) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));

-- The tickets themselves. `id` is shown as TKT-0001; `version` grows by one per committed change.
CREATE TABLE tickets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    priority    text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    category_id bigint REFERENCES categories (id) ON DELETE SET NULL,
    reporter_id bigint REFERENCES reporters (id) ON DELETE SET NULL,  -- NULL: created by an agent
    assignee_id bigint REFERENCES agents (id) ON DELETE SET NULL,
    created_by  bigint REFERENCES agents (id) ON DELETE SET NULL,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_reporter_idx ON tickets (reporter_id);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id);

-- The conversation: public replies (reach the reporter) and internal notes (agents only).
CREATE TABLE comments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id          bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_agent_id    bigint REFERENCES agents (id) ON DELETE SET NULL,
    author_reporter_id bigint REFERENCES reporters (id) ON DELETE SET NULL,
    body               text NOT NULL,
    internal           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT (author_agent_id IS NOT NULL AND author_reporter_id IS NOT NULL)),
    CHECK (NOT (internal AND author_reporter_id IS NOT NULL))
);
CREATE INDEX comments_ticket_idx ON comments (ticket_id, id);

-- Files attached to tickets; the bytes live under LOKET_DATA_DIR at storage_path.
CREATE TABLE attachments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    comment_id        bigint REFERENCES comments (id) ON DELETE SET NULL,
    file_name         text NOT NULL,
    content_type      text NOT NULL,
    size_bytes        bigint NOT NULL,
    storage_path      text NOT NULL,                      -- relative to LOKET_DATA_DIR
    telegram_file_id  text,                               -- where it came from, if Telegram
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id);

-- Append-only audit trail: every change, comment and lock transition, written in the change's own transaction.
CREATE TABLE ticket_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_agent_id    bigint REFERENCES agents (id) ON DELETE SET NULL,
    actor_reporter_id bigint REFERENCES reporters (id) ON DELETE SET NULL,
    kind              text NOT NULL,                      -- created, changed, commented, lock_taken, ...
    field             text,                               -- with 'changed': which field
    old_value         text,
    new_value         text,
    reason            text,                               -- e.g. why an admin broke a lock
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

-- Outbox of messages to reporters, written in the same transaction as the change that causes them and
-- delivered by the bot. Delivery is ordered per chat (by id) and idempotent (status moves once to delivered).
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    reporter_id     bigint NOT NULL REFERENCES reporters (id) ON DELETE CASCADE,
    chat_id         bigint NOT NULL,
    kind            text NOT NULL,                        -- status_changed, agent_reply, ticket_created
    body            text NOT NULL,                        -- the text to send, already localised
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX notifications_pending_idx ON notifications (chat_id, id) WHERE status = 'pending';
CREATE INDEX notifications_ticket_idx ON notifications (ticket_id);
