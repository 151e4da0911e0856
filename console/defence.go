package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/secrets"
)

// The sign-in defences count attempts in warden.SignInCounter records, each
// attempt in one Store.Update: the store serializes those transactions (an
// immediate transaction on SQLite, serializable ones on PostgreSQL), so
// attempts made at the same moment, on one node or several, are counted one
// after the other. An attempt reserves a failure before its password or code
// is checked and is forgiven when it succeeds; so with a limit of five, at
// most five guesses are ever checked, however many arrive at once.

// Admission before hashing. The expensive part of a sign-in is the argon2id
// check (19 MiB and tens of milliseconds), so nothing reaches it unless the
// counters admitted the attempt and a hashing slot is free:
//
//  1. admit decides from the counters alone, in one transaction that also
//     counts the attempt and records it in the per-minute failure record.
//     Throttled and locked-out attempts are refused here, before any hash,
//     real or dummy. The counters are keyed on what was typed (hashed), so a
//     refusal happens the same way whether or not the account or user
//     exists: refusing without a hash tells nothing.
//  2. An admitted attempt then needs one of HashConcurrency slots; at most
//     HashQueue attempts wait for one, and the others are refused with the
//     "busy" page (their reserved failure is given back). So at most
//     GOMAXPROCS hashes run at once and memory stays bounded however many
//     clients flood the form. One slot is kept from strangers for trusted
//     devices, which queue apart.
//  3. An admitted attempt for an unknown account or user, or a user without
//     a console password, runs the dummy check: a full argon2id with the
//     same parameters, in the same slots. Admitted unknown-user attempts
//     must cost a hash, or timing would tell them from wrong passwords; but
//     they are already bounded by the same per-IP, per-name and per-account
//     limits as real ones, and the dummy never runs for an attempt that is
//     refused anyway.

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
	busy              refusal = "busy"
)

// subject is whom an attempt is counted against.
type subject struct {
	ip      string
	account string // the account ID, or "?" + the hash of an unknown ID or alias
	user    string // the hash of the user name or root email typed
	root    bool   // a root sign-in: lockouts never become permanent

	// pid and device are set when the attempt presents a valid device
	// cookie for the principal it names: then it is counted on the
	// device's own counter only.
	pid, device string
	arn         string // the principal's ARN when the name typed names one
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

// deviceKey is the counter of a trusted device of principal pid; the prefix
// "pw/dev/{pid}/" lets an administrator's unlock find every device of a
// principal.
func deviceKey(f factor, pid, device string) string {
	return string(f) + "/dev/" + pid + "/" + digest("device", device)
}

// failureKey is the counter whose failures lock s out.
func (s subject) failureKey(f factor) string {
	if s.device != "" {
		return deviceKey(f, s.pid, s.device)
	}
	return userKey(f, s.user)
}

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

// attempt is what the audit record of a failed attempt says about it.
type attempt struct {
	account string // the account ID tried, "" when unknown
	reason  string // why it fails if the check fails: wrong-password, unknown-user, ...
	ua      string
}

// ticket is what admit tells the caller about an attempt.
type ticket struct {
	why         refusal
	minute      string // key of the failure record the attempt was counted in
	reason      string // the reason it was counted under
	startedLock bool
}

// admit counts an attempt of factor f by s and says whether it may be
// checked. Every attempt counts towards throttling; an admitted one also
// reserves a failure, which may start a lockout, and is counted as a failure
// (under a.reason) until forgive or release says otherwise. The counters and
// the failure record are written in one transaction.
func (c *Console) admit(ctx context.Context, s subject, f factor, a attempt) (ticket, error) {
	var t ticket
	err := c.store.Update(ctx, func(tx warden.Tx) error {
		t = ticket{}
		now := c.now()
		type limit struct {
			key string
			max int
			why refusal
		}
		var limits []limit
		if s.device != "" {
			// A trusted device is throttled on its own; strangers'
			// attempts from the same IP or against the same account do
			// not hold it back.
			limits = []limit{{s.failureKey(f), c.cfg.UserAttempts, throttledUser}}
		} else {
			limits = []limit{{ipKey(s.ip), c.cfg.IPAttempts, throttledIP}, {userKey(f, s.user), c.cfg.UserAttempts, throttledUser}}
			if f == factorPassword {
				limits = append(limits, limit{accountKey(s.account), c.cfg.AccountAttempts, throttledAccount})
			}
		}
		counters := make([]*warden.SignInCounter, len(limits))
		var u *warden.SignInCounter
		for i, l := range limits {
			k, err := loadCounter(ctx, tx, l.key)
			if err != nil {
				return err
			}
			counters[i] = k
			if l.key == s.failureKey(f) {
				u = k
			}
			// Nodes' clocks differ a little: a window that seems to start
			// in the future is still the current one.
			if now.Sub(k.WindowStart) >= c.cfg.ThrottleWindow {
				k.WindowStart, k.Attempts = now, 0
			}
			k.Attempts++
			k.Updated = now
			if k.Attempts > l.max && t.why == admitted {
				t.why = l.why
			}
		}
		if !strings.HasPrefix(s.account, "?") {
			u.Account = s.account
		}
		if s.arn != "" {
			u.ARN = s.arn
		}
		// A lockout that has run out starts a fresh count.
		if !u.LockedUntil.IsZero() && !u.Locked(now) {
			u.LockedUntil, u.Failures, u.FailureStart = time.Time{}, 0, now
		}
		if u.Permanent {
			t.why = lockedPermanently
		} else if u.Locked(now) {
			t.why = lockedOut
		}
		if t.why == admitted {
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
				t.startedLock = true
				// A trusted device's lockout is never permanent: only
				// the device's holder can cause it.
				if n := c.cfg.PermanentLockoutAfter; n > 0 && u.Lockouts >= n && !s.root && s.device == "" {
					u.Permanent = true
				}
				if err := c.noteLockout(ctx, tx, u, f, s.device != "", now); err != nil {
					return err
				}
			}
		}
		for _, k := range counters {
			if err := putCounter(ctx, tx, k); err != nil {
				return err
			}
		}
		t.reason = a.reason
		if t.why != admitted {
			t.reason = string(t.why)
		}
		var err error
		t.minute, err = c.countFailure(ctx, tx, s.ip, a, t.reason, 1, now)
		return err
	})
	return t, err
}

