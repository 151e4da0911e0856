package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// Roles: the list (searched, sorted and paged on the server), creating one
// from a trusted-entity template, and a role's page: its trust policy, its
// permissions, revoking its active sessions and deleting it.

func (c *Console) roleRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/roles", c.authed(c.listRoles))
	m.HandleFunc("GET /console/roles/new", c.authed(c.newRolePage))
	m.HandleFunc("POST /console/roles", c.authed(c.createRole))
	m.HandleFunc("GET /console/roles/{name}", c.authed(c.rolePage))
	m.HandleFunc("POST /console/roles/{name}/trust", c.authed(c.roleTrustAction))
	m.HandleFunc("POST /console/roles/{name}/boundary", c.authed(c.confirmed(dangerRemoveBoundary("role"), c.roleBoundary)))
	m.HandleFunc("POST /console/roles/{name}/policies", c.authed(c.confirmed(dangerPolicies("role"), c.rolePolicyAction)))
	m.HandleFunc("POST /console/roles/{name}/revoke", c.authed(c.revokeRoleSessions))
	m.HandleFunc("GET /console/roles/{name}/delete", c.authed(c.deleteRolePage))
	m.HandleFunc("POST /console/roles/{name}/delete", c.authed(c.deleteRole))
}

func roleURL(name string) string { return "/console/roles/" + url.PathEscape(name) }

type roleView struct {
	Path                     string     `xml:"Path"`
	RoleName                 string     `xml:"RoleName"`
	RoleID                   string     `xml:"RoleId"`
	Arn                      string     `xml:"Arn"`
	CreateDate               time.Time  `xml:"CreateDate"`
	AssumeRolePolicyDocument string     `xml:"AssumeRolePolicyDocument"`
	Description              string     `xml:"Description"`
	MaxSessionDuration       int        `xml:"MaxSessionDuration"`
	Boundary                 string     `xml:"PermissionsBoundary>PermissionsBoundaryArn"`
	Tags                     []tagView  `xml:"Tags>member"`
	LastUsed                 *time.Time `xml:"RoleLastUsed>LastUsedDate"`
	LastUsedRegion           string     `xml:"RoleLastUsed>Region"`
}

type rolesResult struct {
	Roles []roleView `xml:"Roles>member"`
	pager
}

type roleResult struct {
	Role roleView `xml:"Role"`
}

// listPage is the search, sort and paging state of a list page, read from
// its query string.
type listPage struct {
	Query    string
	Sort     string
	Desc     bool
	Page     int // from 1
	Size     int
	Total    int
	Pages    int
	Sizes    []int
	PrevPage int
	NextPage int
}

func readListPage(r *http.Request, sorts ...string) listPage {
	q := r.URL.Query()
	lp := listPage{Query: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"), Desc: q.Get("dir") == "desc",
		Page: 1, Size: 25, Sizes: []int{10, 25, 50, 100}}
	if !slices.Contains(sorts, lp.Sort) {
		lp.Sort = sorts[0]
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		lp.Page = n
	}
	if n, err := strconv.Atoi(q.Get("size")); err == nil && slices.Contains(lp.Sizes, n) {
		lp.Size = n
	}
	return lp
}

// window pages items (already filtered and sorted) as lp says.
func window[T any](lp *listPage, items []T) []T {
	lp.Total = len(items)
	lp.Pages = max(1, (len(items)+lp.Size-1)/lp.Size)
	lp.Page = min(lp.Page, lp.Pages)
	if lp.Page > 1 {
		lp.PrevPage = lp.Page - 1
	}
	if lp.Page < lp.Pages {
		lp.NextPage = lp.Page + 1
	}
	start := (lp.Page - 1) * lp.Size
	return items[start:min(start+lp.Size, len(items))]
}

