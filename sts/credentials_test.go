package sts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

const account = "123456789012"

func newService(t *testing.T) (*Service, warden.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{3}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	az := authz.New(store, authz.Strict, slog.New(slog.DiscardHandler))
	err = store.Update(ctx, func(tx warden.Tx) error {
		return warden.Insert(ctx, tx, &warden.Account{ID: account, RootID: account, Status: warden.AccountActive})
	})
	if err != nil {
		t.Fatal(err)
	}
	return New(az.Track(store), az, nil, box), store
}

// issueFor stores a GetSessionToken-like session of the root user.
func issueFor(t *testing.T, s *Service, d time.Duration) (*warden.Session, wCredentials) {
	t.Helper()
	sess := &warden.Session{Account: account, Type: warden.PrincipalRoot, ARN: "arn:aws:iam::" + account + ":root", ID: account}
	creds := s.issue(sess, d)
	if err := s.storeSession(context.Background(), sess, func(warden.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return sess, creds
}

func TestCredential(t *testing.T) {
	ctx := context.Background()
	s, store := newService(t)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	sess, creds := issueFor(t, s, 15*time.Minute)

	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || len(creds.AccessKeyID) != 20 || len(creds.SecretAccessKey) != 40 {
		t.Fatalf("credentials %q / %d-character secret", creds.AccessKeyID, len(creds.SecretAccessKey))
	}
	c, err := s.Credential(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil || c.Secret != creds.SecretAccessKey || c.Principal.ARN != sess.ARN || c.Principal.AccessKeyID != creds.AccessKeyID {
		t.Fatalf("Credential = %+v, %v", c, err)
	}

	// Nothing stored reveals the secret or the token.
	err = store.View(ctx, func(tx warden.Tx) error {
		r, err := tx.Get(ctx, warden.KindSession, "", creds.AccessKeyID)
		if err == nil && (bytes.Contains(r.Data, []byte(creds.SecretAccessKey)) || bytes.Contains(r.Data, []byte(creds.SessionToken))) {
			t.Error("the session record holds the secret or the token in clear")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	tampered := []byte(creds.SessionToken)
	tampered[len(tampered)/2] ^= 1
	for name, tc := range map[string]struct {
		key, token string
		want       error
	}{
		"unknown key":      {"ASIAUNKNOWN000000000", creds.SessionToken, warden.ErrNotFound},
		"missing token":    {creds.AccessKeyID, "", ErrInvalidToken},
		"tampered token":   {creds.AccessKeyID, string(tampered), ErrInvalidToken},
		"token with extra": {creds.AccessKeyID, creds.SessionToken + "A", ErrInvalidToken},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Credential(ctx, tc.key, tc.token); !errors.Is(err, tc.want) {
				t.Fatalf("Credential = %v, want %v", err, tc.want)
			}
		})
	}

	now = now.Add(15*time.Minute - time.Second)
	if _, err := s.Credential(ctx, creds.AccessKeyID, creds.SessionToken); err != nil {
		t.Fatalf("a second before expiration: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := s.Credential(ctx, creds.AccessKeyID, creds.SessionToken); !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("at expiration: %v", err)
	}
	// The token is checked before the expiration: a wrong token never
	// learns whether the session expired.
	if _, err := s.Credential(ctx, creds.AccessKeyID, "wrong"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("wrong token of an expired session: %v", err)
	}

	t.Run("closed account", func(t *testing.T) {
		now = sess.IssueTime
		err := store.Update(ctx, func(tx warden.Tx) error {
			return warden.Save(ctx, tx, &warden.Account{ID: account, RootID: account, Status: warden.AccountClosed})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Credential(ctx, creds.AccessKeyID, creds.SessionToken); !errors.Is(err, warden.ErrNotFound) {
			t.Fatalf("Credential = %v", err)
		}
	})
}

// TestSweepIsBounded checks that each issuance removes at most a batch of
// long-expired sessions, keeps recently expired ones (so that they are told
// ExpiredToken), and that the sweep reaches every session in time.
func TestSweepIsBounded(t *testing.T) {
	ctx := context.Background()
	s, store := newService(t)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	n := 0
	s.NewID = func(prefix string, size int) string {
		n++
		return fmt.Sprintf("%s%0*d", prefix, size-len(prefix), n)
	}
	const old = 40
	for range old {
		issueFor(t, s, 15*time.Minute)
	}
	now = now.Add(keepExpired + time.Hour)
	_, recent := issueFor(t, s, 15*time.Minute) // sweeps once
	now = now.Add(time.Hour)                    // recent expired an hour ago: kept
	count := func() int {
		var c int
		store.View(ctx, func(tx warden.Tx) (err error) {
			c, err = tx.Count(ctx, warden.KindSession, "")
			return err
		})
		return c
	}
	if got := count(); got < old+1-sweepBatch {
		t.Fatalf("one issuance removed %d sessions, at most %d", old+1-got, sweepBatch)
	}
	for range 2 * (old/sweepBatch + 1) {
		issueFor(t, s, 15*time.Minute)
	}
	if _, err := s.Credential(ctx, recent.AccessKeyID, recent.SessionToken); !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("recently expired session: %v", err)
	}
	if got, want := count(), 1+2*(old/sweepBatch+1); got != want {
		t.Fatalf("%d sessions left, want %d (the recent ones)", got, want)
	}
}
