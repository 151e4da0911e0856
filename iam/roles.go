package iam

import (
	"context"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// maxRolesPerAccount is the RolesPerAccount quota.
const maxRolesPerAccount = 1000

// serviceRolePath is the path under which service-linked roles live; other
// roles may not be created there.
const serviceRolePath = "/aws-service-role/"

type wRoleLastUsed struct {
	LastUsedDate *time.Time `xml:"LastUsedDate,omitempty"`
	Region       string     `xml:"Region,omitempty"`
}

type wRole struct {
	Path                     string               `xml:"Path"`
	RoleName                 string               `xml:"RoleName"`
	RoleID                   string               `xml:"RoleId"`
	Arn                      string               `xml:"Arn"`
	CreateDate               time.Time            `xml:"CreateDate"`
	AssumeRolePolicyDocument string               `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string               `xml:"Description,omitempty"`
	MaxSessionDuration       int                  `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *wBoundary           `xml:"PermissionsBoundary,omitempty"`
	Tags                     list[wTag]           `xml:"Tags,omitempty"`
	RoleLastUsed             *wRoleLastUsed       `xml:"RoleLastUsed,omitempty"`
	SourceRoleTemplate       *wSourceRoleTemplate `xml:"SourceRoleTemplate,omitempty"`
}

type wSourceRoleTemplate struct {
	TemplateArn          string `xml:"TemplateArn"`
	TemplateMinorVersion int    `xml:"TemplateMinorVersion"`
}

// roleView is how much of a role a response shows: IAM's list and
// instance-profile shapes leave out attributes that GetRole returns.
type roleView int

const (
	roleFull      roleView = iota // GetRole, UpdateRoleDescription
	roleCreated                   // CreateRole, CreateServiceLinkedRole: all but RoleLastUsed
	roleListed                    // ListRoles: no boundary, tags or RoleLastUsed
	roleInProfile                 // the Roles of an instance profile
)

func roleOut(r *warden.Role, view roleView) wRole {
	w := wRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN(), CreateDate: r.CreateDate,
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument)}
	if view == roleInProfile {
		return w
	}
	w.Description = r.Description
	w.MaxSessionDuration = r.MaxSessionDuration
	if view == roleListed {
		return w
	}
	w.PermissionsBoundary = boundaryOut(r.PermissionsBoundary)
	w.Tags = tagsOut(r.Tags)
	if r.SourceTemplateARN != "" {
		w.SourceRoleTemplate = &wSourceRoleTemplate{TemplateArn: r.SourceTemplateARN, TemplateMinorVersion: r.SourceTemplateMinorVersion}
	}
	if view == roleFull {
		w.RoleLastUsed = lastUsedOut(r.RoleLastUsed)
	}
	return w
}

// lastUsedOut is never nil: GetRole answers an empty <RoleLastUsed/> for a
// role that was never used, as AWS does.
func lastUsedOut(u *warden.RoleLastUsed) *wRoleLastUsed {
	if u == nil {
		return &wRoleLastUsed{}
	}
	d := u.Date
	return &wRoleLastUsed{LastUsedDate: &d, Region: u.Region}
}

func (s *Service) loadRole(ctx context.Context, tx warden.Tx, account, name string) (*warden.Role, error) {
	r, err := warden.Load[warden.Role](ctx, tx, account, warden.NameKey(name))
	return r, notFoundAs(err, noSuchEntity("The role with name %s cannot be found.", name))
}

// roleFor loads the role an operation acts on and authorizes action on it.
// A caller who may not act on a role of that name learns AccessDenied, not
// whether the role exists.
func (s *Service) roleFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string, keys map[string][]string) (*warden.Role, error) {
	r, err := s.loadRole(ctx, tx, p.Account, name)
	if err != nil {
		if aerr := s.authorize(ctx, p, action, arn(p.Account, "role", "/", name), keys); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return nil, aerr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, action, r.ARN(), withResourceTags(keys, r.Tags)); err != nil {
		return nil, err
	}
	return r, nil
}

// modifiableRoleFor is roleFor for operations that change a role's trust,
// permissions or existence, which only the linked service may do to a
// service-linked role.
func (s *Service) modifiableRoleFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string, keys map[string][]string) (*warden.Role, error) {
	r, err := s.roleFor(ctx, tx, p, action, name, keys)
	if err != nil {
		return nil, err
	}
	if r.ServiceLinked() {
		return nil, protectedRole(r)
	}
	return r, nil
}

