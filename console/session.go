package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// Sessions are stored server-side: the cookie holds 256 random bits, the
// store keeps the SHA-256 of them with who signed in and the times the idle
// and absolute timeouts are measured from. The CSRF token is an HMAC of the
// session ID, derived on every request and never stored. Signing out deletes
// the record, so a copied cookie dies with it, on every node.

// pendingTimeout is how long a half-finished sign-in (waiting for an MFA
// code or a new password) stays usable.
const pendingTimeout = 5 * time.Minute

// touchEvery is how stale LastSeen may get before a request refreshes it:
// the idle timeout is measured to within this, and browsing does not write
// on every click.
const touchEvery = 30 * time.Second

// visit is a request of a signed-in session.
type visit struct {
	sess *warden.ConsoleSession
	p    warden.Principal
}

func (c *Console) sessionCookie(r *http.Request) string {
	if c.secure(r) {
		return "__Host-warden-session"
	}
	return "warden-session"
}

// newToken returns 32 random bytes, URL-safe base64.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// startSession stores a new session (replacing old, when given, so that a
// session ID never survives a change of privilege) and sets its cookie.
func (c *Console) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, s *warden.ConsoleSession, old *warden.ConsoleSession) error {
	id := newToken()
	s.Key = sessionKey(id)
	s.CSRF = c.csrfFor(id)
	now := c.now()
	if s.Created.IsZero() {
		s.Created = now
	}
	s.LastSeen = now
	err := c.store.Update(ctx, func(tx warden.Tx) error {
		if old != nil {
			if err := warden.Remove(ctx, tx, old); err != nil && !errors.Is(err, warden.ErrNotFound) {
				return err
			}
		}
		return warden.Insert(ctx, tx, s)
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: c.sessionCookie(r), Value: id, Path: "/", HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	return nil
}

// session returns the session the request's cookie names, or nil when there
// is none or it has ended (idle, absolute, or pending timeout).
func (c *Console) session(ctx context.Context, r *http.Request) (*warden.ConsoleSession, error) {
	ck, err := r.Cookie(c.sessionCookie(r))
	if err != nil || len(ck.Value) < 32 || len(ck.Value) > 64 {
		return nil, nil
	}
	var s *warden.ConsoleSession
	err = c.store.View(ctx, func(tx warden.Tx) (err error) {
		s, err = warden.Load[warden.ConsoleSession](ctx, tx, "", sessionKey(ck.Value))
		return err
	})
	if errors.Is(err, warden.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.ended(s, c.now()) {
		return nil, nil
	}
	s.CSRF = c.csrfFor(ck.Value)
	return s, nil
}

// ended reports whether s has timed out at now.
func (c *Console) ended(s *warden.ConsoleSession, now time.Time) bool {
	if s.Stage != warden.StageActive {
		return !now.Before(s.LastSeen.Add(pendingTimeout))
	}
	if !s.Expires.IsZero() {
		// The role session of a SAML sign-in lasts the SessionDuration the
		// assertion asked for (capped by the role), as on AWS: neither the
		// idle nor the absolute timeout shortens it.
		return !now.Before(s.Expires)
	}
	return !now.Before(s.LastSeen.Add(c.cfg.IdleTimeout)) || !now.Before(s.Created.Add(c.cfg.AbsoluteTimeout))
}

// touch moves a session's idle timeout forward.
func (c *Console) touch(ctx context.Context, s *warden.ConsoleSession) error {
	now := c.now()
	if now.Sub(s.LastSeen) < touchEvery {
		return nil
	}
	return c.store.Update(ctx, func(tx warden.Tx) error {
		cur, err := warden.Load[warden.ConsoleSession](ctx, tx, "", s.Key)
		if err != nil {
			return err
		}
		cur.LastSeen = now
		s.LastSeen = now
		return warden.Save(ctx, tx, cur)
	})
}

// endSession deletes the session and clears its cookie.
func (c *Console) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request, s *warden.ConsoleSession) error {
	http.SetCookie(w, &http.Cookie{Name: c.sessionCookie(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	if s == nil {
		return nil
	}
	return c.store.Update(ctx, func(tx warden.Tx) error {
		err := warden.Remove(ctx, tx, s)
		if errors.Is(err, warden.ErrNotFound) {
			return nil
		}
		return err
	})
}

// authed wraps a handler of signed-in pages: it finds the session, sends
// browsers without one to sign in, checks the CSRF token of every POST, and
// hands the handler the principal that IAM operations run as.
func (c *Console) authed(h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s, err := c.session(ctx, r)
		if err != nil {
			c.log.ErrorContext(ctx, "console: loading session", "err", err)
			c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
			return
		}
		if s == nil || s.Stage != warden.StageActive {
			if r.Method != http.MethodGet {
				c.renderError(w, r, nil, http.StatusForbidden, "Session ended",
					"Your session has ended. Sign in again, then repeat what you were doing.")
				return
			}
			to := "/signin/"
			if s != nil {
				to = "/signin/" + s.SignInAs
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if ok, err := c.stillThere(ctx, s); err != nil {
			c.log.ErrorContext(ctx, "console: loading the session's principal", "err", err)
			c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
			return
		} else if !ok {
			// The user was deleted (perhaps created again under the same
			// name: another principal). The session ends with it.
			if err := c.endSession(ctx, w, r, s); err != nil {
				c.log.ErrorContext(ctx, "console: ending session", "err", err)
			}
			http.Redirect(w, r, "/signin/"+s.SignInAs, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			var tooLarge *http.MaxBytesError
			if err := parseForm(r); errors.As(err, &tooLarge) {
				c.renderError(w, r, &visit{sess: s, p: s.Principal()}, http.StatusRequestEntityTooLarge, "Form too large",
					"The form sent is larger than the console accepts (1 MiB). Policy documents are at most 6,144 characters for a managed policy and 10,240 for a user's inline policies together.")
				return
			}
		}
		if r.Method == http.MethodPost && !c.checkCSRF(r, s.CSRF) {
			c.renderError(w, r, nil, http.StatusForbidden, "Invalid request",
				"The form was not sent by this session of the console (missing or invalid CSRF token). Reload the page and try again.")
			return
		}
		if err := c.touch(ctx, s); err != nil && !errors.Is(err, warden.ErrNotFound) {
			c.log.WarnContext(ctx, "console: refreshing session", "err", err)
		}
		v := &visit{sess: s, p: s.Principal()}
		v.p.SourceIP, v.p.UserAgent, v.p.SecureTransport = c.sourceIP(r), userAgent(r), c.secure(r)
		if s.OfferMFA && r.Method == http.MethodGet && r.URL.Path != "/console/mfa-offer" && r.URL.Path != "/console/root" &&
			!strings.HasPrefix(r.URL.Path, "/console/shown/") {
			http.Redirect(w, r, "/console/mfa-offer", http.StatusSeeOther)
			return
		}
		h(w, r, v)
	}
}

// stillThere reports whether the principal a session was signed in as still
// exists with the unique ID it had then: a session belongs to a principal,
// not to a name.
func (c *Console) stillThere(ctx context.Context, s *warden.ConsoleSession) (bool, error) {
	if s.Type == warden.PrincipalAssumedRole {
		return c.roleStillThere(ctx, s)
	}
	if s.Type != warden.PrincipalUser {
		return true, nil // root: the account's status is checked at sign-in and by every operation
	}
	var ok bool
	err := c.store.View(ctx, func(tx warden.Tx) error {
		u, err := warden.Load[warden.User](ctx, tx, s.Account, warden.NameKey(s.UserName))
		if warden.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = u.ID == s.PrincipalID
		return nil
	})
	return ok, err
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	if err := c.endSession(ctx, w, r, v.sess); err != nil {
		c.log.ErrorContext(ctx, "console: ending session", "err", err)
	}
	c.audit(ctx, warden.AuditEvent{Account: v.sess.Account, Actor: v.sess.ARN, Action: "signin:ConsoleLogout",
		SourceIP: v.p.SourceIP, UserAgent: v.p.UserAgent, Outcome: "Success"})
	http.Redirect(w, r, "/signin/"+v.sess.SignInAs, http.StatusSeeOther)
}

// failureRetention is how long the per-minute records of failed sign-ins
// are kept, and lockoutRetention the records of lockouts.
const (
	failureRetention = 30 * 24 * time.Hour
	lockoutRetention = 7 * 24 * time.Hour
)

// sweepKind deletes the records of kind in the global account for which
// done says so, 200 to a transaction.
func sweepKind[T any, P interface {
	*T
	warden.Entity
}](ctx context.Context, store warden.Store, kind warden.Kind, done func(*T) bool) error {
	after := ""
	for {
		var rs []warden.Record
		err := store.Update(ctx, func(tx warden.Tx) error {
			var err error
			if rs, err = tx.List(ctx, kind, "", "", after, 200); err != nil {
				return err
			}
			for _, v := range decodeAll[T](rs) {
				if done(v) {
					if err := warden.Remove(ctx, tx, P(v)); err != nil && !errors.Is(err, warden.ErrNotFound) {
						return err
					}
				}
			}
			return nil
		})
		if err != nil || len(rs) < 200 {
			return err
		}
		after = rs[len(rs)-1].Key
	}
}

// Sweep deletes ended sessions, sign-in counters that no longer hold
// anything back, and records of failed sign-ins and lockouts past their
// retention. It runs in the background every ten minutes; tests call it.
func (c *Console) Sweep(ctx context.Context) error {
	now := c.now()
	idle := max(c.cfg.ThrottleWindow, c.cfg.FailureWindow, c.cfg.LockoutDuration)
	after := ""
	for {
		var rs []warden.Record
		err := c.store.Update(ctx, func(tx warden.Tx) error {
			var err error
			if rs, err = tx.List(ctx, warden.KindConsoleSession, "", "", after, 200); err != nil {
				return err
			}
			for _, s := range decodeAll[warden.ConsoleSession](rs) {
				if c.ended(s, now) {
					if err := warden.Remove(ctx, tx, s); err != nil && !errors.Is(err, warden.ErrNotFound) {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(rs) < 200 {
			break
		}
		after = rs[len(rs)-1].Key
	}
	after = ""
	for {
		var rs []warden.Record
		err := c.store.Update(ctx, func(tx warden.Tx) error {
			var err error
			if rs, err = tx.List(ctx, warden.KindSignInCounter, "", "", after, 200); err != nil {
				return err
			}
			for _, k := range decodeAll[warden.SignInCounter](rs) {
				// A counter with lockouts is kept a day, so that repeated
				// lockouts can add up to a permanent one.
				keep := idle
				if k.Lockouts > 0 {
					keep = max(idle, 24*time.Hour)
				}
				if !k.Permanent && !k.Locked(now) && now.Sub(k.Updated) > keep {
					if err := warden.Remove(ctx, tx, k); err != nil && !errors.Is(err, warden.ErrNotFound) {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(rs) < 200 {
			break
		}
		after = rs[len(rs)-1].Key
	}
	err := sweepKind(ctx, c.store, warden.KindSignInFailures, func(f *warden.SignInFailures) bool {
		return now.Sub(f.Updated) > failureRetention
	})
	if err != nil {
		return err
	}
	return sweepKind(ctx, c.store, warden.KindSignInLockout, func(l *warden.SignInLockout) bool {
		return !l.Permanent && now.Sub(l.Time) > lockoutRetention && now.After(l.Until)
	})
}

// parseForm parses a POST's form, a multipart one (a file upload) too.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(1 << 20)
	}
	return r.ParseForm()
}
