package awsquery_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/awsquery"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/sts"
)

// The fixed world every golden response is made in.
const (
	account    = "123456789012"
	rootKeyID  = "AKIAGOLDENROOTKEY001"
	rootSecret = "goldenRootSecretKey/0123456789abcdefghij"
	region     = "us-east-1"
)

// clock is the instant every request is made and answered at.
var clock = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// stack is the whole API in-process: an in-memory SQLite store, the real
// authorizer, IAM and STS services and the Query handler, with the clock,
// unique IDs, secrets and request IDs made deterministic.
type stack struct {
	handler *awsquery.Handler

	mu   sync.Mutex
	ids  map[string]int
	keys int
	reqs int
}

func newStack(tb testing.TB) *stack {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	az := authz.New(store, authz.Strict, quiet)
	iamSvc := iam.New(store, az, box)
	s := &stack{ids: map[string]int{}}
	iamSvc.Now = func() time.Time { return clock }
	iamSvc.NewID = s.newID
	iamSvc.NewSecret = s.newSecret
	if _, err := iamSvc.Bootstrap(ctx, iam.Bootstrap{AccountID: account, RootEmail: "root@example.com",
		RootPasswordHash: "not-a-real-hash", RootAccessKeyID: rootKeyID, RootSecretAccessKey: rootSecret}); err != nil {
		tb.Fatal(err)
	}
	s.handler = awsquery.NewHandler(iamSvc, sts.New(store, az, iamSvc, box), quiet)
	s.handler.Now = func() time.Time { return clock }
	s.handler.NewRequestID = s.newRequestID
	return s
}

// newID numbers the IDs of each prefix: AIDA00000000000000001, ...
func (s *stack) newID(prefix string, n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[prefix]++
	return fmt.Sprintf("%s%0*d", prefix, n-len(prefix), s.ids[prefix])
}

// newSecret numbers secret access keys; the Nth belongs to the Nth access
// key created, whose ID is AKIA followed by N on 16 digits.
func (s *stack) newSecret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys++
	return fmt.Sprintf("goldenSecret%028d", s.keys)
}

func (s *stack) newRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqs)
}

// userKey returns the ID and secret of the nth access key the stack created.
func userKey(n int) (id, secret string) {
	return fmt.Sprintf("AKIA%016d", n), fmt.Sprintf("goldenSecret%028d", n)
}

// creds are the credentials a request is signed with; the zero value sends
// the request unsigned.
type creds struct {
	keyID, secret, service string
}

func rootCreds(service string) creds { return creds{rootKeyID, rootSecret, service} }

// form builds a Query request: the action, the API version of service, and
// name/value pairs.
func form(service, action string, kv ...string) url.Values {
	v := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	if service == "sts" {
		v.Set("Version", "2011-06-15")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// newRequest returns a POST of body as an AWS SDK sends it, signed with c
// by the SDK's own signer at the stack's clock.
func newRequest(tb testing.TB, body string, c creds) *http.Request {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://localhost/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("User-Agent", "warden-golden-test")
	if c.keyID == "" {
		return r
	}
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.keyID, SecretAccessKey: c.secret},
		r, hex.EncodeToString(sum[:]), c.service, region, clock)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// do serves one request and returns the recorded response.
func (s *stack) do(tb testing.TB, f url.Values, c creds) *httptest.ResponseRecorder {
	tb.Helper()
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, newRequest(tb, f.Encode(), c))
	return w
}

// mustDo serves a setup request as root and fails unless it succeeds.
func (s *stack) mustDo(tb testing.TB, f url.Values) {
	tb.Helper()
	service := "iam"
	if f.Get("Version") == "2011-06-15" {
		service = "sts"
	}
	if w := s.do(tb, f, rootCreds(service)); w.Code != http.StatusOK {
		tb.Fatalf("setup %s: status %d\n%s", f.Get("Action"), w.Code, w.Body)
	}
}

// checkXML returns an error unless body is one well-formed XML element with
// nothing but white space around it.
func checkXML(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return fmt.Errorf("text outside the root element: %q", tok)
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("want exactly one root element, got %d (depth %d at the end)", roots, depth)
	}
	return nil
}
