package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-iam/warden"
)

// Groups: the list, creating one, and a group's page with its members and
// its attached and inline policies.

func (c *Console) groupRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/groups", c.authed(c.listGroups))
	m.HandleFunc("POST /console/groups", c.authed(c.createGroup))
	m.HandleFunc("GET /console/groups/{name}", c.authed(c.groupPage))
	m.HandleFunc("POST /console/groups/{name}/delete", c.authed(c.deleteGroup))
	m.HandleFunc("POST /console/groups/{name}/members", c.authed(c.confirmed(dangerRemoveMember, c.groupMemberAction)))
	m.HandleFunc("POST /console/groups/{name}/policies", c.authed(c.confirmed(dangerPolicies("group"), c.groupPolicyAction)))
}

func groupURL(name string) string { return "/console/groups/" + url.PathEscape(name) }

type groupsData struct {
	Groups []groupView
	List   listPage
	CSRF   string
	Name   string
}

func (c *Console) listGroups(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderGroups(w, r, v, http.StatusOK, "", "")
}

func (c *Console) renderGroups(w http.ResponseWriter, r *http.Request, v *visit, status int, name, errMsg string) {
	groups, err := callAll(r.Context(), c, &v.p, "ListGroups", nil, func() *groupsResult { return &groupsResult{} },
		func(r *groupsResult) []groupView { return r.Groups })
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	lp := readListPage(r, "name", "created")
	groups = arrange(&lp, groups, func(g groupView) []string { return []string{g.GroupName} },
		map[string]func(a, b groupView) int{
			"name":    func(a, b groupView) int { return byName(a.GroupName, b.GroupName) },
			"created": func(a, b groupView) int { return byTime(a.CreateDate, b.CreateDate) },
		})
	c.render(w, r, status, "groups.html", &view{Title: "User groups", Nav: "groups", Who: whoOf(v), Flash: flashOf(r),
		Error: errMsg, Data: groupsData{Groups: groups, List: lp, CSRF: v.sess.CSRF, Name: name}})
}

func (c *Console) createGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	err := c.call(r.Context(), &v.p, "CreateGroup", form("GroupName", name, "Path", strings.TrimSpace(r.PostFormValue("path"))), nil)
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderGroups(w, r, v, http.StatusBadRequest, name, msg) })
		return
	}
	redirect(w, r, groupURL(name), "group-created")
}

type groupData struct {
	Draft    *inlineDraft
	Group    groupView
	Members  []userView
	Others   []userView
	Attached []attachedView
	Inline   []inlinePolicy
	Policies []policyView
	Denied   map[string]string
	CSRF     string
}

func (c *Console) groupPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderGroup(w, r, v, http.StatusOK, r.PathValue("name"), "")
}

func (c *Console) renderGroup(w http.ResponseWriter, r *http.Request, v *visit, status int, name, errMsg string) {
	ctx, p := r.Context(), &v.p
	var first *groupResult
	members, err := callAll(ctx, c, p, "GetGroup", form("GroupName", name), func() *groupResult { return &groupResult{} },
		func(r *groupResult) []userView {
			if first == nil {
				first = r
			}
			return r.Users
		})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := groupData{Group: first.Group, Members: members, Denied: map[string]string{}, CSRF: v.sess.CSRF, Draft: draftOf(r)}
	name = d.Group.GroupName
	if all, err := callAll(ctx, c, p, "ListUsers", nil, func() *usersResult { return &usersResult{} },
		func(r *usersResult) []userView { return r.Users }); err == nil {
		in := map[string]bool{}
		for _, u := range members {
			in[u.UserName] = true
		}
		for _, u := range all {
			if !in[u.UserName] {
				d.Others = append(d.Others, u)
			}
		}
	}
	if d.Attached, err = callAll(ctx, c, p, "ListAttachedGroupPolicies", form("GroupName", name), func() *attachedResult { return &attachedResult{} },
		func(r *attachedResult) []attachedView { return r.AttachedPolicies }); err != nil {
		d.Denied["attached"] = denialOr(err, "iam:ListAttachedGroupPolicies")
	}
	d.Policies, _ = callAll(ctx, c, p, "ListPolicies", form("Scope", "Local"), func() *policiesResult { return &policiesResult{} },
		func(r *policiesResult) []policyView { return r.Policies })
	names, err := callAll(ctx, c, p, "ListGroupPolicies", form("GroupName", name), func() *namesResult { return &namesResult{} },
		func(r *namesResult) []string { return r.PolicyNames })
	if err != nil {
		d.Denied["inline"] = denialOr(err, "iam:ListGroupPolicies")
	}
	for _, n := range names {
		var res inlineResult
		if err := c.call(ctx, p, "GetGroupPolicy", form("GroupName", name, "PolicyName", n), &res); err != nil {
			d.Inline = append(d.Inline, inlinePolicy{Name: n, Document: denialOr(err, "iam:GetGroupPolicy")})
			continue
		}
		d.Inline = append(d.Inline, inlinePolicy{Name: n, Document: prettyDocument(res.PolicyDocument)})
	}
	c.render(w, r, status, "group.html", &view{Title: name, Nav: "groups", Who: whoOf(v), Flash: flashOf(r), Error: errMsg, Data: d})
}

