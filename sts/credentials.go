package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/warden-iam/warden"
)

// Temporary credentials are stored sessions (warden.Session), not signed
// tokens:
//
//   - the access key ID is ASIA + 16 random characters and the secret access
//     key 40 random characters, sealed under the master key like long-term
//     secrets;
//   - the session token is 96 random bytes in base64. Only its SHA-256 is
//     stored; a request must present the exact token with the access key
//     ID, compared in constant time. A token carries no data, so nothing in
//     it can be altered to extend or widen the session: the expiration,
//     principal, session policies and tags live in the record;
//   - expiration is judged by the server's clock (Service.Now) on every
//     request. Expired records are kept for a day, so that late requests are
//     told ExpiredToken rather than InvalidClientTokenId, then deleted a few
//     at a time by every issuance (a bounded sweep over the key space), so
//     the table does not grow without bound and no request pays for a full
//     scan.
//
// Storing costs one write per issued session and one read per request with
// temporary credentials (as long-term keys cost), and buys revocation that
// takes effect at once: deleting the record ends the session.

const (
	tokenBytes = 96
	// keepExpired is how long an expired session is remembered.
	keepExpired = 24 * time.Hour
	// sweepBatch is how many sessions each issuance inspects for removal.
	sweepBatch = 8
)

var (
	// ErrInvalidToken answers temporary credentials presented without their
	// session token or with another one.
	ErrInvalidToken = &warden.Error{Code: warden.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid."}
	// ErrExpiredToken answers temporary credentials past their expiration.
	ErrExpiredToken = &warden.Error{Code: warden.CodeExpiredToken, Message: "The security token included in the request is expired"}
)

// newToken returns a random session token.
func newToken() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("sts: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Credential is what authentication needs to know of temporary credentials.
type Credential struct {
	Secret    string
	Principal warden.Principal
	// IAM reports whether the credentials may call the IAM API: credentials
	// from GetSessionToken only when they were issued with MFA, and those of
	// federated users never (see "Compare AWS STS credentials").
	IAM bool
	// DefaultRegionsOnly marks a version 1 token of the global endpoint:
	// requests signed for an opt-in Region (OptInRegion) must be refused.
	DefaultRegionsOnly bool
}

// Credential looks up temporary credentials for authentication: the secret
// in clear and the principal they stand for. token is the request's
// X-Amz-Security-Token. It returns warden.ErrNotFound for an unknown access
// key ID (or one whose account is gone or closed), ErrInvalidToken when the
// token is missing or is not the session's, and ErrExpiredToken when the
// session has expired (with a Credential holding only the Principal).
func (s *Service) Credential(ctx context.Context, accessKeyID, token string) (*Credential, error) {
	var sess *warden.Session
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		sess, err = warden.Load[warden.Session](ctx, tx, "", accessKeyID)
		if err != nil {
			return err
		}
		acct, err := warden.Load[warden.Account](ctx, tx, "", sess.Account)
		if err != nil {
			return err
		}
		if acct.Status != warden.AccountActive {
			return warden.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(tokenHash(token), sess.TokenHash) != 1 {
		return nil, ErrInvalidToken
	}
	if sess.Expired(s.Now()) {
		// The principal (without the secret) says whose session it was,
		// for the event history's record of the refused request.
		return &Credential{Principal: sess.Principal()}, ErrExpiredToken
	}
	secret, err := s.box.Open(sess.Secret, sess.AccessKeyID)
	if err != nil {
		return nil, fmt.Errorf("open secret of %s: %w", sess.AccessKeyID, err)
	}
	c := &Credential{Secret: string(secret), Principal: sess.Principal(), DefaultRegionsOnly: sess.DefaultRegionsOnly}
	switch {
	case sess.DelegationRequestID != "":
		// Delegated access is for configuring the owner's account, IAM
		// included; its session policy is what limits it.
		c.IAM = true
	case sess.Type == warden.PrincipalFederatedUser:
	case sess.Type == warden.PrincipalUser || sess.Type == warden.PrincipalRoot:
		c.IAM = sess.MFAAuthenticated
	default:
		c.IAM = true
	}
	return c, nil
}

// loadSession returns the session record of temporary credentials, or nil
// for long-term ones.
func (s *Service) loadSession(ctx context.Context, p *warden.Principal) (*warden.Session, error) {
	if !warden.IsTemporaryKey(p.AccessKeyID) {
		return nil, nil
	}
	var sess *warden.Session
	err := s.store.View(ctx, func(tx warden.Tx) (err error) {
		sess, err = warden.Load[warden.Session](ctx, tx, "", p.AccessKeyID)
		return err
	})
	if errors.Is(err, warden.ErrNotFound) {
		// Authenticated a moment ago, gone now: treat as invalid.
		return nil, ErrInvalidToken
	}
	return sess, err
}

// wCredentials is the Credentials element of AssumeRole, GetSessionToken and
// GetFederationToken.
type wCredentials struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      time.Time `xml:"Expiration"`
}

// issue fills in the credentials of sess, valid for d from now, and returns
// them as the client sees them once. The caller stores sess.
func (s *Service) issue(sess *warden.Session, d time.Duration) wCredentials {
	now := s.now()
	secret, token := s.NewSecret(), s.NewToken()
	sess.AccessKeyID = s.NewID("ASIA", 20)
	sess.Secret = s.box.Seal([]byte(secret), sess.AccessKeyID)
	sess.TokenHash = tokenHash(token)
	sess.IssueTime = now
	sess.Expiration = now.Add(d)
	return wCredentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: secret, SessionToken: token, Expiration: sess.Expiration}
}

// store writes a new session with the audit events of its issuance (fn
// appends them) and sweeps a few expired sessions on the way.
func (s *Service) storeSession(ctx context.Context, sess *warden.Session, fn func(tx warden.Tx) error) error {
	var next string
	err := s.sessions.Update(ctx, func(tx warden.Tx) (err error) {
		if next, err = s.sweepExpired(ctx, tx); err != nil {
			return err
		}
		if sess.DefaultRegionsOnly, err = defaultRegionsOnly(ctx, tx, sess); err != nil {
			return err
		}
		if err := warden.Insert(ctx, tx, sess); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		s.sweep.advance(next)
	}
	return err
}

// sweeper remembers where the bounded sweep of expired sessions goes on.
type sweeper struct {
	mu    sync.Mutex
	after string
}

func (w *sweeper) cursor() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.after
}

func (w *sweeper) advance(next string) {
	w.mu.Lock()
	w.after = next
	w.mu.Unlock()
}

// sweepExpired deletes the sessions among the next sweepBatch (in key order,
// wrapping around) that expired more than keepExpired ago, and returns
// where the next sweep starts.
func (s *Service) sweepExpired(ctx context.Context, tx warden.Tx) (string, error) {
	after := s.sweep.cursor()
	batch, err := warden.LoadAll[warden.Session](ctx, tx, "", "", after, sweepBatch)
	if err != nil {
		return "", err
	}
	cutoff := s.Now().Add(-keepExpired)
	for _, old := range batch {
		if old.Expired(cutoff) {
			if err := warden.Remove(ctx, tx, old); err != nil && !errors.Is(err, warden.ErrNotFound) {
				return "", err
			}
		}
	}
	if len(batch) < sweepBatch {
		return "", nil // wrap around
	}
	return batch[len(batch)-1].AccessKeyID, nil
}

// durationOf is a requested DurationSeconds (already within the range of
// the operation's model), or def seconds when absent, capped at max seconds.
func durationOf(seconds *int, def, max int) time.Duration {
	n := def
	if seconds != nil {
		n = *seconds
	}
	return time.Duration(min(n, max)) * time.Second
}
