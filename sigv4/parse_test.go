package sigv4

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	goodCred = "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request"
	goodSig  = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)

func TestParseAuthorizationHeader(t *testing.T) {
	tests := []struct {
		name    string
		auth    string
		headers map[string]string // replaces X-Amz-Date when given
		code    string            // "" for success
		msg     string            // substring of the message
	}{
		{name: "valid", auth: exampleAuth},
		{name: "no auth", auth: "", code: CodeMissingAuthenticationToken, msg: "Request is missing Authentication Token"},
		{name: "blank auth", auth: "   ", code: CodeMissingAuthenticationToken},
		{name: "no credential",
			auth: "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + goodSig,
			code: CodeIncompleteSignature,
			msg:  "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders"},
		{name: "no signed headers",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", Signature=" + goodSig,
			code: CodeIncompleteSignature, msg: "requires 'SignedHeaders' parameter"},
		{name: "no signature",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host",
			code: CodeIncompleteSignature, msg: "requires 'Signature' parameter"},
		{name: "empty signature",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=",
			code: CodeIncompleteSignature, msg: "requires 'Signature' parameter"},
		{name: "algorithm only", auth: "AWS4-HMAC-SHA256", code: CodeIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{name: "bearer token", auth: "Bearer abc.def", code: CodeIncompleteSignature,
			msg: "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'."},
		{name: "basic auth", auth: "Basic dXNlcjpwYXNz", code: CodeIncompleteSignature, msg: "missing equal-sign"},
		{name: "no date", auth: exampleAuth, headers: map[string]string{"X-Amz-Date": ""}, code: CodeIncompleteSignature,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4"},
		{name: "date header fallback", auth: exampleAuth,
			headers: map[string]string{"X-Amz-Date": "", "Date": "Sun, 30 Aug 2015 12:36:00 GMT"}},
		{name: "date header in basic format", auth: exampleAuth,
			headers: map[string]string{"X-Amz-Date": "", "Date": "20150830T123600Z"}},
		{name: "bad date header", auth: exampleAuth,
			headers: map[string]string{"X-Amz-Date": "", "Date": "yesterday"}, code: CodeIncompleteSignature,
			msg: "Date must be in ISO-8601 'basic format'. Got 'yesterday'."},
		{name: "bad x-amz-date", auth: exampleAuth, headers: map[string]string{"X-Amz-Date": "2015-08-30T12:36:00Z"},
			code: CodeIncompleteSignature, msg: "Date must be in ISO-8601 'basic format'"},
		{name: "fractional x-amz-date", auth: exampleAuth, headers: map[string]string{"X-Amz-Date": "20150830T123600.5Z"},
			code: CodeIncompleteSignature, msg: "ISO-8601"},
		{name: "x-amz-date wins over date", auth: exampleAuth,
			headers: map[string]string{"X-Amz-Date": "20150830T123600Z", "Date": "garbage"}},
		{name: "wrong algorithm",
			auth: "AWS4-HMAC-SHA512 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + goodSig,
			code: CodeIncompleteSignature, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
		{name: "credential with 4 elements",
			auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam, SignedHeaders=host, Signature=" + goodSig,
			code: CodeIncompleteSignature,
			msg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/iam'"},
		{name: "credential with 6 elements",
			auth: "AWS4-HMAC-SHA256 Credential=AKID/EXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=" + goodSig,
			code: CodeIncompleteSignature, msg: "exactly 5 slash-delimited elements"},
		{name: "host not signed",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=content-type;x-amz-date, Signature=" + goodSig,
			code: CodeIncompleteSignature, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "bad terminator",
			auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request, SignedHeaders=host, Signature=" + goodSig,
			code: CodeSignatureDoesNotMatch, msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{name: "scope date differs",
			auth: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=" + goodSig,
			code: CodeSignatureDoesNotMatch,
			msg:  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."},
		{name: "upper-case signed headers",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=Content-Type;Host;X-Amz-Date, Signature=" + goodSig},
		{name: "no spaces after commas",
			auth: "AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=content-type;host;x-amz-date,Signature=" + goodSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exampleRequest(t)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			for k, v := range tt.headers {
				if v == "" {
					r.Header.Del(k)
				} else {
					r.Header.Set(k, v)
				}
			}
			s, err := Parse(r)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !s.Time.Equal(time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)) || s.AccessKeyID != "AKIDEXAMPLE" {
					t.Errorf("Parse = %+v", *s)
				}
				if err := s.Verify(r, nil, exampleSecret, nil); err != nil && tt.headers == nil {
					t.Errorf("Verify: %v", err)
				}
				return
			}
			if s != nil {
				t.Errorf("Parse returned %+v with an error", *s)
			}
			e := wantCode(t, err, tt.code)
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.msg)
			}
		})
	}
}

func TestParseBothMechanisms(t *testing.T) {
	r := exampleRequest(t)
	r.Header.Set("Authorization", exampleAuth)
	r.URL.RawQuery += "&X-Amz-Signature=" + goodSig
	_, err := Parse(r)
	wantCode(t, err, CodeIncompleteSignature)
}

func TestParseNil(t *testing.T) {
	_, err := Parse(nil)
	wantCode(t, err, CodeMissingAuthenticationToken)
	_, err = Parse(&http.Request{})
	wantCode(t, err, CodeMissingAuthenticationToken)
}

// presignedQuery is a complete set of presigned parameters for the AWS example scope.
func presignedQuery() url.Values {
	return url.Values{
		"Action":              {"GetCallerIdentity"},
		"Version":             {"2011-06-15"},
		"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {goodCred},
		"X-Amz-Date":          {"20150830T123600Z"},
		"X-Amz-Expires":       {"60"},
		"X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature":     {goodSig},
	}
}

func TestParsePresigned(t *testing.T) {
	tests := []struct {
		name   string
		change func(q url.Values)
		code   string
		msg    string
	}{
		{name: "valid", change: func(url.Values) {}},
		{name: "no expires", change: func(q url.Values) { q.Del("X-Amz-Expires") }},
		{name: "missing algorithm and date", change: func(q url.Values) { q.Del("X-Amz-Algorithm"); q.Del("X-Amz-Date") },
			code: CodeIncompleteSignature,
			msg: "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Date'. " +
				"Re-examine the query-string parameters."},
		{name: "missing signed headers", change: func(q url.Values) { q.Del("X-Amz-SignedHeaders") },
			code: CodeIncompleteSignature, msg: "must include 'X-Amz-SignedHeaders'"},
		{name: "signature only", change: func(q url.Values) {
			for k := range q {
				if k != "X-Amz-Signature" {
					q.Del(k)
				}
			}
		}, code: CodeIncompleteSignature, msg: "must include 'X-Amz-Credential'"},
		{name: "duplicate signature", change: func(q url.Values) { q.Add("X-Amz-Signature", goodSig) },
			code: CodeIncompleteSignature, msg: "'X-Amz-Signature' must appear only once"},
		{name: "wrong algorithm", change: func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256") },
			code: CodeIncompleteSignature, msg: "Unsupported AWS 'algorithm'"},
		{name: "expires not a number", change: func(q url.Values) { q.Set("X-Amz-Expires", "1h") },
			code: CodeIncompleteSignature, msg: "X-Amz-Expires should be a number"},
		{name: "expires negative", change: func(q url.Values) { q.Set("X-Amz-Expires", "-1") },
			code: CodeIncompleteSignature, msg: "X-Amz-Expires should be a number"},
		{name: "expires zero", change: func(q url.Values) { q.Set("X-Amz-Expires", "0") },
			code: CodeIncompleteSignature, msg: "at least 1 second"},
		{name: "expires a week", change: func(q url.Values) { q.Set("X-Amz-Expires", "604800") }},
		{name: "expires over a week", change: func(q url.Values) { q.Set("X-Amz-Expires", "604801") },
			code: CodeIncompleteSignature, msg: "less than a week"},
		{name: "expires overflows", change: func(q url.Values) { q.Set("X-Amz-Expires", "99999999999999999999999") },
			code: CodeIncompleteSignature, msg: "less than a week"},
		{name: "bad date", change: func(q url.Values) { q.Set("X-Amz-Date", "Sun, 30 Aug 2015 12:36:00 GMT") },
			code: CodeIncompleteSignature, msg: "ISO-8601"},
		{name: "host not signed", change: func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") },
			code: CodeIncompleteSignature, msg: "'Host' or ':authority' must be a 'SignedHeader'"},
		{name: "bad credential", change: func(q url.Values) { q.Set("X-Amz-Credential", "AKIDEXAMPLE") },
			code: CodeIncompleteSignature, msg: "exactly 5 slash-delimited elements"},
		{name: "scope date differs", change: func(q url.Values) { q.Set("X-Amz-Date", "20150831T000000Z") },
			code: CodeSignatureDoesNotMatch, msg: "Date in Credential scope does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := presignedQuery()
			tt.change(q)
			r := httptest.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?"+q.Encode(), nil)
			s, err := Parse(r)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !s.Presigned || s.AccessKeyID != "AKIDEXAMPLE" || s.Expires <= 0 {
					t.Errorf("Parse = %+v", *s)
				}
				return
			}
			e := wantCode(t, err, tt.code)
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.msg)
			}
		})
	}
}

