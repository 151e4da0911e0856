package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

type getRoleTemplateVersionInput struct {
	TemplateArn  string
	MinorVersion *int
}

type wInlinePolicy struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type wParameterDefinition struct {
	Name         string  `xml:"Name"`
	Type         string  `xml:"Type"`
	SubType      string  `xml:"SubType,omitempty"`
	Description  string  `xml:"Description,omitempty"`
	IsRequired   bool    `xml:"IsRequired"`
	DefaultValue *string `xml:"DefaultValue,omitempty"`
	Immutable    bool    `xml:"Immutable"`
}

type wTagTemplate struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type wRoleTemplateVersion struct {
	TemplateArn                      string                     `xml:"TemplateArn"`
	TemplateName                     string                     `xml:"TemplateName"`
	TemplateVersionID                string                     `xml:"TemplateVersionId"`
	Description                      string                     `xml:"Description,omitempty"`
	MajorVersion                     int                        `xml:"MajorVersion"`
	DefaultMinorVersion              int                        `xml:"DefaultMinorVersion"`
	ManagedByType                    string                     `xml:"ManagedByType"`
	ManagedByValue                   string                     `xml:"ManagedByValue"`
	Enabled                          bool                       `xml:"Enabled"`
	MinorVersion                     int                        `xml:"MinorVersion"`
	RoleNamePattern                  string                     `xml:"RoleNamePattern"`
	RolePathPattern                  string                     `xml:"RolePathPattern,omitempty"`
	RoleDescriptionPattern           string                     `xml:"RoleDescriptionPattern,omitempty"`
	AssumeRolePolicyDocumentTemplate string                     `xml:"AssumeRolePolicyDocumentTemplate"`
	InlinePolicyTemplates            list[wInlinePolicy]        `xml:"InlinePolicyTemplates"`
	ManagedPolicyArns                list[string]               `xml:"ManagedPolicyArns"`
	PermissionBoundaryArn            string                     `xml:"PermissionBoundaryArn,omitempty"`
	ParametersDefinition             list[wParameterDefinition] `xml:"ParametersDefinition"`
	RoleTagsTemplate                 list[wTagTemplate]         `xml:"RoleTagsTemplate"`
	MaxSessionDuration               int                        `xml:"MaxSessionDuration,omitempty"`
	VersionEnabled                   bool                       `xml:"VersionEnabled"`
	CreateTimestamp                  *time.Time                 `xml:"CreateTimestamp,omitempty"`
	UpdateTimestamp                  *time.Time                 `xml:"UpdateTimestamp,omitempty"`
}

type getRoleTemplateVersionOutput struct {
	RoleTemplateVersion wRoleTemplateVersion `xml:"RoleTemplateVersion"`
}

func templateVersionOut(t *RoleTemplate, v *RoleTemplateMinor) wRoleTemplateVersion {
	w := wRoleTemplateVersion{TemplateArn: t.ARN(), TemplateName: t.TemplateName,
		TemplateVersionID: strconv.Itoa(t.MajorVersion) + "." + strconv.Itoa(v.MinorVersion), Description: t.Description,
		MajorVersion: t.MajorVersion, DefaultMinorVersion: t.DefaultMinorVersion, ManagedByType: "Service", ManagedByValue: t.ManagedBy,
		Enabled: t.enabled(), MinorVersion: v.MinorVersion, RoleNamePattern: v.RoleNamePattern, RolePathPattern: v.RolePathPattern,
		RoleDescriptionPattern: v.RoleDescriptionPattern, AssumeRolePolicyDocumentTemplate: encodeDocument(string(v.AssumeRolePolicyDocumentTemplate)),
		InlinePolicyTemplates: list[wInlinePolicy]{}, ManagedPolicyArns: list[string](v.ManagedPolicyArns), PermissionBoundaryArn: v.PermissionBoundaryArn,
		ParametersDefinition: list[wParameterDefinition]{}, RoleTagsTemplate: list[wTagTemplate]{}, MaxSessionDuration: v.MaxSessionDuration,
		VersionEnabled: v.enabled()}
	if w.ManagedPolicyArns == nil {
		w.ManagedPolicyArns = list[string]{}
	}
	for _, p := range v.InlinePolicyTemplates {
		w.InlinePolicyTemplates = append(w.InlinePolicyTemplates, wInlinePolicy{PolicyName: p.PolicyName, PolicyDocument: encodeDocument(string(p.PolicyDocument))})
	}
	for _, d := range v.ParametersDefinition {
		w.ParametersDefinition = append(w.ParametersDefinition, wParameterDefinition{Name: d.Name, Type: d.Type, SubType: d.SubType,
			Description: d.Description, IsRequired: d.IsRequired, DefaultValue: d.DefaultValue, Immutable: d.Immutable})
	}
	for _, tg := range v.RoleTagsTemplate {
		w.RoleTagsTemplate = append(w.RoleTagsTemplate, wTagTemplate{Key: tg.Key, Value: tg.Value})
	}
	if !v.CreateTimestamp.IsZero() {
		c := v.CreateTimestamp.UTC()
		w.CreateTimestamp = &c
	}
	if !v.UpdateTimestamp.IsZero() {
		u := v.UpdateTimestamp.UTC()
		w.UpdateTimestamp = &u
	}
	return w
}

