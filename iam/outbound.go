package iam

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// Error codes of outbound web identity federation.
const (
	CodeFeatureEnabled  warden.Code = "FeatureEnabled"
	CodeFeatureDisabled warden.Code = "FeatureDisabled"
)

// IssuerPath is where the issuers of accounts are published under
// Service.IssuerBase: ISSUERBASE/oidc/ACCOUNT/ISSUER_ID.
const IssuerPath = "/oidc/"

// outboundOperations are Warden's outbound web identity federation: Warden
// as an OpenID Connect issuer for the account's principals.
func (s *Service) outboundOperations() map[string]operation {
	return map[string]operation{
		"EnableOutboundWebIdentityFederation":  op(s.enableOutbound),
		"DisableOutboundWebIdentityFederation": noOutput(s.disableOutbound),
		"GetOutboundWebIdentityFederationInfo": op(s.getOutboundInfo),
	}
}

// Lifetimes of outbound signing keys: each signs for outboundKeyLifetime,
// then a new key takes over and the old one stays published for
// outboundKeyOverlap, longer than any token it signed lives.
const (
	outboundKeyLifetime = 30 * 24 * time.Hour
	outboundKeyOverlap  = 24 * time.Hour
)

// IssuerURL is the issuer URL of an account's outbound federation.
func (s *Service) IssuerURL(f *warden.OutboundFederation) string {
	return strings.TrimRight(s.IssuerBase, "/") + IssuerPath + f.Account + "/" + f.IssuerID
}

type noInput struct{}

type enableOutboundOutput struct {
	IssuerIdentifier string `xml:"IssuerIdentifier"`
}

// enableOutbound turns token vending on, creating the account's issuer and
// its signing keys (RS256 and ES384, sealed under the master key) the first
// time. Enabling it twice is FeatureEnabled.
func (s *Service) enableOutbound(ctx context.Context, p *warden.Principal, _ *noInput) (*enableOutboundOutput, error) {
	if err := s.authorize(ctx, p, "EnableOutboundWebIdentityFederation", "*", nil); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(s.IssuerBase, "https://") {
		// A setting of this server, not a failure of it: the caller can do
		// nothing until the operator sets --issuer-url.
		return nil, warden.Errorf(warden.CodeInvalidInput, "This Warden has no https issuer URL, so outbound web identity federation cannot be enabled: start it with --issuer-url https://...")
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var f *warden.OutboundFederation
	err = s.update(ctx, p, "EnableOutboundWebIdentityFederation", "*", func(tx warden.Tx) error {
		var err error
		f, err = warden.Load[warden.OutboundFederation](ctx, tx, p.Account, "issuer")
		if errors.Is(err, warden.ErrNotFound) {
			f = &warden.OutboundFederation{Account: p.Account, IssuerID: strings.ToLower(s.NewID("", 32)), Enabled: true}
			for _, k := range []struct {
				alg string
				key crypto.Signer
			}{{"RS256", rsaKey}, {"ES384", ecKey}} {
				sk, err := s.sealKey(p.Account, k.alg, k.key)
				if err != nil {
					return err
				}
				f.Keys = append(f.Keys, sk)
			}
			return warden.Insert(ctx, tx, f)
		}
		if err != nil {
			return err
		}
		if f.Enabled {
			return warden.Errorf(CodeFeatureEnabled, "Outbound web identity federation is already enabled for this account.")
		}
		f.Enabled = true
		return warden.Save(ctx, tx, f)
	})
	if err != nil {
		return nil, err
	}
	return &enableOutboundOutput{IssuerIdentifier: s.IssuerURL(f)}, nil
}

func (s *Service) disableOutbound(ctx context.Context, p *warden.Principal, _ *noInput) error {
	if err := s.authorize(ctx, p, "DisableOutboundWebIdentityFederation", "*", nil); err != nil {
		return err
	}
	return s.update(ctx, p, "DisableOutboundWebIdentityFederation", "*", func(tx warden.Tx) error {
		f, err := warden.Load[warden.OutboundFederation](ctx, tx, p.Account, "issuer")
		if errors.Is(err, warden.ErrNotFound) || err == nil && !f.Enabled {
			return warden.Errorf(CodeFeatureDisabled, "Outbound web identity federation is not enabled for this account.")
		}
		if err != nil {
			return err
		}
		f.Enabled = false
		return warden.Save(ctx, tx, f)
	})
}

type outboundInfoOutput struct {
	IssuerIdentifier  string `xml:"IssuerIdentifier,omitempty"`
	JwtVendingEnabled bool   `xml:"JwtVendingEnabled"`
}

func (s *Service) getOutboundInfo(ctx context.Context, p *warden.Principal, _ *noInput) (*outboundInfoOutput, error) {
	if err := s.authorize(ctx, p, "GetOutboundWebIdentityFederationInfo", "*", nil); err != nil {
		return nil, err
	}
	f, err := s.Outbound(ctx, p.Account)
	if warden.IsNotFound(err) {
		return nil, warden.Errorf(CodeFeatureDisabled, "Outbound web identity federation is not enabled for this account.")
	}
	if err != nil {
		return nil, err
	}
	return &outboundInfoOutput{IssuerIdentifier: s.IssuerURL(f), JwtVendingEnabled: f.Enabled}, nil
}

// Outbound returns an account's outbound federation, or ErrNotFound.
func (s *Service) Outbound(ctx context.Context, account string) (*warden.OutboundFederation, error) {
	var f *warden.OutboundFederation
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		f, err = warden.Load[warden.OutboundFederation](ctx, tx, account, "issuer")
		return err
	})
	return f, err
}

