-- Attached-policy index records (see index.go in the root package) for the
-- customer managed policies stored before Warden kept them: one keyed
-- "<usage> <name key>" and one keyed "<usage> <path> <name key>" for usage
-- "any" while the policy is attached or a permissions boundary anywhere,
-- "policy" while its attachment count is above zero and "boundary" while its
-- boundary count is. From now on warden.Insert, Save and Remove keep them.
-- The keys must be exactly those IndexRefs computes in Go.
CREATE TEMP TABLE policy_uses AS
SELECT r.account, r.key, coalesce(json_extract(CAST(r.data AS TEXT), '$.path'), '') AS path, u.usage
FROM records r, (SELECT 'any' AS usage UNION ALL SELECT 'policy' UNION ALL SELECT 'boundary') u
WHERE r.kind = 'policy' AND json_valid(CAST(r.data AS TEXT))
	AND CASE u.usage
		WHEN 'any' THEN coalesce(json_extract(CAST(r.data AS TEXT), '$.attachments'), 0) > 0
			OR coalesce(json_extract(CAST(r.data AS TEXT), '$.boundaries'), 0) > 0
		WHEN 'policy' THEN coalesce(json_extract(CAST(r.data AS TEXT), '$.attachments'), 0) > 0
		ELSE coalesce(json_extract(CAST(r.data AS TEXT), '$.boundaries'), 0) > 0
	END;

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'attachedpolicy', account, usage || ' ' || key, X'7B7D' FROM policy_uses;

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'attachedpolicypath', account, usage || ' ' || path || ' ' || key, X'7B7D' FROM policy_uses;

DROP TABLE policy_uses;
