-- Lookup index records (see index.go in the root package) for the records
-- stored before Warden kept them: a user by its unique ID, a service-specific
-- credential by service name and service user name, a signing certificate by
-- its fingerprint, the delegation requests (global, as are their index
-- records) by owner account once claimed, by requestor account and workflow
-- ID hash and by expiry, and the delegation notices by topic hash. From now on
-- warden.Insert, Save and Remove keep them. The keys must be exactly those
-- IndexRefs computes in Go; a hash is warden.IndexHash, the hex SHA-256 of
-- the text's UTF-8 bytes (sha256() here).
CREATE TEMP TABLE lookup_records ON COMMIT DROP AS
SELECT kind, account, key, convert_from(data, 'UTF8')::jsonb AS doc
FROM records
WHERE kind IN ('user', 'servicecred', 'signingcert')
	-- jsonb cannot hold the NUL character: a delegation request whose free
	-- text has one gets its index records when it is next saved.
	OR (kind = 'delegationrequest' AND strpos(convert_from(data, 'UTF8'), '\u0000') = 0)
UNION ALL
-- A notice is never saved again, so one whose message holds a NUL is read
-- with every six-character run \u0000 of its JSON made \ufffd (that escape,
-- or the tail of an escaped backslash): the JSON keeps its fields, only free
-- text changes, and its topic, an ARN, holds no NUL.
SELECT kind, account, key, replace(convert_from(data, 'UTF8'), '\u0000', '\ufffd')::jsonb AS doc
FROM records
WHERE kind = 'delegationnotice';

INSERT INTO records (kind, account, key, data)
SELECT 'userid', account, (doc ->> 'id') || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'user' AND coalesce(doc ->> 'id', '') <> ''
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'servicecreduser', account,
	coalesce(doc ->> 'service', '') || ' ' || coalesce(doc ->> 'serviceUser', '') || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'servicecred'
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'signingcertfp', account, (doc ->> 'fingerprint') || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'signingcert' AND coalesce(doc ->> 'fingerprint', '') <> ''
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'delegationworkflow', account,
	coalesce(doc ->> 'requestor', '') || ' ' ||
	encode(sha256(convert_to(coalesce(doc ->> 'workflow', ''), 'UTF8')), 'hex') || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'delegationrequest'
ON CONFLICT DO NOTHING;

INSERT INTO records (kind, account, key, data)
SELECT 'delegationexpiry', account,
	substr(coalesce(doc ->> 'expires', '0001-01-01T00:00:00Z'), 1, 19) || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'delegationrequest'
ON CONFLICT DO NOTHING;

-- A claimed request (owner account and owner ARN set) is listed by its owner
-- account ("any") and by its owner.
INSERT INTO records (kind, account, key, data)
SELECT 'delegationowner', r.account, (r.doc ->> 'ownerAccount') || ' ' || o.field || ' ' || r.key, convert_to('{}', 'UTF8')
FROM lookup_records r, LATERAL (VALUES ('any'), (r.doc ->> 'owner')) o(field)
WHERE r.kind = 'delegationrequest' AND coalesce(r.doc ->> 'ownerAccount', '') <> '' AND coalesce(r.doc ->> 'owner', '') <> ''
ON CONFLICT DO NOTHING;

-- Delegation notices by topic, in the account they were published to.
INSERT INTO records (kind, account, key, data)
SELECT 'noticetopic', account,
	encode(sha256(convert_to(coalesce(doc ->> 'topic', ''), 'UTF8')), 'hex') || ' ' || key, convert_to('{}', 'UTF8')
FROM lookup_records
WHERE kind = 'delegationnotice'
ON CONFLICT DO NOTHING;
