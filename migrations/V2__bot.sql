-- The Telegram bot's own state: dialogues, the update offset, which bot message is about which ticket,
-- and the delivery bookkeeping of the notification outbox. Forward-only, like every migration.

-- Where each Telegram user is in a conversation with the bot (a /report in progress), so a restart resumes it.
CREATE TABLE bot_dialogues (
    telegram_user_id bigint PRIMARY KEY,
    state            jsonb NOT NULL,                      -- loket_bot::dialogue::Dialogue, serialised
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Small named counters of the bot, e.g. 'update_offset': the next getUpdates offset to ask for.
CREATE TABLE bot_state (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);

-- Messages the bot sent about a ticket: a Telegram reply to one of them becomes a comment on that ticket.
CREATE TABLE bot_messages (
    chat_id    bigint NOT NULL,
    message_id integer NOT NULL,
    ticket_id  bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, message_id)
);

-- Delivery bookkeeping. A row is claimed (sending_since set) before a part is sent to Telegram and released
-- when Telegram answers. A claim found at start-up means the process died while Telegram may already have
-- accepted the message: the row is marked failed ("outcome unknown") rather than sent a second time.
ALTER TABLE notifications ADD COLUMN sending_since timestamptz;
-- Long bodies are split into parts of at most 4096 characters; this many have been accepted by Telegram.
ALTER TABLE notifications ADD COLUMN parts_sent integer NOT NULL DEFAULT 0;
