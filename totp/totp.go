// Package totp computes and verifies the time-based one-time passwords of
// virtual MFA devices (RFC 6238: HMAC-SHA1, six digits, 30-second steps), with
// the replay guard that keeps a code from being accepted twice, and makes the
// seeds and otpauth:// URIs authenticator apps enroll. It is pure: it reads
// no clock and imports only the standard library.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"hash"
	"net/url"
	"strings"
	"time"
)

// The parameters of every code, the defaults of RFC 6238 and the only ones
// Google Authenticator honours everywhere.
const (
	Digits     = 6
	Period     = 30 * time.Second
	SecretSize = 20 // bytes: the HMAC-SHA1 block-friendly size RFC 4226 recommends
	// Skew is how many steps a code may be early or late: one either side,
	// which absorbs a clock that is a little off and a code typed just as
	// the step turned.
	Skew = 1
)

const modulus = 1_000_000 // 10^Digits

// Step returns the number of the time step t falls in.
func Step(t time.Time) int64 {
	u, p := t.Unix(), int64(Period/time.Second)
	s := u / p
	if u < 0 && u%p != 0 {
		s-- // floor, so that steps before 1970 are numbered consistently
	}
	return s
}

// Code returns the code of secret for the step t falls in.
func Code(secret []byte, t time.Time) string {
	return CodeAt(secret, Step(t))
}

// CodeAt returns the code of secret for the given step.
func CodeAt(secret []byte, step int64) string {
	return format(hotp(hmac.New(sha1.New, secret), step))
}

// hotp is RFC 4226's HOTP value for counter, reduced to Digits digits, with
// m the HMAC-SHA1 of the secret (reused across the steps of a window).
func hotp(m hash.Hash, counter int64) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m.Reset()
	m.Write(msg[:])
	var buf [sha1.Size]byte
	sum := m.Sum(buf[:0])
	off := sum[len(sum)-1] & 0x0f
	return (binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff) % modulus
}

func format(v uint32) string {
	var b [Digits]byte
	for i := Digits - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[:])
}

// parse reads a code of exactly Digits ASCII digits; anything else (spaces,
// signs, other digits of Unicode, another length) is not a code.
func parse(code string) (uint32, bool) {
	if len(code) != Digits {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint32(c-'0')
	}
	return v, true
}

// Verify checks code against the steps within Skew of t and returns the step
// it matched. Steps at or before lastUsedStep are never accepted: the caller
// stores the returned step as the device's new lastUsedStep, so that a code
// accepted once is refused afterwards, and so is any older one. A device that
// has never been used passes a lastUsedStep below every step, such as 0.
func Verify(secret []byte, code string, t time.Time, lastUsedStep int64) (step int64, ok bool) {
	want, valid := parse(code)
	if !valid {
		return 0, false
	}
	now, m := Step(t), hmac.New(sha1.New, secret)
	// Every candidate is computed and compared in constant time, so the time
	// taken says nothing of which step matched, or whether one did.
	for s := now - Skew; s <= now+Skew; s++ {
		match := subtle.ConstantTimeEq(int32(hotp(m, s)), int32(want)) == 1
		if match && s > lastUsedStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// VerifyConsecutive checks two codes typed one after the other, as when a
// device is enabled or resynchronized: code1 must be the code of the step just
// before code2's, and code2's step must be within Skew of t. It returns the
// step of code2, which the caller stores as the device's last used step.
func VerifyConsecutive(secret []byte, code1, code2 string, t time.Time) (step int64, ok bool) {
	want1, valid1 := parse(code1)
	want2, valid2 := parse(code2)
	if !valid1 || !valid2 {
		return 0, false
	}
	now, m := Step(t), hmac.New(sha1.New, secret)
	for s := now - Skew; s <= now+Skew; s++ {
		m1 := subtle.ConstantTimeEq(int32(hotp(m, s-1)), int32(want1))
		m2 := subtle.ConstantTimeEq(int32(hotp(m, s)), int32(want2))
		if m1&m2 == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// NewSecret returns a new random seed of SecretSize bytes.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		panic("totp: no randomness: " + err.Error())
	}
	return b
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Base32 spells secret as authenticator apps take it typed in: RFC 4648
// base32, upper case, without padding.
func Base32(secret []byte) string { return b32.EncodeToString(secret) }

// URI returns the otpauth:// key URI of secret, the text of the QR code
// authenticator apps scan (Google Authenticator's Key Uri Format): the label
// "issuer:account", the issuer repeated as a parameter, and the parameters of
// the codes spelled out.
func URI(issuer, account string, secret []byte) string {
	return "otpauth://totp/" + escape(issuer) + ":" + escape(account) +
		"?secret=" + Base32(secret) +
		"&issuer=" + escape(issuer) +
		"&algorithm=SHA1&digits=6&period=30"
}

// escape percent-encodes s for the label or a parameter value. Spaces become
// %20, not '+', which some apps would show literally; colons are escaped too,
// since a colon separates the issuer from the account in the label.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
