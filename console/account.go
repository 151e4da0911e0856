package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
)

// Account settings (the password policy and alias), the caller's own
// password, and the root user's tasks: its credentials and MFA, the billing
// access toggle and closing the account. Root-only pages ask IAM first, so an
// IAM administrator sees the AWS-style denial, not the page.

// rootCredentialsAction is the action the root credentials page is refused
// under to anyone but the root user.
const rootCredentialsAction = "iam:ManageRootCredentials"

// rootMFADevice is the name of the root user's virtual MFA device.
const rootMFADevice = "root-account-mfa-device"

func (c *Console) accountRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/settings", c.authed(c.settingsPage))
	m.HandleFunc("POST /console/settings/password-policy", c.authed(c.confirmed(dangerDeletePasswordPolicy, c.savePasswordPolicy)))
	m.HandleFunc("POST /console/settings/sts", c.authed(c.saveSTSPreferences))
	m.HandleFunc("GET /console/me", c.authed(c.me))
	m.HandleFunc("GET /console/password", c.authed(c.ownPasswordPage))
	m.HandleFunc("POST /console/password", c.authed(c.changeOwnPassword))

	m.HandleFunc("GET /console/root", c.authed(c.rootPage))
	m.HandleFunc("POST /console/root/password", c.authed(c.rootPassword))
	m.HandleFunc("POST /console/root/keys", c.authed(c.createRootKey))
	m.HandleFunc("POST /console/root/keys/{id}", c.authed(c.confirmed(dangerDeleteKey, c.rootKeyAction)))
	m.HandleFunc("POST /console/root/mfa", c.authed(c.newRootMFA))
	m.HandleFunc("POST /console/root/mfa/enable", c.authed(c.enableRootMFA))
	m.HandleFunc("POST /console/root/mfa/remove", c.authed(c.confirmed(dangerRemoveRootMFA, c.removeRootMFA)))
	m.HandleFunc("GET /console/billing", c.authed(c.billingPage))
	m.HandleFunc("GET /console/bills", c.authed(c.billsPage))
	m.HandleFunc("POST /console/billing", c.authed(c.setBilling))
	m.HandleFunc("GET /console/close-account", c.authed(c.closePage))
	m.HandleFunc("POST /console/close-account", c.authed(c.closeAccount))
}

type settingsData struct {
	Policy    *passwordPolicyView
	PolicyErr string
	Alias     string
	AliasErr  string
	// TokenVersion is the account's global endpoint token version (1 or
	// 2), from GetAccountSummary; TokenErr says why it could not be read.
	TokenVersion int
	TokenErr     string
	CSRF         string
}

func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderSettings(w, r, v, http.StatusOK, "")
}

func (c *Console) renderSettings(w http.ResponseWriter, r *http.Request, v *visit, status int, errMsg string) {
	ctx := r.Context()
	d := settingsData{CSRF: v.sess.CSRF}
	var pp passwordPolicyResult
	switch err := c.call(ctx, &v.p, "GetAccountPasswordPolicy", nil, &pp); {
	case err == nil:
		d.Policy = &pp.PasswordPolicy
	case warden.ErrorCode(err) != warden.CodeNoSuchEntity:
		d.PolicyErr = denialOr(err, "iam:GetAccountPasswordPolicy")
	}
	var aliases aliasesResult
	if err := c.call(ctx, &v.p, "ListAccountAliases", nil, &aliases); err != nil {
		d.AliasErr = denialOr(err, "iam:ListAccountAliases")
	} else if len(aliases.AccountAliases) > 0 {
		d.Alias = aliases.AccountAliases[0]
	}
	var sum summaryResult
	if err := c.call(ctx, &v.p, "GetAccountSummary", nil, &sum); err != nil {
		d.TokenErr = denialOr(err, "iam:GetAccountSummary")
	} else {
		d.TokenVersion = max(1, sum.get("GlobalEndpointTokenVersion"))
	}
	c.render(w, r, status, "settings.html", &view{Title: "Account settings", Nav: "settings", Who: whoOf(v), Flash: flashOf(r),
		Error: errMsg, Data: d})
}

func (c *Console) savePasswordPolicy(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	show := func(msg string) { c.renderSettings(w, r, v, http.StatusBadRequest, msg) }
	if r.PostFormValue("op") == "delete" {
		if err := c.call(ctx, &v.p, "DeleteAccountPasswordPolicy", nil, nil); err != nil {
			c.failOn(w, r, v, err, show)
			return
		}
		redirect(w, r, "/console/settings", "policy-removed")
		return
	}
	on := func(k string) string { return boolString(r.PostFormValue(k) == "on") }
	params := form("MinimumPasswordLength", strings.TrimSpace(r.PostFormValue("min")),
		"RequireUppercaseCharacters", on("upper"), "RequireLowercaseCharacters", on("lower"),
		"RequireNumbers", on("numbers"), "RequireSymbols", on("symbols"),
		"AllowUsersToChangePassword", on("allow-change"), "HardExpiry", on("hard-expiry"))
	if r.PostFormValue("expire") == "on" {
		params.Set("MaxPasswordAge", strings.TrimSpace(r.PostFormValue("max-age")))
	}
	if r.PostFormValue("reuse") == "on" {
		params.Set("PasswordReusePrevention", strings.TrimSpace(r.PostFormValue("reuse-count")))
	}
	if err := c.call(ctx, &v.p, "UpdateAccountPasswordPolicy", params, nil); err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	redirect(w, r, "/console/settings", "policy-set")
}