func TestParsePresignedFields(t *testing.T) {
	q := presignedQuery()
	q.Set("X-Amz-Security-Token", "tok+en/=")
	r := httptest.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?"+q.Encode(), nil)
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if s.Expires != time.Minute || s.SecurityToken != "tok+en/=" || s.Signature != goodSig ||
		s.Service != "iam" || len(s.SignedHeaders) != 1 || s.SignedHeaders[0] != "host" {
		t.Errorf("Parse = %+v", *s)
	}
	q.Del("X-Amz-Expires")
	r = httptest.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?"+q.Encode(), nil)
	if s, err = Parse(r); err != nil || s.Expires != 15*time.Minute {
		t.Errorf("without X-Amz-Expires: Expires = %v, %v; want 15m", s.Expires, err)
	}
}

func TestCheckTimeHeader(t *testing.T) {
	signed := time.Date(2024, 5, 17, 10, 20, 30, 0, time.UTC)
	s := &Signature{Time: signed}
	tests := []struct {
		now  time.Time
		code string
		msg  string
	}{
		{now: signed},
		{now: signed.Add(15 * time.Minute)},
		{now: signed.Add(-15 * time.Minute)},
		{now: signed.Add(15*time.Minute + time.Second), code: CodeRequestExpired,
			msg: "Signature expired: 20240517T102030Z is now earlier than 20240517T102031Z (20240517T103531Z - 15 min.)"},
		{now: signed.Add(-15*time.Minute - time.Second), code: CodeRequestExpired,
			msg: "Signature not yet current: 20240517T102030Z is still later than 20240517T102029Z (20240517T100529Z + 15 min.)"},
		{now: signed.Add(15*time.Minute + time.Nanosecond), code: CodeRequestExpired},
		{now: signed.Add(24 * time.Hour), code: CodeRequestExpired},
		// The clock's zone does not matter.
		{now: signed.Add(14 * time.Minute).In(time.FixedZone("UTC+5", 5*3600))},
	}
	for _, tt := range tests {
		err := s.CheckTime(tt.now)
		if tt.code == "" {
			if err != nil {
				t.Errorf("CheckTime(signed%+v): %v", tt.now.Sub(signed), err)
			}
			continue
		}
		e := wantCode(t, err, tt.code)
		if tt.msg != "" && e.Message != tt.msg {
			t.Errorf("CheckTime(signed%+v) message = %q, want %q", tt.now.Sub(signed), e.Message, tt.msg)
		}
	}
}

