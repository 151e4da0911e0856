package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// The dashboard: the account's sign-in URLs and alias, the security status
// (each finding with a link to fix it), and resource counts against quotas.
// Every fact comes from an IAM operation called as the signed-in principal;
// what it may not read is shown as unknown, with the action it lacks.

// staleKeyAge is when an access key is due for rotation, and how long a key
// may go unused before the dashboard flags it.
const staleKeyAge = 90 * 24 * time.Hour

type check struct {
	OK      bool
	Unknown bool
	Title   string
	Detail  string
	Fix     string // URL of the page that fixes it
	FixText string
	Items   []link // the users or keys concerned
}

type link struct {
	Text string
	URL  string
}

type quota struct {
	Name      string
	Used, Max int
}

type dashData struct {
	AccountID string
	Alias     string
	URLByID   string
	URLAlias  string
	AliasErr  string
	Checks    []check
	Quotas    []quota
	QuotaErr  string
	CSRF      string
	IsRoot    bool

	Lockouts    []lockoutView
	LockoutsErr string
}

// lockoutView is one row of the dashboard's recent lockouts.
type lockoutView struct {
	Who       string // the principal's ARN
	UnlockURL string // the IAM user's page, where it is unlocked
	Factor    string
	Device    bool // a trusted device's own counter, not strangers'
	Time      time.Time
	Until     time.Time
	Permanent bool
	Active    bool
}

func (c *Console) baseURL(r *http.Request) string {
	scheme := "http"
	if c.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderDashboard(w, r, v, http.StatusOK, "")
}

func (c *Console) renderDashboard(w http.ResponseWriter, r *http.Request, v *visit, status int, errMsg string) {
	ctx := r.Context()
	d := dashData{AccountID: v.sess.Account, CSRF: v.sess.CSRF, IsRoot: v.p.IsRoot()}
	base := c.baseURL(r)
	d.URLByID = base + "/signin/" + d.AccountID
	var aliases aliasesResult
	if err := c.call(ctx, &v.p, "ListAccountAliases", nil, &aliases); err != nil {
		d.AliasErr = denialOr(err, "iam:ListAccountAliases")
	} else if len(aliases.AccountAliases) > 0 {
		d.Alias = aliases.AccountAliases[0]
		d.URLAlias = base + "/signin/" + d.Alias
	}
	var sum summaryResult
	sumErr := c.call(ctx, &v.p, "GetAccountSummary", nil, &sum)
	if sumErr != nil {
		d.QuotaErr = denialOr(sumErr, "iam:GetAccountSummary")
	} else {
		for _, q := range [][3]string{{"Users", "Users", "UsersQuota"}, {"Groups", "Groups", "GroupsQuota"},
			{"Customer managed policies", "Policies", "PoliciesQuota"}, {"Roles", "Roles", "RolesQuota"},
			{"Instance profiles", "InstanceProfiles", "InstanceProfilesQuota"},
			{"Policy versions in use", "PolicyVersionsInUse", "PolicyVersionsInUseQuota"}} {
			d.Quotas = append(d.Quotas, quota{Name: q[0], Used: sum.get(q[1]), Max: sum.get(q[2])})
		}
	}
	d.Checks = c.securityStatus(ctx, v, &sum, sumErr)
	d.Lockouts, d.LockoutsErr = c.lockoutPanel(ctx, v)
	c.render(w, r, status, "dashboard.html", &view{Title: "IAM dashboard", Nav: "dashboard", Who: whoOf(v),
		Flash: flashOf(r), Error: errMsg, Data: d})
}

