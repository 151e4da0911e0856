package sts

import (
	"context"

	"github.com/warden-iam/warden"
)

const (
	defaultSessionToken = 43200 // seconds, GetSessionToken and GetFederationToken
	maxRootSession      = 3600  // seconds, for credentials of the root user
)

type getSessionTokenInput struct {
	DurationSeconds *int
	SerialNumber    string
	TokenCode       string
}

type getSessionTokenOutput struct {
	Credentials wCredentials `xml:"Credentials"`
}

// getSessionToken issues temporary credentials with the caller's own
// identity and permissions, authenticated with MFA when SerialNumber and
// TokenCode are given (aws:MultiFactorAuthPresent true, and
// aws:MultiFactorAuthAge counting from now). It needs no permission, as in
// AWS; only long-term credentials of an IAM user or of the root user may
// call it. Root sessions last at most an hour.
func (s *Service) getSessionToken(ctx context.Context, p *warden.Principal, in *getSessionTokenInput) (*getSessionTokenOutput, error) {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return nil, warden.Errorf(warden.CodeAccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	d := durationOf(in.DurationSeconds, defaultSessionToken, 129600)
	if p.IsRoot() {
		d = durationOf(in.DurationSeconds, maxRootSession, maxRootSession)
	}
	sess := &warden.Session{Account: p.Account, Type: p.Type, ARN: p.ARN, ID: p.ID, Name: p.Name,
		IssuerARN: p.ARN, IssuerUser: p.Name, IssuerUserID: p.ID}
	if in.SerialNumber != "" || in.TokenCode != "" {
		if err := s.checkMFA(ctx, p, in.SerialNumber, in.TokenCode); err != nil {
			return nil, err
		}
		sess.MFAAuthenticated, sess.MFAAuthTime = true, s.now()
	}
	sess.IssueRegion = p.Region
	creds := s.issue(sess, d)
	err := s.storeSession(ctx, sess, func(tx warden.Tx) error {
		return s.audit(ctx, tx, p, p.Account, "GetSessionToken", p.ARN,
			map[string]string{"accessKeyId": sess.AccessKeyID, "mfa": boolString(sess.MFAAuthenticated)})
	})
	if err != nil {
		return nil, err
	}
	return &getSessionTokenOutput{Credentials: creds}, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
