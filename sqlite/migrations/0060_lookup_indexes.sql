-- Lookup index records (see index.go in the root package) for the records
-- stored before Warden kept them: a user by its unique ID, a service-specific
-- credential by service name and service user name, a signing certificate by
-- its fingerprint, the delegation requests (global, as are their index
-- records) by owner account once claimed, by requestor account and workflow
-- ID hash and by expiry, and the delegation notices by topic hash. From now on
-- warden.Insert, Save and Remove keep them. The keys must be exactly those
-- IndexRefs computes in Go; a hash is warden.IndexHash, the hex SHA-256 of
-- the text's UTF-8 bytes (warden_sha256_hex, a Go function the
-- store registers: SQLite has no hash function of its own).
INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'userid', account, json_extract(CAST(data AS TEXT), '$.id') || ' ' || key, X'7B7D'
FROM records
WHERE kind = 'user' AND json_valid(CAST(data AS TEXT))
	AND coalesce(json_extract(CAST(data AS TEXT), '$.id'), '') <> '';

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'servicecreduser', account,
	coalesce(json_extract(CAST(data AS TEXT), '$.service'), '') || ' ' ||
	coalesce(json_extract(CAST(data AS TEXT), '$.serviceUser'), '') || ' ' || key, X'7B7D'
FROM records
WHERE kind = 'servicecred' AND json_valid(CAST(data AS TEXT));

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'signingcertfp', account, json_extract(CAST(data AS TEXT), '$.fingerprint') || ' ' || key, X'7B7D'
FROM records
WHERE kind = 'signingcert' AND json_valid(CAST(data AS TEXT))
	AND coalesce(json_extract(CAST(data AS TEXT), '$.fingerprint'), '') <> '';

CREATE TEMP TABLE delegation_requests AS
SELECT account, key,
	coalesce(json_extract(CAST(data AS TEXT), '$.requestor'), '') AS requestor,
	coalesce(json_extract(CAST(data AS TEXT), '$.workflow'), '') AS workflow,
	coalesce(json_extract(CAST(data AS TEXT), '$.ownerAccount'), '') AS owner_account,
	coalesce(json_extract(CAST(data AS TEXT), '$.owner'), '') AS owner_arn,
	substr(coalesce(json_extract(CAST(data AS TEXT), '$.expires'), '0001-01-01T00:00:00Z'), 1, 19) AS expiry
FROM records
WHERE kind = 'delegationrequest' AND json_valid(CAST(data AS TEXT));

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'delegationworkflow', account, requestor || ' ' || warden_sha256_hex(workflow) || ' ' || key, X'7B7D'
FROM delegation_requests;

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'delegationexpiry', account, expiry || ' ' || key, X'7B7D'
FROM delegation_requests;

-- A claimed request (owner account and owner ARN set) is listed by its owner
-- account ("any") and by its owner.
INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'delegationowner', account, owner_account || ' any ' || key, X'7B7D'
FROM delegation_requests
WHERE owner_account <> '' AND owner_arn <> '';

INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'delegationowner', account, owner_account || ' ' || owner_arn || ' ' || key, X'7B7D'
FROM delegation_requests
WHERE owner_account <> '' AND owner_arn <> '';

DROP TABLE delegation_requests;

-- Delegation notices by topic, in the account they were published to.
INSERT OR IGNORE INTO records (kind, account, key, data)
SELECT 'noticetopic', account,
	warden_sha256_hex(coalesce(json_extract(CAST(data AS TEXT), '$.topic'), '')) || ' ' || key, X'7B7D'
FROM records
WHERE kind = 'delegationnotice' AND json_valid(CAST(data AS TEXT));