// templateKeys are the request context keys of acting for a role template.
func templateKeys(keys map[string][]string, templateARN string) map[string][]string {
	out := map[string][]string{"iam:RoleTemplateARN": {templateARN}}
	for k, v := range keys {
		out[k] = v
	}
	return out
}

// authorizeTemplate authorizes action on a role template. Templates are
// published for every account (the ARN's account is "aws"), so, like AWS
// managed policies, they are authorized as resources of the caller's
// account.
func (s *Service) authorizeTemplate(ctx context.Context, p *warden.Principal, action, templateARN string, keys map[string][]string) error {
	return s.authz.Authorize(ctx, p, authz.Request{Action: "iam:" + action, Resource: templateARN, Context: keys, ResourceAccount: p.Account})
}

// findTemplateVersion returns the template version an operation names:
// NoSuchEntity for an unknown template or minor version.
func (s *Service) findTemplateVersion(templateARN string, minor *int) (*RoleTemplate, *RoleTemplateMinor, error) {
	t := s.roleTemplates[templateARN]
	if t == nil {
		return nil, nil, noSuchEntity("The role template %s cannot be found.", templateARN)
	}
	v := t.version(minor)
	if v == nil {
		return nil, nil, noSuchEntity("The role template %s has no minor version %d.", templateARN, *minor)
	}
	return t, v, nil
}

// getRoleTemplateVersion returns a version of a role template, by default
// its default minor version. It is authorized as iam:GetRoleTemplateVersion
// on the template's ARN.
func (s *Service) getRoleTemplateVersion(ctx context.Context, p *warden.Principal, in *getRoleTemplateVersionInput) (*getRoleTemplateVersionOutput, error) {
	if err := s.authorizeTemplate(ctx, p, "GetRoleTemplateVersion", in.TemplateArn, nil); err != nil {
		return nil, err
	}
	t, v, err := s.findTemplateVersion(in.TemplateArn, in.MinorVersion)
	if err != nil {
		return nil, err
	}
	return &getRoleTemplateVersionOutput{RoleTemplateVersion: templateVersionOut(t, v)}, nil
}

type replacementValueEntry struct {
	Values []string
}

type acquireRoleInput struct {
	TemplateArn          string
	ReplacementValues    map[string]replacementValueEntry
	TemplateMinorVersion *int
}

