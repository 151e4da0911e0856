package console

import (
	"net/url"
	"strings"

	"github.com/warden-iam/warden/arn"
)

// The pages of a user, group, role or managed policy have tabs, as in the
// AWS console: the sections of the entity's page (links to anchors, so they
// work without JavaScript) and its Access Advisor, a page of its own.

// tab is one tab of an entity.
type tab struct {
	Label, Href, ID string
	On              bool
}

// tabStrip is the data of the "tabs" partial.
type tabStrip struct {
	Label string // what the tabs are of, for screen readers
	Tabs  []tab
}

// entity is what an IAM ARN names, as far as the console's pages go.
type entity struct {
	Kind string // "user", "group", "role", "policy"; "" for anything else
	Name string
	ARN  string
	Page string // the entity's console page
}

// entityOf reads the entity an IAM ARN names.
func entityOf(s string) entity {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" {
		return entity{ARN: s}
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	name := rest[strings.LastIndex(rest, "/")+1:]
	e := entity{Kind: kind, Name: name, ARN: s}
	switch kind {
	case "user":
		e.Page = userURL(name)
	case "group":
		e.Page = groupURL(name)
	case "role":
		e.Page = roleURL(name)
	case "policy":
		e.Page = policyURL(s)
	default:
		e.Kind = ""
	}
	return e
}

// advisorURL is the Access Advisor page of the entity arn names.
func advisorURL(s string) string { return "/console/access-advisor?arn=" + url.QueryEscape(s) }

// tabsOf is the tab strip of the entity arn names, with the tab on
// highlighted ("advisor" on the Access Advisor page, "" on the entity's
// own page, where its first tab is the one shown first).
func tabsOf(s, on string) tabStrip {
	e := entityOf(s)
	var t []tab
	sec := func(label, anchor string) {
		t = append(t, tab{Label: label, Href: e.Page + "#" + anchor, ID: "tab-" + anchor})
	}
	switch e.Kind {
	case "user":
		sec("Permissions", "permissions")
		sec("Groups", "groups")
		sec("Tags", "tags")
		sec("Security credentials", "credentials")
	case "group":
		sec("Users", "members")
		sec("Permissions", "permissions")
	case "role":
		sec("Permissions", "permissions")
		sec("Trust relationships", "trust")
		sec("Sessions and last used", "sessions")
	case "policy":
		sec("Permissions", "policy-summary")
	default:
		return tabStrip{}
	}
	if on == "" {
		t[0].On = true
	}
	t = append(t, tab{Label: "Access Advisor", Href: advisorURL(s), ID: "access-advisor", On: on == "advisor"})
	return tabStrip{Label: e.Kind + " " + e.Name, Tabs: t}
}
