package oidc

import "crypto/sha1"
import "encoding/hex"

// Thumbprint is the SHA-1 thumbprint of a DER certificate, for tests.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return hex.EncodeToString(sum[:])
}
