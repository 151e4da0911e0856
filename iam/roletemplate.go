package iam

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	awsarn "github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/policy"
)

// Role templates. In AWS, services publish role templates
// (arn:aws:iam::aws:role-template/SERVICE-PRINCIPAL/NAME:MAJOR) and anyone
// may create a role from one with AcquireRole. Warden has no AWS services,
// so its templates are the operator's: JSON files in the directory given to
// `warden serve --role-templates`, beside the few Warden ships (see
// roletemplates/ and docs/role-templates.md). A file holds one major
// version of one template with its minor versions. Placeholders {{Name}}
// in the patterns and documents are filled in by renderTemplate, the
// renderer of delegation policy templates.

// maxReplacementValues is the most entries ReplacementValues may have.
const maxReplacementValues = 30

// maxTemplateFile bounds a template file; a template is a few policies.
const maxTemplateFile = 1 << 20

// Parameter types of the RoleTemplateVersion model (ParameterTypeType).
const (
	paramString     = "String"
	paramStringList = "StringList"
	paramNumber     = "Number"
	paramNumberList = "NumberList"
	paramArn        = "Arn"
	paramArnList    = "ArnList"
)

func listParam(typ string) bool {
	return typ == paramStringList || typ == paramNumberList || typ == paramArnList
}

// RoleTemplate is one major version of a role template, as its file
// declares it.
type RoleTemplate struct {
	// ManagedBy names who publishes the template, the service principal of
	// the ARN (AWS's ManagedByValue); "warden" when not given.
	ManagedBy           string
	TemplateName        string
	MajorVersion        int
	Description         string
	Enabled             *bool
	DefaultMinorVersion int
	Versions            []RoleTemplateMinor
}

// RoleTemplateMinor is one minor version of a template: what a role made
// from it gets.
type RoleTemplateMinor struct {
	MinorVersion                     int
	VersionEnabled                   *bool
	CreateTimestamp                  time.Time
	UpdateTimestamp                  time.Time
	RoleNamePattern                  string
	RolePathPattern                  string
	RoleDescriptionPattern           string
	AssumeRolePolicyDocumentTemplate json.RawMessage
	InlinePolicyTemplates            []InlinePolicyTemplate
	ManagedPolicyArns                []string
	PermissionBoundaryArn            string
	RoleTagsTemplate                 []TagTemplate
	MaxSessionDuration               int
	ParametersDefinition             []ParameterDefinition
}

// InlinePolicyTemplate is an inline policy of the role, a JSON policy
// document with placeholders.
type InlinePolicyTemplate struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

// TagTemplate is a tag of the role; key and value may hold placeholders.
type TagTemplate struct {
	Key   string
	Value string
}

// ParameterDefinition is a parameter the caller of AcquireRole supplies.
type ParameterDefinition struct {
	Name         string
	Type         string
	SubType      string
	Description  string
	IsRequired   bool
	DefaultValue *string
	Immutable    bool

	// subType is SubType parsed when the template is checked; nil for none.
	subType *subType
}

// ARN is the template's ARN, in AWS's format for role templates.
func (t *RoleTemplate) ARN() string {
	return "arn:aws:iam::aws:role-template/" + t.ManagedBy + "/" + t.TemplateName + ":" + strconv.Itoa(t.MajorVersion)
}

func (t *RoleTemplate) enabled() bool { return t.Enabled == nil || *t.Enabled }

func (v *RoleTemplateMinor) enabled() bool { return v.VersionEnabled == nil || *v.VersionEnabled }

// version returns minor version n, or the default one when n is nil.
func (t *RoleTemplate) version(n *int) *RoleTemplateMinor {
	want := t.DefaultMinorVersion
	if n != nil {
		want = *n
	}
	for i := range t.Versions {
		if t.Versions[i].MinorVersion == want {
			return &t.Versions[i]
		}
	}
	return nil
}

var (
	templateNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	managedByRE    = regexp.MustCompile(`^[A-Za-z0-9.-]{1,128}$`)
)

