-- Notifications are queued as data (kind + data) in the change's transaction; the bot words them in the
-- reporter's language when it delivers them and keeps the text it sent in `body`. Rows queued before this
-- migration already carry their text and no data. Forward-only, like every migration.
ALTER TABLE notifications ADD COLUMN data jsonb;
ALTER TABLE notifications ALTER COLUMN body DROP NOT NULL;