// sealKey makes a SigningKey of key, sealed under the master key.
func (s *Service) sealKey(account, alg string, key crypto.Signer) (warden.SigningKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return warden.SigningKey{}, err
	}
	id := strings.ToLower(s.NewID("", 16))
	return warden.SigningKey{ID: id, Algorithm: alg, CreateDate: s.now(), Private: s.box.Seal(der, account+"/"+id)}, nil
}

// newest returns the index of the most recent key for alg, or -1.
func newest(f *warden.OutboundFederation, alg string) int {
	best := -1
	for i, k := range f.Keys {
		if k.Algorithm == alg && (best < 0 || k.CreateDate.After(f.Keys[best].CreateDate)) {
			best = i
		}
	}
	return best
}

// OutboundRotationDue reports whether the account's signing key for alg
// has signed for its lifetime, or superseded keys are past their overlap.
func (s *Service) OutboundRotationDue(f *warden.OutboundFederation, alg string) bool {
	now := s.now()
	i := newest(f, alg)
	if i < 0 || now.Sub(f.Keys[i].CreateDate) >= outboundKeyLifetime {
		return true
	}
	for j, k := range f.Keys {
		if j != i && k.Algorithm == alg && now.Sub(f.Keys[i].CreateDate) >= outboundKeyOverlap {
			return true
		}
	}
	return false
}

// RotateOutbound gives the account a new signing key for alg when the
// current one has signed for its lifetime, and drops superseded keys once
// their overlap has passed. It returns the federation as stored.
func (s *Service) RotateOutbound(ctx context.Context, account, alg string) (*warden.OutboundFederation, error) {
	var fresh crypto.Signer
	var err error
	if alg == "ES384" {
		fresh, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	} else {
		fresh, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, err
	}
	var f *warden.OutboundFederation
	err = s.store.Update(ctx, func(tx warden.Tx) error {
		var err error
		if f, err = warden.Load[warden.OutboundFederation](ctx, tx, account, "issuer"); err != nil {
			return err
		}
		if !s.OutboundRotationDue(f, alg) {
			return nil
		}
		now := s.now()
		if i := newest(f, alg); i < 0 || now.Sub(f.Keys[i].CreateDate) >= outboundKeyLifetime {
			sk, err := s.sealKey(account, alg, fresh)
			if err != nil {
				return err
			}
			f.Keys = append(f.Keys, sk)
		}
		cur := f.Keys[newest(f, alg)]
		kept := f.Keys[:0:0]
		for _, k := range f.Keys {
			if k.Algorithm != alg || k.ID == cur.ID || now.Sub(cur.CreateDate) < outboundKeyOverlap {
				kept = append(kept, k)
			}
		}
		f.Keys = kept
		if err := warden.Save(ctx, tx, f); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, warden.AuditEvent{Time: s.Now().UTC(), Account: account, RequestID: warden.RequestID(ctx),
			Action: "iam:RotateOutboundWebIdentityKey", Resource: s.IssuerURL(f), Outcome: "Success", Details: map[string]string{"keyId": cur.ID}})
	})
	return f, err
}

// OutboundSigner opens the account's current signing key for alg.
func (s *Service) OutboundSigner(f *warden.OutboundFederation, alg string) (crypto.Signer, string, error) {
	if i := newest(f, alg); i >= 0 {
		k := f.Keys[i]
		der, err := s.box.Open(k.Private, f.Account+"/"+k.ID)
		if err != nil {
			return nil, "", err
		}
		key, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, "", err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, "", errors.New("signing key is not a signer")
		}
		return signer, k.ID, nil
	}
	return nil, "", errors.New("no signing key for " + alg)
}

// OutboundPublicKeys returns the public keys of the issuer with issuerID
// in the account named by the ID's owner, for the issuer's JWKS, keyed by
// key ID with their algorithms; ErrNotFound when there is no such issuer.
func (s *Service) OutboundPublicKeys(ctx context.Context, account, issuerID string) (map[string]crypto.PublicKey, map[string]string, error) {
	f, err := s.Outbound(ctx, account)
	if err != nil {
		return nil, nil, err
	}
	if f.IssuerID != issuerID {
		return nil, nil, warden.ErrNotFound
	}
	keys, algs := map[string]crypto.PublicKey{}, map[string]string{}
	for _, k := range f.Keys {
		signer, _, err := s.OutboundSigner(&warden.OutboundFederation{Account: f.Account, Keys: []warden.SigningKey{k}}, k.Algorithm)
		if err != nil {
			return nil, nil, err
		}
		keys[k.ID], algs[k.ID] = signer.Public(), k.Algorithm
	}
	return keys, algs, nil
}
