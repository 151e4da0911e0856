package secrets

import (
	"crypto/rand"
	"math/big"
)

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	pwChars     = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#%^*-_=+"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("secrets: no randomness: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// NewID returns prefix followed by random upper-case letters and digits up to
// length n, the shape of AWS unique IDs (AIDA..., 21 characters) and access
// key IDs (AKIA..., 20 characters).
func NewID(prefix string, n int) string {
	return prefix + randomString(upperDigits, n-len(prefix))
}

// NewSecretAccessKey returns a 40-character secret access key.
func NewSecretAccessKey() string { return randomString(secretChars, 40) }

// NewPassword returns a random password of n characters with upper- and
// lower-case letters, digits and symbols.
func NewPassword(n int) string {
	for {
		p := randomString(pwChars, n)
		var u, l, d, s bool
		for _, c := range p {
			switch {
			case c >= 'A' && c <= 'Z':
				u = true
			case c >= 'a' && c <= 'z':
				l = true
			case c >= '0' && c <= '9':
				d = true
			default:
				s = true
			}
		}
		if u && l && d && s {
			return p
		}
	}
}
