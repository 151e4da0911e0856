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
		target := mp.ARN()
		wantPolicy := in.PolicyUsageFilter != "PermissionsBoundary"
		wantBoundary := in.PolicyUsageFilter != "PermissionsPolicy"
		// Groups, then roles, then users, each read from the store a page
		// at a time in name order. The marker names the kind ('g', 'r',
		// 'u') and the key, bound to the policy and the filters.
		binding := strings.Join([]string{target, in.EntityFilter, in.PathPrefix, in.PolicyUsageFilter}, "\x00")
		phase, after := byte('g'), ""
		if in.Marker != "" {
			k, ok := openMarker(in.Marker, "ListEntitiesForPolicy", p.Account, binding)
			if !ok || k == "" || !strings.ContainsRune("gru", rune(k[0])) {
				return invalidMarker()
			}
			phase, after = k[0], k[1:]
		}
		type kindScan func(after string, n int) (count int, last string, more bool, err error)
		scans := []struct {
			tag  byte
			on   bool
			scan kindScan
		}{
			{'g', in.EntityFilter == "" || in.EntityFilter == "Group", func(after string, n int) (int, string, bool, error) {
				gs, last, more, err := scan[warden.Group](ctx, tx, p.Account, after, n, func(g *warden.Group) bool {
					return wantPolicy && slices.Contains(g.AttachedPolicies, target) && hasPathPrefix(g.Path, in.PathPrefix)
				})
				for _, g := range gs {
					out.PolicyGroups = append(out.PolicyGroups, wPolicyGroup{g.Name, g.ID})
				}
				return len(gs), last, more, err
			}},
			{'r', in.EntityFilter == "" || in.EntityFilter == "Role", func(after string, n int) (int, string, bool, error) {
				rs, last, more, err := scan[warden.Role](ctx, tx, p.Account, after, n, func(r *warden.Role) bool {
					return hasPathPrefix(r.Path, in.PathPrefix) &&
						((wantPolicy && slices.Contains(r.AttachedPolicies, target)) || (wantBoundary && r.PermissionsBoundary == target))
				})
				for _, r := range rs {
					out.PolicyRoles = append(out.PolicyRoles, wPolicyRole{r.Name, r.ID})
				}
				return len(rs), last, more, err
			}},
			{'u', in.EntityFilter == "" || in.EntityFilter == "User", func(after string, n int) (int, string, bool, error) {
				us, last, more, err := scan[warden.User](ctx, tx, p.Account, after, n, func(u *warden.User) bool {
					return hasPathPrefix(u.Path, in.PathPrefix) &&
						((wantPolicy && slices.Contains(u.AttachedPolicies, target)) || (wantBoundary && u.PermissionsBoundary == target))
				})
				for _, u := range us {
					out.PolicyUsers = append(out.PolicyUsers, wPolicyUser{u.Name, u.ID})
				}
				return len(us), last, more, err
			}},
		}
		room := pageSize(in.MaxItems)
		var next string // the marker's key
		lastTag, lastKey := byte(0), ""
		for _, k := range scans {
			if !k.on || k.tag < phase {
				continue
			}
			from := ""
			if k.tag == phase {
				from = after
			}
			if room == 0 {
				// The page is full: is there anything after it?
				saved := *out
				n, _, _, err := k.scan(from, 1)
				*out = saved
				if err != nil {
					return err
				}
				if n > 0 {
					next = string(lastTag) + lastKey
					break
				}
				continue
			}
			n, last, more, err := k.scan(from, room)
			if err != nil {
				return err
			}
			room -= n
			if more {
				next = string(k.tag) + last
				break
			}
			if n > 0 {
				lastTag, lastKey = k.tag, last
			}
		}
		if next != "" {
			out.page = page{IsTruncated: true, Marker: sealMarker(next, "ListEntitiesForPolicy", p.Account, binding)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