// lockoutPanel lists the account's recent sign-in lockouts for those who
// may list its users: who was locked out, of what, and until when.
func (c *Console) lockoutPanel(ctx context.Context, v *visit) ([]lockoutView, string) {
	if err := c.call(ctx, &v.p, "ListUsers", form("MaxItems", "1"), nil); err != nil {
		return nil, denialOr(err, "iam:ListUsers")
	}
	ls, err := c.recentLockouts(ctx, v.sess.Account, 20)
	if err != nil {
		c.log.ErrorContext(ctx, "console: listing lockouts", "err", err)
		return nil, "Could not be read."
	}
	now := c.now()
	var out []lockoutView
	for _, l := range ls {
		lv := lockoutView{Who: l.ARN, Factor: "password", Device: l.Device, Time: l.Time, Until: l.Until,
			Permanent: l.Permanent, Active: l.Permanent || now.Before(l.Until)}
		if l.Factor == string(factorMFA) {
			lv.Factor = "MFA code"
		}
		if _, rest, ok := strings.Cut(l.ARN, ":user/"); ok {
			lv.UnlockURL = userURL(rest[strings.LastIndex(rest, "/")+1:])
		}
		if lv.Active && l.Permanent {
			// Still permanent unless an administrator has unlocked it since.
			k, err := c.counterAt(ctx, l.Counter)
			lv.Active = err != nil || k.Permanent
		}
		out = append(out, lv)
	}
	return out, ""
}

// denialOr describes an error of a read the dashboard could not make.
func denialOr(err error, action string) string {
	if warden.ErrorCode(err) == warden.CodeAccessDenied {
		return "You are not allowed to see this (" + action + ")."
	}
	if msg, ok := errMessage(err); ok {
		return msg
	}
	return "Could not be read."
}

func (c *Console) securityStatus(ctx context.Context, v *visit, sum *summaryResult, sumErr error) []check {
	p := &v.p
	var checks []check
	const rootFix, rootFixText = "/console/root", "Manage root credentials"
	if sumErr != nil {
		unknown := denialOr(sumErr, "iam:GetAccountSummary")
		checks = append(checks,
			check{Unknown: true, Title: "Root user has MFA", Detail: unknown},
			check{Unknown: true, Title: "Root user has no access keys", Detail: unknown},
			check{Unknown: true, Title: "At least one IAM user", Detail: unknown})
	} else {
		checks = append(checks,
			check{OK: sum.get("AccountMFAEnabled") == 1, Title: "Root user has MFA",
				Detail: "Assign an MFA device to the root user: its password alone opens everything.", Fix: rootFix, FixText: "Assign MFA"},
			check{OK: sum.get("AccountAccessKeysPresent") == 0, Title: "Root user has no access keys", Fix: rootFix, FixText: rootFixText,
				Detail: "Root access keys cannot be limited by any policy. Use IAM users or roles instead, and delete them."},
			check{OK: sum.get("Users") > 0, Title: "At least one IAM user", Fix: "/console/users/new", FixText: "Create a user",
				Detail: "Create IAM users for daily work and keep the root user for the few tasks only it can do."})
	}

	direct := check{OK: true, Title: "Permissions are given through groups", Fix: "/console/groups", FixText: "Manage groups",
		Detail: "These users have policies attached or embedded directly; attach policies to groups and add users to them."}
	var details authDetailsResult
	if err := c.call(ctx, p, "GetAccountAuthorizationDetails", form("Filter.member.1", "User"), &details); err != nil {
		direct.Unknown, direct.Detail = true, denialOr(err, "iam:GetAccountAuthorizationDetails")
	} else {
		for _, u := range details.UserDetailList {
			if len(u.UserPolicyList)+len(u.AttachedManagedPolicies) > 0 {
				direct.OK = false
				direct.Items = append(direct.Items, userLink(u.UserName))
			}
		}
	}
	checks = append(checks, direct)

	pwPolicy := check{OK: true, Title: "A password policy is set",
		Detail: "Without one, IAM's minimal default rules apply to console passwords.", Fix: "/console/settings", FixText: "Set a password policy"}
	if err := c.call(ctx, p, "GetAccountPasswordPolicy", nil, &passwordPolicyResult{}); err != nil {
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			pwPolicy.OK = false
		} else {
			pwPolicy.Unknown, pwPolicy.Detail = true, denialOr(err, "iam:GetAccountPasswordPolicy")
		}
	}
	checks = append(checks, pwPolicy)

	noMFA := check{OK: true, Title: "Every user with console access has MFA",
		Detail: "These users sign in with a password alone: assign them an MFA device."}
	keys := check{OK: true, Title: "No access keys unused or older than 90 days",
		Detail: "Rotate keys older than 90 days and delete keys not used for 90 days."}
	users, err := callAll(ctx, c, p, "ListUsers", nil, func() *usersResult { return &usersResult{} },
		func(r *usersResult) []userView { return r.Users })
	if err != nil {
		noMFA.Unknown, noMFA.Detail = true, denialOr(err, "iam:ListUsers")
		keys.Unknown, keys.Detail = true, noMFA.Detail
	} else {
		now := c.now()
		for _, u := range users {
			name := u.UserName
			err := c.call(ctx, p, "GetLoginProfile", form("UserName", name), &loginProfileResult{})
			switch {
			case err == nil:
				var mfa mfaResult
				if err := c.call(ctx, p, "ListMFADevices", form("UserName", name), &mfa); err != nil {
					noMFA.Unknown, noMFA.Detail = true, denialOr(err, "iam:ListMFADevices")
				} else if len(mfa.MFADevices) == 0 {
					noMFA.OK = false
					noMFA.Items = append(noMFA.Items, userLink(name))
				}
			case warden.ErrorCode(err) != warden.CodeNoSuchEntity:
				noMFA.Unknown, noMFA.Detail = true, denialOr(err, "iam:GetLoginProfile")
			}
			var ks keysResult
			if err := c.call(ctx, p, "ListAccessKeys", form("UserName", name), &ks); err != nil {
				keys.Unknown, keys.Detail = true, denialOr(err, "iam:ListAccessKeys")
				continue
			}
			for _, k := range ks.AccessKeyMetadata {
				if k.Status != "Active" {
					continue
				}
				stale := now.Sub(k.CreateDate) > staleKeyAge
				var lu keyLastUsedResult
				if err := c.call(ctx, p, "GetAccessKeyLastUsed", form("AccessKeyId", k.AccessKeyID), &lu); err == nil &&
					lu.LastUsedDate != nil && now.Sub(*lu.LastUsedDate) > staleKeyAge {
					stale = true
				}
				if stale {
					keys.OK = false
					keys.Items = append(keys.Items, link{Text: name + " (" + k.AccessKeyID + ")", URL: userURL(name) + "#credentials"})
				}
			}
		}
	}
	if noMFA.Unknown {
		noMFA.OK = false
	}
	if keys.Unknown {
		keys.OK = false
	}
	return append(checks, noMFA, keys)
}

