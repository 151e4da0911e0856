package sts

import (
	"context"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// The STS operations that need AWS Organizations or a delegation partner,
// which Warden does not have. They are authorized like every operation and
// then answered as STS answers an account in no organization: honest errors,
// never credentials.

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

// CodeExpiredTradeInToken is STS's error for a trade-in token it does not honour.
const CodeExpiredTradeInToken warden.Code = "ExpiredTradeInTokenException"

func (s *Service) getDelegatedAccessToken(ctx context.Context, p *warden.Principal, in *getDelegatedAccessTokenInput) (*struct{}, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:GetDelegatedAccessToken", Resource: "*"}); err != nil {
		return nil, err
	}
	// Warden sends no delegation tokens, so none can be traded in.
	return nil, warden.Errorf(CodeExpiredTradeInToken, "The trade-in token is invalid or has expired.")
}