// replacementValues checks the values a caller supplied against the
// version's parameters and returns the value of every parameter: supplied,
// else its DefaultValue, else (optional) none. InvalidInput for an unknown
// parameter, a required one missing or a value not of its type.
func replacementValues(v *RoleTemplateMinor, in map[string]replacementValueEntry) (map[string][]string, error) {
	defs := map[string]*ParameterDefinition{}
	for i := range v.ParametersDefinition {
		defs[v.ParametersDefinition[i].Name] = &v.ParametersDefinition[i]
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := defs[name]
		if d == nil {
			return nil, invalidInput("The role template has no parameter %s.", name)
		}
		if err := checkValues(d, in[name].Values); err != nil {
			return nil, err
		}
	}
	out := map[string][]string{}
	for _, d := range v.ParametersDefinition {
		switch e, ok := in[d.Name]; {
		case ok:
			out[d.Name] = e.Values
		case d.DefaultValue != nil:
			out[d.Name] = defaultValues(&d)
		case d.IsRequired:
			return nil, invalidInput("The role template requires a value for the parameter %s.", d.Name)
		case listParam(d.Type):
			out[d.Name] = []string{}
		default:
			out[d.Name] = []string{""}
		}
	}
	return out, nil
}

// acquireRole creates a role from a role template version. As in AWS it is
// authorized as the actions it does: iam:GetRoleTemplateVersion on the
// template, iam:CreateRole on the role (with its tags and boundary), and
// iam:TagRole, iam:PutRolePolicy, iam:AttachRolePolicy and
// iam:PutRolePermissionsBoundary where the template has tags, inline
// policies, managed policies and a boundary, each with the key
// iam:RoleTemplateARN. The role, its policies and attachments are written
// in one transaction. A role of the name that exists is handled by
// acquireExisting. Errors: NoSuchEntity (template, minor version or
// managed policy), RoleTemplateDisabled, InvalidInput (parameters),
// ValidationError, MalformedPolicyDocument and LimitExceeded as CreateRole,
// PutRolePolicy and AttachRolePolicy give them, and acquireExisting's.
func (s *Service) acquireRole(ctx context.Context, p *warden.Principal, in *acquireRoleInput) (*roleOutput, error) {
	keys := templateKeys(nil, in.TemplateArn)
	if err := s.authorizeTemplate(ctx, p, "GetRoleTemplateVersion", in.TemplateArn, keys); err != nil {
		return nil, err
	}
	t, v, err := s.findTemplateVersion(in.TemplateArn, in.TemplateMinorVersion)
	if err != nil {
		return nil, err
	}
	if !t.enabled() || !v.enabled() {
		return nil, warden.Errorf(warden.CodeRoleTemplateDisabled, "The role template %s minor version %d is disabled and cannot create roles.", t.ARN(), v.MinorVersion)
	}
	values, err := replacementValues(v, in.ReplacementValues)
	if err != nil {
		return nil, err
	}
	rendered, err := v.render(values)
	if err != nil {
		return nil, err
	}
	// The role is what CreateRole would make of these members: the same
	// model constraints and the same checks.
	create := url.Values{"RoleName": {rendered.name}, "AssumeRolePolicyDocument": {rendered.trust}}
	if rendered.path != "" {
		create.Set("Path", rendered.path)
	}
	if rendered.description != "" {
		create.Set("Description", rendered.description)
	}
	if v.MaxSessionDuration != 0 {
		create.Set("MaxSessionDuration", strconv.Itoa(v.MaxSessionDuration))
	}
	if v.PermissionBoundaryArn != "" {
		create.Set("PermissionsBoundary", v.PermissionBoundaryArn)
	}
	for i, tg := range rendered.tags {
		create.Set(fmt.Sprintf("Tags.member.%d.Key", i+1), tg.Key)
		create.Set(fmt.Sprintf("Tags.member.%d.Value", i+1), tg.Value)
	}
	var cin createRoleInput
	if err := s.model.Decode("CreateRole", create, &cin); err != nil {
		return nil, err
	}
	for _, ip := range rendered.inline {
		form := url.Values{"RoleName": {rendered.name}, "PolicyName": {ip.Name}, "PolicyDocument": {ip.Document}}
		if err := s.model.Decode("PutRolePolicy", form, &putRolePolicyInput{}); err != nil {
			return nil, err
		}
	}
	for _, a := range v.ManagedPolicyArns {
		form := url.Values{"RoleName": {rendered.name}, "PolicyArn": {a}}
		if err := s.model.Decode("AttachRolePolicy", form, &rolePolicyARNInput{}); err != nil {
			return nil, err
		}
	}
	a := &acquisition{template: t, version: v, values: values, rendered: rendered, role: &cin}
	// A role of the name may already exist: made from this template (a
	// repeat, or new values), or not (NameConflict).
	for attempt := 0; ; attempt++ {
		var existing *warden.Role
		err := s.view(ctx, func(tx warden.Tx) error {
			r, err := warden.Load[warden.Role](ctx, tx, p.Account, warden.NameKey(cin.RoleName))
			if errors.Is(err, warden.ErrNotFound) {
				return nil
			}
			existing = r
			return err
		})
		if err != nil {
			return nil, err
		}
		var out *roleOutput
		if existing != nil {
			out, err = s.acquireExisting(ctx, p, a)
		} else {
			out, err = s.acquireNew(ctx, p, a)
		}
		// Another request made the role, or deleted it, after the look:
		// one more look answers as of then.
		raced := errors.Is(err, errRoleGone) || (existing == nil && warden.ErrorCode(err) == warden.CodeEntityAlreadyExists)
		if attempt == 0 && raced {
			continue
		}
		if errors.Is(err, errRoleGone) {
			return nil, warden.Errorf(warden.CodeConcurrentModification, "The role %s was created and deleted while AcquireRole made it; try again.", cin.RoleName)
		}
		return out, err
	}
}

