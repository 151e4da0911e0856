package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/oidc/oidctest"
)

// clock is a settable clock for the verifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T) (*oidctest.Issuer, *oidc.Verifier, oidc.Provider, *clock) {
	t.Helper()
	iss := oidctest.New(t)
	v := oidc.NewVerifier(nil)
	c := &clock{t: time.Now()}
	v.Now = c.Now
	return iss, v, oidc.Provider{Issuer: iss.URL, ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: []string{iss.Thumbprint}}, c
}

func wantCode(t *testing.T, err error, code warden.Code, msg string) {
	t.Helper()
	if warden.ErrorCode(err) != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
}

func TestVerifyAndRotate(t *testing.T) {
	iss, v, p, clk := setup(t)
	ctx := context.Background()
	c, err := v.Verify(ctx, p, iss.Token(t, "repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "repo:octo/app:ref:refs/heads/main" || c.ClientID != "sts.amazonaws.com" || c.Issuer != iss.URL {
		t.Errorf("claims = %+v", c)
	}
	if _, err := v.Verify(ctx, p, iss.Token(t, "again", "sts.amazonaws.com")); err != nil {
		t.Fatal(err)
	}
	if n := iss.JWKSFetches.Load(); n != 1 {
		t.Errorf("key set fetched %d times for two tokens, want 1 (cached)", n)
	}

	// A new key (an unknown kid) is fetched at once.
	iss.Rotate(t, jose.ES256)
	if _, err := v.Verify(ctx, p, iss.Token(t, "rotated", "sts.amazonaws.com")); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if n := iss.JWKSFetches.Load(); n != 2 {
		t.Errorf("key set fetched %d times after a rotation, want 2", n)
	}
	// Another rotation right away is not fetched again until minRefetch.
	iss.Rotate(t, jose.ES384)
	_, err = v.Verify(ctx, p, iss.Token(t, "rotated again", "sts.amazonaws.com"))
	wantCode(t, err, oidc.CodeInvalidIdentityToken, "signature")
	if n := iss.JWKSFetches.Load(); n != 2 {
		t.Errorf("key set fetched %d times, want 2 (rate-limited)", n)
	}
	clk.Advance(31 * time.Second)
	if _, err := v.Verify(ctx, p, iss.Token(t, "later", "sts.amazonaws.com")); err != nil {
		t.Fatalf("after the refetch interval: %v", err)
	}
	// A retired key is refused once the cache expires.
	old := iss.Token(t, "old", "sts.amazonaws.com")
	iss.Rotate(t, jose.RS512)
	iss.Retire()
	clk.Advance(2 * time.Hour)
	iss.Rotate(t, jose.RS384) // so that the clock's advance does not expire the tokens
	_, err = v.Verify(ctx, p, old)
	if err == nil {
		t.Fatal("a token of a retired key was accepted")
	}
}

func TestVerifyRefusals(t *testing.T) {
	iss, v, p, _ := setup(t)
	ctx := context.Background()
	claims := func(edit func(map[string]any)) map[string]any {
		c := iss.Claims("sub-1", "sts.amazonaws.com")
		edit(c)
		return c
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := iss.Token(t, "sub-1", "sts.amazonaws.com")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "=") + "A." + parts[2]
	for _, tc := range []struct {
		name  string
		token string
		code  warden.Code
		msg   string
	}{
		{"expired", iss.Sign(t, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), oidc.CodeExpiredToken, "Token expired"},
		{"wrong audience", iss.Token(t, "sub-1", "someone-else"), oidc.CodeInvalidIdentityToken, "Incorrect token audience"},
		{"azp wins over aud", iss.Sign(t, claims(func(c map[string]any) { c["azp"] = "other-client" })), oidc.CodeInvalidIdentityToken, "audience"},
		{"tampered", tampered, oidc.CodeInvalidIdentityToken, ""},
		{"alg none", oidctest.Unsigned("none", iss.Claims("sub-1", "sts.amazonaws.com")), oidc.CodeInvalidIdentityToken, ""},
		{"HMAC", oidctest.Unsigned("HS256", iss.Claims("sub-1", "sts.amazonaws.com")), oidc.CodeInvalidIdentityToken, ""},
		{"other key, same kid", oidctest.SignWith(t, other, jose.ES256, "k1", iss.Claims("sub-1", "sts.amazonaws.com")), oidc.CodeInvalidIdentityToken, "signature"},
		{"other issuer", iss.Sign(t, claims(func(c map[string]any) { c["iss"] = "https://evil.example.com" })), oidc.CodeInvalidIdentityToken, "Issuer"},
		{"no exp", iss.Sign(t, claims(func(c map[string]any) { delete(c, "exp") })), oidc.CodeInvalidIdentityToken, "exp"},
		{"nbf ahead", iss.Sign(t, claims(func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() })), oidc.CodeInvalidIdentityToken, "nbf"},
		{"iat ahead", iss.Sign(t, claims(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() })), oidc.CodeInvalidIdentityToken, "iat"},
		{"no sub", iss.Sign(t, claims(func(c map[string]any) { delete(c, "sub") })), oidc.CodeInvalidIdentityToken, "sub"},
		{"not a JWT", "abc.def", oidc.CodeInvalidIdentityToken, "not a valid JWT"},
		{"garbage", "a.b.c", oidc.CodeInvalidIdentityToken, "not a valid JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(ctx, p, tc.token)
			wantCode(t, err, tc.code, tc.msg)
		})
	}
	// Skew within a minute is tolerated.
	if _, err := v.Verify(ctx, p, iss.Sign(t, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-30 * time.Second).Unix() }))); err != nil {
		t.Errorf("a token expired 30 s ago was refused: %v", err)
	}
	// azp that is a client ID is the audience.
	p.ClientIDs = append(p.ClientIDs, "other-client")
	c, err := v.Verify(ctx, p, iss.Sign(t, claims(func(c map[string]any) { c["azp"] = "other-client"; c["aud"] = []string{"x", "y"} })))
	if err != nil || c.ClientID != "other-client" || len(c.Audience) != 2 {
		t.Errorf("azp token: %+v, %v", c, err)
	}
}

