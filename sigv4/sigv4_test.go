package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The example request of the AWS General Reference, "Signature Version 4 signing
// process": IAM ListUsers by GET on 2015-08-30.
const (
	exampleKeyID     = "AKIDEXAMPLE"
	exampleSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	exampleAuth      = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	exampleCanonHash = "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
)

func exampleRequest(t *testing.T) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	return r
}

func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error with code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

func TestAWSExample(t *testing.T) {
	r := exampleRequest(t)
	r.Header.Set("Authorization", exampleAuth)

	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	want := Signature{
		AccessKeyID:   exampleKeyID,
		Date:          "20150830",
		Region:        "us-east-1",
		Service:       "iam",
		Time:          time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
		SignedHeaders: []string{"content-type", "host", "x-amz-date"},
		Signature:     "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
	}
	if s.AccessKeyID != want.AccessKeyID || s.Date != want.Date || s.Region != want.Region ||
		s.Service != want.Service || !s.Time.Equal(want.Time) || s.Signature != want.Signature ||
		strings.Join(s.SignedHeaders, ";") != strings.Join(want.SignedHeaders, ";") || s.Presigned {
		t.Fatalf("Parse = %+v, want %+v", *s, want)
	}

	// The canonical request hashes to the value in the documented string to sign.
	b := getScratch()
	key := deriveKey(b, exampleSecret, s.Date, s.Region, s.Service)
	if _, ok := s.compute(b, r, &key, []byte(emptyPayloadHash)); !ok {
		t.Fatal("compute failed")
	}
	if h := sha256.Sum256(b.canon); hex.EncodeToString(h[:]) != exampleCanonHash {
		t.Errorf("canonical request hash = %x, want %s\n%s", h, exampleCanonHash, b.canon)
	}

	if err := s.Verify(r, nil, exampleSecret, nil); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := s.Verify(r, nil, exampleSecret, NewKeyCache(8)); err != nil {
		t.Errorf("Verify with cache: %v", err)
	}
	wantCode(t, s.Verify(r, nil, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", nil), CodeSignatureDoesNotMatch)
}

func TestSignReproducesAWSExample(t *testing.T) {
	r := exampleRequest(t)
	r.Header.Del("X-Amz-Date")
	err := Sign(r, nil, exampleKeyID, exampleSecret, "", "us-east-1", "iam", time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Authorization"); got != exampleAuth {
		t.Errorf("Authorization =\n%s\nwant\n%s", got, exampleAuth)
	}
	if got := r.Header.Get("X-Amz-Date"); got != "20150830T123600Z" {
		t.Errorf("X-Amz-Date = %q", got)
	}
}

// The signing-key example of the AWS General Reference ("Examples of how to
// derive a signing key for Signature Version 4").
func TestDeriveKeyExample(t *testing.T) {
	key := deriveKey(getScratch(), exampleSecret, "20120215", "us-east-1", "iam")
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got := hex.EncodeToString(key[:]); got != want {
		t.Errorf("signing key = %s, want %s", got, want)
	}
}

func TestDeriveKeyLongSecret(t *testing.T) {
	// Secrets longer than an HMAC block are hashed first; crypto/hmac is the oracle.
	secret := strings.Repeat("s", 100)
	got := deriveKey(getScratch(), secret, "20240101", "eu-west-1", "sts")
	want := referenceKey(secret, "20240101", "eu-west-1", "sts")
	if got != want {
		t.Errorf("long secret key = %x, want %x", got, want)
	}
}

var (
	testTime = time.Date(2024, 5, 17, 10, 20, 30, 0, time.UTC)
	testBody = []byte("Action=ListUsers&Version=2010-05-08")
)

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func signedPOST(t testing.TB, token string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := Sign(r, testBody, testKeyID, testSecret, token, "us-east-1", "iam", testTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	r := signedPOST(t, "")
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessKeyID != testKeyID || s.Service != "iam" || s.Region != "us-east-1" || !s.Time.Equal(testTime) || s.SecurityToken != "" {
		t.Fatalf("Parse = %+v", *s)
	}
	if err := s.CheckTime(testTime.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	cache := NewKeyCache(16)
	for range 3 {
		if err := s.Verify(r, testBody, testSecret, cache); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Verify(r, testBody, testSecret, nil); err != nil {
		t.Fatal(err)
	}
	if n := cache.len(); n != 1 {
		t.Errorf("cache holds %d keys, want 1", n)
	}
}

func TestRoundTripUnsortedQuery(t *testing.T) {
	// Sign leaves the URL as it is, so the verifier has to sort and re-encode.
	r := httptest.NewRequest(http.MethodGet, "https://iam.example.com/a%20b/?Version=2010-05-08&Action=ListUsers&PathPrefix=%2Fx+y%2F&b=2&b=1&flag", nil)
	if err := Sign(r, nil, testKeyID, testSecret, "", "us-east-1", "iam", testTime); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(r, nil, testSecret, nil); err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "b=2&b=1", "b=2&b=3", 1)
	wantCode(t, s.Verify(r, nil, testSecret, nil), CodeSignatureDoesNotMatch)
}

func TestRoundTripSessionToken(t *testing.T) {
	r := signedPOST(t, "FQoGZXIvYXdzEXAMPLETOKEN//+==")
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if s.SecurityToken != "FQoGZXIvYXdzEXAMPLETOKEN//+==" {
		t.Errorf("SecurityToken = %q", s.SecurityToken)
	}
	if !strings.Contains(strings.Join(s.SignedHeaders, ";"), "x-amz-security-token") {
		t.Errorf("token not signed: %v", s.SignedHeaders)
	}
	if err := s.Verify(r, testBody, testSecret, nil); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Security-Token", "another")
	s, err = Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Verify(r, testBody, testSecret, nil), CodeSignatureDoesNotMatch)
}

func TestTamperingIsDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(r *http.Request) (body []byte, secret string)
	}{
		{"body", func(r *http.Request) ([]byte, string) {
			return []byte("Action=ListUsers&Version=2010-05-09"), testSecret
		}},
		{"empty body", func(r *http.Request) ([]byte, string) { return nil, testSecret }},
		{"secret", func(r *http.Request) ([]byte, string) { return testBody, testSecret[:len(testSecret)-1] + "Z" }},
		{"signed header", func(r *http.Request) ([]byte, string) {
			r.Header.Set("Content-Type", "application/json")
			return testBody, testSecret
		}},
		{"host", func(r *http.Request) ([]byte, string) {
			r.Host = "evil.example.com"
			return testBody, testSecret
		}},
		{"query added", func(r *http.Request) ([]byte, string) {
			r.URL.RawQuery = "Action=DeleteUser"
			return testBody, testSecret
		}},
		{"path", func(r *http.Request) ([]byte, string) {
			r.URL.Path = "/other"
			return testBody, testSecret
		}},
		{"method", func(r *http.Request) ([]byte, string) {
			r.Method = http.MethodPut
			return testBody, testSecret
		}},
		{"time", func(r *http.Request) ([]byte, string) {
			r.Header.Set("X-Amz-Date", "20240517T102031Z")
			return testBody, testSecret
		}},
		{"signature", func(r *http.Request) ([]byte, string) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			if last == '0' {
				last = '1'
			} else {
				last = '0'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(last))
			return testBody, testSecret
		}},
		{"region", func(r *http.Request) ([]byte, string) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/us-west-2/", 1))
			return testBody, testSecret
		}},
		{"service", func(r *http.Request) ([]byte, string) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/iam/", "/sts/", 1))
			return testBody, testSecret
		}},
		{"unsigned header list", func(r *http.Request) ([]byte, string) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "content-type;", "", 1))
			return testBody, testSecret
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedPOST(t, "")
			body, secret := tt.tamper(r)
			s, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			e := wantCode(t, s.Verify(r, body, secret, NewKeyCache(4)), CodeSignatureDoesNotMatch)
			if e.Message != msgSignatureDoesNotMatch {
				t.Errorf("message = %q", e.Message)
			}
		})
	}
}