// byName, byTime and byOptionalTime compare list items for arrange.
func byName(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

func byTime(a, b time.Time) int { return a.Compare(b) }

func byOptionalTime(a, b *time.Time) int { return timeOrZero(a).Compare(timeOrZero(b)) }

// arrange keeps the items one of whose texts contains lp.Query (regardless
// of case), sorts them by the comparison lp.Sort names (descending when
// lp.Desc), and returns lp's page of them.
func arrange[T any](lp *listPage, items []T, texts func(T) []string, sorts map[string]func(a, b T) int) []T {
	if lp.Query != "" {
		q := strings.ToLower(lp.Query)
		items = slices.DeleteFunc(items, func(it T) bool {
			return !slices.ContainsFunc(texts(it), func(s string) bool { return strings.Contains(strings.ToLower(s), q) })
		})
	}
	if cmp := sorts[lp.Sort]; cmp != nil {
		slices.SortStableFunc(items, func(a, b T) int {
			if lp.Desc {
				return cmp(b, a)
			}
			return cmp(a, b)
		})
	}
	return window(lp, items)
}

// Link returns the list's address with one parameter changed.
func (lp listPage) Link(base, key, value string) string {
	path, rawQuery, _ := strings.Cut(base, "?")
	q, _ := url.ParseQuery(rawQuery)
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", lp.Query)
	set("sort", lp.Sort)
	if lp.Desc {
		q.Set("dir", "desc")
	}
	q.Set("size", strconv.Itoa(lp.Size))
	q.Set("page", strconv.Itoa(lp.Page))
	if key == "sort" {
		q.Del("dir")
		if value == lp.Sort && !lp.Desc {
			q.Set("dir", "desc")
		}
		q.Set("page", "1")
	}
	if key == "size" {
		q.Set("page", "1")
	}
	q.Set(key, value)
	return path + "?" + q.Encode()
}

type rolesData struct {
	Roles []roleView
	List  listPage
}

func (c *Console) listRoles(w http.ResponseWriter, r *http.Request, v *visit) {
	roles, err := callAll(r.Context(), c, &v.p, "ListRoles", nil, func() *rolesResult { return &rolesResult{} },
		func(r *rolesResult) []roleView { return r.Roles })
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	lp := readListPage(r, "name", "created", "lastused")
	page := arrange(&lp, roles, func(ro roleView) []string { return []string{ro.RoleName, ro.Description} },
		map[string]func(a, b roleView) int{
			"name":     func(a, b roleView) int { return byName(a.RoleName, b.RoleName) },
			"created":  func(a, b roleView) int { return byTime(a.CreateDate, b.CreateDate) },
			"lastused": func(a, b roleView) int { return byOptionalTime(a.LastUsed, b.LastUsed) },
		})
	c.render(w, r, http.StatusOK, "roles.html", &view{Title: "Roles", Nav: "roles", Who: whoOf(v), Flash: flashOf(r),
		Data: rolesData{Roles: page, List: lp}})
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// trustTemplate is a trusted-entity choice of the create-role page.
type trustTemplate struct {
	Entity     string // account, service, webidentity, saml
	AccountID  string
	RequireMFA bool
	ExternalID string
	Service    string
	Provider   string // web identity provider host or SAML provider ARN
	Audience   string
	// SAMLAudiences are the sign-in URLs a SAML role's trust policy lets
	// assertions be meant for (AWS's, and this Warden's own when set).
	SAMLAudiences []string
}

// document builds the trust policy a template stands for, as the AWS
// console does.
func (t trustTemplate) document(ownAccount string) (string, error) {
	stmt := map[string]any{"Effect": "Allow"}
	cond := map[string]map[string]any{}
	switch t.Entity {
	case "account":
		acct := strings.TrimSpace(t.AccountID)
		if acct == "" {
			acct = ownAccount
		}
		stmt["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}
		stmt["Action"] = "sts:AssumeRole"
		if t.RequireMFA {
			cond["Bool"] = map[string]any{"aws:MultiFactorAuthPresent": "true"}
		}
		if id := strings.TrimSpace(t.ExternalID); id != "" {
			cond["StringEquals"] = map[string]any{"sts:ExternalId": id}
		}
	case "service":
		svc := strings.TrimSpace(t.Service)
		if svc == "" {
			return "", warden.Errorf(warden.CodeValidationError, "Choose the AWS service that will use the role, e.g. ec2.amazonaws.com.")
		}
		stmt["Principal"] = map[string]any{"Service": svc}
		stmt["Action"] = "sts:AssumeRole"
	case "webidentity":
		host := strings.TrimPrefix(strings.TrimSpace(t.Provider), "https://")
		if host == "" || strings.HasPrefix(host, "arn:") {
			return "", warden.Errorf(warden.CodeValidationError, "Name the identity provider, e.g. token.actions.githubusercontent.com.")
		}
		stmt["Principal"] = map[string]any{"Federated": "arn:aws:iam::" + ownAccount + ":oidc-provider/" + host}
		stmt["Action"] = "sts:AssumeRoleWithWebIdentity"
		if aud := strings.TrimSpace(t.Audience); aud != "" {
			cond["StringEquals"] = map[string]any{host + ":aud": aud}
		}
	case "saml":
		arn := strings.TrimSpace(t.Provider)
		if arn == "" || strings.Contains(arn, ":oidc-provider/") {
			return "", warden.Errorf(warden.CodeValidationError, "Choose the account's SAML provider whose users may assume the role.")
		}
		if !strings.Contains(arn, ":saml-provider/") {
			arn = "arn:aws:iam::" + ownAccount + ":saml-provider/" + arn
		}
		stmt["Principal"] = map[string]any{"Federated": arn}
		stmt["Action"] = []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}
		var aud any = "https://signin.aws.amazon.com/saml"
		if len(t.SAMLAudiences) > 0 {
			aud = append([]string{"https://signin.aws.amazon.com/saml"}, t.SAMLAudiences...)
		}
		cond["StringEquals"] = map[string]any{"SAML:aud": aud}
	default:
		return "", warden.Errorf(warden.CodeValidationError, "Choose a trusted entity type.")
	}
	if len(cond) > 0 {
		stmt["Condition"] = cond
	}
	b, err := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}}, "", "  ")
	return string(b), err
}

