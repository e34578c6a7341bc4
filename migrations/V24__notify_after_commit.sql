-- Followers are woken after COMMIT instead of inside every event-writing transaction
-- (core/src/event_log.rs, "Waking the other instances").
--
-- A NOTIFY inside a transaction takes a database-wide lock at COMMIT and holds it through the commit's
-- WAL flush, so every transaction that logged an event flushed its WAL alone, one after another, where
-- plain commits share flushes. Each instance now sends one NOTIFY per batch of its published events,
-- from a statement that writes nothing (no WAL flush); the SQL that ends leases notifies itself
-- (core/src/db/leases.rs). An instance of an older build still follows, by its 500 ms poll.
DROP TRIGGER event_log_notify ON event_log;
DROP FUNCTION loket_notify_events();

-- Leases are few (one row per ticket being edited) and every sweep reads them all, so these indexes
-- bought nothing, and because a heartbeat's renewal (expires_at) and an edit's activity (idle_at)
-- changed an indexed column, no update of a lease could be a HOT update.
DROP INDEX ticket_leases_expires_at_idx;
DROP INDEX ticket_leases_idle_at_idx;
