-- The event history in chunks (see eventchunk.go in the root package): a
-- row per chunk of one account's events, and a posting per distinct
-- LookupEvents attribute value of a chunk. Times are Unix microseconds. It
-- runs again harmlessly on a database that has it (the index migration
-- tests replay every migration from 40 on).
CREATE TABLE IF NOT EXISTS event_chunks (
	seq        BIGSERIAL PRIMARY KEY,
	first_id   TEXT NOT NULL UNIQUE,
	account    TEXT NOT NULL,
	first_time BIGINT NOT NULL,
	last_time  BIGINT NOT NULL,
	data       BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS event_chunks_account_last ON event_chunks (account, last_time, seq) INCLUDE (first_time);
CREATE INDEX IF NOT EXISTS event_chunks_last ON event_chunks (last_time, seq) INCLUDE (first_time);

CREATE TABLE IF NOT EXISTS event_terms (
	account    TEXT NOT NULL,
	term       TEXT NOT NULL,
	last_time  BIGINT NOT NULL,
	seq        BIGINT NOT NULL,
	first_time BIGINT NOT NULL,
	PRIMARY KEY (account, term, last_time, seq)
);

CREATE TABLE IF NOT EXISTS events (
	id TEXT PRIMARY KEY, account TEXT NOT NULL, time TIMESTAMPTZ NOT NULL, source TEXT NOT NULL,
	name TEXT NOT NULL, username TEXT NOT NULL, access_key_id TEXT NOT NULL, read_only BOOLEAN NOT NULL,
	resource_type TEXT NOT NULL, resource_name TEXT NOT NULL, record BYTEA NOT NULL
);

-- Every event stored before becomes a chunk of its own, encoded as
-- EventChunk.Encode does: a header line of escaped tab-separated fields,
-- then the record on a line of its own.
CREATE TEMP TABLE old_events ON COMMIT DROP AS
SELECT id, account, (extract(epoch FROM time) * 1000000)::bigint AS micros, source, name, username, access_key_id,
	read_only, resource_type, resource_name, record
FROM events;

INSERT INTO event_chunks (first_id, account, first_time, last_time, data)
SELECT id, account, micros, micros, convert_to(
	replace(replace(replace(id, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	micros::text || chr(9) ||
	replace(replace(replace(source, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	replace(replace(replace(name, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	replace(replace(replace(username, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	replace(replace(replace(access_key_id, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	CASE WHEN read_only THEN '1' ELSE '0' END || chr(9) ||
	replace(replace(replace(resource_type, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(9) ||
	replace(replace(replace(resource_name, '\', '\\'), chr(9), '\t'), chr(10), '\n') || chr(10), 'UTF8')
	|| record || '\x0a'::bytea
FROM old_events ORDER BY micros, id;

-- Its postings: one per attribute with a value (EventTerm in Go).
INSERT INTO event_terms (account, term, last_time, seq, first_time)
SELECT c.account, a.term, c.last_time, c.seq, c.first_time
FROM event_chunks c JOIN old_events e ON e.id = c.first_id,
LATERAL (VALUES ('EventId=' || e.id), ('EventName=' || e.name),
	('ReadOnly=' || CASE WHEN e.read_only THEN 'true' ELSE 'false' END), ('EventSource=' || e.source),
	(CASE WHEN e.username <> '' THEN 'Username=' || e.username END),
	(CASE WHEN e.access_key_id <> '' THEN 'AccessKeyId=' || e.access_key_id END),
	(CASE WHEN e.resource_type <> '' THEN 'ResourceType=' || e.resource_type END),
	(CASE WHEN e.resource_name <> '' THEN 'ResourceName=' || e.resource_name END)) AS a(term)
WHERE a.term IS NOT NULL;

DROP TABLE events;
