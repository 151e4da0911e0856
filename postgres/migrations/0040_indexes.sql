-- Index records (see index.go in the root package) for the entities stored
-- before Warden kept them: the path of every user, group, role, instance
-- profile and policy; group members; the roles of instance profiles; and the
-- policies attached to users, groups and roles or used as their boundary.
-- From now on warden.Insert, Save and Remove keep them. Each is the key alone
-- (fields joined by single spaces, the last one the entity's key) with the
-- data '{}'; the keys must be exactly those IndexRefs computes in Go.
CREATE TEMP TABLE index_entities ON COMMIT DROP AS
SELECT kind, account, key, convert_from(data, 'UTF8')::jsonb AS doc
FROM records
WHERE kind IN ('user', 'group', 'role', 'instanceprofile', 'policy');

INSERT INTO records (kind, account, key, data)
SELECT 'path', account, kind || ' ' || coalesce(doc ->> 'path', '') || ' ' || key, convert_to('{}', 'UTF8')
FROM index_entities
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'groupmember', e.account, lower(g) || ' ' || e.key, convert_to('{}', 'UTF8')
FROM index_entities e, jsonb_array_elements_text(coalesce(e.doc -> 'groups', '[]')) g
WHERE e.kind = 'user'
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'roleprofile', e.account, lower(x) || ' ' || e.key, convert_to('{}', 'UTF8')
FROM index_entities e, jsonb_array_elements_text(coalesce(e.doc -> 'roles', '[]')) x
WHERE e.kind = 'instanceprofile'
ON CONFLICT DO NOTHING;

-- uses: one row per (entity, policy ARN, usage); every attachment and every
-- boundary is also an "any" use.
CREATE TEMP TABLE index_uses ON COMMIT DROP AS
SELECT e.account, e.kind AS type, coalesce(e.doc ->> 'path', '') AS path, e.key, a AS arn, u.usage
FROM index_entities e, jsonb_array_elements_text(coalesce(e.doc -> 'attached', '[]')) a,
	(VALUES ('policy'), ('any')) u(usage)
WHERE e.kind IN ('user', 'group', 'role')
UNION ALL
SELECT e.account, e.kind, coalesce(e.doc ->> 'path', ''), e.key, e.doc ->> 'boundary', u.usage
FROM index_entities e, (VALUES ('boundary'), ('any')) u(usage)
WHERE e.kind IN ('user', 'role') AND coalesce(e.doc ->> 'boundary', '') <> '';

INSERT INTO records (kind, account, key, data)
SELECT 'attachment', account, arn || ' ' || usage || ' ' || type || ' ' || key, convert_to('{}', 'UTF8')
FROM index_uses
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'attachmentpath', account, arn || ' ' || usage || ' ' || type || ' ' || path || ' ' || key, convert_to('{}', 'UTF8')
FROM index_uses
ON CONFLICT DO NOTHING;
