-- Records: every stored entity, as its JSON encoding under (kind, account, key).
-- Global kinds use the empty account. The "C" collation orders keys by their
-- bytes, as Go orders strings and as SQLite does, whatever the database's locale.
CREATE TABLE records (
	kind    TEXT COLLATE "C" NOT NULL,
	account TEXT COLLATE "C" NOT NULL,
	key     TEXT COLLATE "C" NOT NULL,
	data    BYTEA NOT NULL,
	PRIMARY KEY (kind, account, key)
);

-- The audit trail, newest first by id.
CREATE TABLE audit (
	id         BIGSERIAL PRIMARY KEY,
	time       TIMESTAMPTZ NOT NULL,
	account    TEXT COLLATE "C" NOT NULL,
	request_id TEXT NOT NULL,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	resource   TEXT NOT NULL,
	source_ip  TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	details    JSONB -- NULL when there are none
);

CREATE INDEX audit_account_id ON audit (account, id);

-- A single-row counter, bumped in every Update that wrote. It is an ordinary
-- row, not a sequence: the new value becomes visible in the same commit as the
-- writes it counts, never before them.
CREATE TABLE generation (
	id    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
	value BIGINT NOT NULL
);

INSERT INTO generation (id, value) VALUES (TRUE, 0);