type newRoleData struct {
	Template trustTemplate
	Name     string
	Desc     string
	Document string
	Checked  bool // run the policy checker on Document
	Editor   policyEditor
	Policies []policyView
	CSRF     string
	Account  string
	// The account's providers the web identity and SAML templates pick
	// from: OIDC provider hosts (and paths) and SAML provider ARNs.
	OIDCProviders []string
	SAMLProviders []string
}

func (c *Console) newRolePage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderNewRole(w, r, v, http.StatusOK, newRoleData{Template: trustTemplate{Entity: "account"}}, "")
}

func (c *Console) renderNewRole(w http.ResponseWriter, r *http.Request, v *visit, status int, d newRoleData, errMsg string) {
	d.CSRF, d.Account = v.sess.CSRF, v.p.Account
	d.OIDCProviders, d.SAMLProviders = nil, nil
	if rows, _, err := c.accountProviders(r.Context(), &v.p, false); err == nil {
		for _, row := range rows {
			if row.Type == "SAML" {
				d.SAMLProviders = append(d.SAMLProviders, row.Arn)
			} else {
				d.OIDCProviders = append(d.OIDCProviders, row.Name)
			}
		}
	}
	d.Editor = newEditor("role-document", "document", "Custom trust policy (custom only)", d.Document, policy.Trust, d.Checked)
	d.Policies, _ = callAll(r.Context(), c, &v.p, "ListPolicies", form("Scope", "Local"), func() *policiesResult { return &policiesResult{} },
		func(r *policiesResult) []policyView { return r.Policies })
	c.render(w, r, status, "rolenew.html", &view{Title: "Create role", Nav: "roles", Who: whoOf(v), Error: errMsg, Data: d})
}