func userURL(name string) string { return "/console/users/" + url.PathEscape(name) }
func userLink(name string) link  { return link{Text: name, URL: userURL(name)} }

func (c *Console) setAlias(w http.ResponseWriter, r *http.Request, v *visit) {
	alias := strings.ToLower(strings.TrimSpace(r.PostFormValue("alias")))
	if err := c.call(r.Context(), &v.p, "CreateAccountAlias", form("AccountAlias", alias), nil); err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderDashboard(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, "/console/", "alias")
}

func (c *Console) deleteAlias(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := c.call(r.Context(), &v.p, "DeleteAccountAlias", form("AccountAlias", r.PostFormValue("alias")), nil); err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderDashboard(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, "/console/", "alias-deleted")
}

// failOn answers a failed form action: a denial gets the denial page, an
// operation's error is shown on the form's page by show, anything else is a
// generic failure.
func (c *Console) failOn(w http.ResponseWriter, r *http.Request, v *visit, err error, show func(msg string)) {
	msg, ok := errMessage(err)
	if !ok || warden.ErrorCode(err) == warden.CodeAccessDenied {
		c.fail(w, r, v, err)
		return
	}
	show(string(warden.ErrorCode(err)) + ": " + msg)
}

// mfaOffer asks a root user without MFA to assign a device.
func (c *Console) mfaOffer(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.p.IsRoot() || !v.sess.OfferMFA {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "mfaoffer.html", &view{Title: "Protect your root user", Who: whoOf(v)})
}

func (c *Console) mfaOfferSkip(w http.ResponseWriter, r *http.Request, v *visit) {
	v.sess.OfferMFA = false
	if err := c.updateSession(r.Context(), v.sess.Key, func(s *warden.ConsoleSession) { s.OfferMFA = false }); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}
