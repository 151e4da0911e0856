package saml

import (
	"encoding/base64"
	"strings"

	"github.com/beevik/etree"
)

// RolePair is one value of the Role attribute: a role and the SAML provider
// that may sign its user into it.
type RolePair struct {
	RoleARN     string
	ProviderARN string
}

// parsePair reads "role,provider" in either order; ok is false for anything
// else.
func parsePair(v string) (RolePair, bool) {
	a, b, ok := strings.Cut(v, ",")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if !ok || strings.Contains(b, ",") {
		return RolePair{}, false
	}
	if strings.Contains(a, ":saml-provider/") {
		a, b = b, a
	}
	if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":role/") || !strings.HasPrefix(b, "arn:") || !strings.Contains(b, ":saml-provider/") {
		return RolePair{}, false
	}
	return RolePair{RoleARN: a, ProviderARN: b}, true
}

// Roles returns the well-formed role/provider pairs of the assertion's Role
// attribute, each once, in the order the assertion gives them.
func (a *Assertion) Roles() []RolePair {
	return pairs(a.Attributes[AttrRole])
}

func pairs(values []string) []RolePair {
	var out []RolePair
	seen := map[RolePair]bool{}
	for _, v := range values {
		if p, ok := parsePair(v); ok && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// UnverifiedProviders returns the SAML provider ARNs that the Role
// attributes of a response name, WITHOUT verifying anything: it only tells
// which providers' certificates to verify the response against (see
// Verify). At most max are returned; a response that cannot be read yields
// none.
func UnverifiedProviders(response string, max int) []string {
	if len(response) > maxResponse*2 {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(response), ""))
	if err != nil || strings.Contains(string(raw), "<!DOCTYPE") || strings.Contains(string(raw), "<!ENTITY") {
		return nil
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) != nil || doc.Root() == nil {
		return nil
	}
	var values []string
	var walk func(el *etree.Element, depth int)
	walk = func(el *etree.Element, depth int) {
		if depth > 12 {
			return
		}
		for _, c := range el.ChildElements() {
			if c.Tag == "Attribute" && c.NamespaceURI() == nsAssertion && c.SelectAttrValue("Name", "") == AttrRole {
				for _, v := range children(c, "AttributeValue") {
					values = append(values, strings.TrimSpace(v.Text()))
				}
				continue
			}
			walk(c, depth+1)
		}
	}
	walk(doc.Root(), 0)
	var out []string
	seen := map[string]bool{}
	for _, p := range pairs(values) {
		if !seen[p.ProviderARN] && len(out) < max {
			seen[p.ProviderARN] = true
			out = append(out, p.ProviderARN)
		}
	}
	return out
}
