package iam

import (
	"context"
	"slices"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// Aggregate inline policy quotas, in characters other than white space.
const (
	maxUserInlineSize  = policy.UserInlineSizeLimit
	maxGroupInlineSize = policy.GroupInlineSizeLimit
)

// inlineOf returns the inline policies of a user, group or role and their
// owner kind.
func inlineOf(e attachable) (*[]warden.InlinePolicy, policy.Owner) {
	switch v := e.(type) {
	case *warden.User:
		return &v.InlinePolicies, policy.OwnerUser
	case *warden.Group:
		return &v.InlinePolicies, policy.OwnerGroup
	case *warden.Role:
		return &v.InlinePolicies, policy.OwnerRole
	}
	panic("iam: entity cannot have inline policies")
}

func entityName(e attachable) string {
	a := e.ARN()
	return a[strings.LastIndexByte(a, '/')+1:]
}

func putInline(e attachable, name, doc string) error {
	if err := checkDocument(doc, policy.Identity); err != nil {
		return err
	}
	policies, owner := inlineOf(e)
	next := slices.Clone(*policies)
	i := slices.IndexFunc(next, func(p warden.InlinePolicy) bool { return p.Name == name })
	if i >= 0 {
		next[i].Document = doc
	} else {
		next = append(next, warden.InlinePolicy{Name: name, Document: doc})
		slices.SortFunc(next, func(a, b warden.InlinePolicy) int { return strings.Compare(a.Name, b.Name) })
	}
	total := 0
	for _, p := range next {
		total += policySize(p.Document)
	}
	if err := policy.CheckInlineSize(total, owner, entityName(e)); err != nil {
		return limitExceeded("%s", err.Error())
	}
	*policies = next
	return nil
}

func kindOf(e attachable) string {
	switch e.(type) {
	case *warden.User:
		return "user"
	case *warden.Group:
		return "group"
	case *warden.Role:
		return "role"
	}
	panic("iam: entity cannot have inline policies")
}

func getInline(e attachable, name string) (string, error) {
	policies, _ := inlineOf(e)
	for _, p := range *policies {
		if p.Name == name {
			return p.Document, nil
		}
	}
	return "", noSuchEntity("The %s policy with name %s cannot be found.", kindOf(e), name)
}

func deleteInline(e attachable, name string) error {
	policies, _ := inlineOf(e)
	i := slices.IndexFunc(*policies, func(p warden.InlinePolicy) bool { return p.Name == name })
	if i < 0 {
		return noSuchEntity("The %s policy with name %s cannot be found.", kindOf(e), name)
	}
	*policies = slices.Delete(slices.Clone(*policies), i, i+1)
	return nil
}

type putUserPolicyInput struct {
	UserName       string
	PolicyName     string
	PolicyDocument string
}

func (s *Service) putUserPolicy(ctx context.Context, p *warden.Principal, in *putUserPolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "PutUserPolicy", in.UserName, nil)
		if err != nil {
			return err
		}
		if err := putInline(u, in.PolicyName, in.PolicyDocument); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "PutUserPolicy", u.ARN())
	})
}

type userPolicyInput struct {
	UserName   string
	PolicyName string
}

type getUserPolicyOutput struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) getUserPolicy(ctx context.Context, p *warden.Principal, in *userPolicyInput) (*getUserPolicyOutput, error) {
	var out *getUserPolicyOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "GetUserPolicy", in.UserName, nil)
		if err != nil {
			return err
		}
		doc, err := getInline(u, in.PolicyName)
		if err != nil {
			return err
		}
		out = &getUserPolicyOutput{UserName: u.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (s *Service) deleteUserPolicy(ctx context.Context, p *warden.Principal, in *userPolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "DeleteUserPolicy", in.UserName, nil)
		if err != nil {
			return err
		}
		if err := deleteInline(u, in.PolicyName); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteUserPolicy", u.ARN())
	})
}

type listInlineInput struct {
	UserName  string
	GroupName string
	Marker    string
	MaxItems  int
}

type listInlineOutput struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	page
}

func inlinePage(policies []warden.InlinePolicy, marker string, maxItems int) (*listInlineOutput, error) {
	window, pg, err := paginate(policies, func(p warden.InlinePolicy) string { return p.Name }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := &listInlineOutput{PolicyNames: list[string]{}, page: pg}
	for _, p := range window {
		out.PolicyNames = append(out.PolicyNames, p.Name)
	}
	return out, nil
}

func (s *Service) listUserPolicies(ctx context.Context, p *warden.Principal, in *listInlineInput) (*listInlineOutput, error) {
	var u *warden.User
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, err = s.userFor(ctx, tx, p, "ListUserPolicies", in.UserName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inlinePage(u.InlinePolicies, in.Marker, in.MaxItems)
}

type putGroupPolicyInput struct {
	GroupName      string
	PolicyName     string
	PolicyDocument string
}

func (s *Service) putGroupPolicy(ctx context.Context, p *warden.Principal, in *putGroupPolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "PutGroupPolicy", in.GroupName)
		if err != nil {
			return err
		}
		if err := putInline(g, in.PolicyName, in.PolicyDocument); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, g); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "PutGroupPolicy", g.ARN())
	})
}

type groupPolicyInput struct {
	GroupName  string
	PolicyName string
}

type getGroupPolicyOutput struct {
	GroupName      string `xml:"GroupName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) getGroupPolicy(ctx context.Context, p *warden.Principal, in *groupPolicyInput) (*getGroupPolicyOutput, error) {
	var out *getGroupPolicyOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "GetGroupPolicy", in.GroupName)
		if err != nil {
			return err
		}
		doc, err := getInline(g, in.PolicyName)
		if err != nil {
			return err
		}
		out = &getGroupPolicyOutput{GroupName: g.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (s *Service) deleteGroupPolicy(ctx context.Context, p *warden.Principal, in *groupPolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "DeleteGroupPolicy", in.GroupName)
		if err != nil {
			return err
		}
		if err := deleteInline(g, in.PolicyName); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, g); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteGroupPolicy", g.ARN())
	})
}

func (s *Service) listGroupPolicies(ctx context.Context, p *warden.Principal, in *listInlineInput) (*listInlineOutput, error) {
	var g *warden.Group
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		g, err = s.groupFor(ctx, tx, p, "ListGroupPolicies", in.GroupName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inlinePage(g.InlinePolicies, in.Marker, in.MaxItems)
}
