package iam

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
	awsarn "github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

// The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and
// the GetContextKeysFor* operations. Simulations decide through
// authz.Simulation, which reads an entity's policies as the authorization
// snapshot does and evaluates with the same context and billing rule, so a
// simulation of a user answers what the API enforces for that user.
//
// Results follow the current AWS shape: one EvaluationResult per action,
// whose decision, matched statements, missing context values and decision
// details sum up every requested resource (the most restrictive decision
// wins), with the per-resource answers in ResourceSpecificResults.

type contextEntry struct {
	ContextKeyName   string
	ContextKeyValues []string
	ContextKeyType   string
}

// simulationInput is the input of SimulatePrincipalPolicy and, without
// PolicySourceArn, of SimulateCustomPolicy.
type simulationInput struct {
	PolicySourceArn                    string
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	ActionNames                        []string
	ResourceArns                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerArn                          string
	ContextEntries                     []contextEntry
	ResourceHandlingOption             string
	MaxItems                           int
	Marker                             string
}

type getContextKeysForPrincipalPolicyInput struct {
	PolicySourceArn string
	PolicyInputList []string
}

type getContextKeysForCustomPolicyInput struct {
	PolicyInputList []string
}

type simulateOutput struct {
	EvaluationResults list[wEvaluationResult] `xml:"EvaluationResults"`
	page
}

type contextKeysOutput struct {
	ContextKeyNames list[string] `xml:"ContextKeyNames"`
}