// saveSTSPreferences sets the version of the session tokens the global STS
// endpoint issues. IAM decides who may (iam:SetSecurityTokenServicePreferences).
func (c *Console) saveSTSPreferences(w http.ResponseWriter, r *http.Request, v *visit) {
	show := func(msg string) { c.renderSettings(w, r, v, http.StatusBadRequest, msg) }
	version := r.PostFormValue("token-version")
	if version != "v1Token" && version != "v2Token" {
		show("Choose the tokens valid only in AWS Regions enabled by default (v1) or valid in all AWS Regions (v2).")
		return
	}
	if err := c.call(r.Context(), &v.p, "SetSecurityTokenServicePreferences", form("GlobalEndpointTokenVersion", version), nil); err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	redirect(w, r, "/console/settings", "sts-saved")
}

// me is "My security credentials".
func (c *Console) me(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.p.IsRoot() {
		http.Redirect(w, r, "/console/root", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, userURL(v.p.Name)+"#credentials", http.StatusSeeOther)
}

type ownPasswordData struct {
	CSRF  string
	Rules string
}

func (c *Console) ownPasswordPage(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.p.IsRoot() {
		http.Redirect(w, r, "/console/root", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "password.html", &view{Title: "Change password", Who: whoOf(v),
		Data: ownPasswordData{CSRF: v.sess.CSRF, Rules: c.policyHint(r.Context(), &v.p)}})
}

func (c *Console) changeOwnPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	d := ownPasswordData{CSRF: v.sess.CSRF, Rules: c.policyHint(ctx, &v.p)}
	show := func(msg string) {
		c.render(w, r, http.StatusBadRequest, "password.html", &view{Title: "Change password", Who: whoOf(v), Error: msg, Data: d})
	}
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		show("The new passwords do not match.")
		return
	}
	err := c.call(ctx, &v.p, "ChangePassword", form("OldPassword", r.PostFormValue("old"), "NewPassword", r.PostFormValue("new")), nil)
	if err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	redirect(w, r, "/console/", "password")
}

type rootData struct {
	Email string
	ARN   string
	Keys  []keyView
	MFA   []mfaView
	CSRF  string
}

func (c *Console) rootPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderRoot(w, r, v, http.StatusOK, "")
}

func (c *Console) renderRoot(w http.ResponseWriter, r *http.Request, v *visit, status int, errMsg string) {
	ctx := r.Context()
	if err := c.iam.RootOnly(ctx, &v.p, rootCredentialsAction); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := rootData{ARN: v.p.ARN, CSRF: v.sess.CSRF}
	if login, err := c.iam.ConsoleLogin(ctx, v.p.Account, ""); err == nil {
		d.Email = login.RootEmail
	}
	var keys keysResult
	if err := c.call(ctx, &v.p, "ListAccessKeys", nil, &keys); err != nil {
		c.fail(w, r, v, err)
		return
	}
	for _, k := range keys.AccessKeyMetadata {
		var lu keyLastUsedResult
		if c.call(ctx, &v.p, "GetAccessKeyLastUsed", form("AccessKeyId", k.AccessKeyID), &lu) == nil {
			k.LastUsed = lu.LastUsedDate
		}
		d.Keys = append(d.Keys, k)
	}
	var mfa mfaResult
	if err := c.call(ctx, &v.p, "ListMFADevices", nil, &mfa); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d.MFA = mfa.MFADevices
	c.render(w, r, status, "root.html", &view{Title: "Root user credentials", Nav: "root", Who: whoOf(v), Flash: flashOf(r),
		Error: errMsg, Data: d})
}

// rootAction answers a root credentials form.
func (c *Console) rootAction(w http.ResponseWriter, r *http.Request, v *visit, err error, done string) {
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderRoot(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, "/console/root", done)
}

func (c *Console) rootPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		c.renderRoot(w, r, v, http.StatusBadRequest, "The new passwords do not match.")
		return
	}
	err := c.iam.ChangeRootPassword(r.Context(), &v.p, r.PostFormValue("old"), r.PostFormValue("new"))
	c.rootAction(w, r, v, err, "password")
}