// ParseRoleTemplate reads and validates one template file: unknown
// members, missing or malformed ones, placeholders that name no parameter
// and documents that are not valid policies (filled in with each
// parameter's DefaultValue or a sample of its type) are errors, each saying
// what is wrong.
func ParseRoleTemplate(data []byte) (*RoleTemplate, error) {
	if len(data) > maxTemplateFile {
		return nil, fmt.Errorf("the file is larger than %d bytes", maxTemplateFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t RoleTemplate
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("not a role template: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a role template: more than one JSON value")
	}
	if t.ManagedBy == "" {
		t.ManagedBy = "warden"
	}
	if !managedByRE.MatchString(t.ManagedBy) {
		return nil, fmt.Errorf("ManagedBy %q must be 1 to 128 letters, digits, dots or hyphens", t.ManagedBy)
	}
	if !templateNameRE.MatchString(t.TemplateName) {
		return nil, fmt.Errorf("TemplateName %q must be 1 to 128 of the characters [A-Za-z0-9_+=,.@-]", t.TemplateName)
	}
	if t.MajorVersion < 1 {
		return nil, fmt.Errorf("template %s: MajorVersion must be 1 or more", t.TemplateName)
	}
	if len(t.Versions) == 0 {
		return nil, fmt.Errorf("template %s: Versions must list at least one minor version", t.TemplateName)
	}
	seen := map[int]bool{}
	for i := range t.Versions {
		v := &t.Versions[i]
		if v.MinorVersion < 0 || seen[v.MinorVersion] {
			return nil, fmt.Errorf("template %s: minor version %d is negative or given twice", t.TemplateName, v.MinorVersion)
		}
		seen[v.MinorVersion] = true
		if err := checkTemplateVersion(v); err != nil {
			return nil, fmt.Errorf("template %s minor version %d: %v", t.TemplateName, v.MinorVersion, err)
		}
	}
	if !seen[t.DefaultMinorVersion] {
		return nil, fmt.Errorf("template %s: DefaultMinorVersion %d is not one of its Versions", t.TemplateName, t.DefaultMinorVersion)
	}
	sort.Slice(t.Versions, func(i, j int) bool { return t.Versions[i].MinorVersion < t.Versions[j].MinorVersion })
	return &t, nil
}

func checkTemplateVersion(v *RoleTemplateMinor) error {
	v.AssumeRolePolicyDocumentTemplate = normalizeDocument(bytes.TrimSpace(v.AssumeRolePolicyDocumentTemplate))
	for i := range v.InlinePolicyTemplates {
		v.InlinePolicyTemplates[i].PolicyDocument = normalizeDocument(bytes.TrimSpace(v.InlinePolicyTemplates[i].PolicyDocument))
	}
	defs := map[string]*ParameterDefinition{}
	for i := range v.ParametersDefinition {
		d := &v.ParametersDefinition[i]
		if !validParameterName(d.Name) {
			return fmt.Errorf("parameter name %q: use letters, digits and underscores", d.Name)
		}
		if defs[d.Name] != nil {
			return fmt.Errorf("parameter %s is defined twice", d.Name)
		}
		switch d.Type {
		case paramString, paramStringList, paramNumber, paramNumberList, paramArn, paramArnList:
		default:
			return fmt.Errorf("parameter %s: Type %q is not one of String, StringList, Number, NumberList, Arn, ArnList", d.Name, d.Type)
		}
		st, err := parseSubType(d)
		if err != nil {
			return err
		}
		d.subType = st
		if d.DefaultValue != nil {
			if err := checkValues(d, defaultValues(d)); err != nil {
				return fmt.Errorf("DefaultValue: %s", errMessage(err))
			}
		}
		defs[d.Name] = d
	}
	if v.RoleNamePattern == "" {
		return fmt.Errorf("RoleNamePattern is required")
	}
	if len(v.AssumeRolePolicyDocumentTemplate) == 0 {
		return fmt.Errorf("AssumeRolePolicyDocumentTemplate is required")
	}
	if v.MaxSessionDuration != 0 && (v.MaxSessionDuration < 3600 || v.MaxSessionDuration > 43200) {
		return fmt.Errorf("MaxSessionDuration must be between 3600 and 43200 seconds")
	}
	for _, a := range v.ManagedPolicyArns {
		if !strings.Contains(a, ":policy/") || !isARN(a) {
			return fmt.Errorf("ManagedPolicyArns: %q is not a policy ARN", a)
		}
	}
	if b := v.PermissionBoundaryArn; b != "" && (!strings.Contains(b, ":policy/") || !isARN(b)) {
		return fmt.Errorf("PermissionBoundaryArn: %q is not a policy ARN", b)
	}
	// Patterns become one string each: a list parameter has no place there.
	texts := map[string]string{"RoleNamePattern": v.RoleNamePattern, "RolePathPattern": v.RolePathPattern, "RoleDescriptionPattern": v.RoleDescriptionPattern}
	for i, tg := range v.RoleTagsTemplate {
		texts[fmt.Sprintf("RoleTagsTemplate[%d].Key", i)] = tg.Key
		texts[fmt.Sprintf("RoleTagsTemplate[%d].Value", i)] = tg.Value
	}
	for what, text := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			d := defs[m[1]]
			if d == nil {
				return fmt.Errorf("%s uses {{%s}}, which is not a defined parameter", what, m[1])
			}
			if listParam(d.Type) {
				return fmt.Errorf("%s uses the list parameter {{%s}}; patterns take single values", what, m[1])
			}
		}
	}
	docs := map[string]string{"AssumeRolePolicyDocumentTemplate": string(v.AssumeRolePolicyDocumentTemplate)}
	names := map[string]bool{}
	for _, p := range v.InlinePolicyTemplates {
		if !templateNameRE.MatchString(p.PolicyName) || names[p.PolicyName] {
			return fmt.Errorf("inline policy name %q is not valid or given twice", p.PolicyName)
		}
		names[p.PolicyName] = true
		docs["inline policy "+p.PolicyName] = string(p.PolicyDocument)
	}
	for what, doc := range docs {
		for _, m := range placeholder.FindAllStringSubmatch(doc, -1) {
			if defs[m[1]] == nil {
				return fmt.Errorf("%s uses {{%s}}, which is not a defined parameter", what, m[1])
			}
		}
	}
	// Render with samples: what the template can produce must be a policy.
	samples := map[string][]string{}
	for name, d := range defs {
		samples[name] = sampleValues(d)
	}
	r, err := v.render(samples)
	if err != nil {
		return fmt.Errorf("with sample parameter values: %s", errMessage(err))
	}
	if err := checkTrustDocument(r.trust); err != nil {
		return fmt.Errorf("AssumeRolePolicyDocumentTemplate with sample parameter values: %s", errMessage(err))
	}
	for _, p := range r.inline {
		if err := checkDocument(p.Document, policy.Identity); err != nil {
			return fmt.Errorf("inline policy %s with sample parameter values: %s", p.Name, errMessage(err))
		}
	}
	return nil
}

