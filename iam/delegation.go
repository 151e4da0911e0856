package iam

import (
	"context"
	"strings"

	"github.com/warden-iam/warden"
)

// Temporary delegation (delegation requests, their tokens) and role
// templates are AWS features for onboarded partners: a partner's policy
// template decides what a request grants, and AWS publishes the role
// templates. Warden has no partners and no templates, so these operations
// are authorized as usual and then answer what AWS answers when none exist:
// a request cannot be created, no request or template is found, and the
// list of requests is empty.
func (s *Service) delegationOperations() map[string]operation {
	byID := func(action string) operation { return noOutput(s.delegationRequestByID(action)) }
	return map[string]operation{
		"CreateDelegationRequest":    op(s.createDelegationRequest),
		"ListDelegationRequests":     op(s.listDelegationRequests),
		"GetDelegationRequest":       op(s.getDelegationRequest),
		"AcceptDelegationRequest":    byID("AcceptDelegationRequest"),
		"AssociateDelegationRequest": byID("AssociateDelegationRequest"),
		"RejectDelegationRequest":    byID("RejectDelegationRequest"),
		"UpdateDelegationRequest":    byID("UpdateDelegationRequest"),
		"SendDelegationToken":        byID("SendDelegationToken"),
		"GetRoleTemplateVersion":     op(s.getRoleTemplateVersion),
		"AcquireRole":                op(s.acquireRole),
		"GetHumanReadableSummary":    op(s.getHumanReadableSummary),
	}
}

type createDelegationRequestInput struct {
	Description         string
	RequestorWorkflowId string
	NotificationChannel string
	SessionDuration     int
	OwnerAccountId      string
}

func (s *Service) createDelegationRequest(ctx context.Context, p *warden.Principal, in *createDelegationRequestInput) (*struct{}, error) {
	if err := s.authorize(ctx, p, "CreateDelegationRequest", "*", nil); err != nil {
		return nil, err
	}
	return nil, warden.Errorf(warden.CodeAccessDenied, "Account %s is not onboarded as a delegation partner, so it cannot create delegation requests.", p.Account)
}

type listDelegationRequestsInput struct {
	OwnerId  string
	Marker   string
	MaxItems int
}

type listDelegationRequestsOutput struct {
	DelegationRequests list[struct{}] `xml:"DelegationRequests"`
	page
}

func (s *Service) listDelegationRequests(ctx context.Context, p *warden.Principal, in *listDelegationRequestsInput) (*listDelegationRequestsOutput, error) {
	if err := s.authorize(ctx, p, "ListDelegationRequests", "*", nil); err != nil {
		return nil, err
	}
	if in.Marker != "" {
		return nil, warden.Errorf(warden.CodeValidationError, "Invalid Marker.")
	}
	return &listDelegationRequestsOutput{DelegationRequests: list[struct{}]{}}, nil
}

type delegationRequestIDInput struct {
	DelegationRequestId string
}

func delegationRequestARN(account, id string) string {
	return "arn:aws:iam::" + account + ":delegation-request/" + id
}

func noSuchDelegationRequest(id string) error {
	return noSuchEntity("The delegation request with id %s cannot be found.", id)
}

func (s *Service) delegationRequestByID(action string) func(context.Context, *warden.Principal, *delegationRequestIDInput) error {
	return func(ctx context.Context, p *warden.Principal, in *delegationRequestIDInput) error {
		if err := s.authorize(ctx, p, action, delegationRequestARN(p.Account, in.DelegationRequestId), nil); err != nil {
			return err
		}
		return noSuchDelegationRequest(in.DelegationRequestId)
	}
}

func (s *Service) getDelegationRequest(ctx context.Context, p *warden.Principal, in *delegationRequestIDInput) (*struct{}, error) {
	return nil, s.delegationRequestByID("GetDelegationRequest")(ctx, p, in)
}

type roleTemplateInput struct {
	TemplateArn string
}

func (s *Service) roleTemplateNotFound(ctx context.Context, p *warden.Principal, action, templateARN string) error {
	if err := s.authorize(ctx, p, action, "*", nil); err != nil {
		return err
	}
	return noSuchEntity("The role template %s cannot be found.", templateARN)
}

func (s *Service) getRoleTemplateVersion(ctx context.Context, p *warden.Principal, in *roleTemplateInput) (*struct{}, error) {
	return nil, s.roleTemplateNotFound(ctx, p, "GetRoleTemplateVersion", in.TemplateArn)
}

func (s *Service) acquireRole(ctx context.Context, p *warden.Principal, in *roleTemplateInput) (*struct{}, error) {
	return nil, s.roleTemplateNotFound(ctx, p, "AcquireRole", in.TemplateArn)
}

type getHumanReadableSummaryInput struct {
	EntityArn string
	Locale    string
}

type getHumanReadableSummaryOutput struct {
	Locale       string `xml:"Locale,omitempty"`
	SummaryState string `xml:"SummaryState"`
}

// getHumanReadableSummary summarizes delegation requests, of which there are
// none; other entities have no summary (NOT_SUPPORTED).
func (s *Service) getHumanReadableSummary(ctx context.Context, p *warden.Principal, in *getHumanReadableSummaryInput) (*getHumanReadableSummaryOutput, error) {
	if err := s.authorize(ctx, p, "GetHumanReadableSummary", in.EntityArn, nil); err != nil {
		return nil, err
	}
	if _, id, ok := strings.Cut(in.EntityArn, ":delegation-request/"); ok {
		return nil, noSuchDelegationRequest(id)
	}
	locale := in.Locale
	if locale == "" {
		locale = "en"
	}
	return &getHumanReadableSummaryOutput{Locale: locale, SummaryState: "NOT_SUPPORTED"}, nil
}