func protectedRole(r *warden.Role) error {
	return warden.Errorf(warden.CodeUnmodifiableEntity,
		"Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
}

// checkTrustDocument validates a role trust policy: MalformedPolicyDocument
// for a bad document, LimitExceeded over the ACLSizePerRole quota.
func checkTrustDocument(doc string) error {
	if err := checkDocument(doc, policy.Trust); err != nil {
		return err
	}
	return checkSize(doc, policy.Trust)
}

// saveRole writes a changed role and audits action in the same transaction.
func (s *Service) saveRole(ctx context.Context, tx warden.Tx, p *warden.Principal, action string, r *warden.Role) error {
	if err := warden.Save(ctx, tx, r); err != nil {
		return err
	}
	return s.auditIn(ctx, tx, p, action, r.ARN())
}

type createRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	PermissionsBoundary      string
	Tags                     []tagsInput
}

type roleOutput struct {
	Role wRole `xml:"Role"`
}

func (s *Service) createRole(ctx context.Context, p *warden.Principal, in *createRoleInput) (*roleOutput, error) {
	path := orDefault(in.Path)
	target := arn(p.Account, "role", path, in.RoleName)
	if err := s.authorize(ctx, p, "CreateRole", target, creationKeys(tagsIn(in.Tags), in.PermissionsBoundary)); err != nil {
		return nil, err
	}
	r, err := s.newRole(p, in)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, p, "CreateRole", target, func(tx warden.Tx) error {
		return s.storeNewRole(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOut(r, roleCreated)}, nil
}

// newRole validates the input of CreateRole (decoded by the model) and
// returns the role it makes, not yet stored: InvalidInput for the
// service-linked path or bad tags, MalformedPolicyDocument or LimitExceeded
// for the trust policy.
func (s *Service) newRole(p *warden.Principal, in *createRoleInput) (*warden.Role, error) {
	path := orDefault(in.Path)
	tags := tagsIn(in.Tags)
	if strings.HasPrefix(path, serviceRolePath) {
		return nil, invalidInput("The path %s is reserved for service-linked roles; create them with CreateServiceLinkedRole.", serviceRolePath)
	}
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	if err := checkTrustDocument(in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	maxSession := in.MaxSessionDuration
	if maxSession == 0 {
		maxSession = warden.DefaultMaxSessionDuration
	}
	return &warden.Role{Account: p.Account, ID: s.NewID("AROA", 21), Name: in.RoleName, Path: path, CreateDate: s.now(),
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, Description: in.Description, MaxSessionDuration: maxSession,
		PermissionsBoundary: in.PermissionsBoundary, Tags: tags}, nil
}

// storeNewRole stores a role made by newRole: the users and roles its
// trust policy names must exist, its boundary must be a policy of the
// account; EntityAlreadyExists when the name is taken.
func (s *Service) storeNewRole(ctx context.Context, tx warden.Tx, r *warden.Role) error {
	if err := s.checkTrustPrincipals(ctx, tx, r.AssumeRolePolicyDocument); err != nil {
		return err
	}
	if r.PermissionsBoundary != "" {
		if err := s.useAsBoundary(ctx, tx, r.Account, r.PermissionsBoundary, 1); err != nil {
			return err
		}
	}
	return s.insertRole(ctx, tx, r)
}

// insertRole stores a new role within the account's quota.
func (s *Service) insertRole(ctx context.Context, tx warden.Tx, r *warden.Role) error {
	return insertWithin(ctx, tx, r, warden.KindRole, r.Account, maxRolesPerAccount, "RolesPerAccount",
		alreadyExists("Role with name %s already exists.", r.Name))
}

type roleNameInput struct {
	RoleName string
}

func (s *Service) getRole(ctx context.Context, p *warden.Principal, in *roleNameInput) (*roleOutput, error) {
	var r *warden.Role
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		r, err = s.roleFor(ctx, tx, p, "GetRole", in.RoleName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOut(r, roleFull)}, nil
}

type updateRoleInput struct {
	RoleName           string
	Description        *string
	MaxSessionDuration *int
}

// updateRoleOutput is UpdateRole's empty <UpdateRoleResult/>.
type updateRoleOutput struct{}

func (s *Service) updateRole(ctx context.Context, p *warden.Principal, in *updateRoleInput) (*updateRoleOutput, error) {
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "UpdateRole", in.RoleName, nil)
		if err != nil {
			return err
		}
		if in.MaxSessionDuration != nil {
			// A service-linked role's description is the customer's to
			// edit; its session length belongs to the service.
			if r.ServiceLinked() {
				return protectedRole(r)
			}
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		return s.saveRole(ctx, tx, p, "UpdateRole", r)
	})
	if err != nil {
		return nil, err
	}
	return &updateRoleOutput{}, nil
}

