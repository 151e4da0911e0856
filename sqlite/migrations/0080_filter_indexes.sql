-- Index records of two listing filters (see index.go in the root package)
-- for the records stored before Warden kept them: a service-specific
-- credential by its service name (servicecredservice), a virtual MFA device
-- by whether it is enabled for anyone (mfaassignment: its "user" field set).
-- From now on warden.Insert, Save and Remove keep them. The keys must be
-- exactly those IndexRefs computes in Go. It runs again harmlessly.
INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'servicecredservice', account, coalesce(json_extract(CAST(data AS TEXT), '$.service'), '') || ' ' || key, X'7B7D'
FROM records
WHERE kind = 'servicecred' AND json_valid(CAST(data AS TEXT));

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'mfaassignment', account,
	CASE WHEN coalesce(json_extract(CAST(data AS TEXT), '$.user'), '') <> '' THEN 'Assigned' ELSE 'Unassigned' END || ' ' || key,
	X'7B7D'
FROM records
WHERE kind = 'mfa' AND json_valid(CAST(data AS TEXT));
