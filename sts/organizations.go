package sts

import (
	"context"
	"errors"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
)

// The STS operations that need AWS Organizations, which Warden does not
// have, are authorized like every operation and then answered as STS
// answers an account in no organization: honest errors, never credentials.
// GetDelegatedAccessToken trades in the tokens of temporary delegation.

type assumeRootInput struct {
	TargetPrincipal string
	DurationSeconds *int
}

func (s *Service) assumeRoot(ctx context.Context, p *warden.Principal, in *assumeRootInput) (*struct{}, error) {
	if p.IsRoot() {
		return nil, warden.Errorf(warden.CodeAccessDenied, "The root user cannot call AssumeRoot.")
	}
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:AssumeRoot", Resource: "*"}); err != nil {
		return nil, err
	}
	return nil, warden.Errorf(warden.CodeAccessDenied,
		"User: %s is not authorized to perform: sts:AssumeRoot on resource: %s because no organization with centralized root access is associated with account %s",
		p.ARN, in.TargetPrincipal, p.Account)
}

type getDelegatedAccessTokenInput struct {
	TradeInToken string
}

type getDelegatedAccessTokenOutput struct {
	Credentials      wCredentials `xml:"Credentials"`
	AssumedPrincipal string       `xml:"AssumedPrincipal"`
}

// CodeExpiredTradeInToken is STS's error for a trade-in token it does not honour.
const CodeExpiredTradeInToken warden.Code = "ExpiredTradeInTokenException"

var errTradeInToken = warden.Errorf(CodeExpiredTradeInToken, "The trade-in token is invalid or has expired.")

// getDelegatedAccessToken trades the exchange token of a finalized
// delegation request in for credentials in the owner's account: they act as
// the identity that accepted the request, limited by the request's policy
// (a session policy), and expire when the delegated period ends. Only the
// partner account that made the request may trade its token in; every token
// not honoured (unknown, altered, another account's, a request rejected,
// expired or past its period) is ExpiredTradeInTokenException.
func (s *Service) getDelegatedAccessToken(ctx context.Context, p *warden.Principal, in *getDelegatedAccessTokenInput) (*getDelegatedAccessTokenOutput, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:GetDelegatedAccessToken", Resource: "*"}); err != nil {
		return nil, err
	}
	now := s.now()
	d, err := s.iam.RedeemDelegationToken(ctx, p, in.TradeInToken, now)
	if errors.Is(err, iam.ErrNoDelegation) {
		return nil, errTradeInToken
	}
	if err != nil {
		return nil, err
	}
	a := d.Approver
	sess := &warden.Session{Account: d.OwnerAccount, Type: a.Type, ARN: a.ARN, ID: a.ID, Name: a.Name,
		RoleName: a.RoleName, RoleID: a.RoleID, IssuerARN: a.ARN, SessionPolicies: []string{d.PermissionPolicy},
		DelegationRequestID: d.ID, IssueRegion: p.Region}
	if a.Type == warden.PrincipalUser {
		sess.IssuerUser, sess.IssuerUserID = a.Name, a.ID
	}
	if a.Type == warden.PrincipalAssumedRole {
		sess.IssuerARN = "arn:aws:iam::" + d.OwnerAccount + ":role/" + a.RoleName
	}
	creds := s.issue(sess, d.AccessEnds.Sub(now))
	err = s.storeSession(ctx, sess, func(tx warden.Tx) error {
		for _, account := range []string{p.Account, d.OwnerAccount} {
			if err := s.audit(ctx, tx, p, account, "GetDelegatedAccessToken", a.ARN,
				map[string]string{"accessKeyId": sess.AccessKeyID, "delegationRequestId": d.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &getDelegatedAccessTokenOutput{Credentials: creds, AssumedPrincipal: a.ARN}, nil
}
