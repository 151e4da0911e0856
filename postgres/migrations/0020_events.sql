-- The event history: CloudTrail event records, written in batches by the
-- recorder of every node; record is the CloudTrail JSON, free of secrets.
CREATE TABLE events (
	id            TEXT PRIMARY KEY,
	account       TEXT NOT NULL,
	time          TIMESTAMPTZ NOT NULL,
	source        TEXT NOT NULL,
	name          TEXT NOT NULL,
	username      TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	read_only     BOOLEAN NOT NULL,
	resource_type TEXT NOT NULL,
	resource_name TEXT NOT NULL,
	record        BYTEA NOT NULL
);

CREATE INDEX events_account_time ON events (account, time, id);
CREATE INDEX events_account_name ON events (account, name, time, id);
CREATE INDEX events_account_username ON events (account, username, time, id);
-- Every LookupEvents attribute has its index, so a page of a rare value is
-- found without scanning the account's history.
CREATE INDEX events_account_read_only ON events (account, read_only, time, id);
CREATE INDEX events_account_source ON events (account, source, time, id);
CREATE INDEX events_account_access_key ON events (account, access_key_id, time, id);
CREATE INDEX events_account_resource_type ON events (account, resource_type, time, id);
CREATE INDEX events_account_resource_name ON events (account, resource_name, time, id);
CREATE INDEX events_time ON events (time);
