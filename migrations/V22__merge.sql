-- Merging a duplicate into another ticket, and attachments on agents' replies (issue 11, docs/workflow.md
-- "Merge" and "Attachments on replies"). Forward-only.

-- A merged duplicate is closed and points at the ticket that now carries its report. Set once, by the
-- merge (core/src/actors/ticket.rs, Merge), never cleared; a merged ticket takes no further merge.
ALTER TABLE tickets ADD COLUMN merged_into bigint REFERENCES tickets (id);
ALTER TABLE tickets ADD CONSTRAINT tickets_merged_closed_check
    CHECK (merged_into IS NULL OR (status = 'closed' AND merged_into <> id));
COMMENT ON COLUMN tickets.merged_into IS 'the ticket this duplicate was merged into (it is closed); NULL if not merged';

-- Reporters of duplicates merged into a ticket: beside the ticket's own reporter, they may follow up on
-- it from Telegram and are told of its public replies and status changes. A merge moves the duplicate's
-- reporter and its own links here.
CREATE TABLE ticket_reporters (
    ticket_id   bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    reporter_id bigint NOT NULL REFERENCES reporters (id) ON DELETE CASCADE,
    merged_from bigint REFERENCES tickets (id) ON DELETE SET NULL,  -- the duplicate that brought them
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, reporter_id)
);
COMMENT ON TABLE ticket_reporters IS 'reporters linked to a ticket by merging their duplicate into it';
-- A reporter's own tickets and the ones they are linked to, for the bot's reporter-scoped reads.
CREATE INDEX ticket_reporters_reporter_idx ON ticket_reporters (reporter_id, ticket_id);

-- Who uploaded a file from the web client (NULL: it came from Telegram, or before this column). An
-- agent's upload waits unlinked (comment_id NULL) until their reply names it; only its uploader may
-- link it.
ALTER TABLE attachments ADD COLUMN uploaded_by bigint REFERENCES agents (id) ON DELETE SET NULL;
COMMENT ON COLUMN attachments.uploaded_by IS 'the agent who uploaded it in the reply composer; NULL for Telegram files';