// noteLockout records a lockout for the dashboard. Only lockouts of names
// that name a principal are recorded: so there is at most one record per
// principal, factor and counter per LockoutDuration, however many made-up
// names strangers try (those are counted in the failure records).
func (c *Console) noteLockout(ctx context.Context, tx warden.Tx, u *warden.SignInCounter, f factor, device bool, now time.Time) error {
	if u.Account == "" || u.ARN == "" {
		return nil
	}
	l := &warden.SignInLockout{Key: fmt.Sprintf("%s/%016x/%s", u.Account, uint64(math.MaxInt64-now.UnixNano()), u.Key),
		Account: u.Account, ARN: u.ARN, Counter: u.Key, Device: device, Factor: string(f), Time: now,
		Until: u.LockedUntil, Permanent: u.Permanent}
	return warden.Insert(ctx, tx, l)
}

// minuteKey is the key of the failure record of ip at now.
func minuteKey(ip string, now time.Time) string {
	return now.UTC().Format("20060102T1504") + "/" + ip
}

// countFailure adds n (which may be negative) attempts under reason to the
// failure record of ip for the minute of now, or to the record named by key
// when given, and returns the record's key.
func (c *Console) countFailure(ctx context.Context, tx warden.Tx, ip string, a attempt, reason string, n int, now time.Time, key ...string) (string, error) {
	k := minuteKey(ip, now)
	if len(key) > 0 && key[0] != "" {
		k = key[0]
	}
	rec, err := warden.Load[warden.SignInFailures](ctx, tx, "", k)
	fresh := errors.Is(err, warden.ErrNotFound)
	if fresh {
		rec = &warden.SignInFailures{Key: k, Minute: now.UTC().Truncate(time.Minute), SourceIP: ip, UserAgent: a.ua,
			Reasons: map[string]int{}}
	} else if err != nil {
		return "", err
	}
	if rec.Reasons == nil {
		rec.Reasons = map[string]int{}
	}
	rec.Count += n
	rec.Reasons[reason] += n
	if rec.Reasons[reason] <= 0 {
		delete(rec.Reasons, reason)
	}
	if a.account != "" && len(rec.Accounts) < 8 && !slices.Contains(rec.Accounts, a.account) {
		rec.Accounts = append(rec.Accounts, a.account)
	}
	rec.Updated = now
	if fresh {
		return k, warden.Insert(ctx, tx, rec)
	}
	if rec.Count <= 0 {
		return k, warden.Remove(ctx, tx, rec)
	}
	return k, warden.Save(ctx, tx, rec)
}

// forgive undoes the failure an admitted attempt reserved, now that it
// succeeded: the subject's failures, lockouts and any lockout they caused
// are cleared, and the attempt leaves the failure record.
func (c *Console) forgive(ctx context.Context, s subject, f factor, t ticket) error {
	return c.store.Update(ctx, func(tx warden.Tx) error {
		k, err := loadCounter(ctx, tx, s.failureKey(f))
		if err != nil {
			return err
		}
		k.Failures, k.FailureStart, k.Lockouts, k.LockedUntil, k.Permanent = 0, time.Time{}, 0, time.Time{}, false
		k.Updated = c.now()
		if err := putCounter(ctx, tx, k); err != nil {
			return err
		}
		_, err = c.countFailure(ctx, tx, s.ip, attempt{}, t.reason, -1, c.now(), t.minute)
		return err
	})
}