func (c *Console) createRootKey(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := c.iam.RootOnly(r.Context(), &v.p, rootCredentialsAction); err != nil {
		c.fail(w, r, v, err)
		return
	}
	var key keyResult
	if err := c.call(r.Context(), &v.p, "CreateAccessKey", nil, &key); err != nil {
		c.rootAction(w, r, v, err, "")
		return
	}
	c.showNewKey(w, r, v, "", key.AccessKey, "/console/root")
}

func (c *Console) rootKeyAction(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := c.iam.RootOnly(r.Context(), &v.p, rootCredentialsAction); err != nil {
		c.fail(w, r, v, err)
		return
	}
	err, done := c.keyAction(r, v, "")
	c.rootAction(w, r, v, err, done)
}

func (c *Console) newRootMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := c.iam.RootOnly(r.Context(), &v.p, rootCredentialsAction); err != nil {
		c.fail(w, r, v, err)
		return
	}
	res, err := c.newVirtualMFA(r.Context(), &v.p, rootMFADevice)
	if err != nil {
		c.rootAction(w, r, v, err, "")
		return
	}
	d := enrolPage(res, "", "/console/root/mfa/enable", "/console/root/mfa", "/console/root", v.sess.CSRF)
	d.CSRF = ""
	c.showOnce(w, r, v, "mfaenrol.html", "Assign MFA device", "root", d)
}

func (c *Console) enableRootMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	if err := c.iam.RootOnly(ctx, &v.p, rootCredentialsAction); err != nil {
		c.fail(w, r, v, err)
		return
	}
	serial := r.PostFormValue("serial")
	err := c.iam.EnableMFADevice(ctx, &v.p, "", serial, strings.TrimSpace(r.PostFormValue("code1")), strings.TrimSpace(r.PostFormValue("code2")))
	if err != nil {
		c.enrolFailed(w, r, v, err, enrolData{Serial: serial, Action: "/console/root/mfa/enable", Again: "/console/root/mfa",
			Back: "/console/root", CSRF: v.sess.CSRF})
		return
	}
	if v.sess.OfferMFA {
		v.sess.OfferMFA = false
		if err := c.updateSession(ctx, v.sess.Key, func(s *warden.ConsoleSession) { s.OfferMFA = false }); err != nil {
			c.log.WarnContext(ctx, "console: saving session", "err", err)
		}
	}
	redirect(w, r, "/console/root", "mfa")
}

func (c *Console) removeRootMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	err := c.removeMFADevice(r.Context(), &v.p, "", r.PostFormValue("serial"))
	c.rootAction(w, r, v, err, "mfa-removed")
}

type billingData struct {
	Enabled bool
	CSRF    string
}

func (c *Console) billingPage(w http.ResponseWriter, r *http.Request, v *visit) {
	var res struct {
		Enabled bool `xml:"Enabled"`
	}
	if err := c.call(r.Context(), &v.p, "GetBillingAccess", nil, &res); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "billing.html", &view{Title: "Billing access", Nav: "billing", Who: whoOf(v), Flash: flashOf(r),
		Data: billingData{Enabled: res.Enabled, CSRF: v.sess.CSRF}})
}

func (c *Console) setBilling(w http.ResponseWriter, r *http.Request, v *visit) {
	enabled := boolString(r.PostFormValue("enabled") == "on")
	if err := c.call(r.Context(), &v.p, "SetBillingAccess", form("Enabled", enabled), nil); err != nil {
		c.fail(w, r, v, err)
		return
	}
	redirect(w, r, "/console/billing", "billing")
}

type closeData struct {
	AccountID string
	CSRF      string
}

func (c *Console) closePage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderClose(w, r, v, http.StatusOK, "")
}

func (c *Console) renderClose(w http.ResponseWriter, r *http.Request, v *visit, status int, errMsg string) {
	if err := c.iam.RootOnly(r.Context(), &v.p, "account:CloseAccount"); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "close.html", &view{Title: "Close account", Nav: "close", Who: whoOf(v), Error: errMsg,
		Data: closeData{AccountID: v.p.Account, CSRF: v.sess.CSRF}})
}

func (c *Console) closeAccount(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostFormValue("account"))
	if r.PostFormValue("understand") != "on" || typed != v.p.Account {
		if err := c.iam.RootOnly(ctx, &v.p, "account:CloseAccount"); err != nil {
			c.fail(w, r, v, err)
			return
		}
		c.renderClose(w, r, v, http.StatusBadRequest, "To close the account, tick the box and type the account ID "+
			strconv.Quote(v.p.Account)+".")
		return
	}
	if err := c.call(ctx, &v.p, "CloseAccount", form("AccountId", typed), nil); err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderClose(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	if err := c.endSession(ctx, w, r, v.sess); err != nil {
		c.log.WarnContext(ctx, "console: ending session", "err", err)
	}
	c.render(w, r, http.StatusOK, "error.html", &view{Title: "Account closed",
		Data: "Account " + v.p.Account + " is closed. Its users, keys and sessions no longer work."})
}
