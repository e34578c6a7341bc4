-- Server-side board views and full-text search (core/src/db/views.rs, docs/architecture.md "Views and
-- search"). Forward-only, like every migration.
--
-- Search uses the `simple` text search configuration over accent-folded, lower-cased text: PostgreSQL has
-- no Indonesian stemmer (nor does Snowball), and a wrong-language stemmer would mangle Indonesian words
-- ("jalan" is not an English word to stem). `simple` keeps every word as written, and queries ask for
-- each word as a prefix ("lamp" finds "lampu"), which covers most Indonesian affixed forms that start
-- with the root ("jalanan", "kelurahannya"). Accents are folded by `unaccent` (contrib, shipped with
-- Debian's postgresql package); where it cannot be created, by a `translate()` over the Latin letters
-- Indonesian and English names use.

DO $do$
DECLARE
    ext_schema text;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'the unaccent extension is not available (%); search folds accents with translate()', SQLERRM;
    END;
    SELECT extnamespace::regnamespace::text INTO ext_schema FROM pg_extension WHERE extname = 'unaccent';
    IF ext_schema IS NOT NULL THEN
        -- unaccent() is only STABLE (its dictionary could be changed); naming the dictionary makes the
        -- result fixed, so the wrapper may be IMMUTABLE and used in generated columns and indexes.
        -- Schema-qualified, so it works under any search_path (a restore runs with an empty one).
        EXECUTE format(
            'CREATE FUNCTION loket_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
             AS %L',
            format('SELECT lower(%I.unaccent(%L::regdictionary, $1))', ext_schema, ext_schema || '.unaccent'));
    ELSE
        CREATE FUNCTION loket_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $f$ SELECT translate(lower($1),
            'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž',
            'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz') $f$;
    END IF;
END
$do$;
COMMENT ON FUNCTION loket_fold(text) IS 'Lower case without accents: what search compares (unaccent, or translate() without it)';

-- Title (weight A) and body (weight B) as search words; PostgreSQL keeps it current.
ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, loket_fold(title)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, loket_fold(body)), 'B')) STORED;

-- Every comment's words (public replies and internal notes: only agents search), weight C, appended by
-- the trigger below when a comment is added (comments are never edited).
ALTER TABLE tickets ADD COLUMN search_comments tsvector NOT NULL DEFAULT ''::tsvector;

CREATE FUNCTION loket_comment_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets
       SET search_comments = search_comments || setweight(to_tsvector('simple'::regconfig, loket_fold(NEW.body)), 'C')
     WHERE id = NEW.ticket_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER comments_search AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION loket_comment_search();

UPDATE tickets t
   SET search_comments = c.doc
  FROM (SELECT ticket_id, setweight(to_tsvector('simple'::regconfig, loket_fold(string_agg(body, ' ' ORDER BY id))), 'C') AS doc
          FROM comments GROUP BY ticket_id) c
 WHERE c.ticket_id = t.id;

-- One GIN index over everything searched; queries use exactly this expression.
CREATE INDEX tickets_search_idx ON tickets USING gin ((search || search_comments));

-- Reporters found by their exact name, case and accents aside.
CREATE INDEX reporters_name_fold_idx ON reporters (loket_fold(name));

-- Priority as a number for sorting (low 0 .. urgent 3), kept by PostgreSQL.
ALTER TABLE tickets ADD COLUMN priority_rank smallint GENERATED ALWAYS AS (
    CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END) STORED;

-- Keyset order of each sort (read forwards for newest/updated/priority, backwards for oldest). The
-- partial ones serve "open work", the default view, without touching done tickets, which are most of a
-- mature desk; the full ones serve every other status filter.
CREATE INDEX tickets_open_created_idx ON tickets (created_at, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX tickets_open_updated_idx ON tickets (updated_at, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX tickets_open_priority_idx ON tickets (priority_rank, created_at, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX tickets_open_assignee_idx ON tickets (assignee_id, created_at, id) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX tickets_created_idx ON tickets (created_at, id);
CREATE INDEX tickets_updated_idx ON tickets (updated_at, id);
CREATE INDEX tickets_priority_idx ON tickets (priority_rank, created_at, id);
