package iam

import (
	"context"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/secrets"
)

// Bootstrap describes the first account of a deployment.
type Bootstrap struct {
	AccountID        string
	RootEmail        string
	RootPasswordHash string
	// RootAccessKeyID and RootSecretAccessKey, when both set, become the
	// root user's first access key.
	RootAccessKeyID     string
	RootSecretAccessKey string
}

// Bootstrap creates the first account and its root credentials when the
// deployment has no account yet, in one transaction, so that nodes starting
// together create exactly one. It reports whether it created anything.
func (s *Service) Bootstrap(ctx context.Context, b Bootstrap) (bool, error) {
	created := false
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		created = false
		n, err := tx.Count(ctx, warden.KindAccount, "")
		if err != nil || n > 0 {
			return err
		}
		now := s.now()
		acct := &warden.Account{ID: b.AccountID, RootEmail: b.RootEmail, RootPassword: b.RootPasswordHash,
			RootID: b.AccountID, Status: warden.AccountActive, CreateDate: now}
		if b.RootAccessKeyID != "" && b.RootSecretAccessKey != "" {
			k := &warden.AccessKey{ID: b.RootAccessKeyID, Account: acct.ID, Status: warden.KeyActive, CreateDate: now,
				Secret: s.box.Seal([]byte(b.RootSecretAccessKey), b.RootAccessKeyID)}
			if err := warden.Insert(ctx, tx, k); err != nil {
				return err
			}
			acct.RootAccessKeys = []string{k.ID}
		}
		if err := warden.Insert(ctx, tx, acct); err != nil {
			return err
		}
		created = true
		return tx.AppendAudit(ctx, warden.AuditEvent{Time: now, Account: acct.ID, Actor: "warden-bootstrap",
			Action: "warden:CreateAccount", Resource: acct.RootARN(), Outcome: "Success"})
	})
	return created, err
}

// HashPassword is the password hash Warden stores (argon2id).
func HashPassword(password string) string { return secrets.HashPassword(password) }
