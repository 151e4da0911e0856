-- Attached-policy index records (see index.go in the root package) for the
-- customer managed policies stored before Warden kept them: one keyed
-- "<usage> <name key>" and one keyed "<usage> <path> <name key>" for usage
-- "any" while the policy is attached or a permissions boundary anywhere,
-- "policy" while its attachment count is above zero and "boundary" while its
-- boundary count is. From now on warden.Insert, Save and Remove keep them.
-- The keys must be exactly those IndexRefs computes in Go.
CREATE TEMP TABLE policy_uses ON COMMIT DROP AS
WITH policies AS (
	SELECT account, key, convert_from(data, 'UTF8')::jsonb AS doc
	FROM records
	WHERE kind = 'policy'
), counted AS (
	SELECT account, key, coalesce(doc ->> 'path', '') AS path,
		coalesce((doc ->> 'attachments')::bigint, 0) AS attachments,
		coalesce((doc ->> 'boundaries')::bigint, 0) AS boundaries
	FROM policies
)
SELECT c.account, c.key, c.path, u.usage
FROM counted c, (VALUES ('any'), ('policy'), ('boundary')) u(usage)
WHERE CASE u.usage
	WHEN 'any' THEN c.attachments > 0 OR c.boundaries > 0
	WHEN 'policy' THEN c.attachments > 0
	ELSE c.boundaries > 0
END;

INSERT INTO records (kind, account, key, data)
SELECT 'attachedpolicy', account, usage || ' ' || key, convert_to('{}', 'UTF8')
FROM policy_uses
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'attachedpolicypath', account, usage || ' ' || path || ' ' || key, convert_to('{}', 'UTF8')
FROM policy_uses
ON CONFLICT DO NOTHING;