func TestSignedPayloadHashHeader(t *testing.T) {
	sum := sha256.Sum256(testBody)
	r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := Sign(r, testBody, testKeyID, testSecret, "", "us-east-1", "iam", testTime); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(r, testBody, testSecret, nil); err != nil {
		t.Errorf("matching X-Amz-Content-Sha256: %v", err)
	}
	// The header states a hash, but the body that arrived is another.
	wantCode(t, s.Verify(r, []byte("Action=DeleteUser"), testSecret, nil), CodeSignatureDoesNotMatch)
}

// signWithPayload signs r in the header form over a payload hash of the caller's
// choosing, as a client that does not hash the body would.
func signWithPayload(t *testing.T, r *http.Request, payloadHash string) {
	t.Helper()
	s := &Signature{AccessKeyID: testKeyID, Date: "20240517", Region: "us-east-1", Service: "iam", Time: testTime}
	r.Header.Set("X-Amz-Date", amzDate(testTime))
	s.SignedHeaders = headersToSign(r.Header)
	b := getScratch()
	key := deriveKey(b, testSecret, s.Date, s.Region, s.Service)
	mac, ok := s.compute(b, r, &key, []byte(payloadHash))
	if !ok {
		t.Fatal("compute failed")
	}
	r.Header.Set("Authorization", algorithm+" Credential="+s.credential()+", SignedHeaders="+
		strings.Join(s.SignedHeaders, ";")+", Signature="+hex.EncodeToString(mac[:]))
}

