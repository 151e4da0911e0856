-- The change feed: the records each writing Update changed, under the
-- generation it moved to, so other processes drop just what went stale.
-- Old entries are pruned; generation.floor is the newest generation pruned,
-- so a reader that has seen less than floor knows the feed no longer reaches
-- back to it.
CREATE TABLE changes (
	generation INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	account    TEXT NOT NULL,
	key        TEXT NOT NULL
) STRICT;

CREATE INDEX changes_generation ON changes (generation);

ALTER TABLE generation ADD COLUMN floor INTEGER NOT NULL DEFAULT 0;
UPDATE generation SET floor = value;
