-- The event history in chunks (see eventchunk.go in the root package): a
-- row per chunk of one account's events, and a posting per distinct
-- LookupEvents attribute value of a chunk. Times are Unix microseconds.
-- It runs again harmlessly on a database that has it (the index migration
-- tests replay every migration from 40 on).
CREATE TABLE IF NOT EXISTS event_chunks (
	seq        INTEGER PRIMARY KEY,
	first_id   TEXT NOT NULL UNIQUE,
	account    TEXT NOT NULL,
	first_time INTEGER NOT NULL,
	last_time  INTEGER NOT NULL,
	data       BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS event_chunks_account_last ON event_chunks (account, last_time, seq, first_time);
CREATE INDEX IF NOT EXISTS event_chunks_last ON event_chunks (last_time, seq, first_time);

CREATE TABLE IF NOT EXISTS event_terms (
	account    TEXT NOT NULL,
	term       TEXT NOT NULL,
	last_time  INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	first_time INTEGER NOT NULL,
	PRIMARY KEY (account, term, last_time, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
	id TEXT NOT NULL PRIMARY KEY, account TEXT NOT NULL, time INTEGER NOT NULL, source TEXT NOT NULL,
	name TEXT NOT NULL, username TEXT NOT NULL, access_key_id TEXT NOT NULL, read_only INTEGER NOT NULL,
	resource_type TEXT NOT NULL, resource_name TEXT NOT NULL, record BLOB NOT NULL
) STRICT;

-- Every event stored before becomes a chunk of its own, encoded as
-- EventChunk.Encode does: a header line of escaped tab-separated fields,
-- then the record on a line of its own.
INSERT INTO event_chunks (first_id, account, first_time, last_time, data)
SELECT id, account, time, time, CAST(
	replace(replace(replace(id, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	time || char(9) ||
	replace(replace(replace(source, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	replace(replace(replace(name, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	replace(replace(replace(username, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	replace(replace(replace(access_key_id, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	read_only || char(9) ||
	replace(replace(replace(resource_type, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
	replace(replace(replace(resource_name, '\', '\\'), char(9), '\t'), char(10), '\n') || char(10) ||
	CAST(record AS TEXT) || char(10) AS BLOB)
FROM events ORDER BY time, id;

-- Its postings: one per attribute with a value (EventTerm in Go).
INSERT INTO event_terms (account, term, last_time, seq, first_time)
SELECT c.account, 'EventId=' || e.id, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id
UNION ALL
SELECT c.account, 'EventName=' || e.name, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id
UNION ALL
SELECT c.account, 'ReadOnly=' || CASE e.read_only WHEN 0 THEN 'false' ELSE 'true' END, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id
UNION ALL
SELECT c.account, 'EventSource=' || e.source, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id
UNION ALL
SELECT c.account, 'Username=' || e.username, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id WHERE e.username <> ''
UNION ALL
SELECT c.account, 'AccessKeyId=' || e.access_key_id, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id WHERE e.access_key_id <> ''
UNION ALL
SELECT c.account, 'ResourceType=' || e.resource_type, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id WHERE e.resource_type <> ''
UNION ALL
SELECT c.account, 'ResourceName=' || e.resource_name, c.last_time, c.seq, c.first_time FROM event_chunks c JOIN events e ON e.id = c.first_id WHERE e.resource_name <> '';

DROP TABLE events;
