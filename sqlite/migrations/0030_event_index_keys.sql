-- The event indexes end with time: SQLite appends the rowid to every index
-- entry anyway, and ties of time are ordered by id in a small sort of the
-- page. Leaving the 36-character event ID out of the nine secondary indexes
-- makes each event's index entries about a third smaller, which is most of
-- what writing the event history costs.
DROP INDEX events_account_time;
DROP INDEX events_account_name;
DROP INDEX events_account_username;
DROP INDEX events_account_read_only;
DROP INDEX events_account_source;
DROP INDEX events_account_access_key;
DROP INDEX events_account_resource_type;
DROP INDEX events_account_resource_name;
CREATE INDEX events_account_time ON events (account, time);
CREATE INDEX events_account_name ON events (account, name, time);
CREATE INDEX events_account_username ON events (account, username, time);
CREATE INDEX events_account_read_only ON events (account, read_only, time);
CREATE INDEX events_account_source ON events (account, source, time);
CREATE INDEX events_account_access_key ON events (account, access_key_id, time);
CREATE INDEX events_account_resource_type ON events (account, resource_type, time);
CREATE INDEX events_account_resource_name ON events (account, resource_name, time);
