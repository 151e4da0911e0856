package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
)

// referenceKey derives a signing key with crypto/hmac, as an oracle for deriveKey.
func referenceKey(secret, date, region, service string) [32]byte {
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+secret), date), region), service), "aws4_request")
	return [32]byte(k)
}