func (c *Console) createRole(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	d := newRoleData{
		Template: trustTemplate{Entity: r.PostFormValue("entity"), AccountID: r.PostFormValue("account"),
			RequireMFA: r.PostFormValue("mfa") == "on", ExternalID: r.PostFormValue("external-id"),
			Service: r.PostFormValue("service"), Audience: r.PostFormValue("audience")},
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		Desc:     strings.TrimSpace(r.PostFormValue("description")),
		Document: strings.TrimSpace(r.PostFormValue("document")),
	}
	switch d.Template.Entity {
	case "webidentity":
		d.Template.Provider = r.PostFormValue("oidc-provider")
	case "saml":
		d.Template.Provider = r.PostFormValue("saml-provider")
		if c.STS != nil {
			d.Template.SAMLAudiences = c.STS.SAMLRecipients
		}
	}
	doc := d.Document
	if d.Template.Entity == "custom" {
		// The custom trust policy goes through the policy checker first.
		if f := checkAs(doc, policy.Trust); f.Errors {
			d.Checked = true
			c.renderNewRole(w, r, v, http.StatusBadRequest, d, "The trust policy has errors, listed below it. Nothing was created: fix them and try again.")
			return
		}
	} else {
		var err error
		if doc, err = d.Template.document(v.p.Account); err != nil {
			msg, _ := errMessage(err)
			c.renderNewRole(w, r, v, http.StatusBadRequest, d, msg)
			return
		}
	}
	err := c.call(ctx, &v.p, "CreateRole", form("RoleName", d.Name, "Description", d.Desc, "AssumeRolePolicyDocument", doc), nil)
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderNewRole(w, r, v, http.StatusBadRequest, d, msg) })
		return
	}
	arn, err := c.policyARNField(ctx, &v.p, r)
	if err == nil && arn != "" {
		err = c.call(ctx, &v.p, "AttachRolePolicy", form("RoleName", d.Name, "PolicyArn", arn), nil)
	}
	if err != nil {
		// The role exists; its page says what went wrong with the policy.
		c.failOn(w, r, v, err, func(msg string) { c.renderRole(w, r, v, http.StatusBadRequest, d.Name, msg) })
		return
	}
	redirect(w, r, roleURL(d.Name), "role-created")
}

type roleData struct {
	Draft         *inlineDraft
	BoundaryDraft *boundaryDraft
	TrustEditor   policyEditor
	Role          roleView
	Trust         string
	Attached      []attachedView
	Inline        []inlinePolicy
	Policies      []policyView
	Denied        map[string]string
	CSRF          string
	// RevokedBefore is the time before which the role's sessions are
	// denied by "Revoke active sessions", "" when they never were.
	RevokedBefore string
}

// revokedBeforeRE finds the time in the AWSRevokeOlderSessions policy.
var revokedBeforeRE = regexp.MustCompile(`"aws:TokenIssueTime"\s*:\s*\[?\s*"([^"]+)"`)

func (c *Console) rolePage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderRole(w, r, v, http.StatusOK, r.PathValue("name"), "")
}