func TestVerifyTrust(t *testing.T) {
	iss := oidctest.New(t)
	ctx := context.Background()
	tok := iss.Token(t, "s", "aud")

	// Neither system roots nor a thumbprint vouch for the test certificate.
	v := oidc.NewVerifier(nil)
	_, err := v.Verify(ctx, oidc.Provider{Issuer: iss.URL, ClientIDs: []string{"aud"}, Thumbprints: []string{strings.Repeat("0", 40)}}, tok)
	wantCode(t, err, oidc.CodeInvalidIdentityToken, "thumbprint")

	// Roots that hold the certificate do, without thumbprints.
	roots := x509.NewCertPool()
	roots.AddCert(iss.Server.Certificate())
	v = oidc.NewVerifier(roots)
	if _, err := v.Verify(ctx, oidc.Provider{Issuer: iss.URL, ClientIDs: []string{"aud"}}, tok); err != nil {
		t.Errorf("with the certificate among the roots: %v", err)
	}
}

func TestVerifyCommunication(t *testing.T) {
	ctx := context.Background()
	// An issuer that answers too much, and one that is gone.
	big := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"` + strings.Repeat("x", 1<<20) + `"}`))
	}))
	defer big.Close()
	gone := httptest.NewTLSServer(http.NotFoundHandler())
	gone.Close()
	for _, srv := range []*httptest.Server{big, gone} {
		iss := srv.URL
		tok := oidctest.Unsigned("RS256", map[string]any{"iss": iss})
		_, err := oidc.NewVerifier(nil).Verify(ctx, oidc.Provider{Issuer: iss, ClientIDs: []string{"a"}, Thumbprints: []string{thumb(srv)}}, tok)
		wantCode(t, err, oidc.CodeIDPCommunicationError, "")
	}
}

func thumb(srv *httptest.Server) string { return oidc.Thumbprint(srv.Certificate()) }
