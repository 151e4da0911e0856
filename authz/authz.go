// Package authz is the one place where Warden decides whether a principal may
// perform an action on a resource. Operations in iam and sts ask it before they
// run; it never answers for root-only tasks with anything but the root user.
package authz

import (
	"context"
	"log/slog"

	"github.com/warden-iam/warden"
)

// Mode says what happens to a denial.
type Mode int

const (
	// Strict blocks denied requests (the default).
	Strict Mode = iota
	// Soft evaluates and logs denials but lets the request through.
	Soft
	// Off allows every authenticated request.
	Off
)

// ParseMode parses "strict", "soft" or "off".
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "strict", "":
		return Strict, true
	case "soft":
		return Soft, true
	case "off":
		return Off, true
	}
	return Strict, false
}

// Request is one authorization question.
type Request struct {
	Action   string // e.g. iam:CreateUser
	Resource string // ARN of the resource acted on
	// RootOnly marks tasks only an account's root user may perform; IAM
	// policies cannot grant them.
	RootOnly bool
	// Context holds request-specific condition keys (aws:RequestTag/..., aws:TagKeys, iam:PolicyARN, ...).
	Context map[string][]string
}

// Authorizer decides requests.
type Authorizer struct {
	store warden.Store
	mode  Mode
	log   *slog.Logger
}

// New returns an Authorizer over store.
func New(store warden.Store, mode Mode, log *slog.Logger) *Authorizer {
	if log == nil {
		log = slog.Default()
	}
	return &Authorizer{store: store, mode: mode, log: log}
}

// Authorize returns nil when p may make req, or an *warden.Error with code
// AccessDenied saying why not, in AWS's words.
func (a *Authorizer) Authorize(ctx context.Context, p *warden.Principal, req Request) error {
	if p.IsRoot() {
		return nil
	}
	if req.RootOnly {
		return &warden.Error{Code: warden.CodeAccessDenied, Message: "User: " + p.ARN +
			" is not authorized to perform: " + req.Action + " on resource: " + req.Resource +
			" because this action can only be performed by the account's root user"}
	}
	if a.mode == Off {
		return nil
	}
	allowed := a.decide(ctx, p, req)
	if allowed {
		return nil
	}
	a.log.InfoContext(ctx, "access denied", "request_id", warden.RequestID(ctx), "principal", p.ARN,
		"action", req.Action, "resource", req.Resource, "enforced", a.mode == Strict)
	if a.mode == Soft {
		return nil
	}
	return &warden.Error{Code: warden.CodeAccessDenied, Message: "User: " + p.ARN +
		" is not authorized to perform: " + req.Action + " on resource: " + req.Resource +
		" because no identity-based policy allows the " + req.Action + " action"}
}

// decide is the interim rule until the policy engine is wired in: IAM users
// may act only on themselves for self-service actions.
func (a *Authorizer) decide(_ context.Context, p *warden.Principal, req Request) bool {
	switch req.Action {
	case "iam:GetUser", "iam:ChangePassword", "iam:ListAccessKeys", "iam:GetAccountPasswordPolicy":
		return req.Resource == p.ARN || req.Action == "iam:GetAccountPasswordPolicy"
	}
	return false
}
