package console

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/trail"
)

// recordCall hands an IAM operation the console made for p to the event
// history, as CloudTrail records console-initiated API calls.
func (c *Console) recordCall(ctx context.Context, start time.Time, p *warden.Principal, action string, form url.Values, res any, err error) {
	if c.Trail == nil || p.Account == "" {
		return
	}
	tc := &trail.Call{Time: start, RequestID: warden.RequestID(ctx), Service: "iam", Action: action, Principal: *p,
		Region: "us-east-1", Params: form, Result: res}
	if err != nil {
		tc.Result = nil
		tc.ErrorCode, tc.ErrorMessage = "InternalFailure", "We encountered an internal error. Please try again."
		var we *warden.Error
		if errors.As(err, &we) {
			tc.ErrorCode, tc.ErrorMessage = string(we.Code), we.Message
		}
	}
	c.Trail.API(tc)
}

// recordSignIn hands a sign-in audit event to the event history as
// CloudTrail's ConsoleLogin: one event per sign-in, when it succeeds (after
// the MFA step, when there is one) or fails, with the errorMessage AWS
// records for a failure.
func (c *Console) recordSignIn(e warden.AuditEvent) {
	if c.Trail == nil || e.Account == "" {
		return // no account to record it in: the sign-in named none that exists
	}
	reason, step := e.Details["reason"], e.Details["step"]
	if e.Outcome == "Success" && reason == "mfa-required" || step == "password-change" {
		return // the sign-in is not over yet, or was recorded already
	}
	s := &trail.SignIn{Time: e.Time, RequestID: e.RequestID, Account: e.Account, ARN: e.Actor, SourceIP: e.SourceIP,
		UserAgent: e.UserAgent, Success: e.Outcome == "Success", MFAUsed: e.Details["mfaUsed"] == "Yes"}
	if !s.Success {
		s.Failure = "Failed authentication"
		if reason == "unknown-user" {
			s.Failure = "No username found in supplied account"
		}
	}
	c.Trail.SignIn(s)
}