type updateRoleDescriptionInput struct {
	RoleName    string
	Description string
}

func (s *Service) updateRoleDescription(ctx context.Context, p *warden.Principal, in *updateRoleDescriptionInput) (*roleOutput, error) {
	var r *warden.Role
	err := s.store.Update(ctx, func(tx warden.Tx) (err error) {
		if r, err = s.roleFor(ctx, tx, p, "UpdateRoleDescription", in.RoleName, nil); err != nil {
			return err
		}
		r.Description = in.Description
		return s.saveRole(ctx, tx, p, "UpdateRoleDescription", r)
	})
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOut(r, roleFull)}, nil
}

func (s *Service) deleteRole(ctx context.Context, p *warden.Principal, in *roleNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "DeleteRole", in.RoleName, nil)
		if err != nil {
			return err
		}
		profiles, err := profilesOf(ctx, tx, p.Account, r.Name)
		if err != nil {
			return err
		}
		switch {
		case len(profiles) > 0:
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		case len(r.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(r.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if err := s.removeRole(ctx, tx, r); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteRole", r.ARN())
	})
}

// removeRole deletes a role and releases the managed policies it uses.
func (s *Service) removeRole(ctx context.Context, tx warden.Tx, r *warden.Role) error {
	for _, a := range r.AttachedPolicies {
		mp, err := s.loadPolicy(ctx, tx, r.Account, a)
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			continue
		}
		if err != nil {
			return err
		}
		mp.AttachmentCount--
		if err := s.savePolicy(ctx, tx, r.Account, mp); err != nil {
			return err
		}
	}
	if r.PermissionsBoundary != "" {
		if err := s.useAsBoundary(ctx, tx, r.Account, r.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
			return err
		}
	}
	return warden.Remove(ctx, tx, r)
}

type listRolesInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listRolesOutput struct {
	Roles list[wRole] `xml:"Roles"`
	page
}

func (s *Service) listRoles(ctx context.Context, p *warden.Principal, in *listRolesInput) (*listRolesOutput, error) {
	roles, pg, err := listByPath(ctx, s, p, pathListing{"ListRoles", "role", in.PathPrefix, in.Marker, in.MaxItems},
		func(r *warden.Role) wRole { return roleOut(r, roleListed) })
	if err != nil {
		return nil, err
	}
	return &listRolesOutput{Roles: roles, page: pg}, nil
}

type updateAssumeRolePolicyInput struct {
	RoleName       string
	PolicyDocument string
}

func (s *Service) updateAssumeRolePolicy(ctx context.Context, p *warden.Principal, in *updateAssumeRolePolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "UpdateAssumeRolePolicy", in.RoleName, nil)
		if err != nil {
			return err
		}
		if err := checkTrustDocument(in.PolicyDocument); err != nil {
			return err
		}
		if err := s.checkTrustPrincipals(ctx, tx, in.PolicyDocument); err != nil {
			return err
		}
		r.AssumeRolePolicyDocument = in.PolicyDocument
		return s.saveRole(ctx, tx, p, "UpdateAssumeRolePolicy", r)
	})
}

// Inline policies.

type putRolePolicyInput struct {
	RoleName       string
	PolicyName     string
	PolicyDocument string
}

func (s *Service) putRolePolicy(ctx context.Context, p *warden.Principal, in *putRolePolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "PutRolePolicy", in.RoleName, nil)
		if err != nil {
			return err
		}
		if err := putInline(r, in.PolicyName, in.PolicyDocument); err != nil {
			return err
		}
		return s.saveRole(ctx, tx, p, "PutRolePolicy", r)
	})
}

type rolePolicyInput struct {
	RoleName   string
	PolicyName string
}

type getRolePolicyOutput struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) getRolePolicy(ctx context.Context, p *warden.Principal, in *rolePolicyInput) (*getRolePolicyOutput, error) {
	var out *getRolePolicyOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "GetRolePolicy", in.RoleName, nil)
		if err != nil {
			return err
		}
		doc, err := getInline(r, in.PolicyName)
		if err != nil {
			return err
		}
		out = &getRolePolicyOutput{RoleName: r.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (s *Service) deleteRolePolicy(ctx context.Context, p *warden.Principal, in *rolePolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "DeleteRolePolicy", in.RoleName, nil)
		if err != nil {
			return err
		}
		if err := deleteInline(r, in.PolicyName); err != nil {
			return err
		}
		return s.saveRole(ctx, tx, p, "DeleteRolePolicy", r)
	})
}

type listRolePoliciesInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

func (s *Service) listRolePolicies(ctx context.Context, p *warden.Principal, in *listRolePoliciesInput) (*listInlineOutput, error) {
	var r *warden.Role
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		r, err = s.roleFor(ctx, tx, p, "ListRolePolicies", in.RoleName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inlinePage(r.InlinePolicies, in.Marker, in.MaxItems)
}

// Managed policies.

type rolePolicyARNInput struct {
	RoleName  string
	PolicyArn string
}

func (s *Service) attachRolePolicy(ctx context.Context, p *warden.Principal, in *rolePolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "AttachRolePolicy", in.RoleName, policyKey(in.PolicyArn))
		if err != nil {
			return err
		}
		if err := s.attach(ctx, tx, p, r, "Role", in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "AttachRolePolicy", r.ARN())
	})
}

func (s *Service) detachRolePolicy(ctx context.Context, p *warden.Principal, in *rolePolicyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "DetachRolePolicy", in.RoleName, policyKey(in.PolicyArn))
		if err != nil {
			return err
		}
		if err := s.detach(ctx, tx, p, r, in.PolicyArn); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DetachRolePolicy", r.ARN())
	})
}

type listAttachedRolePoliciesInput struct {
	RoleName   string
	PathPrefix string
	Marker     string
	MaxItems   int
}

func (s *Service) listAttachedRolePolicies(ctx context.Context, p *warden.Principal, in *listAttachedRolePoliciesInput) (*listAttachedOutput, error) {
	var arns []string
	err := s.view(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "ListAttachedRolePolicies", in.RoleName, nil)
		if err == nil {
			arns = r.AttachedPolicies
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return attachedPage(arns, &listAttachedInput{PathPrefix: in.PathPrefix, Marker: in.Marker, MaxItems: in.MaxItems})
}

// Permissions boundary.

type putRoleBoundaryInput struct {
	RoleName            string
	PermissionsBoundary string
}

func (s *Service) putRolePermissionsBoundary(ctx context.Context, p *warden.Principal, in *putRoleBoundaryInput) error {
	keys := map[string][]string{"iam:PermissionsBoundary": {in.PermissionsBoundary}}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "PutRolePermissionsBoundary", in.RoleName, keys)
		if err != nil {
			return err
		}
		if r.PermissionsBoundary == in.PermissionsBoundary {
			return nil
		}
		if err := s.useAsBoundary(ctx, tx, p.Account, in.PermissionsBoundary, 1); err != nil {
			return err
		}
		if r.PermissionsBoundary != "" {
			if err := s.useAsBoundary(ctx, tx, p.Account, r.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
				return err
			}
		}
		r.PermissionsBoundary = in.PermissionsBoundary
		return s.saveRole(ctx, tx, p, "PutRolePermissionsBoundary", r)
	})
}

func (s *Service) deleteRolePermissionsBoundary(ctx context.Context, p *warden.Principal, in *roleNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.modifiableRoleFor(ctx, tx, p, "DeleteRolePermissionsBoundary", in.RoleName, nil)
		if err != nil {
			return err
		}
		if r.PermissionsBoundary == "" {
			return noSuchEntity("The role %s has no permissions boundary.", r.Name)
		}
		if err := s.useAsBoundary(ctx, tx, p.Account, r.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
			return err
		}
		r.PermissionsBoundary = ""
		return s.saveRole(ctx, tx, p, "DeleteRolePermissionsBoundary", r)
	})
}

// Tags.

type tagRoleInput struct {
	RoleName string
	Tags     []tagsInput
}

func (s *Service) tagRole(ctx context.Context, p *warden.Principal, in *tagRoleInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "TagRole", in.RoleName, tagKeys(tags))
		if err != nil {
			return err
		}
		if r.Tags, err = mergeTags(r.Tags, tags, "Role"); err != nil {
			return err
		}
		return s.saveRole(ctx, tx, p, "TagRole", r)
	})
}

type untagRoleInput struct {
	RoleName string
	TagKeys  []string
}

func (s *Service) untagRole(ctx context.Context, p *warden.Principal, in *untagRoleInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "UntagRole", in.RoleName, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return s.saveRole(ctx, tx, p, "UntagRole", r)
	})
}

type listRoleTagsInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

func (s *Service) listRoleTags(ctx context.Context, p *warden.Principal, in *listRoleTagsInput) (*listTagsOutput, error) {
	var r *warden.Role
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		r, err = s.roleFor(ctx, tx, p, "ListRoleTags", in.RoleName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(r.Tags, in.Marker, in.MaxItems)
}