func (c *Console) groupAction(w http.ResponseWriter, r *http.Request, v *visit, err error, done string) {
	name := r.PathValue("name")
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderGroup(w, r, v, http.StatusBadRequest, name, msg) })
		return
	}
	redirect(w, r, groupURL(name), done)
}

func (c *Console) groupMemberAction(w http.ResponseWriter, r *http.Request, v *visit) {
	action := "AddUserToGroup"
	if r.PostFormValue("op") == "remove" {
		action = "RemoveUserFromGroup"
	}
	err := c.call(r.Context(), &v.p, action, form("GroupName", r.PathValue("name"), "UserName", r.PostFormValue("user")), nil)
	c.groupAction(w, r, v, err, "saved")
}

func (c *Console) groupPolicyAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ctx := r.PathValue("name"), r.Context()
	var err error
	switch r.PostFormValue("op") {
	case "attach":
		var arn string
		if arn, err = c.policyARNField(ctx, &v.p, r); err == nil {
			err = c.call(ctx, &v.p, "AttachGroupPolicy", form("GroupName", name, "PolicyArn", arn), nil)
		}
	case "detach":
		err = c.call(ctx, &v.p, "DetachGroupPolicy", form("GroupName", name, "PolicyArn", r.PostFormValue("arn")), nil)
	case "put-inline":
		if inlineChecked(r, func(status int, msg string) { c.renderGroup(w, r, v, status, name, msg) }) {
			return
		}
		err = c.call(ctx, &v.p, "PutGroupPolicy", form("GroupName", name, "PolicyName", strings.TrimSpace(r.PostFormValue("policy")),
			"PolicyDocument", r.PostFormValue("document")), nil)
	case "delete-inline":
		err = c.call(ctx, &v.p, "DeleteGroupPolicy", form("GroupName", name, "PolicyName", r.PostFormValue("policy")), nil)
	default:
		err = warden.Errorf(warden.CodeValidationError, "Unknown action.")
	}
	c.groupAction(w, r, v, err, "saved")
}

// deleteGroup removes the group's members and policies, then the group.
func (c *Console) deleteGroup(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, p, name := r.Context(), &v.p, r.PathValue("name")
	if r.PostFormValue("confirm") != name {
		c.renderGroup(w, r, v, http.StatusBadRequest, name, "To delete the group, type its name in the confirmation field.")
		return
	}
	err := func() error {
		members, err := callAll(ctx, c, p, "GetGroup", form("GroupName", name), func() *groupResult { return &groupResult{} },
			func(r *groupResult) []userView { return r.Users })
		if err != nil {
			return err
		}
		for _, u := range members {
			if err := c.call(ctx, p, "RemoveUserFromGroup", form("GroupName", name, "UserName", u.UserName), nil); err != nil {
				return err
			}
		}
		attached, err := callAll(ctx, c, p, "ListAttachedGroupPolicies", form("GroupName", name), func() *attachedResult { return &attachedResult{} },
			func(r *attachedResult) []attachedView { return r.AttachedPolicies })
		if err != nil {
			return err
		}
		for _, a := range attached {
			if err := c.call(ctx, p, "DetachGroupPolicy", form("GroupName", name, "PolicyArn", a.PolicyArn), nil); err != nil {
				return err
			}
		}
		inline, err := callAll(ctx, c, p, "ListGroupPolicies", form("GroupName", name), func() *namesResult { return &namesResult{} },
			func(r *namesResult) []string { return r.PolicyNames })
		if err != nil {
			return err
		}
		for _, n := range inline {
			if err := c.call(ctx, p, "DeleteGroupPolicy", form("GroupName", name, "PolicyName", n), nil); err != nil {
				return err
			}
		}
		return c.call(ctx, p, "DeleteGroup", form("GroupName", name), nil)
	}()
	if err != nil {
		c.groupAction(w, r, v, err, "")
		return
	}
	redirect(w, r, "/console/groups", "group-deleted")
}
