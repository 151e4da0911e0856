package oidc

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/sync/singleflight"

	"github.com/warden-iam/warden"
)

// Cache bounds of issuer key sets.
const (
	defaultKeyTTL = time.Hour        // when the issuer gives no max-age
	minKeyTTL     = 5 * time.Minute  // a smaller max-age is raised to this
	maxKeyTTL     = 24 * time.Hour   // a larger one is lowered to this
	minRefetch    = 30 * time.Second // between fetches forced by an unknown kid
	maxIssuers    = 1024             // cached key sets
	leeway        = time.Minute      // clock skew allowed on exp, nbf and iat
)

// algorithms are the only signature algorithms accepted: never none, never
// HMAC (a public key must not double as a shared secret).
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384}

// Provider is what IAM knows of an OpenID Connect provider.
type Provider struct {
	// Issuer is the issuer URL, https://HOST[/PATH]; a token's iss must be
	// exactly it.
	Issuer      string
	ClientIDs   []string
	Thumbprints []string // lower-case hex SHA-1
}

// Verifier verifies ID tokens. It is safe for concurrent use.
type Verifier struct {
	// Now is the clock tokens are judged by.
	Now func() time.Time

	fetch  fetcher
	flight singleflight.Group
	mu     sync.Mutex
	keys   map[string]*keySet // by issuer and thumbprints
}

type keySet struct {
	set     jose.JSONWebKeySet
	fetched time.Time
	expires time.Time
	// forced is when a token's unknown kid last made the set be fetched.
	forced time.Time
}

// NewVerifier returns a Verifier trusting roots (nil: the system's).
func NewVerifier(roots *x509.CertPool) *Verifier {
	return &Verifier{Now: time.Now, fetch: fetcher{roots: roots}, keys: map[string]*keySet{}}
}

// Claims are the verified claims of a token.
type Claims struct {
	Issuer   string
	Subject  string
	Audience []string
	AZP      string
	// ClientID is the registered client ID the token was issued for: azp
	// when the token has one, otherwise the aud value that matched.
	ClientID string
	Expiry   time.Time
	IssuedAt time.Time
	// Raw holds every claim as decoded JSON.
	Raw map[string]any
}