func (c *Console) renderRole(w http.ResponseWriter, r *http.Request, v *visit, status int, name, errMsg string) {
	ctx, p := r.Context(), &v.p
	var res roleResult
	if err := c.call(ctx, p, "GetRole", form("RoleName", name), &res); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := roleData{Role: res.Role, Trust: prettyDocument(res.Role.AssumeRolePolicyDocument), Denied: map[string]string{}, CSRF: v.sess.CSRF,
		Draft: draftOf(r)}
	d.TrustEditor = trustEditorOf(r, d.Trust)
	d.BoundaryDraft = c.boundaryOf(ctx, p, r)
	name = d.Role.RoleName
	var err error
	if d.Attached, err = callAll(ctx, c, p, "ListAttachedRolePolicies", form("RoleName", name), func() *attachedResult { return &attachedResult{} },
		func(r *attachedResult) []attachedView { return r.AttachedPolicies }); err != nil {
		d.Denied["attached"] = denialOr(err, "iam:ListAttachedRolePolicies")
	}
	d.Policies, _ = callAll(ctx, c, p, "ListPolicies", form("Scope", "Local"), func() *policiesResult { return &policiesResult{} },
		func(r *policiesResult) []policyView { return r.Policies })
	names, err := callAll(ctx, c, p, "ListRolePolicies", form("RoleName", name), func() *namesResult { return &namesResult{} },
		func(r *namesResult) []string { return r.PolicyNames })
	if err != nil {
		d.Denied["inline"] = denialOr(err, "iam:ListRolePolicies")
	}
	for _, n := range names {
		var ip inlineResult
		if err := c.call(ctx, p, "GetRolePolicy", form("RoleName", name, "PolicyName", n), &ip); err != nil {
			d.Inline = append(d.Inline, inlinePolicy{Name: n, Document: denialOr(err, "iam:GetRolePolicy")})
			continue
		}
		d.Inline = append(d.Inline, inlinePolicy{Name: n, Document: prettyDocument(ip.PolicyDocument)})
		if n == revokePolicyName {
			if m := revokedBeforeRE.FindStringSubmatch(d.Inline[len(d.Inline)-1].Document); m != nil {
				d.RevokedBefore = m[1]
			}
		}
	}
	c.render(w, r, status, "role.html", &view{Title: name, Nav: "roles", Who: whoOf(v), Flash: flashOf(r), Error: errMsg, Data: d})
}

func (c *Console) roleAction(w http.ResponseWriter, r *http.Request, v *visit, err error, done string) {
	name := r.PathValue("name")
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderRole(w, r, v, http.StatusBadRequest, name, msg) })
		return
	}
	redirect(w, r, roleURL(name), done)
}

// trustEditorOf is the trust policy editor of a role's page: the document
// as sent, checked, after a POST to the trust form; else the role's.
func trustEditorOf(r *http.Request, stored string) policyEditor {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/trust") {
		return newEditor("trust-document", "document", "Trust policy", r.PostFormValue("document"), policy.Trust, true)
	}
	return newEditor("trust-document", "document", "Trust policy", stored, policy.Trust, false)
}

func (c *Console) roleTrustAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	if editorCheck(r, trustEditorOf(r, ""), func(status int, msg string) { c.renderRole(w, r, v, status, name, msg) }) {
		return
	}
	err := c.call(r.Context(), &v.p, "UpdateAssumeRolePolicy", form("RoleName", r.PathValue("name"),
		"PolicyDocument", r.PostFormValue("document")), nil)
	c.roleAction(w, r, v, err, "trust-saved")
}

func (c *Console) rolePolicyAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ctx := r.PathValue("name"), r.Context()
	var err error
	done := "saved"
	switch r.PostFormValue("op") {
	case "attach":
		var arn string
		if arn, err = c.policyARNField(ctx, &v.p, r); err == nil {
			err = c.call(ctx, &v.p, "AttachRolePolicy", form("RoleName", name, "PolicyArn", arn), nil)
		}
		done = "policy-attached"
	case "detach":
		err = c.call(ctx, &v.p, "DetachRolePolicy", form("RoleName", name, "PolicyArn", r.PostFormValue("arn")), nil)
		done = "policy-detached"
	case "put-inline":
		if inlineChecked(r, func(status int, msg string) { c.renderRole(w, r, v, status, name, msg) }) {
			return
		}
		err = c.call(ctx, &v.p, "PutRolePolicy", form("RoleName", name, "PolicyName", strings.TrimSpace(r.PostFormValue("policy")),
			"PolicyDocument", r.PostFormValue("document")), nil)
	case "delete-inline":
		err = c.call(ctx, &v.p, "DeleteRolePolicy", form("RoleName", name, "PolicyName", r.PostFormValue("policy")), nil)
		done = "inline-deleted"
	default:
		err = warden.Errorf(warden.CodeValidationError, "Unknown action.")
	}
	c.roleAction(w, r, v, err, done)
}

