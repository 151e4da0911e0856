package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sign signs r in the Authorization header, as an AWS SDK does, for tests and
// internal clients. It sets X-Amz-Date to t, and X-Amz-Security-Token when token
// is not empty, and signs host, content-type and every x-amz-* header present;
// body is the request body, which Sign does not read from r. It returns an error
// when r has no URL or host, when a scope element is empty or contains '/', ','
// or a blank, or when r's query string is not validly escaped.
func Sign(r *http.Request, body []byte, accessKeyID, secret, token, region, service string, t time.Time) error {
	if err := checkSignable(r, accessKeyID, region, service); err != nil {
		return err
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	t = t.UTC().Truncate(time.Second)
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate(t))
	if token != "" {
		r.Header.Set("X-Amz-Security-Token", token)
	}
	s := &Signature{
		AccessKeyID:   accessKeyID,
		Date:          t.Format(scopeLayout),
		Region:        region,
		Service:       service,
		Time:          t,
		SignedHeaders: headersToSign(r.Header),
		SecurityToken: token,
	}
	sum := sha256.Sum256(body)
	var payload [2 * sha256.Size]byte
	hex.Encode(payload[:], sum[:])

	b := getScratch()
	defer putScratch(b)
	key := deriveKey(b, secret, s.Date, region, service)
	mac, ok := s.compute(b, r, &key, payload[:])
	if !ok {
		return errors.New("sigv4: query string is not validly escaped")
	}
	r.Header.Set("Authorization", algorithm+" Credential="+s.credential()+
		", SignedHeaders="+strings.Join(s.SignedHeaders, ";")+
		", Signature="+hex.EncodeToString(mac[:]))
	return nil
}

// Presign returns the URL of r (whose method is signed, normally GET) with the
// presigned query parameters added: it signs host only, with the hash of an empty
// payload, and is valid from t for expires (whole seconds, 1 s to 7 days).
// X-Amz-Security-Token is added when token is not empty. r is not modified. It
// returns an error for the reasons Sign does, when expires is out of range, or
// when r's query string already carries presigned parameters.
func Presign(r *http.Request, accessKeyID, secret, token, region, service string, t time.Time, expires time.Duration) (string, error) {
	if err := checkSignable(r, accessKeyID, region, service); err != nil {
		return "", err
	}
	expires = expires.Truncate(time.Second)
	if expires < time.Second || expires > maxExpires {
		return "", errors.New("sigv4: presigned URL must expire after 1 second to 7 days")
	}
	if queryHasAuth(r.URL.RawQuery) {
		return "", errors.New("sigv4: request is already presigned")
	}
	t = t.UTC().Truncate(time.Second)
	s := &Signature{
		AccessKeyID:   accessKeyID,
		Date:          t.Format(scopeLayout),
		Region:        region,
		Service:       service,
		Time:          t,
		SignedHeaders: []string{"host"},
		SecurityToken: token,
		Presigned:     true,
		Expires:       expires,
	}
	add := []string{
		"X-Amz-Algorithm", algorithm,
		"X-Amz-Credential", s.credential(),
		"X-Amz-Date", amzDate(t),
		"X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10),
		"X-Amz-SignedHeaders", "host",
	}
	if token != "" {
		add = append(add, "X-Amz-Security-Token", token)
	}
	var raw strings.Builder
	raw.WriteString(r.URL.RawQuery)
	for i := 0; i < len(add); i += 2 {
		if raw.Len() > 0 {
			raw.WriteByte('&')
		}
		raw.WriteString(add[i])
		raw.WriteByte('=')
		raw.WriteString(escape(add[i+1]))
	}

	u := *r.URL
	u.Host = requestHost(r)
	u.RawQuery = raw.String()
	signed := &http.Request{Method: r.Method, URL: &u, Host: u.Host}

	b := getScratch()
	defer putScratch(b)
	key := deriveKey(b, secret, s.Date, region, service)
	mac, ok := s.compute(b, signed, &key, []byte(emptyPayloadHash))
	if !ok {
		return "", errors.New("sigv4: query string is not validly escaped")
	}
	// The URL carries the canonical query itself, so the server canonicalizes
	// exactly what was signed.
	q, _ := b.appendCanonicalQuery(nil, u.RawQuery, true)
	q = append(q, "&X-Amz-Signature="...)
	q = hex.AppendEncode(q, mac[:])
	u.RawQuery = string(q)
	return u.String(), nil
}

func (s *Signature) credential() string {
	return s.AccessKeyID + "/" + s.Date + "/" + s.Region + "/" + s.Service + "/" + terminator
}

func checkSignable(r *http.Request, accessKeyID, region, service string) error {
	if r == nil || r.URL == nil {
		return errors.New("sigv4: request has no URL")
	}
	if requestHost(r) == "" {
		return errors.New("sigv4: request has no host")
	}
	for _, part := range [...]string{accessKeyID, region, service} {
		if part == "" || strings.ContainsAny(part, "/, \t\r\n") {
			return errors.New("sigv4: access key ID, region and service must be non-empty and free of '/', ',' and blanks")
		}
	}
	return nil
}

// headersToSign lists host, content-type and the x-amz-* headers of h, lower-case
// and sorted. Other headers are left out because proxies and the HTTP client may
// add or rewrite them after signing.
func headersToSign(h http.Header) []string {
	names := []string{"host"}
	for k := range h {
		lk := strings.ToLower(k)
		if (lk == "content-type" || strings.HasPrefix(lk, "x-amz-")) && !slices.Contains(names, lk) {
			names = append(names, lk)
		}
	}
	slices.Sort(names)
	return names
}
