// Package sts implements the AWS Security Token Service operations once, for
// every front end: authorize with authz, validate, then act.
package sts

import (
	"context"
	"net/url"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/apimodel"
	"github.com/warden-iam/warden/authz"
)

// Service runs STS operations.
type Service struct {
	store warden.Store
	authz *authz.Authorizer
	model *apimodel.Service
}

// New returns a Service.
func New(store warden.Store, az *authz.Authorizer) *Service {
	return &Service{store: store, authz: az, model: apimodel.Load("sts")}
}

// Has reports whether action is an STS operation Warden implements.
func (s *Service) Has(action string) bool { return action == "GetCallerIdentity" }

// Invoke decodes form as the input of action and runs it for p. It returns
// the operation's result in the AWS XML shape, or an *warden.Error.
func (s *Service) Invoke(ctx context.Context, p *warden.Principal, action string, form url.Values) (any, error) {
	switch action {
	case "GetCallerIdentity":
		var in struct{}
		if err := s.model.Decode(action, form, &in); err != nil {
			return nil, err
		}
		return s.getCallerIdentity(ctx, p)
	}
	return nil, warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version 2011-06-15", action)
}

type getCallerIdentityOutput struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// getCallerIdentity needs no permission: AWS answers it even when a policy
// denies sts:GetCallerIdentity.
func (s *Service) getCallerIdentity(_ context.Context, p *warden.Principal) (*getCallerIdentityOutput, error) {
	return &getCallerIdentityOutput{UserID: p.ID, Account: p.Account, Arn: p.ARN}, nil
}
