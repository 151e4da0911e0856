package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// The sign-in defences count attempts in warden.SignInCounter records, each
// attempt in one Store.Update: the store serializes those transactions (an
// immediate transaction on SQLite, serializable ones on PostgreSQL), so
// attempts made at the same moment, on one node or several, are counted one
// after the other. An attempt reserves a failure before its password or code
// is checked and is forgiven when it succeeds; so with a limit of five, at
// most five guesses are ever checked, however many arrive at once.

// factor names what an attempt proves.
type factor string

const (
	factorPassword factor = "pw"
	factorMFA      factor = "mfa"
)

// refusal says why an attempt was not even checked.
type refusal string

const (
	admitted          refusal = ""
	throttledIP       refusal = "throttled-ip"
	throttledAccount  refusal = "throttled-account"
	throttledUser     refusal = "throttled-user"
	lockedOut         refusal = "locked"
	lockedPermanently refusal = "locked-permanently"
)

// subject is whom an attempt is counted against.
type subject struct {
	ip      string
	account string // the account ID, or "?" + the hash of an unknown ID or alias
	user    string // the hash of the user name or root email typed
	root    bool   // a root sign-in: lockouts never become permanent
}

// subjectOf builds the counters' keys for a sign-in attempt. kind is "root"
// or "user"; name is the root email or user name typed. Names are hashed so
// that what was typed (sometimes a password, in the wrong field) is never
// stored.
func subjectOf(ip, accountID, ident, kind, name string) subject {
	acct := accountID
	if acct == "" {
		acct = "?" + digest("ident", strings.ToLower(ident))
	}
	return subject{ip: ip, account: acct, user: digest(acct, kind, strings.ToLower(strings.TrimSpace(name))), root: kind == "root"}
}

func digest(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:20])
}

func ipKey(ip string) string               { return "ip/" + ip }
func accountKey(account string) string     { return "acct/" + account }
func userKey(f factor, user string) string { return string(f) + "/" + user }

// loadCounter returns the counter with key, or a new one.
func loadCounter(ctx context.Context, tx warden.Tx, key string) (*warden.SignInCounter, error) {
	k, err := warden.Load[warden.SignInCounter](ctx, tx, "", key)
	if errors.Is(err, warden.ErrNotFound) {
		return &warden.SignInCounter{Key: key}, nil
	}
	return k, err
}

func putCounter(ctx context.Context, tx warden.Tx, k *warden.SignInCounter) error {
	err := warden.Save(ctx, tx, k)
	if errors.Is(err, warden.ErrNotFound) {
		err = warden.Insert(ctx, tx, k)
	}
	return err
}

// admit counts an attempt of factor f by s and says whether it may be
// checked. Every attempt counts towards throttling; an admitted one also
// reserves a failure, which may start a lockout. The same records are
// written whatever the outcome, so refusals take as long as admissions.
func (c *Console) admit(ctx context.Context, s subject, f factor) (refusal, error) {
	var why refusal
	err := c.store.Update(ctx, func(tx warden.Tx) error {
		why = admitted
		now := c.now()
		keys := []string{ipKey(s.ip), userKey(f, s.user)}
		limits := []int{c.cfg.IPAttempts, c.cfg.UserAttempts}
		reasons := []refusal{throttledIP, throttledUser}
		if f == factorPassword {
			keys = append(keys, accountKey(s.account))
			limits = append(limits, c.cfg.AccountAttempts)
			reasons = append(reasons, throttledAccount)
		}
		counters := make([]*warden.SignInCounter, len(keys))
		for i, key := range keys {
			k, err := loadCounter(ctx, tx, key)
			if err != nil {
				return err
			}
			counters[i] = k
			// Nodes' clocks differ a little: a window that seems to start
			// in the future is still the current one.
			if now.Sub(k.WindowStart) >= c.cfg.ThrottleWindow {
				k.WindowStart, k.Attempts = now, 0
			}
			k.Attempts++
			k.Updated = now
			if k.Attempts > limits[i] && why == admitted {
				why = reasons[i]
			}
		}
		u := counters[1]
		// A lockout that has run out starts a fresh count.
		if !u.LockedUntil.IsZero() && !u.Locked(now) {
			u.LockedUntil, u.Failures, u.FailureStart = time.Time{}, 0, now
		}
		if u.Permanent {
			why = lockedPermanently
		} else if u.Locked(now) {
			why = lockedOut
		}
		if why == admitted {
			if now.Sub(u.FailureStart) >= c.cfg.FailureWindow {
				u.FailureStart, u.Failures = now, 0
			}
			u.Failures++
			max := c.cfg.MaxFailures
			if f == factorMFA {
				max = c.cfg.MFAMaxFailures
			}
			if u.Failures >= max {
				u.LockedUntil = now.Add(c.cfg.LockoutDuration)
				u.Lockouts++
				if n := c.cfg.PermanentLockoutAfter; n > 0 && u.Lockouts >= n && !s.root {
					u.Permanent = true
				}
			}
		}
		for _, k := range counters {
			if err := putCounter(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	return why, err
}

// forgive undoes the failure an admitted attempt reserved, now that it
// succeeded: the subject's failures, lockouts and any lockout they caused
// are cleared.
func (c *Console) forgive(ctx context.Context, s subject, f factor) error {
	return c.store.Update(ctx, func(tx warden.Tx) error {
		k, err := loadCounter(ctx, tx, userKey(f, s.user))
		if err != nil {
			return err
		}
		k.Failures, k.FailureStart, k.Lockouts, k.LockedUntil, k.Permanent = 0, time.Time{}, 0, time.Time{}, false
		k.Updated = c.now()
		return putCounter(ctx, tx, k)
	})
}

// unlock clears the lockouts of an IAM user's password and MFA code, when an
// administrator has set the user a new password.
func (c *Console) unlock(ctx context.Context, accountID, userName string) error {
	s := subjectOf("", accountID, accountID, "user", userName)
	return c.store.Update(ctx, func(tx warden.Tx) error {
		for _, f := range []factor{factorPassword, factorMFA} {
			err := tx.Delete(ctx, warden.KindSignInCounter, "", userKey(f, s.user))
			if err != nil && !errors.Is(err, warden.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// lockState reports whether an IAM user's console password is locked out
// now, and whether for good.
func (c *Console) lockState(ctx context.Context, accountID, userName string) (locked, permanent bool, err error) {
	s := subjectOf("", accountID, accountID, "user", userName)
	err = c.store.View(ctx, func(tx warden.Tx) error {
		k, err := loadCounter(ctx, tx, userKey(factorPassword, s.user))
		if err != nil {
			return err
		}
		locked, permanent = k.Locked(c.now()), k.Permanent
		return nil
	})
	return locked, permanent, err
}

// audit appends an event to the audit trail in its own transaction, and
// hands sign-ins to the event history.
func (c *Console) audit(ctx context.Context, e warden.AuditEvent) {
	e.Time = c.now()
	e.RequestID = warden.RequestID(ctx)
	if e.Action == "signin:ConsoleLogin" {
		c.recordSignIn(e)
	}
	if err := c.store.Update(ctx, func(tx warden.Tx) error { return tx.AppendAudit(ctx, e) }); err != nil {
		c.log.ErrorContext(ctx, "console: appending audit event", "action", e.Action, "err", err)
	}
}

func decodeAll[T any](rs []warden.Record) []*T {
	out := make([]*T, 0, len(rs))
	for _, r := range rs {
		v := new(T)
		if json.Unmarshal(r.Data, v) == nil {
			out = append(out, v)
		}
	}
	return out
}