func isARN(s string) bool {
	_, err := awsarn.Parse(s)
	return err == nil
}

func defaultValues(d *ParameterDefinition) []string {
	if d.DefaultValue == nil {
		return nil
	}
	if listParam(d.Type) {
		return strings.Split(*d.DefaultValue, ",")
	}
	return []string{*d.DefaultValue}
}

// sampleValues stand in for a parameter when a template is checked.
func sampleValues(d *ParameterDefinition) []string {
	if d.DefaultValue != nil {
		return defaultValues(d)
	}
	if s := subTypeSample(d); s != "" {
		return []string{s}
	}
	switch d.Type {
	case paramNumber, paramNumberList:
		return []string{"1"}
	case paramArn, paramArnList:
		return []string{"arn:aws:iam::111111111111:root"}
	}
	return []string{"111111111111"}
}

// checkValues validates the values given for parameter d: one for a
// single-valued type, at least one for a list; numbers and ARNs in form,
// and each of the parameter's SubType. InvalidInput says which value is
// wrong and what the parameter takes.
func checkValues(d *ParameterDefinition, values []string) error {
	if !listParam(d.Type) && len(values) != 1 {
		return invalidInput("Parameter %s of type %s takes exactly one value.", d.Name, d.Type)
	}
	if len(values) == 0 {
		return invalidInput("Parameter %s of type %s takes at least one value.", d.Name, d.Type)
	}
	for _, v := range values {
		switch d.Type {
		case paramNumber, paramNumberList:
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return invalidInput("Parameter %s takes numbers; %q is not one.", d.Name, v)
			}
		case paramArn, paramArnList:
			if !isARN(v) {
				return invalidInput("Parameter %s takes ARNs; %q is not one.", d.Name, v)
			}
		default:
			if v == "" {
				return invalidInput("Parameter %s takes non-empty strings.", d.Name)
			}
		}
		if st := d.subType; st != nil && !st.check(v) {
			return invalidInput("Parameter %s takes %s (SubType %s); %q is not one.", d.Name, st.what, st.name, v)
		}
	}
	return nil
}

// renderedRole is what a template version makes with given values.
type renderedRole struct {
	name, path, description, trust string
	inline                         []warden.InlinePolicy
	tags                           []warden.Tag
}

