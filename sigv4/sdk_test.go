package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/warden-iam/warden/sigv4"
)

// These tests check sigv4 against what the real aws-sdk-go-v2 sends, through a
// real HTTP server, so that Go's server-side view of the request (Host moved out
// of the header map, Content-Length, the escaped path) is what gets verified.

const (
	sdkKeyID  = "AKIAIOSFODNN7EXAMPLE"
	sdkSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sdkToken  = "IQoJb3JpZ2luX2VjEXAMPLE/session+token=="
)

// verdict is what the test server concluded about one request.
type verdict struct {
	sig  *sigv4.Signature
	err  error
	path string
}

// verifyingServer verifies every request it receives against secret and the
// clock now, records the verdict and answers like IAM or STS would.
func verifyingServer(t *testing.T, secret string, now func() time.Time) (*httptest.Server, func() verdict) {
	t.Helper()
	var mu sync.Mutex
	var last verdict
	cache := sigv4.NewKeyCache(64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		s, err := sigv4.Parse(r)
		if err == nil {
			err = s.CheckTime(now())
		}
		if err == nil {
			err = s.Verify(r, body, secret, cache)
		}
		mu.Lock()
		last = verdict{sig: s, err: err, path: r.URL.EscapedPath()}
		mu.Unlock()

		w.Header().Set("Content-Type", "text/xml")
		if err != nil {
			var e *sigv4.Error
			errors.As(err, &e)
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, e.Code, e.Message)
			return
		}
		switch {
		case s.Service == "sts":
			fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>`+
				`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
		default:
			fmt.Fprint(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>`+
				`<Users/><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListUsersResponse>`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() verdict {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestSDKSignHTTP(t *testing.T) {
	signTime := time.Now().UTC()
	srv, last := verifyingServer(t, sdkSecret, time.Now)
	body := "Action=ListUsers&Version=2010-05-08"

	tests := []struct {
		name    string
		method  string
		path    string // path and query
		body    string
		creds   aws.Credentials
		payload string // payload hash given to the SDK; "" for the body's hash
		headers map[string]string
		code    string // expected error code, "" for success
	}{
		{name: "query protocol POST", method: "POST", path: "/", body: body,
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}},
		{name: "session token", method: "POST", path: "/", body: body,
			creds: aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: sdkSecret, SessionToken: sdkToken}},
		{name: "GET with query", method: "GET",
			path:  "/?Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision+abc%2F&Marker=a~b*c%3D",
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}},
		{name: "escaped path", method: "GET", path: "/some%20path/%C3%BC:x@y/",
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}},
		{name: "extra signed headers", method: "POST", path: "/", body: body,
			headers: map[string]string{"X-Amz-Meta-Note": "  two   spaces  ", "X-Amz-Content-Sha256": bodyHash([]byte(body))},
			creds:   aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}},
		{name: "unsigned payload", method: "POST", path: "/", body: body, payload: "UNSIGNED-PAYLOAD",
			headers: map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"},
			creds:   aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret},
			code:    sigv4.CodeSignatureDoesNotMatch},
		{name: "wrong secret", method: "POST", path: "/", body: body,
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: "not-the-secret"},
			code:  sigv4.CodeSignatureDoesNotMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			payload := tt.payload
			if payload == "" {
				payload = bodyHash([]byte(tt.body))
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), tt.creds, req, payload, "iam", "us-east-1", signTime); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			v := last()
			if tt.code != "" {
				var e *sigv4.Error
				if !errors.As(v.err, &e) || e.Code != tt.code {
					t.Fatalf("server verdict = %v, want %s", v.err, tt.code)
				}
				return
			}
			if v.err != nil {
				t.Fatalf("server verdict: %v\nAuthorization: %s", v.err, req.Header.Get("Authorization"))
			}
			if v.sig.AccessKeyID != tt.creds.AccessKeyID || v.sig.SecurityToken != tt.creds.SessionToken ||
				v.sig.Service != "iam" || v.sig.Region != "us-east-1" {
				t.Errorf("parsed %+v", *v.sig)
			}
		})
	}
}

func TestSDKPresignHTTP(t *testing.T) {
	signTime := time.Now().UTC().Add(-time.Minute)
	srv, last := verifyingServer(t, sdkSecret, time.Now)
	tests := []struct {
		name    string
		query   string
		creds   aws.Credentials
		expires int
	}{
		{name: "with expires", query: "Action=GetCallerIdentity&Version=2011-06-15", expires: 300,
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}},
		{name: "session token, no expires", query: "Action=GetCallerIdentity&Version=2011-06-15",
			creds: aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: sdkSecret, SessionToken: sdkToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/?"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.expires > 0 {
				q := req.URL.Query()
				q.Set("X-Amz-Expires", strconv.Itoa(tt.expires))
				req.URL.RawQuery = q.Encode()
			}
			u, headers, err := v4.NewSigner().PresignHTTP(context.Background(), tt.creds, req,
				bodyHash(nil), "sts", "us-east-1", signTime)
			if err != nil {
				t.Fatal(err)
			}
			get, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range headers {
				if k != "Host" {
					get.Header[k] = vs
				}
			}
			resp, err := http.DefaultClient.Do(get)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			v := last()
			if v.err != nil {
				t.Fatalf("server verdict: %v\nURL: %s", v.err, u)
			}
			want := time.Duration(tt.expires) * time.Second
			if tt.expires == 0 {
				want = 15 * time.Minute
			}
			if !v.sig.Presigned || v.sig.Expires != want || v.sig.SecurityToken != tt.creds.SessionToken {
				t.Errorf("parsed %+v", *v.sig)
			}

			// The same URL with one query value changed must fail.
			bad, _ := http.NewRequest(http.MethodGet, strings.Replace(u, "GetCallerIdentity", "GetSessionToken", 1), nil)
			resp, err = http.DefaultClient.Do(bad)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("tampered presigned URL: status %d", resp.StatusCode)
			}
		})
	}
}

// noRetry makes an authentication failure surface at once.
var noRetry = func(o *iam.Options) { o.RetryMaxAttempts = 1 }

func TestSDKClientsEndToEnd(t *testing.T) {
	srv, last := verifyingServer(t, sdkSecret, time.Now)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(sdkKeyID, sdkSecret, ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	ctx := context.Background()

	t.Run("iam ListUsers", func(t *testing.T) {
		if _, err := iam.NewFromConfig(cfg, noRetry).ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/team a/")}); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		if v := last(); v.sig == nil || v.sig.Service != "iam" || v.sig.Presigned {
			t.Errorf("verdict %+v", v)
		}
	})
	t.Run("sts GetCallerIdentity with session token", func(t *testing.T) {
		c := cfg
		c.Credentials = credentials.NewStaticCredentialsProvider("ASIAIOSFODNN7EXAMPLE", sdkSecret, sdkToken)
		out, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if aws.ToString(out.Account) != "123456789012" {
			t.Errorf("account %q", aws.ToString(out.Account))
		}
		if v := last(); v.sig == nil || v.sig.Service != "sts" || v.sig.SecurityToken != sdkToken {
			t.Errorf("verdict %+v", v)
		}
	})
	t.Run("sts presigned GetCallerIdentity", func(t *testing.T) {
		// The request EKS and Vault build: a presigned GET with an extra signed header.
		p, err := sts.NewPresignClient(sts.NewFromConfig(cfg)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{},
			func(o *sts.PresignOptions) {
				o.ClientOptions = append(o.ClientOptions, sts.WithAPIOptions(
					smithyhttp.AddHeaderValue("X-K8s-Aws-Id", "my-cluster"),
					addExpires(60),
				))
			})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(p.Method, p.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range p.SignedHeader {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		v := last()
		if v.err != nil {
			t.Fatalf("server verdict: %v\nURL: %s", v.err, p.URL)
		}
		if !v.sig.Presigned || v.sig.Expires != time.Minute || !strings.Contains(strings.Join(v.sig.SignedHeaders, ";"), "x-k8s-aws-id") {
			t.Errorf("parsed %+v", *v.sig)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		c := cfg
		c.Credentials = credentials.NewStaticCredentialsProvider(sdkKeyID, "wrong", "")
		_, err := iam.NewFromConfig(c, noRetry).ListUsers(ctx, &iam.ListUsersInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != sigv4.CodeSignatureDoesNotMatch {
			t.Fatalf("ListUsers with a wrong secret: %v", err)
		}
	})
	t.Run("clock skew", func(t *testing.T) {
		srv, _ := verifyingServer(t, sdkSecret, func() time.Time { return time.Now().Add(20 * time.Minute) })
		c := cfg
		c.BaseEndpoint = aws.String(srv.URL)
		_, err := iam.NewFromConfig(c, noRetry).ListUsers(ctx, &iam.ListUsersInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != sigv4.CodeRequestExpired {
			t.Fatalf("ListUsers 20 minutes late: %v", err)
		}
	})
}

// addExpires sets X-Amz-Expires on the request before presigning, as EKS token
// generators do.
func addExpires(seconds int) func(*smithymiddleware.Stack) error {
	return smithyhttp.AddHeaderValue("X-Amz-Expires", strconv.Itoa(seconds))
}
