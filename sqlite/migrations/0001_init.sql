-- Records: every stored entity, as its JSON encoding under (kind, account, key).
-- Global kinds use the empty account. TEXT compares with the BINARY collation,
-- so keys are ordered by their bytes, as Go orders strings.
CREATE TABLE records (
	kind    TEXT NOT NULL,
	account TEXT NOT NULL,
	key     TEXT NOT NULL,
	data    BLOB NOT NULL,
	PRIMARY KEY (kind, account, key)
) STRICT, WITHOUT ROWID;

-- The audit trail. AUTOINCREMENT keeps ids growing even if old events are
-- pruned, so "newest first" stays "highest id first". time is UTC RFC 3339
-- with nine fractional digits, so it also sorts as text.
CREATE TABLE audit (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	time       TEXT NOT NULL,
	account    TEXT NOT NULL,
	request_id TEXT NOT NULL,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	resource   TEXT NOT NULL,
	source_ip  TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	details    TEXT -- JSON object, NULL when there are none
) STRICT;

CREATE INDEX audit_account_id ON audit (account, id);

-- A single-row counter, bumped in every Update that wrote, so caches can tell
-- when the store changed, also when another process wrote.
CREATE TABLE generation (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;

INSERT INTO generation (id, value) VALUES (1, 0);
