package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// cachedVerifier is a Verifier that already holds the key set of issuer,
// so that verification makes no fetch.
func cachedVerifier(tb testing.TB, p Provider, keys ...jose.JSONWebKey) *Verifier {
	tb.Helper()
	v := NewVerifier(nil)
	now := time.Now()
	v.keys[p.Issuer+"|"] = &keySet{set: jose.JSONWebKeySet{Keys: keys}, fetched: now, expires: now.Add(time.Hour), forced: now}
	return v
}

func signToken(tb testing.TB, key *ecdsa.PrivateKey, claims map[string]any) string {
	tb.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		tb.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// FuzzVerify feeds arbitrary tokens through the parsing and verification
// path with a cached key set: it must never panic, and whatever it accepts
// must carry a subject and a registered client ID.
func FuzzVerify(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := Provider{Issuer: "https://issuer.example.com", ClientIDs: []string{"sts.amazonaws.com"}}
	now := time.Now()
	good := signToken(f, key, map[string]any{"iss": p.Issuer, "sub": "s", "aud": "sts.amazonaws.com", "exp": now.Add(time.Hour).Unix()})
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(good)
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"iss":"https://issuer.example.com","sub":"s","aud":"sts.amazonaws.com"}`)) + ".")
	f.Add(enc([]byte(`{"alg":"HS256","kid":"k1"}`)) + "." + enc([]byte(`{"iss":"x"}`)) + "." + enc([]byte("sig")))
	f.Add(enc([]byte(`{"alg":"ES256","kid":"k1","crit":["b64"]}`)) + ".e30.AAAA")
	f.Add("a.b.c")
	f.Add("...")
	f.Add("")
	v := cachedVerifier(f, p, jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	f.Fuzz(func(t *testing.T, token string) {
		_, _ = Unverified(token)
		c, err := v.Verify(context.Background(), p, token)
		if err != nil {
			return
		}
		if c.Subject == "" || !slices.Contains(p.ClientIDs, c.ClientID) || c.Issuer != p.Issuer {
			t.Fatalf("accepted %q with claims %+v", token, c)
		}
	})
}

// BenchmarkVerifyCached verifies an ES256 token with the key set cached.
func BenchmarkVerifyCached(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := Provider{Issuer: "https://issuer.example.com", ClientIDs: []string{"sts.amazonaws.com"}}
	tok := signToken(b, key, map[string]any{"iss": p.Issuer, "sub": "s", "aud": "sts.amazonaws.com", "exp": time.Now().Add(time.Hour).Unix()})
	v := cachedVerifier(b, p, jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), p, tok); err != nil {
			b.Fatal(err)
		}
	}
}
