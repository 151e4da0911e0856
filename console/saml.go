package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/saml"
)

// SAML sign-in: an identity provider posts a SAMLResponse (IdP-initiated,
// the HTTP-POST binding) to /saml, as it would to
// https://signin.aws.amazon.com/saml. The response is verified and used up
// by sts exactly as AssumeRoleWithSAML does; the console session then acts
// as the role session it issued, bound by that session's permissions and
// lasting as long as it. When the Role attribute offers several roles the
// user picks one on a page that posts the same response back.

func (c *Console) samlRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /saml", c.samlSignIn)
	// A SAML provider's own sign-in URL, which encrypted assertions need:
	// their Role attribute cannot be read to find the provider.
	m.HandleFunc("POST /saml/{account}/{provider}", c.samlSignIn)
}

type samlRoleOption struct {
	Value string // "role,provider", as the form sends it back
	Name  string // the role's name
	ARN   string
	Via   string // the provider's name
}

type samlAccount struct {
	ID    string
	Roles []samlRoleOption
}

type samlRolesData struct {
	Action     string // this sign-in URL, which the choice is posted to
	Response   string
	RelayState string
	Accounts   []samlAccount
}

type samlLanding struct {
	To      string
	Session string
	Until   time.Time
}

func (c *Console) samlSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c.STS == nil {
		c.renderError(w, r, nil, http.StatusNotFound, "Page not found", "SAML sign-in is not enabled on this server.")
		return
	}
	var tooLarge *http.MaxBytesError
	if err := r.ParseForm(); errors.As(err, &tooLarge) {
		c.renderError(w, r, nil, http.StatusRequestEntityTooLarge, "SAML sign-in failed", "The SAML response is larger than the console accepts (1 MiB).")
		return
	} else if err != nil {
		c.renderError(w, r, nil, http.StatusBadRequest, "SAML sign-in failed", "The sign-in form could not be read.")
		return
	}
	response := r.PostForm.Get("SAMLResponse")
	relay := r.PostForm.Get("RelayState")
	if response == "" {
		c.renderError(w, r, nil, http.StatusBadRequest, "SAML sign-in failed",
			"MissingParameter: the request carries no SAMLResponse. Sign in at your identity provider, which posts it here.")
		return
	}
	hint := ""
	if acct, name := r.PathValue("account"), r.PathValue("provider"); acct != "" && name != "" {
		hint = "arn:aws:iam::" + acct + ":saml-provider/" + name
	}
	roles, err := c.STS.SAMLRoles(ctx, response, hint)
	if err != nil {
		c.samlFailed(w, r, err)
		return
	}
	var chosen saml.RolePair
	switch pick := r.PostForm.Get("role"); {
	case pick != "":
		found := false
		for _, rp := range roles {
			if rp.RoleARN+","+rp.ProviderARN == pick {
				chosen, found = rp, true
			}
		}
		if !found {
			c.samlFailed(w, r, warden.Errorf(warden.CodeAccessDenied, "The role chosen is not one the SAML assertion offers."))
			return
		}
	case len(roles) == 1:
		chosen = roles[0]
	default:
		c.render(w, r, http.StatusOK, "samlroles.html", &view{Title: "Select a role",
			Data: samlRolesData{Action: r.URL.Path, Response: response, RelayState: relay, Accounts: groupRoles(roles)}})
		return
	}

	ip, ua := c.sourceIP(r), userAgent(r)
	caller := &warden.Principal{SourceIP: ip, UserAgent: ua, SecureTransport: c.secure(r)}
	rs, err := c.STS.SAMLSignIn(ctx, caller, response, chosen.RoleARN, chosen.ProviderARN)
	if err != nil {
		c.samlFailed(w, r, err)
		return
	}
	sess := &warden.ConsoleSession{Type: warden.PrincipalAssumedRole, Account: rs.Account, PrincipalID: rs.ID, ARN: rs.ARN,
		SignInAs: rs.Account, AccessKeyID: rs.AccessKeyID, RoleName: rs.RoleName, RoleID: rs.RoleID, Expires: rs.Expiration,
		SourceIP: ip, UserAgent: ua}
	old, err := c.session(ctx, r)
	if err != nil {
		c.log.WarnContext(ctx, "console: loading the session a SAML sign-in replaces", "err", err)
		old = nil
	}
	if err := c.startSession(ctx, w, r, sess, old); err != nil {
		c.log.ErrorContext(ctx, "console: starting session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Try again later.")
		return
	}
	c.audit(ctx, warden.AuditEvent{Account: rs.Account, Action: "signin:ConsoleLogin", SourceIP: ip, UserAgent: ua,
		Actor: rs.ARN, Resource: chosen.RoleARN, Outcome: "Success",
		Details: map[string]string{"loginTo": "console", "identity": "saml", "samlProvider": chosen.ProviderARN}})
	// A page, not a redirect: the response to the identity provider's
	// cross-site POST may set the session cookie, but only a navigation
	// that starts on this site sends a SameSite=Strict cookie back.
	c.render(w, r, http.StatusOK, "samlsignedin.html", &view{Title: "Signed in",
		Data: samlLanding{To: landing(relay), Session: roleSessionLabel(rs.ARN), Until: rs.Expiration}})
}

