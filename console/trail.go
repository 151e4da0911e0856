package console

import (
	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/trail"
)

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