// simulatePrincipalPolicy simulates the policies of a user (with its
// groups'), group or role, plus any given, for each action and resource.
func (s *Service) simulatePrincipalPolicy(ctx context.Context, p *warden.Principal, in *simulationInput) (*simulateOutput, error) {
	if err := s.authorize(ctx, p, "SimulatePrincipalPolicy", in.PolicySourceArn, nil); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	extra, boundary, resource, err := in.documents()
	if err != nil {
		return nil, err
	}
	ent, err := s.entity(ctx, p, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	caller := ent.Caller
	if in.CallerArn != "" {
		if caller, err = s.simulatedCaller(ctx, p, in.CallerArn); err != nil {
			return nil, err
		}
	}
	sim, err := s.authz.SimulateEntity(ctx, ent, caller, extra, boundary, resource)
	if err != nil {
		return nil, err
	}
	return s.simulate(ctx, sim, in)
}

// simulateCustomPolicy simulates the given policies alone.
func (s *Service) simulateCustomPolicy(ctx context.Context, p *warden.Principal, in *simulationInput) (*simulateOutput, error) {
	if err := s.authorize(ctx, p, "SimulateCustomPolicy", "*", nil); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	identity, boundary, resource, err := in.documents()
	if err != nil {
		return nil, err
	}
	if resource != nil && in.CallerArn == "" {
		return nil, invalidInput("CallerArn is required when a ResourcePolicy is given.")
	}
	caller := authz.Caller{Principal: warden.Principal{Type: warden.PrincipalUser, Account: p.Account}}
	if in.CallerArn != "" {
		if caller, err = s.simulatedCaller(ctx, p, in.CallerArn); err != nil {
			return nil, err
		}
	}
	sim := s.authz.Simulate(caller, identity, boundary, resource)
	return s.simulate(ctx, sim, in)
}

// getContextKeysForCustomPolicy lists the context keys the given policies
// use in conditions and policy variables.
func (s *Service) getContextKeysForCustomPolicy(ctx context.Context, p *warden.Principal, in *getContextKeysForCustomPolicyInput) (*contextKeysOutput, error) {
	if err := s.authorize(ctx, p, "GetContextKeysForCustomPolicy", "*", nil); err != nil {
		return nil, err
	}
	var pols []*policy.Policy
	for _, doc := range in.PolicyInputList {
		pol, err := parseAnyPolicy(doc)
		if err != nil {
			return nil, err
		}
		pols = append(pols, pol)
	}
	return &contextKeysOutput{ContextKeyNames: contextKeys(pols)}, nil
}

// getContextKeysForPrincipalPolicy lists the context keys used by the
// policies of a user (with its groups'), group or role, its permissions
// boundary included, and by the given policies.
func (s *Service) getContextKeysForPrincipalPolicy(ctx context.Context, p *warden.Principal, in *getContextKeysForPrincipalPolicyInput) (*contextKeysOutput, error) {
	if err := s.authorize(ctx, p, "GetContextKeysForPrincipalPolicy", in.PolicySourceArn, nil); err != nil {
		return nil, err
	}
	extra, err := parseDocuments(in.PolicyInputList, "PolicyInputList", policy.Identity, authz.SourceNone)
	if err != nil {
		return nil, err
	}
	ent, err := s.entity(ctx, p, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	var pols []*policy.Policy
	for _, src := range append(slices.Clip(ent.Identity), extra...) {
		pols = append(pols, src.Policy)
	}
	if ent.Boundary != nil {
		pols = append(pols, ent.Boundary.Policy)
	}
	return &contextKeysOutput{ContextKeyNames: contextKeys(pols)}, nil
}

// ec2Scenarios are the ResourceHandlingOption values and the EC2 resource
// types each needs among the ResourceArns.
var ec2Scenarios = map[string][]string{
	"EC2-VPC-InstanceStore":        {"instance", "image", "security-group", "network-interface"},
	"EC2-VPC-InstanceStore-Subnet": {"instance", "image", "security-group", "network-interface", "subnet"},
	"EC2-VPC-EBS":                  {"instance", "image", "security-group", "network-interface", "volume"},
	"EC2-VPC-EBS-Subnet":           {"instance", "image", "security-group", "network-interface", "subnet", "volume"},
}

// validate checks what the input model cannot: action names, resource ARNs,
// the resource owner, the scenario and the context entries.
func (in *simulationInput) validate() error {
	for _, l := range []struct {
		name string
		n    int
	}{{"actionNames", len(in.ActionNames)}, {"resourceArns", len(in.ResourceArns)}} {
		if l.n > MaxSimulatorResources {
			return warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value '[%d items]' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", l.n, l.name, MaxSimulatorResources)
		}
	}
	for _, a := range in.ActionNames {
		svc, name, ok := strings.Cut(a, ":")
		if !ok || svc == "" || name == "" || strings.ContainsAny(a, "*?") {
			return invalidInput("Action %s is not valid: name one action as service:action, without wildcards.", a)
		}
	}
	for _, r := range in.ResourceArns {
		if r == "*" {
			continue
		}
		if _, err := awsarn.Parse(r); err != nil {
			return invalidInput("Resource %s is not a valid ARN.", r)
		}
	}
	if in.ResourceOwner != "" && resourceOwner(in.ResourceOwner) == "" {
		return invalidInput("ResourceOwner %s is not an account ID.", in.ResourceOwner)
	}
	if o := in.ResourceHandlingOption; o != "" {
		need, ok := ec2Scenarios[o]
		if !ok {
			return invalidInput("ResourceHandlingOption %s is not a supported scenario.", o)
		}
		for _, typ := range need {
			if !slices.ContainsFunc(in.ResourceArns, func(r string) bool {
				a, err := awsarn.Parse(r)
				return err == nil && a.Service == "ec2" && strings.HasPrefix(a.Resource, typ+"/")
			}) {
				return invalidInput("The scenario %s needs a resource of type %s in ResourceArns.", o, typ)
			}
		}
	}
	_, err := contextOf(in.ContextEntries)
	return err
}

// documents parses the policy documents of the input: identity policies,
// the permissions boundary (nil when none is given) and the resource-based
// policy (nil when none is given).
func (in *simulationInput) documents() (identity []authz.Source, boundary, resource *authz.Source, err error) {
	identity, err = parseDocuments(in.PolicyInputList, "PolicyInputList", policy.Identity, authz.SourceNone)
	if err != nil {
		return nil, nil, nil, err
	}
	switch len(in.PermissionsBoundaryPolicyInputList) {
	case 0:
	case 1:
		bs, err := parseDocuments(in.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList", policy.Boundary, authz.SourceNone)
		if err != nil {
			return nil, nil, nil, err
		}
		boundary = &bs[0]
	default:
		return nil, nil, nil, invalidInput("Only one permissions boundary policy can be simulated.")
	}
	if in.ResourcePolicy != "" {
		pol, err := parsePolicy(in.ResourcePolicy, policy.Resource)
		if err != nil {
			return nil, nil, nil, err
		}
		resource = &authz.Source{ID: "ResourcePolicy", Type: authz.SourceResource, Policy: pol}
	}
	return identity, boundary, resource, nil
}

func parseDocuments(docs []string, param string, kind policy.Kind, typ authz.SourceType) ([]authz.Source, error) {
	out := make([]authz.Source, 0, len(docs))
	for i, doc := range docs {
		pol, err := parsePolicy(doc, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, authz.Source{ID: param + "." + strconv.Itoa(i+1), Type: typ, Policy: pol})
	}
	return out, nil
}

// parsePolicy parses a document given to the simulator, returning
// MalformedPolicyDocument with the parser's explanation.
func parsePolicy(doc string, kind policy.Kind) (*policy.Policy, error) {
	pol, err := policy.Parse([]byte(doc), kind)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return nil, warden.Errorf(warden.CodeMalformedPolicyDocument, "%s", pe.Message)
		}
		return nil, err
	}
	return pol, nil
}

// parseAnyPolicy parses a document of any kind but a trust policy, for
// listing its context keys: identity-based, or else resource-based.
func parseAnyPolicy(doc string) (*policy.Policy, error) {
	pol, err := parsePolicy(doc, policy.Identity)
	if err == nil {
		return pol, nil
	}
	if rp, rerr := policy.Parse([]byte(doc), policy.Resource); rerr == nil {
		return rp, nil
	}
	return nil, err
}

// entity loads the user, group or role arn names in the caller's account.
func (s *Service) entity(ctx context.Context, p *warden.Principal, arn string) (*authz.Entity, error) {
	account, kind, name, ok := parseEntityARN(arn)
	if !ok {
		return nil, invalidInput("PolicySourceArn %s is not the ARN of an IAM user, group or role.", arn)
	}
	notFound := noSuchEntity("The %s with name %s cannot be found.", kind, name)
	if account != p.Account {
		return nil, notFound
	}
	e, err := s.authz.Entity(ctx, account, kind, name)
	if err != nil {
		return nil, notFoundAs(err, notFound)
	}
	if e.ARN != arn { // same name, another path
		return nil, notFound
	}
	return e, nil
}

// simulatedCaller is the caller named by CallerArn: the entity itself when
// it is in the caller's account, else a principal known only by its ARN.
func (s *Service) simulatedCaller(ctx context.Context, p *warden.Principal, arn string) (authz.Caller, error) {
	account, kind, name, ok := parseEntityARN(arn)
	if !ok {
		return authz.Caller{}, invalidInput("CallerArn %s is not the ARN of an IAM user, group or role.", arn)
	}
	if account == p.Account {
		e, err := s.authz.Entity(ctx, account, kind, name)
		switch {
		case err == nil && e.ARN == arn:
			return e.Caller, nil
		case err != nil && !errors.Is(err, warden.ErrNotFound):
			return authz.Caller{}, err
		}
	}
	c := authz.Caller{Principal: warden.Principal{Type: warden.PrincipalUser, Account: account, Name: name, ARN: arn}}
	switch kind {
	case authz.EntityGroup:
		c.Principal.Name = ""
	case authz.EntityRole:
		c.Principal.Type, c.IssuerARN = warden.PrincipalAssumedRole, arn
	}
	return c, nil
}

// parseEntityARN splits arn:aws:iam::ACCOUNT:user/path/name (or group/,
// role/).
func parseEntityARN(s string) (account string, kind authz.EntityKind, name string, ok bool) {
	a, err := awsarn.Parse(s)
	if err != nil || a.Partition != "aws" || a.Service != "iam" || a.Region != "" || !isAccountID(a.AccountID) {
		return "", "", "", false
	}
	typ, rest, _ := strings.Cut(a.Resource, "/")
	kind = authz.EntityKind(typ)
	if kind != authz.EntityUser && kind != authz.EntityGroup && kind != authz.EntityRole {
		return "", "", "", false
	}
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	return a.AccountID, kind, name, name != ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// resourceOwner reads ResourceOwner: an account ID, or an ARN in the
// account (arn:aws:iam::123456789012:root). It returns "" when it is neither.
func resourceOwner(s string) string {
	if isAccountID(s) {
		return s
	}
	if a, err := awsarn.Parse(s); err == nil && isAccountID(a.AccountID) {
		return a.AccountID
	}
	return ""
}
