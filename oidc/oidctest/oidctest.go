// Package oidctest runs an OpenID Connect issuer for tests: HTTPS on
// 127.0.0.1 with its own self-signed certificate, a discovery document and
// a JWKS, signing keys that can be rotated, and tokens minted on demand,
// well-formed or deliberately broken.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Issuer is a test OpenID Connect issuer.
type Issuer struct {
	URL string // https://127.0.0.1:PORT
	// Thumbprint is the SHA-1 of the server's certificate, the only one it
	// presents, in lower-case hex.
	Thumbprint string
	Server     *httptest.Server
	// JWKSFetches counts requests for the key set.
	JWKSFetches atomic.Int64

	mu     sync.Mutex
	keys   []key // published; the first one signs
	maxAge int
	next   int
}

type key struct {
	id   string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// New starts an issuer with one RSA key (RS256), stopped when the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}, "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		iss.JWKSFetches.Add(1)
		iss.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range iss.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.id, Algorithm: string(k.alg), Use: "sig"})
		}
		maxAge := iss.maxAge
		iss.mu.Unlock()
		if maxAge > 0 {
			w.Header().Set("Cache-Control", "max-age="+strconv.Itoa(maxAge))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	})
	iss.Server = httptest.NewTLSServer(mux)
	t.Cleanup(iss.Server.Close)
	iss.URL = iss.Server.URL
	sum := sha1.Sum(iss.Server.Certificate().Raw)
	iss.Thumbprint = hex.EncodeToString(sum[:])
	iss.Rotate(t, jose.RS256)
	return iss
}

// Rotate publishes a new signing key for alg (RS256/384/512, ES256/384),
// which signs from now on; the previous keys stay published.
func (iss *Issuer) Rotate(t testing.TB, alg jose.SignatureAlgorithm) {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.next++
	iss.keys = append([]key{{id: "k" + strconv.Itoa(iss.next), alg: alg, priv: priv}}, iss.keys...)
}

// Retire stops publishing every key but the current one.
func (iss *Issuer) Retire() {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.keys = iss.keys[:1]
}

// SetMaxAge makes the key set's responses say Cache-Control: max-age.
func (iss *Issuer) SetMaxAge(seconds int) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.maxAge = seconds
}

// Claims returns the claims of a fresh token for subject and audience:
// iss, sub, aud, iat, nbf and an exp an hour away.
func (iss *Issuer) Claims(sub, aud string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": iss.URL, "sub": sub, "aud": aud, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix()}
}

// Sign signs claims with the current key.
func (iss *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	iss.mu.Lock()
	k := iss.keys[0]
	iss.mu.Unlock()
	return SignWith(t, k.priv, k.alg, k.id, claims)
}

// Token is Sign(Claims(sub, aud)).
func (iss *Issuer) Token(t testing.TB, sub, aud string) string {
	t.Helper()
	return iss.Sign(t, iss.Claims(sub, aud))
}

// SignWith signs claims with any key, as a forger would.
func SignWith(t testing.TB, priv crypto.Signer, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Unsigned builds a token with header {"alg": alg} and no valid signature
// (an empty one for "none"), as an attacker would send.
func Unsigned(alg string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	sig := ""
	if alg != "none" {
		sig = enc([]byte("not-a-signature"))
	}
	return enc(h) + "." + enc(p) + "." + sig
}
