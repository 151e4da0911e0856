package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/warden-iam/warden"
)

// attachment is what Attach/Detach/ListAttached need of a user, group or role.
type attachable interface {
	warden.Entity
	ARN() string
}

func attachedOf(e attachable) *[]string {
	switch v := e.(type) {
	case *warden.User:
		return &v.AttachedPolicies
	case *warden.Group:
		return &v.AttachedPolicies
	case *warden.Role:
		return &v.AttachedPolicies
	}
	panic(fmt.Sprintf("iam: %T cannot have policies", e))
}

func (s *Service) attach(ctx context.Context, tx warden.Tx, p *warden.Principal, e attachable, kind, policyARN string) error {
	mp, err := s.loadPolicy(ctx, tx, p.Account, policyARN)
	if err != nil {
		return err
	}
	list := attachedOf(e)
	if slices.Contains(*list, mp.ARN()) {
		return nil // attaching twice succeeds, as in IAM
	}
	if len(*list) >= maxManagedPerEntity {
		return limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", kind, maxManagedPerEntity)
	}
	*list = append(*list, mp.ARN())
	mp.AttachmentCount++
	if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
		return err
	}
	return warden.Save(ctx, tx, e)
}

func (s *Service) detach(ctx context.Context, tx warden.Tx, p *warden.Principal, e attachable, policyARN string) error {
	list := attachedOf(e)
	i := slices.Index(*list, policyARN)
	if i < 0 {
		return noSuchEntity("Policy %s was not found.", policyARN)
	}
	*list = slices.Delete(*list, i, i+1)
	if mp, err := s.loadPolicy(ctx, tx, p.Account, policyARN); err == nil {
		mp.AttachmentCount--
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
	} else if warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		return err
	}
	return warden.Save(ctx, tx, e)
}

type userPolicyARNInput struct {
	UserName  string
	PolicyArn string
}

func (s *Service) attachUserPolicy(ctx context.Context, p *warden.Principal, in *userPolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "AttachUserPolicy", in.UserName, policyKey(in.PolicyArn))
		if err != nil {
			return err
		}
		if err := s.attach(ctx, tx, p, u, "User", in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "AttachUserPolicy", u.ARN())
	})
}

func (s *Service) detachUserPolicy(ctx context.Context, p *warden.Principal, in *userPolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "DetachUserPolicy", in.UserName, policyKey(in.PolicyArn))
		if err != nil {
			return err
		}
		if err := s.detach(ctx, tx, p, u, in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DetachUserPolicy", u.ARN())
	})
}

type groupPolicyARNInput struct {
	GroupName string
	PolicyArn string
}

func (s *Service) attachGroupPolicy(ctx context.Context, p *warden.Principal, in *groupPolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "AttachGroupPolicy", in.GroupName)
		if err != nil {
			return err
		}
		if err := s.attach(ctx, tx, p, g, "Group", in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "AttachGroupPolicy", g.ARN())
	})
}

func (s *Service) detachGroupPolicy(ctx context.Context, p *warden.Principal, in *groupPolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "DetachGroupPolicy", in.GroupName)
		if err != nil {
			return err
		}
		if err := s.detach(ctx, tx, p, g, in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DetachGroupPolicy", g.ARN())
	})
}

func policyKey(policyARN string) map[string][]string {
	return map[string][]string{"iam:PolicyARN": {policyARN}}
}

