-- Audit retention deletes the oldest events by time, a few hundred at a time;
-- this index finds them without scanning the table.
CREATE INDEX audit_time ON audit (time);
