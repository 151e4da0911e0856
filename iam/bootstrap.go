package iam

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"

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

// SeedMismatch is the error of CheckSeed: the deployment's data disagrees
// with how the server was asked to start.
type SeedMismatch struct{ Reason string }

func (e *SeedMismatch) Error() string { return e.Reason }

// CheckSeed compares the seed of a start (the first account's ID when one was
// named, the root credentials when given) with a deployment that already has
// accounts, so that a start whose seed would silently be ignored is refused
// instead. Fields left empty are not checked. It returns a *SeedMismatch
// saying what disagrees, or an error from the store.
func (s *Service) CheckSeed(ctx context.Context, b Bootstrap, rootPassword string) error {
	accounts, err := s.Accounts(ctx)
	if err != nil || len(accounts) == 0 {
		return err
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	var acct *warden.Account
	if b.AccountID != "" {
		for _, a := range accounts {
			if a.ID == b.AccountID {
				acct = a
			}
		}
		if acct == nil {
			return &SeedMismatch{Reason: fmt.Sprintf("the data already holds account %s, not %s: start with --account-id %s, "+
				"or remove the data directory (or use another --data) to start afresh", strings.Join(ids, ", "), b.AccountID, ids[0])}
		}
	} else {
		acct = accounts[0]
		for _, a := range accounts[1:] {
			if a.CreateDate.Before(acct.CreateDate) {
				acct = a
			}
		}
	}
	if b.RootAccessKeyID != "" {
		var k *warden.AccessKey
		err := s.view(ctx, func(tx warden.Tx) (err error) {
			k, err = warden.Load[warden.AccessKey](ctx, tx, "", b.RootAccessKeyID)
			return err
		})
		if err != nil && !warden.IsNotFound(err) {
			return err
		}
		if k == nil || k.Account != acct.ID || k.UserName != "" {
			return &SeedMismatch{Reason: fmt.Sprintf("WARDEN_ROOT_ACCESS_KEY_ID %s is not an access key of account %s's root user: "+
				"the seed variables only take effect on the first start. Unset them and use the credentials of the first start, "+
				"make a key with `warden root access-key create`, or remove the data directory to start afresh", b.RootAccessKeyID, acct.ID)}
		}
		secret, err := s.box.Open(k.Secret, k.ID)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(secret, []byte(b.RootSecretAccessKey)) != 1 {
			return &SeedMismatch{Reason: fmt.Sprintf("WARDEN_ROOT_SECRET_ACCESS_KEY is not the secret of root access key %s: "+
				"the seed variables only take effect on the first start. Unset them, or remove the data directory to start afresh", k.ID)}
		}
	}
	if rootPassword != "" && !secrets.CheckPassword(acct.RootPassword, rootPassword) {
		return &SeedMismatch{Reason: fmt.Sprintf("WARDEN_ROOT_PASSWORD is not the password of account %s's root user "+
			"(it only seeds the first start): unset it, or remove the data directory to start afresh", acct.ID)}
	}
	if b.RootEmail != "" && !strings.EqualFold(b.RootEmail, acct.RootEmail) {
		return &SeedMismatch{Reason: fmt.Sprintf("WARDEN_ROOT_EMAIL %s is not account %s's root email (%s); it only seeds the first start: unset it",
			b.RootEmail, acct.ID, acct.RootEmail)}
	}
	return nil
}