type listAttachedInput struct {
	UserName   string
	GroupName  string
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listAttachedOutput struct {
	AttachedPolicies list[wAttachedPolicy] `xml:"AttachedPolicies"`
	page
}

func attachedPage(arns []string, in *listAttachedInput) (*listAttachedOutput, error) {
	var items []wAttachedPolicy
	for _, a := range arns {
		_, path, name, _ := parsePolicyARN(a)
		if hasPathPrefix(path, in.PathPrefix) {
			items = append(items, wAttachedPolicy{PolicyName: name, PolicyArn: a})
		}
	}
	window, pg, err := paginate(items, func(w wAttachedPolicy) string { return w.PolicyArn }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &listAttachedOutput{AttachedPolicies: append(list[wAttachedPolicy]{}, window...), page: pg}, nil
}

func (s *Service) listAttachedUserPolicies(ctx context.Context, p *warden.Principal, in *listAttachedInput) (*listAttachedOutput, error) {
	var arns []string
	err := s.view(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "ListAttachedUserPolicies", in.UserName, nil)
		if err == nil {
			arns = u.AttachedPolicies
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachedPage(arns, in)
}

func (s *Service) listAttachedGroupPolicies(ctx context.Context, p *warden.Principal, in *listAttachedInput) (*listAttachedOutput, error) {
	var arns []string
	err := s.view(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "ListAttachedGroupPolicies", in.GroupName)
		if err == nil {
			arns = g.AttachedPolicies
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachedPage(arns, in)
}

type listEntitiesForPolicyInput struct {
	PolicyArn         string
	EntityFilter      string
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          int
}

type wPolicyUser struct {
	UserName string `xml:"UserName"`
	UserID   string `xml:"UserId"`
}

type wPolicyGroup struct {
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
}

type wPolicyRole struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

type listEntitiesForPolicyOutput struct {
	PolicyGroups list[wPolicyGroup] `xml:"PolicyGroups"`
	PolicyUsers  list[wPolicyUser]  `xml:"PolicyUsers"`
	PolicyRoles  list[wPolicyRole]  `xml:"PolicyRoles"`
	page
}

func (s *Service) listEntitiesForPolicy(ctx context.Context, p *warden.Principal, in *listEntitiesForPolicyInput) (*listEntitiesForPolicyOutput, error) {
	out := &listEntitiesForPolicyOutput{PolicyGroups: list[wPolicyGroup]{}, PolicyUsers: list[wPolicyUser]{}, PolicyRoles: list[wPolicyRole]{}}
	err := s.view(ctx, func(tx warden.Tx) error {
		mp, err := s.policyFor(ctx, tx, p, "ListEntitiesForPolicy", in.PolicyArn)
		if err != nil {
			return err
		}
		return s.entitiesForPolicy(ctx, tx, p.Account, mp.ARN(), in, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// entitiesForPolicy reads one page of the groups, then roles, then users
// that use the policy target from the attachment index: in name order, or
// with a selective PathPrefix in path order from the path-ordered one. Each
// kind is one range of index keys (<policy ARN> <usage> <type> ...), so a
// page reads MaxItems+1 index records and loads MaxItems entities, however
// large the account. The marker is the last index key without its
// "<policy ARN> <usage> " prefix, bound to the policy and the filters.
func (s *Service) entitiesForPolicy(ctx context.Context, tx warden.Tx, account, target string, in *listEntitiesForPolicyInput, out *listEntitiesForPolicyOutput) error {
	usage := warden.UsageAny
	switch in.PolicyUsageFilter {
	case "PermissionsPolicy":
		usage = warden.UsagePolicy
	case "PermissionsBoundary":
		usage = warden.UsageBoundary
	}
	kind, pathPrefix := warden.KindAttachment, ""
	if selective(in.PathPrefix) {
		kind, pathPrefix = warden.KindAttachmentPath, in.PathPrefix
	}
	base := warden.IndexKey(target, usage, "")
	var prefixes []string
	for _, t := range []struct{ typ, filter string }{{"group", "Group"}, {"role", "Role"}, {"user", "User"}} {
		if typ := t.typ; in.EntityFilter == "" || in.EntityFilter == t.filter {
			if kind == warden.KindAttachment {
				prefixes = append(prefixes, warden.IndexKey(base+typ, ""))
			} else {
				prefixes = append(prefixes, warden.IndexKey(base+typ, pathPrefix))
			}
		}
	}
	binding := strings.Join([]string{"attachment index", target, in.EntityFilter, in.PathPrefix, in.PolicyUsageFilter}, "\x00")
	after := ""
	if in.Marker != "" {
		k, ok := openMarker(in.Marker, "ListEntitiesForPolicy", account, binding)
		if !ok {
			return invalidMarker()
		}
		pos, err := resolvePath(ctx, tx, account, "", k)
		if err != nil {
			return err
		}
		after = base + pos
	}
	size := pageSize(in.MaxItems)
	var keys []string
	for _, prefix := range prefixes {
		rs, err := tx.List(ctx, kind, account, prefix, after, size+1-len(keys))
		if err != nil {
			return err
		}
		for _, r := range rs {
			keys = append(keys, r.Key)
		}
		if len(keys) > size {
			break
		}
	}
	if len(keys) > size {
		keys = keys[:size]
		typ, tail, _ := strings.Cut(strings.TrimPrefix(keys[size-1], base), " ")
		out.page = page{IsTruncated: true, Marker: sealMarker(markPath(typ+" ", tail), "ListEntitiesForPolicy", account, binding)}
	}
	byType := map[string][]warden.Record{}
	for _, key := range keys {
		typ, _, _ := strings.Cut(strings.TrimPrefix(key, base), " ")
		byType[typ] = append(byType[typ], warden.Record{Kind: kind, Account: account, Key: key})
	}
	groups, err := loadIndexed[warden.Group](ctx, tx, account, byType["group"])
	if err != nil {
		return err
	}
	for _, g := range groups {
		out.PolicyGroups = append(out.PolicyGroups, wPolicyGroup{g.Name, g.ID})
	}
	roles, err := loadIndexed[warden.Role](ctx, tx, account, byType["role"])
	if err != nil {
		return err
	}
	for _, r := range roles {
		out.PolicyRoles = append(out.PolicyRoles, wPolicyRole{r.Name, r.ID})
	}
	users, err := loadIndexed[warden.User](ctx, tx, account, byType["user"])
	if err != nil {
		return err
	}
	for _, u := range users {
		out.PolicyUsers = append(out.PolicyUsers, wPolicyUser{u.Name, u.ID})
	}
	return nil
}
