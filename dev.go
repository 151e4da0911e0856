package warden

import (
	"crypto/sha256"
	"encoding/base32"
)

// DefaultDevUser is the name of the virtual IAM user of --dev.
const DefaultDevUser = "dev"

// DevUser returns the virtual IAM user that unknown, well-signed credentials
// act as in --dev: a user of account named name that is not stored. Its
// unique ID (AIDA and 17 characters, as AWS's) is derived from the account
// and the name, so it is the same on every start and every node.
func DevUser(account, name string) Principal {
	sum := sha256.Sum256([]byte("warden-dev-user\x00" + account + "\x00" + name))
	id := "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
	return Principal{Type: PrincipalUser, Account: account, Name: name, ID: id,
		ARN: "arn:aws:iam::" + account + ":user/" + name, Virtual: true}
}
