-- Index records of two listing filters (see index.go in the root package)
-- for the records stored before Warden kept them: a service-specific
-- credential by its service name (servicecredservice), a virtual MFA device
-- by whether it is enabled for anyone (mfaassignment: its "user" field set).
-- From now on warden.Insert, Save and Remove keep them. The keys must be
-- exactly those IndexRefs computes in Go. It runs again harmlessly.
--
-- jsonb cannot hold the NUL character, which a device's tags might carry
-- as the escape \u0000. Every such six-character run of the JSON text is
-- made \ufffd first: it is either that escape, which becomes another, or
-- the tail of an escaped backslash, where it is plain text; either way the
-- text stays JSON with the same fields, and only free text changes, which
-- no key here reads.
CREATE TEMP TABLE filter_records ON COMMIT DROP AS
SELECT kind, account, key, replace(convert_from(data, 'UTF8'), '\u0000', '\ufffd')::jsonb AS doc
FROM records
WHERE kind IN ('servicecred', 'mfa');

INSERT INTO records (kind, account, key, data)
SELECT 'servicecredservice', account, coalesce(doc ->> 'service', '') || ' ' || key, convert_to('{}', 'UTF8')
FROM filter_records
WHERE kind = 'servicecred'
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'mfaassignment', account,
	CASE WHEN coalesce(doc ->> 'user', '') <> '' THEN 'Assigned' ELSE 'Unassigned' END || ' ' || key, convert_to('{}', 'UTF8')
FROM filter_records
WHERE kind = 'mfa'
ON CONFLICT DO NOTHING;
