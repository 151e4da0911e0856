package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/warden-iam/warden"
	warn "github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

// serviceAccessOperations registers ListPoliciesGrantingServiceAccess.
func (s *Service) serviceAccessOperations() map[string]operation {
	return map[string]operation{
		"ListPoliciesGrantingServiceAccess": op(s.listPoliciesGrantingServiceAccess),
	}
}

type listPoliciesGrantingServiceAccessInput struct {
	Arn               string
	ServiceNamespaces []string
	Marker            string
}

type wPolicyGrantingServiceAccess struct {
	PolicyName string `xml:"PolicyName"`
	PolicyType string `xml:"PolicyType"`
	PolicyArn  string `xml:"PolicyArn,omitempty"`
	EntityType string `xml:"EntityType,omitempty"`
	EntityName string `xml:"EntityName,omitempty"`
}

type wServiceAccessEntry struct {
	ServiceNamespace string                             `xml:"ServiceNamespace"`
	Policies         list[wPolicyGrantingServiceAccess] `xml:"Policies"`
}

type listPoliciesGrantingServiceAccessOutput struct {
	PoliciesGrantingServiceAccess list[wServiceAccessEntry] `xml:"PoliciesGrantingServiceAccess"`
	page
}

// grantingPolicy is a permissions policy of the identity, with its document.
type grantingPolicy struct {
	wire wPolicyGrantingServiceAccess
	doc  string
}

