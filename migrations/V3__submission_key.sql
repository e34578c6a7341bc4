-- Idempotent report submission. Forward-only, like every migration.

-- Names the submission that filed a ticket (for the Telegram bot: the chat and the summary message whose
-- Send button was pressed). If the process dies after filing but before the bot saved its progress,
-- Telegram delivers the press again; the key finds the ticket filed the first time instead of filing a
-- second one. NULL for tickets filed by agents; several NULLs never conflict.
ALTER TABLE tickets ADD COLUMN submission_key text UNIQUE;
