package iam

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
)

// acquireExisting answers AcquireRole when a role of the name the template
// makes already exists. The AcquireRole model has both NameConflict ("the
// resulting role name conflicts with an existing role in the account") and
// EntityAlreadyExists; Warden answers them so:
//
//   - a role not made from this template: NameConflict, to a caller allowed
//     iam:CreateRole on it (AccessDenied to others, who learn nothing of the
//     role; for every case below the caller needs iam:GetRole on it);
//   - made from it with the same parameter values and minor version: the
//     role as it is, so that acquiring is idempotent (authorized as
//     iam:GetRole on the role, with iam:RoleTemplateARN);
//   - a different value for a parameter the version marks Immutable:
//     InvalidInput naming the parameter and both values;
//   - made from another minor version: EntityAlreadyExists (Warden does not
//     move an acquired role between minor versions);
//   - other values of mutable parameters: the role takes them. What the
//     values fill in changes (trust policy, description, the template's
//     inline policies and tags), authorized as UpdateAssumeRolePolicy,
//     UpdateRole, PutRolePolicy and TagRole with iam:RoleTemplateARN, and
//     checked as those operations check it; the name and path cannot change
//     (a path that would is InvalidInput).
//
// The decision and the change are one transaction, so a concurrent change
// of the role cannot slip between them.
func (s *Service) acquireExisting(ctx context.Context, p *warden.Principal, a *acquisition) (*roleOutput, error) {
	t, v, cin := a.template, a.version, a.role
	var out *roleOutput
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := warden.Load[warden.Role](ctx, tx, p.Account, warden.NameKey(cin.RoleName))
		if errors.Is(err, warden.ErrNotFound) {
			return errRoleGone
		}
		if err != nil {
			return err
		}
		if r.SourceTemplateARN != t.ARN() {
			// Only a caller who could try to create the role learns that
			// the name is taken, as from CreateRole.
			target := arn(p.Account, "role", orDefault(cin.Path), cin.RoleName)
			if err := s.authorize(ctx, p, "CreateRole", target, templateKeys(creationKeys(tagsIn(cin.Tags), cin.PermissionsBoundary), t.ARN())); err != nil {
				return err
			}
			from := "was not made from a role template"
			if r.SourceTemplateARN != "" {
				from = "was made from the role template " + r.SourceTemplateARN
			}
			return warden.Errorf(warden.CodeNameConflict,
				"The role name %s that %s makes conflicts with the existing role %s, which %s.", cin.RoleName, t.ARN(), r.ARN(), from)
		}
		// What follows tells of the role, its values among it: the caller
		// must be allowed to read it.
		keys := withResourceTags(templateKeys(nil, t.ARN()), r.Tags)
		if err := s.authorize(ctx, p, "GetRole", r.ARN(), keys); err != nil {
			return err
		}
		if r.SourceTemplateValues == nil {
			return alreadyExists("Role with name %s already exists. It was made from %s before Warden recorded the parameter values of acquired roles, so AcquireRole cannot tell a repeat from a change; delete the role to acquire it again.",
				r.Name, t.ARN())
		}
		changed := changedParameters(v, r.SourceTemplateValues, a.values)
		for _, d := range changed {
			if d.Immutable {
				return invalidInput("Parameter %s of the role template %s is immutable: the role %s was made with the value %s and cannot change to %s.",
					d.Name, t.ARN(), r.Name, quoteValues(r.SourceTemplateValues[d.Name]), quoteValues(a.values[d.Name]))
			}
		}
		if r.SourceTemplateMinorVersion != v.MinorVersion {
			return alreadyExists("Role with name %s already exists, made from minor version %d of %s; Warden does not move an acquired role to minor version %d (delete the role to acquire it again).",
				r.Name, r.SourceTemplateMinorVersion, t.ARN(), v.MinorVersion)
		}
		if len(changed) == 0 {
			out = &roleOutput{Role: roleOut(r, roleCreated)}
			return nil
		}
		if path := orDefault(cin.Path); path != r.Path {
			return invalidInput("The new parameter values would move the role %s from path %s to %s; a role's path cannot change.", r.Name, r.Path, path)
		}
		if err := s.reacquire(ctx, tx, p, r, a, keys); err != nil {
			return err
		}
		out = &roleOutput{Role: roleOut(r, roleCreated)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reacquire gives r what the template version makes with the new values
// of a, and saves it: each change authorized and checked as the operation
// that makes it.
func (s *Service) reacquire(ctx context.Context, tx warden.Tx, p *warden.Principal, r *warden.Role, a *acquisition, keys map[string][]string) error {
	next, err := s.newRole(p, a.role) // the checks of CreateRole on the filled-in members
	if err != nil {
		return err
	}
	if next.AssumeRolePolicyDocument != r.AssumeRolePolicyDocument {
		if err := s.authorize(ctx, p, "UpdateAssumeRolePolicy", r.ARN(), keys); err != nil {
			return err
		}
		if err := s.checkTrustPrincipals(ctx, tx, next.AssumeRolePolicyDocument); err != nil {
			return err
		}
		r.AssumeRolePolicyDocument = next.AssumeRolePolicyDocument
	}
	if next.Description != r.Description {
		if err := s.authorize(ctx, p, "UpdateRole", r.ARN(), keys); err != nil {
			return err
		}
		r.Description = next.Description
	}
	for _, ip := range a.rendered.inline {
		i := slices.IndexFunc(r.InlinePolicies, func(have warden.InlinePolicy) bool { return have.Name == ip.Name })
		if i >= 0 && r.InlinePolicies[i].Document == ip.Document {
			continue
		}
		if err := s.authorize(ctx, p, "PutRolePolicy", r.ARN(), keys); err != nil {
			return err
		}
		if err := putInline(r, ip.Name, ip.Document); err != nil {
			return err
		}
	}
	var tags []warden.Tag
	for _, tg := range next.Tags {
		i := slices.IndexFunc(r.Tags, func(have warden.Tag) bool { return strings.EqualFold(have.Key, tg.Key) })
		if i < 0 || r.Tags[i].Value != tg.Value {
			tags = append(tags, tg)
		}
	}
	if len(tags) > 0 {
		tk := withResourceTags(templateKeys(tagKeys(tags), a.template.ARN()), r.Tags)
		if err := s.authorize(ctx, p, "TagRole", r.ARN(), tk); err != nil {
			return err
		}
		if r.Tags, err = mergeTags(r.Tags, tags, "Role"); err != nil {
			return err
		}
	}
	r.SourceTemplateValues = a.values
	return s.saveRole(ctx, tx, p, "AcquireRole", r)
}

// errRoleGone: the role acquireExisting was to answer was deleted after
// AcquireRole found it; AcquireRole looks again.
var errRoleGone = errors.New("the role was deleted meanwhile")

// changedParameters are the parameters of v whose values differ from those
// a role was made with, in the version's order.
func changedParameters(v *RoleTemplateMinor, was, now map[string][]string) []*ParameterDefinition {
	var out []*ParameterDefinition
	for i := range v.ParametersDefinition {
		d := &v.ParametersDefinition[i]
		if !slices.Equal(was[d.Name], now[d.Name]) {
			out = append(out, d)
		}
	}
	return out
}

// quoteValues writes a parameter's values for a message: "a" or ["a", "b"].
func quoteValues(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "[" + strings.Join(q, ", ") + "]"
}
