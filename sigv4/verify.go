package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"net/http"
)

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// emptyPayloadHash is the hex SHA-256 of an empty body.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Verify recomputes the signature over r and compares it with s.Signature in
// constant time. The canonical request covers the method, the canonical URI, the
// canonical query string (without X-Amz-Signature when presigned), the headers
// named in s.SignedHeaders and the payload hash.
//
// body is the full request body the caller has already read; r.Body is not read.
// The payload hash is always the SHA-256 of body, so an X-Amz-Content-Sha256
// header only verifies when it states that hash, and "UNSIGNED-PAYLOAD" never
// does for a request signed in the Authorization header: the Query protocol
// carries its parameters in the body, which must be signed. A presigned request
// verifies with the hash of its body, or, when the body is empty, also with
// "UNSIGNED-PAYLOAD" as S3-style presigners use.
//
// cache may be nil. Verify does not check the clock (see CheckTime). Any failure
// is an *Error with CodeSignatureDoesNotMatch.
func (s *Signature) Verify(r *http.Request, body []byte, secret string, cache *KeyCache) error {
	var want [sha256.Size]byte
	if s == nil || r == nil || r.URL == nil || !decodeHex(&want, s.Signature) {
		return mismatch(msgSignatureDoesNotMatch)
	}
	b := getScratch()
	defer putScratch(b)

	// Parse has checked this already; a Signature built by hand has not.
	if string(appendAmzDate(b.date[:0], s.Time)[:len(scopeLayout)]) != s.Date {
		return mismatch(msgSignatureDoesNotMatch)
	}

	key := signingKey(b, cache, secret, s.Date, s.Region, s.Service)
	sum := sha256.Sum256(body)
	var payload [2 * sha256.Size]byte
	hex.Encode(payload[:], sum[:])
	if got, ok := s.compute(b, r, &key, payload[:]); ok && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
		return nil
	}
	if s.Presigned && len(body) == 0 {
		if got, ok := s.compute(b, r, &key, []byte(unsignedPayload)); ok && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return nil
		}
	}
	return mismatch(msgSignatureDoesNotMatch)
}

// compute returns the signature of r under the signing key. It reports false when
// r's query string is not validly escaped.
func (s *Signature) compute(b *scratch, r *http.Request, key *[sha256.Size]byte, payloadHash []byte) ([sha256.Size]byte, bool) {
	c := b.canon[:0]
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	c = append(c, method...)
	c = append(c, '\n')
	c = appendCanonicalURI(c, r.URL)
	c = append(c, '\n')
	c, ok := b.appendCanonicalQuery(c, r.URL.RawQuery, s.Presigned)
	if !ok {
		b.canon = c
		return [sha256.Size]byte{}, false
	}
	c = append(c, '\n')
	c = appendCanonicalHeaders(c, r, s.SignedHeaders)
	c = append(c, '\n')
	for i, h := range s.SignedHeaders {
		if i > 0 {
			c = append(c, ';')
		}
		c = append(c, h...)
	}
	c = append(c, '\n')
	c = append(c, payloadHash...)
	b.canon = c
	requestHash := sha256.Sum256(c)

	m := append(b.msg[:0], zeroBlock[:]...)
	m = append(m, algorithm+"\n"...)
	m = append(m, appendAmzDate(b.date[:0], s.Time)...)
	m = append(m, '\n')
	m = append(m, s.Date...)
	m = append(m, '/')
	m = append(m, s.Region...)
	m = append(m, '/')
	m = append(m, s.Service...)
	m = append(m, "/"+terminator+"\n"...)
	m = hex.AppendEncode(m, requestHash[:])
	b.msg = m
	return hmacPadded(key[:], m), true
}

// signingKey returns the derived key for the scope, from cache when it has it.
func signingKey(b *scratch, cache *KeyCache, secret, date, region, service string) [sha256.Size]byte {
	if cache == nil {
		return deriveKey(b, secret, date, region, service)
	}
	// The cache is indexed by a digest so that it never holds a secret in clear.
	m := b.msg[:0]
	for _, f := range [...]string{secret, date, region, service} {
		m = binary.BigEndian.AppendUint32(m, uint32(len(f)))
		m = append(m, f...)
	}
	b.msg = m
	id := sha256.Sum256(m)
	if key, ok := cache.get(id); ok {
		return key
	}
	key := deriveKey(b, secret, date, region, service)
	cache.put(id, key)
	return key
}

// deriveKey computes HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(b *scratch, secret, date, region, service string) [sha256.Size]byte {
	var kb [blockSize]byte
	var k []byte
	if len("AWS4")+len(secret) <= blockSize {
		n := copy(kb[:], "AWS4")
		n += copy(kb[n:], secret)
		k = kb[:n]
	} else {
		// HMAC hashes keys longer than a block first.
		m := append(b.msg[:0], "AWS4"...)
		m = append(m, secret...)
		b.msg = m
		h := sha256.Sum256(m)
		k = h[:]
	}
	kDate := hmacString(b, k, date)
	kRegion := hmacString(b, kDate[:], region)
	kService := hmacString(b, kRegion[:], service)
	return hmacString(b, kService[:], terminator)
}

const blockSize = 64 // SHA-256 block size

var zeroBlock [blockSize]byte

func hmacString(b *scratch, key []byte, msg string) [sha256.Size]byte {
	m := append(b.msg[:0], zeroBlock[:]...)
	m = append(m, msg...)
	b.msg = m
	return hmacPadded(key, m)
}

// hmacPadded computes HMAC-SHA256(key, buf[blockSize:]). The first blockSize
// bytes of buf are reserved for the inner pad, which saves copying the message;
// key must be at most blockSize bytes. It allocates nothing, unlike crypto/hmac.
func hmacPadded(key, buf []byte) [sha256.Size]byte {
	for i := range blockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		buf[i] = k ^ 0x36
	}
	inner := sha256.Sum256(buf)
	var outer [blockSize + sha256.Size]byte
	for i := range blockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[blockSize:], inner[:])
	return sha256.Sum256(outer[:])
}

// decodeHex decodes a 64-digit hex signature, of either case.
func decodeHex(dst *[sha256.Size]byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}
