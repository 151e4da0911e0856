package sts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// CodeOutboundDisabled is GetWebIdentityToken's error when the account has
// not enabled outbound web identity federation.
const CodeOutboundDisabled warden.Code = "OutboundWebIdentityFederationDisabledException"

const defaultWebIdentityToken = 300 // seconds

type getWebIdentityTokenInput struct {
	Audience         []string
	SigningAlgorithm string
	DurationSeconds  *int
	Tags             []tagInput
}

type getWebIdentityTokenOutput struct {
	WebIdentityToken string    `xml:"WebIdentityToken"`
	Expiration       time.Time `xml:"Expiration"`
}

// getWebIdentityToken signs a JWT for the caller with its account's
// outbound federation key: iss is the account's issuer URL, sub the
// caller's ARN, aud the audiences asked for; request tags become the
// https://aws.amazon.com/tags claim, so that another Warden (or any OIDC
// relying party) can pass them on as session tags.
func (s *Service) getWebIdentityToken(ctx context.Context, p *warden.Principal, in *getWebIdentityTokenInput) (*getWebIdentityTokenOutput, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:GetWebIdentityToken", Resource: "*"}); err != nil {
		return nil, err
	}
	f, err := s.iam.Outbound(ctx, p.Account)
	if warden.IsNotFound(err) || err == nil && !f.Enabled {
		return nil, warden.Errorf(CodeOutboundDisabled, "Outbound web identity federation is disabled for this account.")
	}
	if err != nil {
		return nil, err
	}
	if s.iam.OutboundRotationDue(f, in.SigningAlgorithm) {
		if f, err = s.iam.RotateOutbound(ctx, p.Account, in.SigningAlgorithm); err != nil {
			return nil, err
		}
	}
	signer, kid, err := s.iam.OutboundSigner(f, in.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	now := s.now()
	seconds := defaultWebIdentityToken
	if in.DurationSeconds != nil {
		seconds = *in.DurationSeconds
	}
	exp := now.Add(time.Duration(seconds) * time.Second)
	var jti [16]byte
	rand.Read(jti[:])
	claims := map[string]any{"iss": s.iam.IssuerURL(f), "sub": p.ARN, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"jti": hex.EncodeToString(jti[:]), "https://sts.amazonaws.com/": map[string]any{"aws_account": p.Account, "principal_id": p.ID}}
	if len(in.Audience) == 1 {
		claims["aud"] = in.Audience[0]
	} else {
		claims["aud"] = in.Audience
	}
	if len(in.Tags) > 0 {
		tags := map[string][]string{}
		for _, t := range in.Tags {
			tags[t.Key] = []string{t.Value}
		}
		claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": tags}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(in.SigningAlgorithm), Key: signer},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, err
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		return nil, err
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return &getWebIdentityTokenOutput{WebIdentityToken: tok, Expiration: exp}, nil
}