// render fills in the version's patterns and documents with values.
func (v *RoleTemplateMinor) render(values map[string][]string) (*renderedRole, error) {
	defs := map[string]string{}
	for _, d := range v.ParametersDefinition {
		defs[d.Name] = d.Type
	}
	var err error
	text := func(s string) string {
		if err != nil || s == "" {
			return s
		}
		var out string
		out, err = fillText(s, defs, values)
		return out
	}
	doc := func(s string) string {
		if err != nil {
			return s
		}
		var out string
		out, err = renderTemplate(s, paramsFor(s, defs, values))
		return out
	}
	r := &renderedRole{name: text(v.RoleNamePattern), path: text(v.RolePathPattern), description: text(v.RoleDescriptionPattern),
		trust: doc(string(v.AssumeRolePolicyDocumentTemplate))}
	for _, p := range v.InlinePolicyTemplates {
		r.inline = append(r.inline, warden.InlinePolicy{Name: p.PolicyName, Document: doc(string(p.PolicyDocument))})
	}
	for _, tg := range v.RoleTagsTemplate {
		r.tags = append(r.tags, warden.Tag{Key: text(tg.Key), Value: text(tg.Value)})
	}
	return r, err
}

// paramsFor are the parameters of values that doc uses, in the form
// renderTemplate takes (which refuses a parameter its document lacks).
func paramsFor(doc string, defs map[string]string, values map[string][]string) []warden.PolicyParameter {
	var out []warden.PolicyParameter
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(doc, -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		vals, ok := values[name]
		if !ok {
			continue // renderTemplate reports it as needed
		}
		typ := "string"
		if listParam(defs[name]) {
			typ = "stringList"
		}
		out = append(out, warden.PolicyParameter{Name: name, Type: typ, Values: vals})
	}
	return out
}

// fillText fills the placeholders of a plain-text pattern, by rendering it
// as a one-string JSON document.
func fillText(s string, defs map[string]string, values map[string][]string) (string, error) {
	b, _ := json.Marshal(s)
	out, err := renderTemplate(string(b), paramsFor(s, defs, values))
	if err != nil {
		return "", err
	}
	var str string
	if json.Unmarshal([]byte(out), &str) != nil {
		return "", invalidInput("The pattern %q must make one string.", s)
	}
	return str, nil
}

//go:embed roletemplates/*.json
var builtinTemplates embed.FS

// BuiltinRoleTemplates returns the templates Warden ships.
func BuiltinRoleTemplates() ([]*RoleTemplate, error) {
	entries, err := builtinTemplates.ReadDir("roletemplates")
	if err != nil {
		return nil, err
	}
	var out []*RoleTemplate
	for _, e := range entries {
		data, err := builtinTemplates.ReadFile("roletemplates/" + e.Name())
		if err != nil {
			return nil, err
		}
		t, err := ParseRoleTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("built-in role template %s: %v", e.Name(), err)
		}
		out = append(out, t)
	}
	return out, nil
}

// LoadRoleTemplates reads every *.json file of dir as a role template.
// Errors name the file and what is wrong with it.
func LoadRoleTemplates(dir string) ([]*RoleTemplate, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("role templates: %v", err)
	}
	sort.Strings(files)
	var out []*RoleTemplate
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("role template %s: %v", f, err)
		}
		t, err := ParseRoleTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("role template %s: %v", f, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// AddRoleTemplates adds templates to those GetRoleTemplateVersion and
// AcquireRole know (at first, the built-in ones). A template whose ARN is
// already known is an error, and then none is added.
func (s *Service) AddRoleTemplates(templates []*RoleTemplate) error {
	next := make(map[string]*RoleTemplate, len(s.roleTemplates)+len(templates))
	for a, t := range s.roleTemplates {
		next[a] = t
	}
	for _, t := range templates {
		if next[t.ARN()] != nil {
			return fmt.Errorf("role template %s is defined twice", t.ARN())
		}
		next[t.ARN()] = t
	}
	s.roleTemplates = next
	return nil
}

// builtins are the parsed built-in templates; they are part of the build,
// so a bad one is a defect found by the first test.
var builtins = sync.OnceValues(BuiltinRoleTemplates)

// RoleTemplateARNs lists the ARNs of the known templates, sorted.
func (s *Service) RoleTemplateARNs() []string {
	out := make([]string, 0, len(s.roleTemplates))
	for a := range s.roleTemplates {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// errMessage is the client message of err, or its text.
func errMessage(err error) string {
	var e *warden.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
