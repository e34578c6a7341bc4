-- Removing access: disabled agents, retired categories, what is known about each sign-in, and an audit
-- trail of what admins did to accounts, sign-ins and categories. Forward-only, like every migration.

-- When an admin disabled the account; NULL: it may sign in. A disabled agent's sessions are deleted when
-- it is disabled, and sign-in and every session check also refuse it.
ALTER TABLE agents ADD COLUMN disabled_at timestamptz;

-- When an admin retired the category; NULL: offered for new tickets (to reporters in the bot and to agents
-- in the web client). Tickets filed under it keep it.
ALTER TABLE categories ADD COLUMN retired_at timestamptz;

-- The last request made with this session (updated at most once a minute), and the client it signed in
-- from (the User-Agent header at sign-in, cut to 256 characters; NULL when none was sent).
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ADD COLUMN user_agent text;

-- Append-only trail of admin actions (and of agents changing their own password), written in the same
-- transaction as the change it records.
CREATE TABLE admin_audit (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_agent_id bigint REFERENCES agents (id) ON DELETE SET NULL,  -- who did it
    action         text NOT NULL,                         -- agent_disabled, role_changed, category_retired, ...
    target_kind    text NOT NULL CHECK (target_kind IN ('agent', 'session', 'category')),
    target_id      bigint NOT NULL,                       -- the agent's, session's or category's id
    details        jsonb NOT NULL DEFAULT '{}',           -- names and old/new values at the time, never secrets
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_target_idx ON admin_audit (target_kind, target_id);
