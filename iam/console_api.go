package iam

import (
	"context"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/secrets"
)

// What the web console needs of IAM besides the operations it invokes: the
// facts a sign-in decides on, and the root user's own password.

// ConsoleLogin is what a console sign-in needs to know of an identity.
type ConsoleLogin struct {
	Principal warden.Principal
	// RootEmail is the root user's email, for a root sign-in.
	RootEmail string
	// PasswordHash is the argon2id hash of the console password, "" when
	// the identity has none (a user without a login profile).
	PasswordHash          string
	PasswordResetRequired bool
	// PasswordExpired is set when the account's password policy has a
	// MaxPasswordAge the password is older than; HardExpiry then forbids
	// the user to set a new one itself. The root user's password never
	// expires.
	PasswordExpired bool
	HardExpiry      bool
	// MFADevices are the serial numbers of the enabled MFA devices.
	MFADevices []string
}

// ConsoleLogin returns the sign-in facts of userName in account, or of the
// account's root user when userName is "". It authorizes nothing: the
// console's sign-in acts for Warden itself. Errors: NoSuchEntity for an
// unknown or closed account or an unknown user, or a storage failure.
func (s *Service) ConsoleLogin(ctx context.Context, account, userName string) (*ConsoleLogin, error) {
	var out *ConsoleLogin
	err := s.view(ctx, func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, account)
		if err != nil {
			return err
		}
		if acct.Status != warden.AccountActive {
			return noSuchEntity("The account %s cannot be found.", account)
		}
		if userName == "" {
			out = &ConsoleLogin{Principal: RootPrincipal(acct), RootEmail: acct.RootEmail, PasswordHash: acct.RootPassword,
				MFADevices: acct.RootMFADevices}
			return nil
		}
		u, err := s.loadUser(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		out = &ConsoleLogin{Principal: warden.Principal{Type: warden.PrincipalUser, Account: u.Account, Name: u.Name,
			ID: u.ID, ARN: u.ARN()}, MFADevices: u.MFADevices}
		if lp := u.LoginProfile; lp != nil {
			out.PasswordHash, out.PasswordResetRequired = lp.PasswordHash, lp.PasswordResetRequired
			if pp := acct.PasswordPolicy; pp != nil && pp.MaxPasswordAge > 0 {
				changed := lp.PasswordChanged
				if changed.IsZero() {
					changed = lp.CreateDate
				}
				out.PasswordExpired = !s.Now().Before(changed.Add(time.Duration(pp.MaxPasswordAge) * 24 * time.Hour))
				out.HardExpiry = pp.HardExpiry
			}
		}
		return nil
	})
	return out, err
}

// RecordConsoleSignIn notes that p signed in to the console with its
// password: an IAM user's PasswordLastUsed, or the root user's
// RootPasswordLastUsed (the credential report's password_last_used).
func (s *Service) RecordConsoleSignIn(ctx context.Context, p *warden.Principal) error {
	now := s.now()
	if p.Type == warden.PrincipalRoot {
		// When a password was last used decides nothing, so the write
		// leaves the authorization snapshot in place.
		return authz.Untracked(s.store).Update(ctx, func(tx warden.Tx) error {
			acct, err := s.loadAccount(ctx, tx, p.Account)
			if err != nil {
				return err
			}
			acct.RootPasswordLastUsed = &now
			return warden.Save(ctx, tx, acct)
		})
	}
	if p.Type != warden.PrincipalUser {
		return nil
	}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.loadUser(ctx, tx, p.Account, p.Name)
		if err != nil {
			return err
		}
		u.PasswordLastUsed = &now
		return warden.Save(ctx, tx, u)
	})
}

// RootOnly returns nil when p may perform action, a task only an account's
// root user may perform, or AccessDenied in AWS's words. The console asks it
// before showing the pages of root-only tasks.
func (s *Service) RootOnly(ctx context.Context, p *warden.Principal, action string) error {
	return s.authz.Authorize(ctx, p, authz.Request{Action: action, Resource: accountResource(p.Account), RootOnly: true})
}

// ChangeRootPassword changes the password of the root user p after checking
// the old one; the new one must satisfy IAM's default rules (the account's
// password policy does not apply to the root user). Errors: AccessDenied for
// a caller that is not the root user or a wrong old password,
// PasswordPolicyViolation, or a storage failure.
func (s *Service) ChangeRootPassword(ctx context.Context, p *warden.Principal, oldPassword, newPassword string) error {
	if err := s.RootOnly(ctx, p, "iam:ChangePassword"); err != nil {
		return err
	}
	if err := CheckPassword(nil, newPassword); err != nil {
		return err
	}
	hash := secrets.HashPassword(newPassword)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if !secrets.CheckPassword(acct.RootPassword, oldPassword) {
			return warden.Errorf(warden.CodeAccessDenied, "The old password is incorrect.")
		}
		acct.RootPassword = hash
		if err := warden.Save(ctx, tx, acct); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "ChangePassword", acct.RootARN())
	})
}
