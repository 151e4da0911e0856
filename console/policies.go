package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// Policies: the list with AWS's filters, a policy's summary, JSON and
// versions, and creating or editing customer managed policies in a JSON text
// area. The editor checks the document with package validate on request
// ("Check policy") and before every save: errors block the save, other
// findings are shown on the policy page after it. The operation validates
// the document once more: a MalformedPolicyDocument comes back with the text
// as typed, so nothing is saved until it is valid.

func (c *Console) policyRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/policies", c.authed(c.listPolicies))
	m.HandleFunc("GET /console/policies/new", c.authed(c.newPolicyPage))
	m.HandleFunc("POST /console/policies/new", c.authed(c.createPolicy))
	m.HandleFunc("GET /console/policy", c.authed(c.policyPage))
	m.HandleFunc("GET /console/policy/edit", c.authed(c.editPolicyPage))
	m.HandleFunc("POST /console/policy/edit", c.authed(c.savePolicyVersion))
	m.HandleFunc("POST /console/policy/versions", c.authed(c.policyVersionAction))
	m.HandleFunc("POST /console/policy/delete", c.authed(c.confirmed(dangerDeletePolicy, c.deletePolicy)))
}

func policyURL(arn string) string { return "/console/policy?arn=" + url.QueryEscape(arn) }

// pageSize is how many policies one page of the list shows.
const pageSize = 50

type policiesData struct {
	Policies []policyView
	Scope    string // All, AWS, Local
	Attached bool
	Query    string
	Next     string // URL of the next page
	// List pages a filtered list; Base is its address without paging.
	List listPage
	Base string
	// AttachTo, when set, is the user, group or role ("user/bob") the
	// list is picking a policy for: each row can be attached to it.
	AttachTo     string
	AttachAction string
	CSRF         string
}

// attachTarget checks the attach-to parameter of the policy picker and
// returns the form address that attaches to it.
func attachTarget(to string) (string, bool) {
	kind, name, ok := strings.Cut(to, "/")
	if !ok || name == "" || strings.ContainsAny(name, "/?#") {
		return "", false
	}
	switch kind {
	case "user":
		return userURL(name) + "/policies", true
	case "group":
		return groupURL(name) + "/policies", true
	case "role":
		return roleURL(name) + "/policies", true
	}
	return "", false
}

func (c *Console) listPolicies(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	d := policiesData{Scope: q.Get("scope"), Attached: q.Get("attached") == "on", Query: strings.TrimSpace(q.Get("q")), CSRF: v.sess.CSRF}
	if d.Scope != "AWS" && d.Scope != "Local" {
		d.Scope = "All"
	}
	if to := q.Get("attach-to"); to != "" {
		if action, ok := attachTarget(to); ok {
			d.AttachTo, d.AttachAction = to, action
		}
	}
	params := form("Scope", d.Scope, "OnlyAttached", map[bool]string{true: "true"}[d.Attached])
	ctx := r.Context()
	if d.Query != "" {
		all, err := callAll(ctx, c, &v.p, "ListPolicies", params, func() *policiesResult { return &policiesResult{} },
			func(r *policiesResult) []policyView { return r.Policies })
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		needle := strings.ToLower(d.Query)
		var matches []policyView
		for _, p := range all {
			if strings.Contains(strings.ToLower(p.PolicyName), needle) {
				matches = append(matches, p)
			}
		}
		d.List = readListPage(r, "name")
		d.Policies = window(&d.List, matches)
		base := url.Values{"scope": {d.Scope}}
		if d.Attached {
			base.Set("attached", "on")
		}
		if d.AttachTo != "" {
			base.Set("attach-to", d.AttachTo)
		}
		d.Base = "/console/policies?" + base.Encode()
	} else {
		params.Set("MaxItems", strconv.Itoa(pageSize))
		if m := q.Get("marker"); m != "" {
			params.Set("Marker", m)
		}
		var res policiesResult
		if err := c.call(ctx, &v.p, "ListPolicies", params, &res); err != nil {
			c.fail(w, r, v, err)
			return
		}
		d.Policies = res.Policies
		if res.IsTruncated {
			next := url.Values{"scope": {d.Scope}, "marker": {res.Marker}}
			if d.Attached {
				next.Set("attached", "on")
			}
			if d.AttachTo != "" {
				next.Set("attach-to", d.AttachTo)
			}
			d.Next = "/console/policies?" + next.Encode()
		}
	}
	c.render(w, r, http.StatusOK, "policies.html", &view{Title: "Policies", Nav: "policies", Who: whoOf(v), Flash: flashOf(r), Data: d})
}

type policyData struct {
	Policy   policyView
	Versions []versionView
	Shown    versionView
	Document string
	Summary  *summaryView  // of the default version
	Findings *findingsView // of the default version, after a save that had some
	Entities *entitiesResult
	Denied   map[string]string
	CSRF     string
}

func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderPolicy(w, r, v, http.StatusOK, r.URL.Query().Get("arn"), "")
}

