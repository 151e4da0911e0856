package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// The permissions boundary of a user or role: a managed policy given by
// name or ARN. "Check" shows what the policy allows (the statement summary)
// and the policy checker's findings for it as a boundary, and sets nothing;
// setting checks too, and a policy with errors is not set.

// boundaryDraft is the boundary form as sent, with the check of the policy
// it names.
type boundaryDraft struct {
	Typed  string
	ARN    string
	Error  string        // why the policy could not be read
	Editor *policyEditor // its document, summarized and checked
}

// boundaryOf is the boundary form a POST of r sent, checked; nil for any
// other request.
func (c *Console) boundaryOf(ctx context.Context, p *warden.Principal, r *http.Request) *boundaryDraft {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/boundary") || r.PostFormValue("op") == "remove" {
		return nil
	}
	d := &boundaryDraft{Typed: strings.TrimSpace(r.PostFormValue("boundary"))}
	if d.Typed == "" {
		d.Error = "Give the name or ARN of a managed policy."
		return d
	}
	arn, err := c.resolvePolicy(ctx, p, d.Typed)
	if err != nil {
		d.Error = denialOr(err, "iam:ListPolicies")
		return d
	}
	d.ARN = arn
	var pol policyResult
	if err := c.call(ctx, p, "GetPolicy", form("PolicyArn", arn), &pol); err != nil {
		d.Error = denialOr(err, "iam:GetPolicy")
		return d
	}
	var ver versionResult
	if err := c.call(ctx, p, "GetPolicyVersion", form("PolicyArn", arn, "VersionId", pol.Policy.DefaultVersionID), &ver); err != nil {
		d.Error = denialOr(err, "iam:GetPolicyVersion")
		return d
	}
	e := newEditor("boundary-document", "", "Permissions boundary "+pol.Policy.PolicyName, prettyDocument(ver.PolicyVersion.Document),
		policy.Boundary, true)
	d.Editor = &e
	return d
}

// boundaryAction sets, checks or removes the boundary of a user or role:
// kind is "User" or "Role", the name the path's.
func (c *Console) boundaryAction(w http.ResponseWriter, r *http.Request, v *visit, kind string,
	rerender func(status int, msg string), back string) {
	ctx, name := r.Context(), r.PathValue("name")
	if r.PostFormValue("op") == "remove" {
		if err := c.call(ctx, &v.p, "Delete"+kind+"PermissionsBoundary", form(kind+"Name", name), nil); err != nil {
			c.failOn(w, r, v, err, func(msg string) { rerender(http.StatusBadRequest, msg) })
			return
		}
		redirect(w, r, back, "boundary-removed")
		return
	}
	d := c.boundaryOf(ctx, &v.p, r)
	switch {
	case d.Error != "":
		rerender(http.StatusBadRequest, d.Error)
		return
	case r.PostFormValue("check") != "":
		rerender(http.StatusOK, "")
		return
	case d.Editor.Findings.Errors:
		rerender(http.StatusBadRequest, "The policy has errors as a permissions boundary, listed in the boundary section. It was not set.")
		return
	}
	if err := c.call(ctx, &v.p, "Put"+kind+"PermissionsBoundary", form(kind+"Name", name, "PermissionsBoundary", d.ARN), nil); err != nil {
		c.failOn(w, r, v, err, func(msg string) { rerender(http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, back, "boundary-set")
}

func (c *Console) userBoundary(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	c.boundaryAction(w, r, v, "User", func(status int, msg string) { c.renderUser(w, r, v, status, name, msg) }, userURL(name))
}

func (c *Console) roleBoundary(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	c.boundaryAction(w, r, v, "Role", func(status int, msg string) { c.renderRole(w, r, v, status, name, msg) }, roleURL(name))
}
