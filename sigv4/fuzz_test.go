package sigv4

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary Authorization headers, query strings and dates to
// Parse, and whatever it accepts to CheckTime and Verify. None may panic, every
// error must be an *Error with a code the caller can map, and an accepted
// Signature must keep Parse's promises.
func FuzzParse(f *testing.F) {
	f.Add(exampleAuth, "Action=ListUsers&Version=2010-05-08", "20150830T123600Z")
	f.Add("", presignedQuery().Encode(), "")
	f.Add("", "X-Amz-Signature=00&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Expires=99999999999999999999", "")
	f.Add("Bearer abc.def", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=zz", "a=%zz&b", "20150830T123600Z")
	f.Add("AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;HOST;, Signature==", "%", "99991231T235959Z")
	f.Add("AWS4-HMAC-SHA256 ,,,=,Credential=", "X-Amz-Algorithm&X-Amz-Algorithm", "00000000T000000Z")
	f.Fuzz(func(t *testing.T, auth, query, date string) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: "/", RawQuery: query},
			Host:   "iam.amazonaws.com",
			Header: http.Header{},
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		s, err := Parse(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("error %v is not an *Error with a message", err)
			}
			switch e.Code {
			case CodeMissingAuthenticationToken, CodeIncompleteSignature, CodeSignatureDoesNotMatch:
			default:
				t.Fatalf("Parse returned code %s", e.Code)
			}
			if s != nil {
				t.Fatal("Parse returned a Signature with an error")
			}
			return
		}
		if s.Date != s.Time.Format(scopeLayout) {
			t.Fatalf("scope date %q for time %v", s.Date, s.Time)
		}
		if !strings.Contains(";"+strings.Join(s.SignedHeaders, ";")+";", ";host;") {
			t.Fatalf("host not among signed headers %q", s.SignedHeaders)
		}
		if s.Presigned && (s.Expires < time.Second || s.Expires > maxExpires) {
			t.Fatalf("presigned Expires %v out of range", s.Expires)
		}
		if err := s.CheckTime(time.Now()); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeRequestExpired {
				t.Fatalf("CheckTime: %v", err)
			}
		}
		if err := s.Verify(r, []byte(query), "secret", NewKeyCache(2)); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeSignatureDoesNotMatch {
				t.Fatalf("Verify: %v", err)
			}
		}
	})
}

// FuzzSignVerify checks that whatever Sign accepts verifies, and stops verifying
// once the body changes.
func FuzzSignVerify(f *testing.F) {
	f.Add("/", "Action=ListUsers&Version=2010-05-08", "text/plain", []byte("a=1"))
	f.Add("/a b/%2F/ü", "b=2&a=1&a=0&x+y=%20", "  spaced   value ", []byte{})
	f.Add("", "&&=&", "\t", []byte{0xff})
	f.Fuzz(func(t *testing.T, path, query, header string, body []byte) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Scheme: "https", Host: "iam.example.com", Path: path, RawQuery: query},
			Host:   "iam.example.com",
			Header: http.Header{"X-Amz-Meta-Fuzz": {header}},
		}
		if err := Sign(r, body, testKeyID, testSecret, "token", "us-east-1", "iam", testTime); err != nil {
			return // an invalidly escaped query
		}
		s, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse of a signed request: %v", err)
		}
		if err := s.Verify(r, body, testSecret, nil); err != nil {
			t.Fatalf("Verify of a signed request: %v", err)
		}
		tampered := append(bytes.Clone(body), 'x')
		if err := s.Verify(r, tampered, testSecret, nil); err == nil {
			t.Fatal("Verify accepted a changed body")
		}
	})
}