// acquisition is what an AcquireRole request makes: the template version,
// every parameter's values, the filled-in role and CreateRole's input.
type acquisition struct {
	template *RoleTemplate
	version  *RoleTemplateMinor
	values   map[string][]string
	rendered *renderedRole
	role     *createRoleInput
}

// acquireNew creates the role of a: authorized as the actions it does,
// written in one transaction with its policies and attachments.
func (s *Service) acquireNew(ctx context.Context, p *warden.Principal, a *acquisition) (*roleOutput, error) {
	t, v, cin, rendered := a.template, a.version, a.role, a.rendered
	keys := templateKeys(nil, t.ARN())
	target := arn(p.Account, "role", orDefault(cin.Path), cin.RoleName)
	if err := s.authorize(ctx, p, "CreateRole", target, templateKeys(creationKeys(tagsIn(cin.Tags), cin.PermissionsBoundary), t.ARN())); err != nil {
		return nil, err
	}
	if len(cin.Tags) > 0 {
		if err := s.authorize(ctx, p, "TagRole", target, templateKeys(tagKeys(tagsIn(cin.Tags)), t.ARN())); err != nil {
			return nil, err
		}
	}
	if len(rendered.inline) > 0 {
		if err := s.authorize(ctx, p, "PutRolePolicy", target, keys); err != nil {
			return nil, err
		}
	}
	for _, a := range v.ManagedPolicyArns {
		if err := s.authorize(ctx, p, "AttachRolePolicy", target, templateKeys(policyKey(a), t.ARN())); err != nil {
			return nil, err
		}
	}
	if cin.PermissionsBoundary != "" {
		bk := templateKeys(map[string][]string{"iam:PermissionsBoundary": {cin.PermissionsBoundary}}, t.ARN())
		if err := s.authorize(ctx, p, "PutRolePermissionsBoundary", target, bk); err != nil {
			return nil, err
		}
	}
	r, err := s.newRole(p, cin)
	if err != nil {
		return nil, err
	}
	r.SourceTemplateARN, r.SourceTemplateMinorVersion, r.SourceTemplateValues = t.ARN(), v.MinorVersion, a.values
	for _, ip := range rendered.inline {
		if err := putInline(r, ip.Name, ip.Document); err != nil {
			return nil, err
		}
	}
	err = s.update(ctx, p, "AcquireRole", r.ARN(), func(tx warden.Tx) error {
		r.AttachedPolicies = nil
		if err := s.storeNewRole(ctx, tx, r); err != nil {
			return err
		}
		for _, a := range v.ManagedPolicyArns {
			if err := s.attach(ctx, tx, p, r, "Role", a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOut(r, roleCreated)}, nil
}

// normalizeDocument accepts a document written as JSON or as a JSON string
// holding it.
func normalizeDocument(raw json.RawMessage) json.RawMessage {
	var str string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &str) == nil {
		return json.RawMessage(str)
	}
	return raw
}
