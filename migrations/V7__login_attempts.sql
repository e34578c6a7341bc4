-- Sign-in attempts, counted per account and per client address before each password check, so that every
-- instance on this database shares one throttle (core/src/domain/throttle.rs has the rules). Rows whose
-- window has passed are swept out by the servers; losing them only forgets recent failures.
CREATE TABLE login_attempts (
    -- What `key` identifies: 'account' (the email typed) or 'address' (the client address).
    scope text NOT NULL CHECK (scope IN ('account', 'address')),
    -- SHA-256 of the scope and the normalised email or address: neither is stored in the clear.
    key bytea NOT NULL,
    -- When the current window began (database clock); a window lasts a fixed time from its first attempt.
    window_start timestamptz NOT NULL,
    -- Attempts in the window, refused ones included; a successful sign-in deletes its account's row and
    -- takes its own attempt back from its address's row.
    attempts bigint NOT NULL CHECK (attempts >= 0),
    PRIMARY KEY (scope, key)
);