// Unverified returns the issuer a token claims to be from, so that the
// caller can find the provider to verify it against. It returns
// InvalidIdentityToken when the token is not a JWS-signed JWT with one of
// the accepted algorithms.
func Unverified(token string) (issuer string, err error) {
	tok, err := parse(token)
	if err != nil {
		return "", err
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil || c.Issuer == "" {
		return "", invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	return c.Issuer, nil
}

func parse(token string) (*jwt.JSONWebToken, error) {
	if strings.Count(token, ".") != 2 {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	tok, err := jwt.ParseSigned(token, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		if strings.Contains(strings.ToLower(errString(err)), "algorithm") {
			return nil, invalidToken("The ID Token is signed with an unsupported algorithm.")
		}
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	return tok, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Verify checks token against the provider: signature by one of the
// issuer's current keys, iss, aud/azp against the client IDs, exp, nbf and
// iat. Errors are *warden.Error: InvalidIdentityToken,
// ExpiredTokenException, IDPCommunicationError.
func (v *Verifier) Verify(ctx context.Context, p Provider, token string) (*Claims, error) {
	tok, err := parse(token)
	if err != nil {
		return nil, err
	}
	hdr := tok.Headers[0]
	set, err := v.keySet(ctx, p, false)
	if err != nil {
		return nil, err
	}
	candidates := matching(set, hdr)
	if len(candidates) == 0 && hdr.KeyID != "" {
		// Key rotation: the issuer may have published a new key.
		if set, err = v.keySet(ctx, p, true); err != nil {
			return nil, err
		}
		candidates = matching(set, hdr)
	}
	var std jwt.Claims
	var raw map[string]any
	verified := false
	for _, k := range candidates {
		if err := tok.Claims(k.Key, &std, &raw); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, invalidToken("Couldn't verify the signature of the web identity token with the keys of %s.", p.Issuer)
	}
	if std.Issuer != p.Issuer {
		return nil, invalidToken("Issuer %s of the web identity token does not match the provider %s.", std.Issuer, p.Issuer)
	}
	now := v.Now()
	if std.Expiry == nil {
		return nil, invalidToken("The web identity token has no expiration time (exp).")
	}
	if exp := std.Expiry.Time(); now.After(exp.Add(leeway)) {
		return nil, &warden.Error{Code: CodeExpiredToken, Message: "Token expired: current date/time " +
			now.UTC().Format(time.RFC3339) + " must be before the expiration date/time " + exp.UTC().Format(time.RFC3339)}
	}
	if std.NotBefore != nil && now.Add(leeway).Before(std.NotBefore.Time()) {
		return nil, invalidToken("The web identity token is not valid yet (nbf).")
	}
	if std.IssuedAt != nil && now.Add(leeway).Before(std.IssuedAt.Time()) {
		return nil, invalidToken("The web identity token was issued in the future (iat).")
	}
	c := &Claims{Issuer: std.Issuer, Subject: std.Subject, Audience: []string(std.Audience), Expiry: std.Expiry.Time(), Raw: raw}
	if std.IssuedAt != nil {
		c.IssuedAt = std.IssuedAt.Time()
	}
	c.AZP, _ = raw["azp"].(string)
	want := c.Audience
	if c.AZP != "" {
		want = []string{c.AZP}
	}
	for _, a := range want {
		if slices.Contains(p.ClientIDs, a) {
			c.ClientID = a
			break
		}
	}
	if c.ClientID == "" {
		return nil, invalidToken("Incorrect token audience")
	}
	if c.Subject == "" {
		return nil, invalidToken("The web identity token has no subject (sub).")
	}
	return c, nil
}

// matching returns the keys of set that may have signed a token with hdr:
// by kid when it names one, else every signing key; a key that says its
// algorithm must say the token's.
func matching(set *jose.JSONWebKeySet, hdr jose.Header) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if hdr.KeyID != "" && k.KeyID != hdr.KeyID {
			continue
		}
		if k.Use != "" && k.Use != "sig" || k.Algorithm != "" && k.Algorithm != hdr.Algorithm || !k.IsPublic() {
			continue
		}
		out = append(out, k)
	}
	return out
}

// discovery is the part of an OpenID provider configuration used here.
type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// keySet returns the issuer's keys, from the cache unless they expired or
// refresh asks for a new fetch (an unknown kid), which happens at most once
// per minRefetch, so that tokens with made-up kids cannot make Warden hammer
// the issuer. Concurrent fetches of one issuer are coalesced.
func (v *Verifier) keySet(ctx context.Context, p Provider, refresh bool) (*jose.JSONWebKeySet, error) {
	id := p.Issuer + "|" + strings.Join(slices.Sorted(slices.Values(p.Thumbprints)), ",")
	now := v.Now()
	v.mu.Lock()
	ks := v.keys[id]
	v.mu.Unlock()
	if ks != nil && now.Before(ks.expires) && (!refresh || now.Sub(ks.forced) < minRefetch) {
		return &ks.set, nil
	}
	got, err, _ := v.flight.Do(id, func() (any, error) {
		// The fetch serves every waiting caller, so the first one's
		// cancellation must not fail the others; fetchTimeout bounds it.
		ks, err := v.load(context.WithoutCancel(ctx), p)
		if err == nil && refresh {
			ks.forced = ks.fetched
		}
		return ks, err
	})
	if err != nil {
		if ks != nil && now.Before(ks.expires) {
			return &ks.set, nil // a failed refetch keeps the keys still valid
		}
		return nil, err
	}
	ks = got.(*keySet)
	v.mu.Lock()
	if len(v.keys) >= maxIssuers {
		clear(v.keys)
	}
	v.keys[id] = ks
	v.mu.Unlock()
	return &ks.set, nil
}

// load fetches the discovery document and the key set it points to.
func (v *Verifier) load(ctx context.Context, p Provider) (*keySet, error) {
	var d discovery
	if _, err := v.fetch.getJSON(ctx, strings.TrimRight(p.Issuer, "/")+"/.well-known/openid-configuration", p.Thumbprints, &d); err != nil {
		return nil, err
	}
	if d.Issuer != p.Issuer {
		return nil, communication(nil, "The issuer %s of the OpenID configuration does not match %s.", d.Issuer, p.Issuer)
	}
	var raw json.RawMessage
	maxAge, err := v.fetch.getJSON(ctx, d.JWKSURI, p.Thumbprints, &raw)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
		// go-jose refuses a whole set for one key it cannot read; keep the
		// keys it can.
		set = lenientSet(raw)
		if len(set.Keys) == 0 {
			return nil, communication(err, "The key set of your identity provider at %s has no usable keys.", d.JWKSURI)
		}
	}
	ttl := min(max(maxAge, minKeyTTL), maxKeyTTL)
	if maxAge == 0 {
		ttl = defaultKeyTTL
	}
	now := v.Now()
	return &keySet{set: set, fetched: now, expires: now.Add(ttl)}, nil
}

// lenientSet decodes the keys of a JWKS one by one, skipping those that do
// not decode.
func lenientSet(raw json.RawMessage) jose.JSONWebKeySet {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	var set jose.JSONWebKeySet
	if json.Unmarshal(raw, &doc) != nil {
		return set
	}
	for _, k := range doc.Keys {
		var key jose.JSONWebKey
		if key.UnmarshalJSON(k) == nil {
			set.Keys = append(set.Keys, key)
		}
	}
	return set
}