func TestCheckTimePresigned(t *testing.T) {
	signed := time.Date(2024, 5, 17, 10, 20, 30, 0, time.UTC)
	s := &Signature{Time: signed, Presigned: true, Expires: time.Hour}
	tests := []struct {
		offset time.Duration
		ok     bool
	}{
		{0, true},
		{59 * time.Minute, true},
		{time.Hour, true},
		{time.Hour + time.Second, false},
		{7 * 24 * time.Hour, false},
		{-15 * time.Minute, true},              // signed up to 15 minutes in the future
		{-15*time.Minute - time.Second, false}, // and no more
	}
	for _, tt := range tests {
		err := s.CheckTime(signed.Add(tt.offset))
		if tt.ok {
			if err != nil {
				t.Errorf("CheckTime(signed%+v): %v", tt.offset, err)
			}
			continue
		}
		if e := wantCode(t, err, CodeRequestExpired); e.Message != "Request has expired." {
			t.Errorf("message = %q", e.Message)
		}
	}
	noExpires := &Signature{Time: signed, Presigned: true}
	if err := noExpires.CheckTime(signed.Add(15 * time.Minute)); err != nil {
		t.Errorf("zero Expires at +15m: %v", err)
	}
	wantCode(t, noExpires.CheckTime(signed.Add(16*time.Minute)), CodeRequestExpired)
}

