package iam

import (
	"context"
	"fmt"
	"slices"

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
	type entity struct {
		key   string
		user  *warden.User
		group *warden.Group
		role  *warden.Role
	}
	var entities []entity
	err := s.view(ctx, func(tx warden.Tx) error {
		mp, err := s.policyFor(ctx, tx, p, "ListEntitiesForPolicy", in.PolicyArn)
		if err != nil {
			return err
		}
		target := mp.ARN()
		wantPolicy := in.PolicyUsageFilter != "PermissionsBoundary"
		wantBoundary := in.PolicyUsageFilter != "PermissionsPolicy"
		if in.EntityFilter == "" || in.EntityFilter == "Group" {
			groups, err := warden.LoadAll[warden.Group](ctx, tx, p.Account, "", "", 0)
			if err != nil {
				return err
			}
			for _, g := range groups {
				if wantPolicy && slices.Contains(g.AttachedPolicies, target) && hasPathPrefix(g.Path, in.PathPrefix) {
					entities = append(entities, entity{key: "g/" + warden.NameKey(g.Name), group: g})
				}
			}
		}
		// Roles come between groups and users so that the entities stay in
		// key order ("g/" < "r/" < "u/"), which paginate relies on.
		if in.EntityFilter == "" || in.EntityFilter == "Role" {
			roles, err := warden.LoadAll[warden.Role](ctx, tx, p.Account, "", "", 0)
			if err != nil {
				return err
			}
			for _, r := range roles {
				if !hasPathPrefix(r.Path, in.PathPrefix) {
					continue
				}
				if (wantPolicy && slices.Contains(r.AttachedPolicies, target)) || (wantBoundary && r.PermissionsBoundary == target) {
					entities = append(entities, entity{key: "r/" + warden.NameKey(r.Name), role: r})
				}
			}
		}
		if in.EntityFilter == "" || in.EntityFilter == "User" {
			users, err := warden.LoadAll[warden.User](ctx, tx, p.Account, "", "", 0)
			if err != nil {
				return err
			}
			for _, u := range users {
				if !hasPathPrefix(u.Path, in.PathPrefix) {
					continue
				}
				if (wantPolicy && slices.Contains(u.AttachedPolicies, target)) || (wantBoundary && u.PermissionsBoundary == target) {
					entities = append(entities, entity{key: "u/" + warden.NameKey(u.Name), user: u})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(entities, func(e entity) string { return e.key }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listEntitiesForPolicyOutput{PolicyGroups: list[wPolicyGroup]{}, PolicyUsers: list[wPolicyUser]{}, PolicyRoles: list[wPolicyRole]{}, page: pg}
	for _, e := range window {
		switch {
		case e.user != nil:
			out.PolicyUsers = append(out.PolicyUsers, wPolicyUser{e.user.Name, e.user.ID})
		case e.role != nil:
			out.PolicyRoles = append(out.PolicyRoles, wPolicyRole{e.role.Name, e.role.ID})
		default:
			out.PolicyGroups = append(out.PolicyGroups, wPolicyGroup{e.group.Name, e.group.ID})
		}
	}
	return out, nil
}
