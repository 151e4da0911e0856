package console

import (
	"context"
	"crypto/subtle"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/iam"
)

// Sign-in: /signin/{account ID or alias}. Root signs in with its email,
// IAM users with their user name; then, when the identity has an MFA device,
// /signin/{ident}/mfa asks for a code; then, when the password has expired or
// must be changed, /signin/{ident}/password asks for a new one.
//
// Every failure of the first step (unknown alias or account, unknown user, a
// user without a console password, a wrong password, a throttled or locked
// subject) answers the same page. Admitted attempts cost the same work: the
// same reads, the same counters written, one argon2id check (on a dummy hash
// when there is no real one). Refused attempts cost no hash at all, whether
// the name exists or not (see defence.go). Failures are audited in one
// record per source IP and minute (warden.SignInFailures), not one event
// each.

// signInFailed is the one message of every failed sign-in.
const signInFailed = "Your authentication information is incorrect. Please try again. " +
	"After repeated failures, sign-in is locked for a while."

// signInBusy is the message of an attempt refused because too many are
// being checked at once.
const signInBusy = "Too many sign-in attempts are being checked right now. Wait a moment and try again."

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	aliasPattern     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){1,62}$`)
)

// validIdent reports whether ident can be an account ID or alias.
func validIdent(ident string) bool {
	return accountIDPattern.MatchString(ident) || aliasPattern.MatchString(ident)
}

type signInData struct {
	Ident  string
	AsRoot bool
	CSRF   string
}

// chooseAccount asks for the account ID or alias when the URL names none.
func (c *Console) chooseAccount(w http.ResponseWriter, r *http.Request) {
	if a := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("account"))); a != "" {
		if validIdent(a) {
			http.Redirect(w, r, "/signin/"+a, http.StatusSeeOther)
			return
		}
		c.render(w, r, http.StatusBadRequest, "choose.html", &view{Title: "Sign in",
			Error: "An account ID is 12 digits; an alias is lower-case letters, digits and hyphens."})
		return
	}
	// A deployment of one account (the usual one) goes straight to its
	// sign-in page, the address the README and the dashboard give.
	if acct, err := c.iam.SoleAccount(r.Context()); err == nil && acct != nil {
		http.Redirect(w, r, "/signin/"+acct.ID, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "choose.html", &view{Title: "Sign in"})
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	ident := strings.ToLower(r.PathValue("ident"))
	if !validIdent(ident) {
		http.Redirect(w, r, "/signin/", http.StatusSeeOther)
		return
	}
	if s, err := c.session(r.Context(), r); err == nil && s != nil && s.Stage == warden.StageActive {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "signin.html", &view{Title: "Sign in",
		Data: signInData{Ident: ident, AsRoot: r.URL.Query().Get("as") == "root", CSRF: c.preAuthToken(w, r)}})
}

// resolveAccount returns the account ID an ident names: itself when it is
// an ID (whether or not such an account exists), the aliased account's, or
// "" for an unknown alias.
func (c *Console) resolveAccount(ctx context.Context, ident string) string {
	if accountIDPattern.MatchString(ident) {
		return ident
	}
	if !aliasPattern.MatchString(ident) {
		return ""
	}
	acct, err := c.iam.AccountByAlias(ctx, ident)
	if err != nil {
		return ""
	}
	return acct.ID
}

// clip cuts what a browser typed to a sane length.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (c *Console) signInPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ident := strings.ToLower(r.PathValue("ident"))
	if !validIdent(ident) {
		http.Redirect(w, r, "/signin/", http.StatusSeeOther)
		return
	}
	if !c.checkPreAuth(r) {
		c.renderError(w, r, nil, http.StatusForbidden, "Invalid request",
			"The sign-in form expired or did not come from this site. Reload the sign-in page and try again.")
		return
	}
	asRoot := r.PostFormValue("as") == "root"
	name := clip(strings.TrimSpace(r.PostFormValue("username")), 128)
	kind := "user"
	if asRoot {
		name, kind = clip(strings.TrimSpace(r.PostFormValue("email")), 256), "root"
	}
	password := clip(r.PostFormValue("password"), 1024)
	ip, ua := c.sourceIP(r), userAgent(r)

	// The same reads happen for every attempt: the account's root, then the
	// user (for an IAM user sign-in). They are cheap; the hash is not, and
	// comes only after admission.
	accountID := c.resolveAccount(ctx, ident)
	lookup := accountID
	if lookup == "" {
		lookup = ident
	}
	login, rootErr := c.iam.ConsoleLogin(ctx, lookup, "")
	c.logLookup(ctx, rootErr)
	if !asRoot {
		userName := name
		if userName == "" {
			userName = " " // no user has this name; "" would be the root user
		}
		var err error
		login, err = c.iam.ConsoleLogin(ctx, lookup, userName)
		c.logLookup(ctx, err)
	}
	hash := ""
	if login != nil && (!asRoot || sameEmail(name, login.RootEmail)) {
		hash = login.PasswordHash
	}
	subj := subjectOf(ip, accountID, ident, kind, name)
	try := attempt{account: accountID, reason: "wrong-password", ua: ua}
	switch {
	case rootErr != nil:
		try.account, try.reason = "", "unknown-account"
	case login == nil:
		try.reason = "unknown-user"
	case hash == "" && asRoot:
		try.reason = "wrong-email"
	case hash == "":
		try.reason = "no-console-password"
	default:
		subj.arn = login.Principal.ARN
		if dev := c.trustedDevice(r, login.Principal.ID); dev != "" {
			subj.pid, subj.device = login.Principal.ID, dev
		}
	}
	failed := func(status int, msg string) {
		c.render(w, r, status, "signin.html", &view{Title: "Sign in", Error: msg,
			Data: signInData{Ident: ident, AsRoot: asRoot, CSRF: c.preAuthToken(w, r)}})
	}
	t, err := c.admit(ctx, subj, factorPassword, try)
	if err != nil {
		c.log.ErrorContext(ctx, "console: counting sign-in attempt", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	if t.why != admitted {
		failed(http.StatusUnauthorized, signInFailed)
		return
	}
	ok, checked := c.checkPassword(ctx, hash, password, subj.device != "")
	if !checked {
		if err := c.release(ctx, subj, factorPassword, t); err != nil {
			c.log.ErrorContext(ctx, "console: giving back a sign-in attempt", "err", err)
		}
		failed(http.StatusTooManyRequests, signInBusy)
		return
	}
	if !ok {
		// The failure is counted per source and minute, not audited one by
		// one; the event history still has AWS's ConsoleLogin failure for
		// an attempt that was admitted and checked.
		c.recordSignIn(warden.AuditEvent{Time: c.now(), RequestID: warden.RequestID(ctx), Account: try.account,
			Actor: subj.arn, SourceIP: ip, UserAgent: ua, Outcome: "Failure", Details: map[string]string{"reason": try.reason}})
		failed(http.StatusUnauthorized, signInFailed)
		return
	}
	if err := c.forgive(ctx, subj, factorPassword, t); err != nil {
		c.log.ErrorContext(ctx, "console: clearing sign-in failures", "err", err)
	}
	c.trustDevice(w, r, login.Principal.ID, subj.device)
	event := warden.AuditEvent{Account: accountID, Action: "signin:ConsoleLogin", SourceIP: ip, UserAgent: ua,
		Actor: login.Principal.ARN, Resource: login.Principal.ARN, Outcome: "Failure",
		Details: map[string]string{"signInAs": ident, "loginTo": "console", "step": "password", "identity": kind}}
	if subj.device != "" {
		event.Details["trustedDevice"] = "Yes"
	}

	p := login.Principal
	sess := &warden.ConsoleSession{Type: p.Type, Account: p.Account, UserName: p.Name, PrincipalID: p.ID, ARN: p.ARN,
		SignInAs: ident, SourceIP: ip, UserAgent: ua}
	next := "/console/"
	switch {
	case len(login.MFADevices) > 0:
		sess.Stage, next = warden.StageMFA, "/signin/"+ident+"/mfa"
		event.Details["reason"] = "mfa-required"
	case login.PasswordExpired && login.HardExpiry:
		event.Details["reason"] = "password-expired"
		c.audit(ctx, event)
		c.render(w, r, http.StatusUnauthorized, "signin.html", &view{Title: "Sign in",
			Error: "Your password has expired. Ask your administrator to set a new one.",
			Data:  signInData{Ident: ident, AsRoot: asRoot, CSRF: c.preAuthToken(w, r)}})
		return
	case login.PasswordResetRequired || login.PasswordExpired:
		sess.Stage, next = warden.StagePassword, "/signin/"+ident+"/password"
		event.Details["reason"] = "password-change-required"
	default:
		c.completeSignIn(ctx, sess, login)
	}
	event.Outcome = "Success"
	if err := c.startSession(ctx, w, r, sess, nil); err != nil {
		c.log.ErrorContext(ctx, "console: starting session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	c.audit(ctx, event)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logLookup logs a sign-in lookup's storage failure; an unknown account or
// user is an ordinary failed sign-in.
func (c *Console) logLookup(ctx context.Context, err error) {
	if err != nil && warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		c.log.ErrorContext(ctx, "console: sign-in lookup", "err", err)
	}
}

// completeSignIn marks a session signed in.
func (c *Console) completeSignIn(ctx context.Context, sess *warden.ConsoleSession, login *iam.ConsoleLogin) {
	sess.Stage = warden.StageActive
	sess.OfferMFA = sess.Type == warden.PrincipalRoot && len(login.MFADevices) == 0
	p := sess.Principal()
	if err := c.iam.RecordConsoleSignIn(ctx, &p); err != nil {
		c.log.WarnContext(ctx, "console: recording password use", "err", err)
	}
}

// sameEmail compares emails regardless of case, in time independent of
// where they differ.
func sameEmail(a, b string) bool {
	if b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(a)), []byte(strings.ToLower(b))) == 1
}

// pending returns the half-finished sign-in of the request at stage, or
// sends the browser back to the start.
func (c *Console) pending(w http.ResponseWriter, r *http.Request, stage warden.ConsoleStage) *warden.ConsoleSession {
	ident := strings.ToLower(r.PathValue("ident"))
	s, err := c.session(r.Context(), r)
	if err != nil {
		c.log.ErrorContext(r.Context(), "console: loading session", "err", err)
	}
	if err != nil || s == nil || s.Stage != stage || s.SignInAs != ident {
		if r.Method == http.MethodPost {
			c.renderError(w, r, nil, http.StatusForbidden, "Sign-in expired", "Your sign-in took too long. Start again.")
		} else {
			http.Redirect(w, r, "/signin/"+ident, http.StatusSeeOther)
		}
		return nil
	}
	if r.Method == http.MethodPost && !c.checkCSRF(r, s.CSRF) {
		c.renderError(w, r, nil, http.StatusForbidden, "Invalid request",
			"The form did not come from this sign-in (missing or invalid CSRF token). Start again.")
		return nil
	}
	return s
}

type pendingData struct {
	Ident string
	ARN   string
	CSRF  string
}

func (c *Console) mfaPage(w http.ResponseWriter, r *http.Request) {
	s := c.pending(w, r, warden.StageMFA)
	if s == nil {
		return
	}
	c.render(w, r, http.StatusOK, "mfa.html", &view{Title: "Multi-factor authentication",
		Data: pendingData{Ident: s.SignInAs, ARN: s.ARN, CSRF: s.CSRF}})
}

func (c *Console) mfaSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := c.pending(w, r, warden.StageMFA)
	if s == nil {
		return
	}
	ip, ua := c.sourceIP(r), userAgent(r)
	code := clip(strings.TrimSpace(r.PostFormValue("code")), 16)
	subj := subject{ip: ip, account: s.Account, user: digest("mfa", strings.ToLower(s.ARN)), root: s.Type == warden.PrincipalRoot,
		arn: s.ARN}
	event := warden.AuditEvent{Account: s.Account, Actor: s.ARN, Resource: s.ARN, Action: "signin:ConsoleLogin", SourceIP: ip,
		UserAgent: ua, Outcome: "Failure", Details: map[string]string{"signInAs": s.SignInAs, "loginTo": "console", "step": "mfa"}}
	data := pendingData{Ident: s.SignInAs, ARN: s.ARN, CSRF: s.CSRF}

	t, err := c.admit(ctx, subj, factorMFA, attempt{account: s.Account, reason: "wrong-code", ua: ua})
	if err != nil {
		c.log.ErrorContext(ctx, "console: counting MFA attempt", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	if t.why != admitted {
		c.render(w, r, http.StatusTooManyRequests, "mfa.html", &view{Title: "Multi-factor authentication",
			Error: "Too many attempts. MFA sign-in is locked for a while; try again later.", Data: data})
		return
	}
	login, err := c.iam.ConsoleLogin(ctx, s.Account, s.UserName)
	ok := false
	if err == nil {
		for _, serial := range login.MFADevices {
			err := c.iam.CheckMFACodeFor(ctx, s.Account, s.UserName, serial, code)
			if err == nil {
				ok = true
				break
			}
			if warden.ErrorCode(err) != warden.CodeAccessDenied {
				c.log.ErrorContext(ctx, "console: checking MFA code", "err", err)
			}
		}
	}
	if !ok {
		c.render(w, r, http.StatusUnauthorized, "mfa.html", &view{Title: "Multi-factor authentication",
			Error: "The code is not valid, or was already used. Wait for the next code and try again.", Data: data})
		return
	}
	if err := c.forgive(ctx, subj, factorMFA, t); err != nil {
		c.log.ErrorContext(ctx, "console: clearing MFA failures", "err", err)
	}
	next := &warden.ConsoleSession{Type: s.Type, Account: s.Account, UserName: s.UserName, PrincipalID: s.PrincipalID,
		ARN: s.ARN, SignInAs: s.SignInAs, Created: s.Created, SourceIP: ip, UserAgent: ua,
		MFAAuthenticated: true, MFAAuthTime: c.now()}
	to := "/console/"
	if login.PasswordExpired && login.HardExpiry {
		event.Details["reason"] = "password-expired"
		c.audit(ctx, event)
		c.endSession(ctx, w, r, s)
		c.renderError(w, r, nil, http.StatusUnauthorized, "Password expired", "Your password has expired. Ask your administrator to set a new one.")
		return
	}
	if login.PasswordResetRequired || login.PasswordExpired {
		next.Stage, to = warden.StagePassword, "/signin/"+s.SignInAs+"/password"
		event.Details["reason"] = "password-change-required"
	} else {
		c.completeSignIn(ctx, next, login)
	}
	if err := c.startSession(ctx, w, r, next, s); err != nil {
		c.log.ErrorContext(ctx, "console: starting session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	event.Outcome, event.Details["mfaUsed"] = "Success", "Yes"
	c.audit(ctx, event)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *Console) newPasswordPage(w http.ResponseWriter, r *http.Request) {
	s := c.pending(w, r, warden.StagePassword)
	if s == nil {
		return
	}
	c.render(w, r, http.StatusOK, "newpassword.html", &view{Title: "Change your password",
		Data: pendingData{Ident: s.SignInAs, ARN: s.ARN, CSRF: s.CSRF}})
}

func (c *Console) newPasswordSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := c.pending(w, r, warden.StagePassword)
	if s == nil {
		return
	}
	data := pendingData{Ident: s.SignInAs, ARN: s.ARN, CSRF: s.CSRF}
	oldPw, newPw := clip(r.PostFormValue("old"), 1024), clip(r.PostFormValue("new"), 1024)
	if newPw != r.PostFormValue("confirm") {
		c.render(w, r, http.StatusBadRequest, "newpassword.html", &view{Title: "Change your password",
			Error: "The new passwords do not match.", Data: data})
		return
	}
	p := s.Principal()
	p.SourceIP, p.UserAgent, p.SecureTransport = c.sourceIP(r), userAgent(r), c.secure(r)
	if err := c.call(ctx, &p, "ChangePassword", form("OldPassword", oldPw, "NewPassword", newPw), nil); err != nil {
		msg, ok := errMessage(err)
		if !ok {
			c.log.ErrorContext(ctx, "console: changing password", "err", err)
			msg = "The password could not be changed. Try again later."
		}
		if warden.ErrorCode(err) == warden.CodePasswordPolicyViolation {
			msg += " " + c.policyHint(ctx, &p)
		}
		c.render(w, r, http.StatusBadRequest, "newpassword.html", &view{Title: "Change your password", Error: msg, Data: data})
		return
	}
	login, err := c.iam.ConsoleLogin(ctx, s.Account, s.UserName)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	next := *s
	c.completeSignIn(ctx, &next, login)
	if err := c.startSession(ctx, w, r, &next, s); err != nil {
		c.log.ErrorContext(ctx, "console: starting session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	c.audit(ctx, warden.AuditEvent{Account: s.Account, Actor: s.ARN, Resource: s.ARN, Action: "signin:ConsoleLogin",
		SourceIP: p.SourceIP, UserAgent: p.UserAgent, Outcome: "Success",
		Details: map[string]string{"signInAs": s.SignInAs, "loginTo": "console", "step": "password-change"}})
	redirect(w, r, "/console/", "password")
}

// policyHint describes the account's password policy, when the caller may
// read it.
func (c *Console) policyHint(ctx context.Context, p *warden.Principal) string {
	var res passwordPolicyResult
	if err := c.call(ctx, p, "GetAccountPasswordPolicy", nil, &res); err != nil {
		return "Use at least 8 characters and three of: upper-case letters, lower-case letters, numbers and symbols."
	}
	return describePolicy(res.PasswordPolicy)
}

func describePolicy(pp passwordPolicyView) string {
	parts := []string{}
	add := func(on bool, s string) {
		if on {
			parts = append(parts, s)
		}
	}
	add(pp.RequireUppercaseCharacters, "an upper-case letter")
	add(pp.RequireLowercaseCharacters, "a lower-case letter")
	add(pp.RequireNumbers, "a number")
	add(pp.RequireSymbols, "a symbol")
	s := "The password policy asks for at least " + strconv.Itoa(pp.MinimumPasswordLength) + " characters"
	if len(parts) > 0 {
		s += " with " + strings.Join(parts, ", ")
	}
	return s + "."
}