func TestPresignRoundTrip(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://sts.example.com/?Version=2011-06-15&Action=GetCallerIdentity&Note=a+b%2Fc", nil)
	signed, err := Presign(r, testKeyID, testSecret, "session/token+=", "us-east-1", "sts", testTime, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL.RawQuery != "Version=2011-06-15&Action=GetCallerIdentity&Note=a+b%2Fc" {
		t.Errorf("Presign modified r: %q", r.URL.RawQuery)
	}
	got := httptest.NewRequest(http.MethodGet, signed, nil)
	s, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Presigned || s.Expires != 90*time.Second || s.SecurityToken != "session/token+=" || s.Service != "sts" {
		t.Errorf("Parse = %+v", *s)
	}
	if err := s.CheckTime(testTime.Add(90 * time.Second)); err != nil {
		t.Error(err)
	}
	wantCode(t, s.CheckTime(testTime.Add(91*time.Second)), CodeRequestExpired)
	if err := s.Verify(got, nil, testSecret, nil); err != nil {
		t.Fatalf("Verify: %v (url %s)", err, signed)
	}

	tamper := map[string]func(u *url.URL){
		"action":  func(u *url.URL) { u.RawQuery = strings.Replace(u.RawQuery, "GetCallerIdentity", "GetSessionToken", 1) },
		"expires": func(u *url.URL) { u.RawQuery = strings.Replace(u.RawQuery, "X-Amz-Expires=90", "X-Amz-Expires=900", 1) },
		"extra":   func(u *url.URL) { u.RawQuery += "&DurationSeconds=3600" },
		"host":    func(u *url.URL) { u.Host = "sts.evil.com" },
		"path":    func(u *url.URL) { u.Path = "/x" },
	}
	for name, change := range tamper {
		t.Run(name, func(t *testing.T) {
			u, _ := url.Parse(signed)
			change(u)
			r := httptest.NewRequest(http.MethodGet, u.String(), nil)
			s, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, s.Verify(r, nil, testSecret, nil), CodeSignatureDoesNotMatch)
		})
	}
	t.Run("body", func(t *testing.T) {
		// A presigned URL does not let anyone attach an unsigned body.
		r := httptest.NewRequest(http.MethodGet, signed, nil)
		s, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Verify(r, []byte("Action=CreateUser&UserName=mallory"), testSecret, nil), CodeSignatureDoesNotMatch)
	})
}

func TestPresignUnsignedPayload(t *testing.T) {
	// S3-style presigners sign "UNSIGNED-PAYLOAD"; such a URL verifies with an empty body only.
	u := "https://sts.example.com/?Action=GetCallerIdentity&Version=2011-06-15" +
		"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(testKeyID+"/20240517/us-east-1/sts/aws4_request") +
		"&X-Amz-Date=20240517T102030Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
	r := httptest.NewRequest(http.MethodGet, u, nil)
	s := &Signature{AccessKeyID: testKeyID, Date: "20240517", Region: "us-east-1", Service: "sts",
		Time: testTime, SignedHeaders: []string{"host"}, Presigned: true}
	b := getScratch()
	key := deriveKey(b, testSecret, s.Date, s.Region, s.Service)
	mac, _ := s.compute(b, r, &key, []byte(unsignedPayload))
	r = httptest.NewRequest(http.MethodGet, u+"&X-Amz-Signature="+hexString(mac[:]), nil)
	parsed, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Verify(r, nil, testSecret, nil); err != nil {
		t.Errorf("UNSIGNED-PAYLOAD presigned URL: %v", err)
	}
	wantCode(t, parsed.Verify(r, []byte("x=1"), testSecret, nil), CodeSignatureDoesNotMatch)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestPresignRejects(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://sts.example.com/", nil)
	for _, d := range []time.Duration{0, 999 * time.Millisecond, 7*24*time.Hour + time.Second, -time.Minute} {
		if _, err := Presign(r, testKeyID, testSecret, "", "us-east-1", "sts", testTime, d); err == nil {
			t.Errorf("Presign(expires %v) succeeded", d)
		}
	}
	signed, err := Presign(r, testKeyID, testSecret, "", "us-east-1", "sts", testTime, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	again := httptest.NewRequest(http.MethodGet, signed, nil)
	if _, err := Presign(again, testKeyID, testSecret, "", "us-east-1", "sts", testTime, time.Minute); err == nil {
		t.Error("Presign of a presigned URL succeeded")
	}
}
