package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-iam/warden/policy"
)

// An evalFile is one file of testdata/eval: policies shared by its cases.
// A case may replace any of the policy lists, or give just a Condition,
// which stands for an identity policy allowing everything under it.
type evalFile struct {
	Policies evalPolicies `json:"policies"`
	Cases    []evalCase   `json:"cases"`
}

type evalPolicies struct {
	Identity     []namedDoc `json:"identity"`
	Boundary     []namedDoc `json:"boundary"`
	Session      []namedDoc `json:"session"`
	Resource     []namedDoc `json:"resource"`
	ResourceKind string     `json:"resourceKind"` // "Resource" (default) or "Trust"
	// HasBoundary and HasSession make an empty list count as present.
	HasBoundary bool `json:"hasBoundary"`
	HasSession  bool `json:"hasSession"`
}

type namedDoc struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

type evalCase struct {
	Name      string          `json:"name"`
	Policies  *evalPolicies   `json:"policies"`
	Version   string          `json:"version"`   // for Condition: the document version
	Condition json.RawMessage `json:"condition"` // shorthand identity policy
	Request   evalRequest     `json:"request"`
	Decision  string          `json:"decision"`
	Missing   string          `json:"missing"`
	// Deciding lists "Kind/PolicyName/StatementIndex" entries in order;
	// nil means "not checked".
	Deciding []string `json:"deciding"`
	// AllowedBy lists the policy types that had an applicable Allow; nil
	// means "not checked".
	AllowedBy []string `json:"allowedBy"`
}

type evalRequest struct {
	Action          string                     `json:"action"`
	Resource        string                     `json:"resource"`
	ResourceAccount string                     `json:"resourceAccount"`
	Principal       evalPrincipal              `json:"principal"`
	Context         map[string]json.RawMessage `json:"context"`
}

type evalPrincipal struct {
	Type          string `json:"type"`
	Account       string `json:"account"`
	ARN           string `json:"arn"`
	IssuerARN     string `json:"issuerArn"`
	Service       string `json:"service"`
	Federated     string `json:"federated"`
	CanonicalUser string `json:"canonicalUser"`
}

var principalTypes = map[string]policy.PrincipalType{
	"": policy.User, "User": policy.User, "Root": policy.Root, "RoleSession": policy.RoleSession,
	"FederatedUser": policy.FederatedUser, "Service": policy.Service, "WebIdentity": policy.WebIdentity,
	"Anonymous": policy.Anonymous,
}

func TestEvaluateTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "eval", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var f evalFile
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			seen := map[string]bool{}
			for _, c := range f.Cases {
				if seen[c.Name] {
					t.Fatalf("duplicate case name %q", c.Name)
				}
				seen[c.Name] = true
				t.Run(c.Name, func(t *testing.T) { runEvalCase(t, &f.Policies, &c) })
			}
		})
	}
}

func runEvalCase(t *testing.T, shared *evalPolicies, c *evalCase) {
	t.Helper()
	ps := shared
	if c.Policies != nil {
		ps = c.Policies
	}
	if c.Condition != nil {
		version := c.Version
		if version == "" {
			version = policy.Version2012
		}
		doc := fmt.Sprintf(`{"Version":%q,"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}}`, version, c.Condition)
		ps = &evalPolicies{Identity: []namedDoc{{Name: "cond", Document: json.RawMessage(doc)}}}
	}
	resourceKind := policy.Resource
	if ps.ResourceKind == "Trust" {
		resourceKind = policy.Trust
	}
	var in policy.Input
	in.Identity = compileDocs(t, ps.Identity, policy.Identity, true)
	in.Boundary = compileDocs(t, ps.Boundary, policy.Boundary, ps.HasBoundary)
	in.Session = compileDocs(t, ps.Session, policy.Session, ps.HasSession)
	in.Resource = compileDocs(t, ps.Resource, resourceKind, false)

	pt, ok := principalTypes[c.Request.Principal.Type]
	if !ok {
		t.Fatalf("unknown principal type %q", c.Request.Principal.Type)
	}
	req := policy.Request{
		Action:          c.Request.Action,
		Resource:        c.Request.Resource,
		ResourceAccount: c.Request.ResourceAccount,
		Principal: policy.Principal{
			Type: pt, Account: c.Request.Principal.Account, ARN: c.Request.Principal.ARN,
			IssuerARN: c.Request.Principal.IssuerARN, Service: c.Request.Principal.Service,
			Federated: c.Request.Principal.Federated, CanonicalUser: c.Request.Principal.CanonicalUser,
		},
	}
	if req.Action == "" {
		req.Action = "s3:GetObject"
	}
	if req.Resource == "" {
		req.Resource = "arn:aws:s3:::bucket/key"
	}
	for k, raw := range c.Request.Context {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			req.Context.Set(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			t.Fatalf("context %s: %v", k, err)
		}
		req.Context.SetValues(k, many)
	}

	res := policy.Evaluate(&in, &req)
	if res.Decision.String() != c.Decision {
		t.Errorf("Decision = %v, want %s (deciding %v, missing %v)", res.Decision, c.Decision, res.Deciding(), res.Missing)
	}
	if c.Missing != "" && res.Missing.String() != c.Missing {
		t.Errorf("Missing = %v, want %s", res.Missing, c.Missing)
	}
	if c.AllowedBy != nil {
		var got []string
		for _, k := range []policy.Kind{policy.Identity, policy.Boundary, policy.Session, policy.Resource} {
			if res.AllowedBy(k) {
				got = append(got, k.String())
			}
		}
		if strings.Join(got, " ") != strings.Join(c.AllowedBy, " ") {
			t.Errorf("AllowedBy = %v, want %v", got, c.AllowedBy)
		}
	}
	if c.Deciding != nil {
		var got []string
		for _, m := range res.Deciding() {
			got = append(got, fmt.Sprintf("%v/%s/%d", m.Kind, m.PolicyName, m.Statement))
		}
		if strings.Join(got, " ") != strings.Join(c.Deciding, " ") {
			t.Errorf("Deciding = %v, want %v", got, c.Deciding)
		}
	}
}

func compileDocs(t *testing.T, docs []namedDoc, kind policy.Kind, always bool) *policy.Set {
	t.Helper()
	if len(docs) == 0 && !always {
		return nil
	}
	named := make([]policy.Named, len(docs))
	for i, d := range docs {
		p, err := policy.Parse(d.Document, kind)
		if err != nil {
			t.Fatalf("policy %s: %v", d.Name, err)
		}
		named[i] = policy.Named{Name: d.Name, Policy: p}
	}
	return policy.Compile(named...)
}
