package awsquery_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzServeHTTP throws arbitrary methods, query strings, bodies and
// Authorization headers at the handler. With sign set, the request is signed
// as root first (the fuzzed Authorization header is then replaced), so the
// fuzzer also reaches every operation's decoding and validation. Whatever
// comes in, the handler must not panic, must not answer 500, and must answer
// one well-formed XML document.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct {
		method, query, body, auth string
		sign                      bool
	}{
		{"POST", "", "Action=ListUsers&Version=2010-05-08", "", true},
		{"POST", "", "Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=k&Tags.member.1.Value=v", "", true},
		{"POST", "", "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=" + url.QueryEscape(policyDocument), "", true},
		{"POST", "", "Action=GetPolicyVersion&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp&VersionId=v1", "", true},
		{"POST", "", "Action=ListUsers&Version=2010-05-08&MaxItems=1&Marker=%FF", "", true},
		{"POST", "", "Action=GetCallerIdentity&Version=2011-06-15", "", true},
		{"POST", "", "Action=CreateAccessKey&Version=2010-05-08&UserName=alice", "", true},
		{"POST", "", "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=User", "", true},
		{"GET", "Action=GetUser&Version=2010-05-08&UserName=alice", "", "", true},
		{"POST", "", "Action=ListUsers&Version=2010-05-08", "AWS4-HMAC-SHA256 Credential=AKIAGOLDENROOTKEY001/20240501/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", false},
		{"POST", "", "Action=ListUsers", "AWS4-HMAC-SHA256 Credential=/x", false},
		{"PUT", "%zz", "a=%", "Basic abc", false},
		{"GET", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240501%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240501T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", "", "", false},
		{"POST", "", "Action=Frobnicate&Version=1999-01-01", "", true},
		{"POST", "", "Action=CreateUser&Version=2010-05-08&UserName=" + strings.Repeat("a", 200) + "&Tags.member.99999999999.Key=x", "", true},
	}
	for _, s := range seeds {
		f.Add(s.method, s.query, s.body, s.auth, s.sign)
	}
	st := newStack(f)
	f.Fuzz(func(t *testing.T, method, query, body, auth string, sign bool) {
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Scheme: "http", Host: "localhost", Path: "/", RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:       http.NoBody,
			Host:       "localhost",
			RemoteAddr: "127.0.0.1:40000",
		}
		if body != "" {
			r.Body = stringBody(body)
			r.ContentLength = int64(len(body))
		}
		if sign {
			service := "iam"
			if strings.Contains(body+query, "2011-06-15") {
				service = "sts"
			}
			sum := sha256.Sum256([]byte(body))
			// The signer rejects some requests (a query it cannot escape);
			// those go out unsigned, which is just another input.
			_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret},
				r, hex.EncodeToString(sum[:]), service, region, clock)
		} else if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		st.handler.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for %s ?%q body %q auth %q sign %v\n%s", w.Code, method, query, body, auth, sign, w.Body)
		}
		if err := checkXML(w.Body.Bytes()); err != nil {
			t.Fatalf("malformed XML (%v) for %s ?%q body %q auth %q sign %v\n%s", err, method, query, body, auth, sign, w.Body)
		}
		if !utf8.Valid(w.Body.Bytes()) {
			t.Fatalf("response is not UTF-8:\n%q", w.Body)
		}
	})
}

// stringBody is a request body that reads s.
func stringBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