// samlFailed answers a refused SAML sign-in with the AWS code in words.
func (c *Console) samlFailed(w http.ResponseWriter, r *http.Request, err error) {
	msg, ok := errMessage(err)
	if !ok {
		c.log.ErrorContext(r.Context(), "console: SAML sign-in", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "The sign-in could not be completed. Try again later.")
		return
	}
	code := warden.ErrorCode(err)
	status := http.StatusBadRequest
	if code == warden.CodeAccessDenied {
		status = http.StatusForbidden
	}
	c.renderError(w, r, nil, status, "SAML sign-in failed", string(code)+": "+msg)
}

// groupRoles groups the roles offered by account, in the assertion's order.
func groupRoles(roles []saml.RolePair) []samlAccount {
	var out []samlAccount
	index := map[string]int{}
	for _, rp := range roles {
		account := strings.TrimPrefix(rp.RoleARN, "arn:aws:iam::")
		account, roleRes, _ := strings.Cut(account, ":")
		i, ok := index[account]
		if !ok {
			i = len(out)
			index[account] = i
			out = append(out, samlAccount{ID: account})
		}
		out[i].Roles = append(out[i].Roles, samlRoleOption{Value: rp.RoleARN + "," + rp.ProviderARN,
			Name: roleRes[strings.LastIndexByte(roleRes, '/')+1:], ARN: rp.RoleARN,
			Via: rp.ProviderARN[strings.LastIndexByte(rp.ProviderARN, '/')+1:]})
	}
	return out
}

// landing is where a SAML sign-in lands: the RelayState when it is a page
// of this console, the dashboard otherwise (never another site).
func landing(relay string) string {
	u, err := url.Parse(relay)
	if err != nil || relay == "" || u.Scheme != "" || u.Host != "" || strings.HasPrefix(relay, "//") ||
		strings.Contains(relay, `\`) || !strings.HasPrefix(u.Path, "/console/") || strings.Contains(u.Path, "..") {
		return "/console/"
	}
	return u.RequestURI()
}

// roleSessionLabel is ROLE/SESSION of an assumed-role ARN.
func roleSessionLabel(arn string) string {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return arn
	}
	return rest
}

// roleStillThere reports whether the role of a SAML sign-in still exists
// with the unique ID it had then.
func (c *Console) roleStillThere(ctx context.Context, s *warden.ConsoleSession) (bool, error) {
	var ok bool
	err := c.store.View(ctx, func(tx warden.Tx) error {
		role, err := warden.Load[warden.Role](ctx, tx, s.Account, warden.NameKey(s.RoleName))
		if warden.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = role.ID == s.RoleID
		return nil
	})
	return ok, err
}
