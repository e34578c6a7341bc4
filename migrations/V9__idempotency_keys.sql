-- Idempotency keys: an agent's retry of a create (ticket or comment) finds what the first attempt made
-- instead of making it twice. Written in the same transaction as what it names, so a key exists exactly
-- when its result was committed. Forward-only, like every migration.
CREATE TABLE idempotency_keys (
    agent_id    bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE, -- keys are scoped per agent
    key         text NOT NULL,                                  -- chosen by the client, opaque to Loket
    ticket_id   bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE, -- the ticket filed, or commented on
    comment_id  bigint REFERENCES comments (id) ON DELETE CASCADE, -- the comment added; NULL: the key filed ticket_id
    created_at  timestamptz NOT NULL DEFAULT now(),             -- keys are forgotten 24 hours after this
    PRIMARY KEY (agent_id, key)
);
