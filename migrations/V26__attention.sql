-- Attention signals for agents (issue 12): what calls an agent's attention to a ticket, and how far each
-- agent has read each ticket. A ticket is unread for an agent when a signal for them is newer than their
-- read position (or baseline, agents.attention_from). Both tables are read for the rows of a board page only (primary keys), never scanned.

-- The newest signal of each ticket, as event log positions (protocol/src/attention.rs: which events count).
-- Written in the signalling event's transaction, by the statement that appends it to the event log.
-- Tickets without a row (all of those filed before V26) are unread for nobody.
CREATE TABLE ticket_attention (
    ticket_id         bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    position          bigint,                                  -- newest signal for every agent: filed, or a reporter's comment
    assignee_id       bigint REFERENCES agents (id) ON DELETE SET NULL,  -- who the newest assignment was to
    assigned_position bigint                                   -- the position of that assignment (a signal for assignee_id only)
);
COMMENT ON TABLE ticket_attention IS 'per ticket: event log positions of its newest attention signals (new ticket, reporter reply, assignment)';

-- How far each agent has read each ticket: the newest signal position when they last opened it.
CREATE TABLE ticket_reads (
    agent_id  bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    position  bigint NOT NULL,                    -- signals at or below this position are read
    read_at   timestamptz NOT NULL DEFAULT now(), -- when the agent last opened the ticket with something unread
    PRIMARY KEY (agent_id, ticket_id)
);
COMMENT ON TABLE ticket_reads IS 'per agent and ticket: the attention position read up to (unread markers on the board)';

-- Each agent's baseline: signals at or below it are read for them without a ticket_reads row, so an agent
-- added later does not find every earlier ticket unread. The event log position when the agent was created
-- (existing agents: when V26 ran).
ALTER TABLE agents ADD COLUMN attention_from bigint NOT NULL
    DEFAULT coalesce(pg_sequence_last_value('event_log_position_seq'::regclass), 0);
COMMENT ON COLUMN agents.attention_from IS 'attention signals at or below this event log position are read for this agent (baseline for ticket_reads)';