// revokePolicyName is the inline policy the AWS console adds to revoke a
// role's active sessions.
const revokePolicyName = "AWSRevokeOlderSessions"

// revokeRoleSessions denies everything to the role's sessions issued before
// now, as the AWS console's "Revoke active sessions" does: an inline policy
// with a DateLessThan on aws:TokenIssueTime.
func (c *Console) revokeRoleSessions(w http.ResponseWriter, r *http.Request, v *visit) {
	now := c.now().Format(time.RFC3339)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],` +
		`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + now + `"}}}]}`
	err := c.call(r.Context(), &v.p, "PutRolePolicy", form("RoleName", r.PathValue("name"), "PolicyName", revokePolicyName,
		"PolicyDocument", doc), nil)
	c.roleAction(w, r, v, err, "sessions-revoked")
}

func (c *Console) deleteRolePage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderDeleteRole(w, r, v, http.StatusOK, "")
}

type deleteRoleData struct {
	Role     roleView
	Attached []attachedView
	Inline   []string
	CSRF     string
}

func (c *Console) renderDeleteRole(w http.ResponseWriter, r *http.Request, v *visit, status int, errMsg string) {
	ctx, p := r.Context(), &v.p
	var res roleResult
	if err := c.call(ctx, p, "GetRole", form("RoleName", r.PathValue("name")), &res); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := deleteRoleData{Role: res.Role, CSRF: v.sess.CSRF}
	d.Attached, _ = callAll(ctx, c, p, "ListAttachedRolePolicies", form("RoleName", d.Role.RoleName), func() *attachedResult { return &attachedResult{} },
		func(r *attachedResult) []attachedView { return r.AttachedPolicies })
	d.Inline, _ = callAll(ctx, c, p, "ListRolePolicies", form("RoleName", d.Role.RoleName), func() *namesResult { return &namesResult{} },
		func(r *namesResult) []string { return r.PolicyNames })
	c.render(w, r, status, "roledelete.html", &view{Title: "Delete " + d.Role.RoleName, Nav: "roles", Who: whoOf(v), Error: errMsg, Data: d})
}

// deleteRole deletes a role once its name was typed, detaching its managed
// policies and deleting its inline ones first, as the AWS console does.
func (c *Console) deleteRole(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, p, name := r.Context(), &v.p, r.PathValue("name")
	if r.PostFormValue("confirm") != name {
		c.renderDeleteRole(w, r, v, http.StatusBadRequest, "Type the role's name, "+name+", to confirm.")
		return
	}
	attached, err := callAll(ctx, c, p, "ListAttachedRolePolicies", form("RoleName", name), func() *attachedResult { return &attachedResult{} },
		func(r *attachedResult) []attachedView { return r.AttachedPolicies })
	for _, a := range attached {
		if err != nil {
			break
		}
		err = c.call(ctx, p, "DetachRolePolicy", form("RoleName", name, "PolicyArn", a.PolicyArn), nil)
	}
	var inline []string
	if err == nil {
		inline, err = callAll(ctx, c, p, "ListRolePolicies", form("RoleName", name), func() *namesResult { return &namesResult{} },
			func(r *namesResult) []string { return r.PolicyNames })
	}
	for _, n := range inline {
		if err != nil {
			break
		}
		err = c.call(ctx, p, "DeleteRolePolicy", form("RoleName", name, "PolicyName", n), nil)
	}
	if err == nil {
		err = c.call(ctx, p, "DeleteRole", form("RoleName", name), nil)
	}
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderDeleteRole(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, "/console/roles", "role-deleted")
}
