-- The change feed: the records each writing Update changed, under the
-- generation it moved to, so other nodes drop just what went stale (they
-- learn of new entries by LISTEN on the schema's channel). Old entries are
-- pruned; generation.floor is the newest generation pruned, so a reader that
-- has seen less than floor knows the feed no longer reaches back to it.
CREATE TABLE changes (
	generation BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	account    TEXT NOT NULL,
	key        TEXT NOT NULL
);

CREATE INDEX changes_generation ON changes (generation);

ALTER TABLE generation ADD COLUMN floor BIGINT NOT NULL DEFAULT 0;
UPDATE generation SET floor = value;
