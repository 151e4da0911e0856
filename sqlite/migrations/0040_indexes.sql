-- Index records (see index.go in the root package) for the entities stored
-- before Warden kept them: the path of every user, group, role, instance
-- profile and policy; group members; the roles of instance profiles; and the
-- policies attached to users, groups and roles or used as their boundary.
-- From now on warden.Insert, Save and Remove keep them. Each is the key alone
-- (fields joined by single spaces, the last one the entity's key) with the
-- data '{}'; the keys must be exactly those IndexRefs computes in Go.
INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'path', account,
	kind || ' ' || coalesce(json_extract(CAST(data AS TEXT), '$.path'), '') || ' ' || key, X'7B7D'
FROM records
WHERE kind IN ('user', 'group', 'role', 'instanceprofile', 'policy') AND json_valid(CAST(data AS TEXT));

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'groupmember', r.account, lower(g.value) || ' ' || r.key, X'7B7D'
FROM records r, json_each(CAST(r.data AS TEXT), '$.groups') g
WHERE r.kind = 'user' AND json_valid(CAST(r.data AS TEXT));

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'roleprofile', r.account, lower(x.value) || ' ' || r.key, X'7B7D'
FROM records r, json_each(CAST(r.data AS TEXT), '$.roles') x
WHERE r.kind = 'instanceprofile' AND json_valid(CAST(r.data AS TEXT));

-- uses: one row per (entity, policy ARN, usage); every attachment and every
-- boundary is also an "any" use.
CREATE TEMP TABLE index_uses AS
SELECT r.account, r.kind AS type, coalesce(json_extract(CAST(r.data AS TEXT), '$.path'), '') AS path,
	r.key, a.value AS arn, u.usage
FROM records r, json_each(CAST(r.data AS TEXT), '$.attached') a,
	(SELECT 'policy' AS usage UNION ALL SELECT 'any') u
WHERE r.kind IN ('user', 'group', 'role') AND json_valid(CAST(r.data AS TEXT))
UNION ALL
SELECT r.account, r.kind, coalesce(json_extract(CAST(r.data AS TEXT), '$.path'), ''),
	r.key, json_extract(CAST(r.data AS TEXT), '$.boundary'), u.usage
FROM records r, (SELECT 'boundary' AS usage UNION ALL SELECT 'any') u
WHERE r.kind IN ('user', 'role') AND json_valid(CAST(r.data AS TEXT))
	AND coalesce(json_extract(CAST(r.data AS TEXT), '$.boundary'), '') <> '';

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'attachment', account, arn || ' ' || usage || ' ' || type || ' ' || key, X'7B7D' FROM index_uses;

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'attachmentpath', account, arn || ' ' || usage || ' ' || type || ' ' || path || ' ' || key, X'7B7D' FROM index_uses;

DROP TABLE index_uses;