func TestHeaderAuthRejectsUnsignedPayload(t *testing.T) {
	for _, body := range [][]byte{testBody, nil} {
		r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
		r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
		signWithPayload(t, r, unsignedPayload)
		s, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Verify(r, body, testSecret, nil), CodeSignatureDoesNotMatch)
	}
	// The same construction over the real hash verifies, so the rejection above is
	// about the payload and nothing else.
	r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
	sum := sha256.Sum256(testBody)
	signWithPayload(t, r, hex.EncodeToString(sum[:]))
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(r, testBody, testSecret, nil); err != nil {
		t.Fatal(err)
	}
}

func TestDateHeaderFallback(t *testing.T) {
	// A client that sends only an HTTP Date header signs with that time in basic format.
	r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	s := &Signature{AccessKeyID: testKeyID, Date: "20240517", Region: "us-east-1", Service: "iam",
		Time: testTime, SignedHeaders: []string{"date", "host"}}
	b := getScratch()
	key := deriveKey(b, testSecret, s.Date, s.Region, s.Service)
	sum := sha256.Sum256(testBody)
	mac, _ := s.compute(b, r, &key, []byte(hex.EncodeToString(sum[:])))
	r.Header.Set("Authorization", algorithm+" Credential="+s.credential()+", SignedHeaders=date;host, Signature="+hex.EncodeToString(mac[:]))

	parsed, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !parsed.Time.Equal(testTime) {
		t.Errorf("Time = %v, want %v", parsed.Time, testTime)
	}
	if err := parsed.Verify(r, testBody, testSecret, nil); err != nil {
		t.Error(err)
	}
	var nilSig *Signature
	wantCode(t, nilSig.Verify(r, testBody, testSecret, nil), CodeSignatureDoesNotMatch)
}