// listPoliciesGrantingServiceAccess lists, for each service namespace, the
// permissions policies of a user (with those of its groups), group or role
// whose Allow statements name some action of the service. Boundaries and
// other policy types do not count, as in IAM; conditions are not evaluated
// (a policy that allows the service under some condition is listed). All
// entries fit one page, so Marker is never needed.
func (s *Service) listPoliciesGrantingServiceAccess(ctx context.Context, p *warden.Principal, in *listPoliciesGrantingServiceAccessInput) (*listPoliciesGrantingServiceAccessOutput, error) {
	const action = "ListPoliciesGrantingServiceAccess"
	account, kind, path, name, ok := splitIdentityARN(in.Arn)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", in.Arn)
	}
	var policies []grantingPolicy
	err := s.view(ctx, func(tx warden.Tx) error {
		if account != p.Account {
			if err := s.authorize(ctx, p, action, in.Arn, nil); err != nil {
				return err
			}
			return noSuchEntity("The %s with name %s cannot be found.", kind, name)
		}
		var err error
		switch kind {
		case "user":
			var u *warden.User
			if u, err = s.userFor(ctx, tx, p, action, name, nil); err != nil {
				return err
			}
			if u.Path != path {
				return noSuchEntity("The user with name %s cannot be found.", name)
			}
			if policies, err = s.grantingPolicies(ctx, tx, p.Account, "USER", u.Name, u.InlinePolicies, u.AttachedPolicies, nil); err != nil {
				return err
			}
			for _, gname := range u.Groups {
				g, err := s.loadGroup(ctx, tx, p.Account, gname)
				if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
					continue
				}
				if err != nil {
					return err
				}
				if policies, err = s.grantingPolicies(ctx, tx, p.Account, "GROUP", g.Name, g.InlinePolicies, g.AttachedPolicies, policies); err != nil {
					return err
				}
			}
		case "group":
			var g *warden.Group
			if g, err = s.groupFor(ctx, tx, p, action, name); err != nil {
				return err
			}
			if g.Path != path {
				return noSuchEntity("The group with name %s cannot be found.", name)
			}
			policies, err = s.grantingPolicies(ctx, tx, p.Account, "GROUP", g.Name, g.InlinePolicies, g.AttachedPolicies, nil)
		case "role":
			var r *warden.Role
			if r, err = s.roleFor(ctx, tx, p, action, name, nil); err != nil {
				return err
			}
			if r.Path != path {
				return noSuchEntity("The role with name %s cannot be found.", name)
			}
			policies, err = s.grantingPolicies(ctx, tx, p.Account, "ROLE", r.Name, r.InlinePolicies, r.AttachedPolicies, nil)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	ref, _ := servicedata.Load() // nil only for a damaged build: namespaces then compare by prefix alone
	out := &listPoliciesGrantingServiceAccessOutput{PoliciesGrantingServiceAccess: list[wServiceAccessEntry]{}}
	parsed := make([]*policy.Policy, len(policies))
	for i, gp := range policies {
		parsed[i], _ = policy.Parse([]byte(gp.doc), policy.Identity) // stored documents were valid when stored
	}
	for _, ns := range in.ServiceNamespaces {
		entry := wServiceAccessEntry{ServiceNamespace: ns, Policies: list[wPolicyGrantingServiceAccess]{}}
		for i, gp := range policies {
			if parsed[i] != nil && grantsService(ref, parsed[i], ns) {
				entry.Policies = append(entry.Policies, gp.wire)
			}
		}
		out.PoliciesGrantingServiceAccess = append(out.PoliciesGrantingServiceAccess, entry)
	}
	return out, nil
}

// splitIdentityARN splits arn:aws:iam::ACCOUNT:user/PATH/NAME (or group/,
// role/) into its account, kind, path and name.
func splitIdentityARN(a string) (account, kind, path, name string, ok bool) {
	rest, found := strings.CutPrefix(a, "arn:aws:iam::")
	if !found {
		return "", "", "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found || len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return "", "", "", "", false
	}
	kind, res, found = strings.Cut(res, "/")
	if !found || (kind != "user" && kind != "group" && kind != "role") {
		return "", "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", "", false
	}
	return account, kind, path, name, true
}

// grantingPolicies appends the inline and attached managed policies of one
// entity to have, leaving out managed policies already there (a user and its
// group may share one) and attachments whose policy is gone.
func (s *Service) grantingPolicies(ctx context.Context, tx warden.Tx, account, entityType, entityName string,
	inline []warden.InlinePolicy, attached []string, have []grantingPolicy) ([]grantingPolicy, error) {
	for _, ip := range inline {
		have = append(have, grantingPolicy{doc: ip.Document, wire: wPolicyGrantingServiceAccess{
			PolicyName: ip.Name, PolicyType: "INLINE", EntityType: entityType, EntityName: entityName}})
	}
	for _, a := range attached {
		if slices.ContainsFunc(have, func(g grantingPolicy) bool { return g.wire.PolicyArn == a }) {
			continue
		}
		mp, err := s.loadPolicy(ctx, tx, account, a)
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			continue
		}
		if err != nil {
			return nil, err
		}
		v := mp.Default()
		if v == nil {
			continue
		}
		have = append(have, grantingPolicy{doc: v.Document, wire: wPolicyGrantingServiceAccess{
			PolicyName: mp.Name, PolicyType: "MANAGED", PolicyArn: mp.ARN()}})
	}
	return have, nil
}

// grantsService reports whether an Allow statement of p names some action of
// the service namespace ns: "*", "ns:*", "ns:Get*" when the service has such
// an action, or a NotAction that leaves some action of the service out.
// Without the reference (ref nil) a pattern of the namespace counts.
func grantsService(ref *servicedata.Reference, p *policy.Policy, ns string) bool {
	var svc *servicedata.Service
	if ref != nil {
		svc = ref.Service(ns)
	}
	matchesSome := func(pattern string) bool {
		if pattern == "*" {
			return true
		}
		prefix, name, _ := strings.Cut(pattern, ":")
		if !strings.EqualFold(prefix, ns) {
			return false
		}
		return svc == nil || len(svc.Match(name)) > 0
	}
	for _, st := range p.Statements() {
		if st.Effect != policy.EffectAllow {
			continue
		}
		if st.NotAction == nil {
			if slices.ContainsFunc(st.Action, matchesSome) {
				return true
			}
			continue
		}
		excluded := func(action string) bool {
			return slices.ContainsFunc(st.NotAction, func(pat string) bool { return warn.LikeFold(pat, action) })
		}
		if svc == nil {
			if !excluded(ns + ":*") {
				return true
			}
			continue
		}
		for i := range svc.Actions {
			if !excluded(svc.Actions[i].String()) {
				return true
			}
		}
	}
	return false
}