// release gives back the failure an admitted attempt reserved when it could
// not be checked (no hashing slot): it is recorded as refused busy instead.
func (c *Console) release(ctx context.Context, s subject, f factor, t ticket) error {
	return c.store.Update(ctx, func(tx warden.Tx) error {
		k, err := loadCounter(ctx, tx, s.failureKey(f))
		if err != nil {
			return err
		}
		k.Failures = max(0, k.Failures-1)
		if t.startedLock {
			k.LockedUntil, k.Permanent, k.Lockouts = time.Time{}, false, max(0, k.Lockouts-1)
		}
		if err := putCounter(ctx, tx, k); err != nil {
			return err
		}
		if _, err := c.countFailure(ctx, tx, s.ip, attempt{}, t.reason, -1, c.now(), t.minute); err != nil {
			return err
		}
		_, err = c.countFailure(ctx, tx, s.ip, attempt{}, string(busy), 1, c.now(), t.minute)
		return err
	})
}

// hashGate bounds the argon2id checks running at once, and the attempts
// waiting for one. Strangers may hold all slots but one (when there are two
// or more), and trusted devices wait in their own queue: however many
// strangers flood the form, the owner's attempt waits for at most one hash.
type hashGate struct {
	all       chan struct{} // every running check holds one
	strangers chan struct{} // and every stranger's one of these
	waiting   [2]atomic.Int32
	queue     int32
}

func newHashGate(n, queue int) *hashGate {
	return &hashGate{all: make(chan struct{}, n), strangers: make(chan struct{}, max(1, n-1)), queue: int32(queue)}
}

// enter takes a slot, waiting for one only when fewer than queue others
// (of the same lane) wait; it reports false when the attempt is to be
// refused. trusted is the lane of trusted devices.
func (g *hashGate) enter(ctx context.Context, trusted bool) bool {
	lane := &g.waiting[0]
	if trusted {
		lane = &g.waiting[1]
	}
	acquire := func(ch chan struct{}) bool {
		select {
		case ch <- struct{}{}:
			return true
		default:
		}
		if lane.Add(1) > g.queue {
			lane.Add(-1)
			return false
		}
		defer lane.Add(-1)
		select {
		case ch <- struct{}{}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !trusted && !acquire(g.strangers) {
		return false
	}
	if !acquire(g.all) {
		if !trusted {
			<-g.strangers
		}
		return false
	}
	return true
}

func (g *hashGate) leave(trusted bool) {
	<-g.all
	if !trusted {
		<-g.strangers
	}
}

// checkPassword checks password against hash, or runs the dummy check when
// hash is "", in a hashing slot. checked is false when no slot was free.
func (c *Console) checkPassword(ctx context.Context, hash, password string, trusted bool) (match, checked bool) {
	if !c.gate.enter(ctx, trusted) {
		return false, false
	}
	defer c.gate.leave(trusted)
	c.hashes.Add(1)
	if hash == "" {
		secrets.DummyCheck(password)
		return false, true
	}
	return secrets.CheckPassword(hash, password), true
}

// unlock lifts the lockouts of an IAM user's password and MFA code, by
// strangers and on the user's trusted devices, when an administrator unlocks
// the user or sets a new password. When the user no longer exists only the
// user name's counters are cleared: its devices' counters die with it.
func (c *Console) unlock(ctx context.Context, accountID, userName string) error {
	s := subjectOf("", accountID, accountID, "user", userName)
	pid, arn := "", "arn:aws:iam::"+accountID+":user/"+userName
	if login, err := c.iam.ConsoleLogin(ctx, accountID, userName); err == nil {
		pid, arn = login.Principal.ID, login.Principal.ARN
	}
	return c.store.Update(ctx, func(tx warden.Tx) error {
		keys := []string{}
		for _, f := range []factor{factorPassword, factorMFA} {
			keys = append(keys, userKey(f, s.user))
			if pid == "" {
				continue
			}
			rs, err := tx.List(ctx, warden.KindSignInCounter, "", string(f)+"/dev/"+pid+"/", "", 0)
			if err != nil {
				return err
			}
			for _, r := range rs {
				keys = append(keys, r.Key)
			}
		}
		keys = append(keys, userKey(factorMFA, digest("mfa", strings.ToLower(arn))))
		for _, key := range keys {
			err := tx.Delete(ctx, warden.KindSignInCounter, "", key)
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

// counterAt returns the counter with key.
func (c *Console) counterAt(ctx context.Context, key string) (*warden.SignInCounter, error) {
	var k *warden.SignInCounter
	err := c.store.View(ctx, func(tx warden.Tx) (err error) {
		k, err = warden.Load[warden.SignInCounter](ctx, tx, "", key)
		return err
	})
	return k, err
}

// recentLockouts returns the newest lockouts of account's sign-ins.
func (c *Console) recentLockouts(ctx context.Context, account string, n int) ([]*warden.SignInLockout, error) {
	var out []*warden.SignInLockout
	err := c.store.View(ctx, func(tx warden.Tx) error {
		rs, err := tx.List(ctx, warden.KindSignInLockout, "", account+"/", "", n)
		out = decodeAll[warden.SignInLockout](rs)
		return err
	})
	return out, err
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
