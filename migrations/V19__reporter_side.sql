-- The reporter side of issue 12: a location shared from Telegram, the reopened flag, ratings.

-- Where the reporter says the problem is (a Telegram location, during /report or as a follow-up). Both or
-- neither; WGS 84 degrees. Set through the ticket's actor (audited as location_set, broadcast).
ALTER TABLE tickets
    ADD COLUMN latitude  double precision,
    ADD COLUMN longitude double precision,
    ADD CONSTRAINT tickets_location_check CHECK (
        (latitude IS NULL) = (longitude IS NULL)
        AND (latitude IS NULL OR (latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)));
COMMENT ON COLUMN tickets.latitude IS 'shared by the reporter: degrees north (WGS 84); NULL with longitude';
COMMENT ON COLUMN tickets.longitude IS 'shared by the reporter: degrees east (WGS 84); NULL with latitude';

-- A reporter's reply to a resolved or closed ticket reopens it (LOKET_REOPEN_ON_REPLY, default on) and
-- flags it for agents until an agent's next change to the ticket clears the flag.
ALTER TABLE tickets ADD COLUMN reopened_at timestamptz;
COMMENT ON COLUMN tickets.reopened_at IS 'when a reporter''s reply reopened the ticket; NULL once an agent changed it since';

-- The reporter's rating after resolution: one per ticket, a later one replaces it (rated_at moves).
CREATE TABLE ticket_ratings (
    ticket_id   bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    reporter_id bigint REFERENCES reporters (id) ON DELETE SET NULL,  -- who rated (the ticket's reporter)
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),       -- 1 (poor) to 5 (excellent)
    comment     text CHECK (comment IS NULL OR length(comment) BETWEEN 1 AND 2000),
    rated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ticket_ratings IS 'CSAT: the reporter''s 1-5 rating of a resolved ticket, with an optional comment';
-- Statistics read ratings by period.
CREATE INDEX ticket_ratings_rated_at_idx ON ticket_ratings (rated_at);