func (c *Console) renderPolicy(w http.ResponseWriter, r *http.Request, v *visit, status int, arn, errMsg string) {
	ctx, p := r.Context(), &v.p
	var pol policyResult
	if err := c.call(ctx, p, "GetPolicy", form("PolicyArn", arn), &pol); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := policyData{Policy: pol.Policy, Denied: map[string]string{}, CSRF: v.sess.CSRF}
	var err error
	if d.Versions, err = callAll(ctx, c, p, "ListPolicyVersions", form("PolicyArn", arn), func() *versionsResult { return &versionsResult{} },
		func(r *versionsResult) []versionView { return r.Versions }); err != nil {
		d.Denied["versions"] = denialOr(err, "iam:ListPolicyVersions")
	}
	version := r.URL.Query().Get("version")
	if version == "" {
		version = pol.Policy.DefaultVersionID
	}
	var ver versionResult
	if err := c.call(ctx, p, "GetPolicyVersion", form("PolicyArn", arn, "VersionId", version), &ver); err != nil {
		d.Denied["document"] = denialOr(err, "iam:GetPolicyVersion")
	} else {
		d.Shown, d.Document = ver.PolicyVersion, prettyDocument(ver.PolicyVersion.Document)
	}
	// The summary and findings are of the default version, whichever one
	// the JSON shows; the document is the indented one, so that the lines
	// of findings are those of the JSON view.
	defaultDoc, haveDefault := d.Document, d.Shown.IsDefaultVersion
	if why, denied := d.Denied["document"]; denied && version == pol.Policy.DefaultVersionID {
		d.Denied["summary"] = why
	} else if !haveDefault {
		var def versionResult
		if err := c.call(ctx, p, "GetPolicyVersion", form("PolicyArn", arn, "VersionId", pol.Policy.DefaultVersionID), &def); err != nil {
			d.Denied["summary"] = denialOr(err, "iam:GetPolicyVersion")
		} else {
			defaultDoc, haveDefault = prettyDocument(def.PolicyVersion.Document), true
		}
	}
	if haveDefault {
		d.Summary = summarize(defaultDoc)
		if r.URL.Query().Get("findings") == "show" && !pol.Policy.AWSManaged() {
			f := checkDocument(defaultDoc)
			d.Findings = &f
		}
	}
	var ents entitiesResult
	if err := c.call(ctx, p, "ListEntitiesForPolicy", form("PolicyArn", arn), &ents); err != nil {
		d.Denied["entities"] = denialOr(err, "iam:ListEntitiesForPolicy")
	} else {
		d.Entities = &ents
	}
	c.render(w, r, status, "policy.html", &view{Title: d.Policy.PolicyName, Nav: "policies", Who: whoOf(v), Flash: flashOf(r),
		Error: errMsg, Data: d})
}

// editorData is the policy editor, for a new policy or a new version.
type editorData struct {
	ARN         string // "" for a new policy
	Name        string
	Path        string
	Description string
	Document    string
	Prune       bool          // delete the oldest version when there are five
	Findings    *findingsView // nil until the document is checked
	Editor      policyEditor
	CSRF        string
}

const starterPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["iam:Get*", "iam:List*"],
      "Resource": "*"
    }
  ]
}`

func (c *Console) newPolicyPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderEditor(w, r, v, http.StatusOK, editorData{Document: starterPolicy}, "")
}

func (c *Console) renderEditor(w http.ResponseWriter, r *http.Request, v *visit, status int, d editorData, errMsg string) {
	d.CSRF = v.sess.CSRF
	// The findings are shown above the form (#policy-check), not twice.
	d.Editor = newEditor("document", "document", "Policy document (JSON)", d.Document, policy.Identity, false)
	d.Editor.Required = true
	title := "Create policy"
	if d.ARN != "" {
		title = "Edit " + d.Name
	}
	c.render(w, r, status, "policyedit.html", &view{Title: title, Nav: "policies", Who: whoOf(v), Error: errMsg, Data: d})
}

// checkEditor checks the editor's document. For "Check policy" it shows the
// findings and saves nothing; before a save, errors stop it and are shown
// with the document as typed. It reports whether it answered the request.
func (c *Console) checkEditor(w http.ResponseWriter, r *http.Request, v *visit, d *editorData) bool {
	f := checkDocument(d.Document)
	d.Findings = &f
	switch {
	case r.PostFormValue("op") == "check":
		c.renderEditor(w, r, v, http.StatusOK, *d, "")
		return true
	case f.Errors:
		c.renderEditor(w, r, v, http.StatusBadRequest, *d, "The policy has errors, listed below. Nothing was saved: fix them and save again.")
		return true
	}
	return false
}

// savedURL is the policy page to show after a save: with the document's
// findings when it has some (all of them warnings or suggestions).
func savedURL(arn string, d editorData) string {
	if d.Findings != nil && len(d.Findings.List) > 0 {
		return policyURL(arn) + "&findings=show"
	}
	return policyURL(arn)
}

func (c *Console) createPolicy(w http.ResponseWriter, r *http.Request, v *visit) {
	d := editorData{Name: strings.TrimSpace(r.PostFormValue("name")), Path: strings.TrimSpace(r.PostFormValue("path")),
		Description: r.PostFormValue("description"), Document: r.PostFormValue("document")}
	if c.checkEditor(w, r, v, &d) {
		return
	}
	var res policyResult
	err := c.call(r.Context(), &v.p, "CreatePolicy", form("PolicyName", d.Name, "Path", d.Path, "Description", d.Description,
		"PolicyDocument", d.Document), &res)
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderEditor(w, r, v, http.StatusBadRequest, d, msg) })
		return
	}
	redirect(w, r, savedURL(res.Policy.Arn, d), "policy-created")
}

func (c *Console) editPolicyPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, arn := r.Context(), r.URL.Query().Get("arn")
	var pol policyResult
	if err := c.call(ctx, &v.p, "GetPolicy", form("PolicyArn", arn), &pol); err != nil {
		c.fail(w, r, v, err)
		return
	}
	var ver versionResult
	if err := c.call(ctx, &v.p, "GetPolicyVersion", form("PolicyArn", arn, "VersionId", pol.Policy.DefaultVersionID), &ver); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.renderEditor(w, r, v, http.StatusOK, editorData{ARN: arn, Name: pol.Policy.PolicyName,
		Document: prettyDocument(ver.PolicyVersion.Document), Prune: true}, "")
}

// savePolicyVersion saves an edited document as the new default version.
// With five versions already (IAM's limit), the oldest non-default one goes
// first when the form asks for it.
func (c *Console) savePolicyVersion(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, arn := r.Context(), r.PostFormValue("arn")
	d := editorData{ARN: arn, Name: r.PostFormValue("name"), Document: r.PostFormValue("document"), Prune: r.PostFormValue("prune") == "on"}
	if c.checkEditor(w, r, v, &d) {
		return
	}
	show := func(msg string) { c.renderEditor(w, r, v, http.StatusBadRequest, d, msg) }
	params := form("PolicyArn", arn, "PolicyDocument", d.Document, "SetAsDefault", "true")
	err := c.call(ctx, &v.p, "CreatePolicyVersion", params, nil)
	if warden.ErrorCode(err) == warden.CodeLimitExceeded && d.Prune {
		versions, lerr := callAll(ctx, c, &v.p, "ListPolicyVersions", form("PolicyArn", arn), func() *versionsResult { return &versionsResult{} },
			func(r *versionsResult) []versionView { return r.Versions })
		if lerr != nil {
			c.failOn(w, r, v, lerr, show)
			return
		}
		var oldest *versionView
		for i := range versions {
			if ver := &versions[i]; !ver.IsDefaultVersion && (oldest == nil || ver.CreateDate.Before(oldest.CreateDate)) {
				oldest = ver
			}
		}
		if oldest != nil {
			if derr := c.call(ctx, &v.p, "DeletePolicyVersion", form("PolicyArn", arn, "VersionId", oldest.VersionID), nil); derr != nil {
				c.failOn(w, r, v, derr, show)
				return
			}
			err = c.call(ctx, &v.p, "CreatePolicyVersion", params, nil)
		}
	}
	if err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	redirect(w, r, savedURL(arn, d), "version-created")
}

func (c *Console) policyVersionAction(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, arn, version := r.Context(), r.PostFormValue("arn"), r.PostFormValue("version")
	var err error
	switch r.PostFormValue("op") {
	case "default":
		err = c.call(ctx, &v.p, "SetDefaultPolicyVersion", form("PolicyArn", arn, "VersionId", version), nil)
	case "delete":
		err = c.call(ctx, &v.p, "DeletePolicyVersion", form("PolicyArn", arn, "VersionId", version), nil)
	default:
		err = warden.Errorf(warden.CodeValidationError, "Unknown action.")
	}
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderPolicy(w, r, v, http.StatusBadRequest, arn, msg) })
		return
	}
	redirect(w, r, policyURL(arn), "saved")
}

func (c *Console) deletePolicy(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, arn := r.Context(), r.PostFormValue("arn")
	show := func(msg string) { c.renderPolicy(w, r, v, http.StatusBadRequest, arn, msg) }
	versions, err := callAll(ctx, c, &v.p, "ListPolicyVersions", form("PolicyArn", arn), func() *versionsResult { return &versionsResult{} },
		func(r *versionsResult) []versionView { return r.Versions })
	if err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	for _, ver := range versions {
		if ver.IsDefaultVersion {
			continue
		}
		if err := c.call(ctx, &v.p, "DeletePolicyVersion", form("PolicyArn", arn, "VersionId", ver.VersionID), nil); err != nil {
			c.failOn(w, r, v, err, show)
			return
		}
	}
	if err := c.call(ctx, &v.p, "DeletePolicy", form("PolicyArn", arn), nil); err != nil {
		c.failOn(w, r, v, err, show)
		return
	}
	redirect(w, r, "/console/policies?scope=Local", "policy-deleted")
}

// indentJSON indents a JSON document for reading; text that is not JSON is
// returned as it is.
func indentJSON(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return b.String()
}