func TestVerifyHandBuiltSignature(t *testing.T) {
	r := signedPOST(t, "")
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(s *Signature){
		"date not of time": func(s *Signature) { s.Date = "20240518" },
		"zero time":        func(s *Signature) { s.Time = time.Time{} },
		"short signature":  func(s *Signature) { s.Signature = s.Signature[:63] },
		"non-hex":          func(s *Signature) { s.Signature = strings.Repeat("g", 64) },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			c := *s
			change(&c)
			wantCode(t, c.Verify(r, testBody, testSecret, nil), CodeSignatureDoesNotMatch)
		})
	}
	upper := *s
	upper.Signature = strings.ToUpper(s.Signature)
	if err := upper.Verify(r, testBody, testSecret, nil); err != nil {
		t.Errorf("upper-case hex signature: %v", err)
	}
	if err := s.Verify(nil, testBody, testSecret, nil); err == nil {
		t.Error("Verify(nil request) succeeded")
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"Version=2010-05-08&Action=ListUsers", "Action=ListUsers&Version=2010-05-08"},
		{"b=2&a=3&a=1", "a=1&a=3&b=2"},
		{"a=x+y&b=x%20y&c=x%2By", "a=x%20y&b=x%20y&c=x%2By"},
		{"flag&empty=", "empty=&flag="},
		{"p=%2Fpath%2F&q=~._-", "p=%2Fpath%2F&q=~._-"},
		{"u=%c3%bc&v=é", "u=%C3%BC&v=%C3%A9"},
		{"&&a=1&", "a=1"},
		{"a=;b", "a=%3Bb"},
		{"X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Date=1&X-Amz-Signature=abc"},
		// Reserved characters typed unencoded are encoded, hex upper-cased:
		// curl 7.88 signs such a query as typed (curl_test.go).
		{"TopicArn=arn:aws:sns:us-east-1:210987654321:onboarding", "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A210987654321%3Aonboarding"},
		{"TopicArn=arn%3aaws%3asns", "TopicArn=arn%3Aaws%3Asns"},
		// Sorted by encoded name: '%' (0x25) sorts before '-' (0x2D).
		{"a-=1&a:=2", "a%3A=2&a-=1"},
	}
	b := getScratch()
	for _, tt := range tests {
		got, ok := b.appendCanonicalQuery(nil, tt.raw, false)
		if !ok || string(got) != tt.want {
			t.Errorf("canonical(%q) = %q, %v; want %q", tt.raw, got, ok, tt.want)
		}
	}
	got, _ := b.appendCanonicalQuery(nil, "X-Amz-Signature=abc&X-Amz-Date=1", true)
	if string(got) != "X-Amz-Date=1" {
		t.Errorf("presigned canonical = %q", got)
	}
	for _, bad := range []string{"a=%", "a=%2", "a=%zz", "%g1=b"} {
		if _, ok := b.appendCanonicalQuery(nil, bad, false); ok {
			t.Errorf("canonical(%q) accepted an invalid escape", bad)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://h/", "/"},
		{"https://h", "/"},
		{"https://h/a/b/", "/a/b/"},
		{"https://h/foo%20bar", "/foo%2520bar"},
		{"https://h/a:b@c", "/a%3Ab%40c"},
		{"https://h/%C3%BC", "/%25C3%25BC"},
		{"https://h/a%2Fb", "/a%252Fb"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.url, nil)
		if got := string(appendCanonicalURI(nil, r.URL)); got != tt.want {
			t.Errorf("canonical URI of %s = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "https://iam.example.com/", nil)
	r.Host = "iam.example.com:8080"
	r.Header["X-Amz-Meta"] = []string{"  a   b  ", "c\t"}
	r.Header["x-lower"] = []string{"direct"} // set without canonicalization
	r.ContentLength = 42
	got := string(appendCanonicalHeaders(nil, r, []string{"content-length", "host", "missing", "x-amz-meta", "x-lower"}))
	want := "content-length:42\nhost:iam.example.com:8080\nmissing:\nx-amz-meta:a b,c\nx-lower:direct\n"
	if got != want {
		t.Errorf("canonical headers =\n%q\nwant\n%q", got, want)
	}
	r.Header.Set("Host", "from-header")
	if got := string(appendHeaderValues(nil, r, "host")); got != "from-header" {
		t.Errorf("host = %q, want the Host header when present", got)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	c := NewKeyCache(10)
	var ids [][32]byte
	for i := range 100 {
		id := sha256.Sum256([]byte{byte(i)})
		ids = append(ids, id)
		c.put(id, id)
		if n := c.len(); n > 10 {
			t.Fatalf("after %d puts the cache holds %d keys, want at most 10", i+1, n)
		}
	}
	if _, ok := c.get(ids[99]); !ok {
		t.Error("most recent key evicted")
	}
	if _, ok := c.get(ids[0]); ok {
		t.Error("oldest key still cached")
	}
	// A key in use survives rotations.
	hot := ids[99]
	for i := range 50 {
		id := sha256.Sum256([]byte{1, byte(i)})
		c.put(id, id)
		if _, ok := c.get(hot); !ok {
			t.Fatalf("hot key evicted after %d more puts", i+1)
		}
	}
	var zero KeyCache
	zero.put(hot, hot)
	if k, ok := zero.get(hot); !ok || k != hot {
		t.Error("zero KeyCache does not work")
	}
}

func TestKeyCacheConcurrent(t *testing.T) {
	r := signedPOST(t, "")
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewKeyCache(4)
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 200 {
				secret := testSecret
				if (g+i)%3 == 0 {
					secret = "other"
				}
				e := s.Verify(r, testBody, secret, cache)
				if (secret == testSecret) != (e == nil) {
					err = errors.New("wrong verification result under concurrency")
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestSignRejects(t *testing.T) {
	tests := map[string]struct {
		url                    string
		keyID, region, service string
	}{
		"no host":          {"/", testKeyID, "us-east-1", "iam"},
		"empty key":        {"https://h/", "", "us-east-1", "iam"},
		"slash in region":  {"https://h/", testKeyID, "us/east", "iam"},
		"comma in service": {"https://h/", testKeyID, "us-east-1", "i,am"},
		"bad query":        {"https://h/?a=%zz", testKeyID, "us-east-1", "iam"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := Sign(r, nil, tt.keyID, testSecret, "", tt.region, tt.service, testTime); err == nil {
				t.Error("Sign succeeded")
			}
		})
	}
	if err := Sign(nil, nil, testKeyID, testSecret, "", "us-east-1", "iam", testTime); err == nil {
		t.Error("Sign(nil) succeeded")
	}
}
