package policy_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/warden-iam/warden/policy"
)

// randomStatement writes one statement from a small grammar whose pieces
// overlap often: a few services, actions with wildcards, resources with
// wildcards, and an occasional condition on aws:username.
func randomStatement(r *rand.Rand, effect string) string {
	services := []string{"iam", "s3", "ec2"}
	actions := []string{"Get*", "List*", "Create*", "Delete*", "*", "GetUser", "PutObject", "Describe?nstances"}
	resources := []string{"*", "arn:aws:iam::123456789012:user/*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::*",
		"arn:aws:ec2:*:123456789012:instance/i-1*", "arn:aws:iam::123456789012:user/alice"}
	var acts []string
	for n := 1 + r.IntN(3); n > 0; n-- {
		acts = append(acts, fmt.Sprintf("%q", services[r.IntN(len(services))]+":"+actions[r.IntN(len(actions))]))
	}
	actionKey := "Action"
	if r.IntN(8) == 0 {
		actionKey = "NotAction"
	}
	resKey := "Resource"
	if r.IntN(8) == 0 {
		resKey = "NotResource"
	}
	cond := ""
	if r.IntN(4) == 0 {
		op := []string{"StringEquals", "StringNotEquals", "StringLike"}[r.IntN(3)]
		cond = fmt.Sprintf(`,"Condition":{%q:{"aws:username":%q}}`, op, []string{"alice", "bob", "a*"}[r.IntN(3)])
	}
	return fmt.Sprintf(`{"Effect":%q,%q:[%s],%q:%q%s}`, effect, actionKey, strings.Join(acts, ","), resKey,
		resources[r.IntN(len(resources))], cond)
}

func randomPolicy(t *testing.T, r *rand.Rand, n int, effects ...string) *policy.Policy {
	t.Helper()
	var stmts []string
	for i := 0; i < n; i++ {
		stmts = append(stmts, randomStatement(r, effects[r.IntN(len(effects))]))
	}
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	p, err := policy.Parse([]byte(doc), policy.Identity)
	if err != nil {
		t.Fatalf("generated policy does not parse: %v\n%s", err, doc)
	}
	return p
}

func randomRequests(r *rand.Rand, n int) []policy.Request {
	actions := []string{"iam:GetUser", "iam:ListUsers", "iam:CreateUser", "iam:DeleteUser", "s3:GetObject",
		"s3:PutObject", "s3:ListBucket", "ec2:DescribeInstances", "ec2:DeleteVolume"}
	resources := []string{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob",
		"arn:aws:s3:::bucket/key", "arn:aws:s3:::other", "arn:aws:ec2:us-east-1:123456789012:instance/i-123", "*"}
	reqs := make([]policy.Request, n)
	for i := range reqs {
		reqs[i] = policy.Request{Action: actions[r.IntN(len(actions))], Resource: resources[r.IntN(len(resources))]}
		reqs[i].Context.Set("aws:username", []string{"alice", "bob", "carol"}[r.IntN(3)])
	}
	return reqs
}

// TestPropertyExplicitDenyWins: whenever a Deny statement applies to a
// request, the decision is ExplicitDeny, whatever else allows it.
func TestPropertyExplicitDenyWins(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		allow := randomPolicy(t, r, 1+r.IntN(6), "Allow")
		deny := randomPolicy(t, r, 1+r.IntN(3), "Deny")
		withDeny := policy.Compile(policy.Named{Name: "allow", Policy: allow}, policy.Named{Name: "deny", Policy: deny})
		// The Deny statements turned into Allows tell when one applies.
		denyAsAllow := strings.ReplaceAll(string(deny.Raw()), `"Effect":"Deny"`, `"Effect":"Allow"`)
		probe, err := policy.Parse([]byte(denyAsAllow), policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		probeSet := policy.Compile(policy.Named{Name: "probe", Policy: probe})
		for _, req := range randomRequests(r, 20) {
			applies := policy.Evaluate(&policy.Input{Identity: probeSet}, &req).Decision == policy.Allow
			got := policy.Evaluate(&policy.Input{Identity: withDeny}, &req)
			if applies && got.Decision != policy.ExplicitDeny {
				t.Fatalf("round %d: a Deny applies to %s on %s but the decision is %v\nallow: %s\ndeny: %s",
					round, req.Action, req.Resource, got.Decision, allow.Raw(), deny.Raw())
			}
			if !applies && got.Decision == policy.ExplicitDeny {
				t.Fatalf("round %d: ExplicitDeny without an applicable Deny for %s on %s", round, req.Action, req.Resource)
			}
		}
	}
}

// TestPropertyDenyNeverWidens: adding a Deny policy to any set of policies,
// in any place (identity, boundary or session), never turns a request that
// was not allowed into an allowed one.
func TestPropertyDenyNeverWidens(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		identity := randomPolicy(t, r, 1+r.IntN(6), "Allow", "Allow", "Deny")
		boundary := randomPolicy(t, r, 1+r.IntN(4), "Allow", "Allow", "Deny")
		extra := randomPolicy(t, r, 1+r.IntN(3), "Deny")
		before := &policy.Input{Identity: policy.Compile(policy.Named{Policy: identity})}
		if round%2 == 0 {
			before.Boundary = policy.Compile(policy.Named{Policy: boundary})
		}
		afters := []*policy.Input{
			{Identity: policy.Compile(policy.Named{Policy: identity}, policy.Named{Policy: extra}), Boundary: before.Boundary},
		}
		if before.Boundary != nil {
			afters = append(afters, &policy.Input{Identity: before.Identity,
				Boundary: policy.Compile(policy.Named{Policy: boundary}, policy.Named{Policy: extra})})
		}
		for _, req := range randomRequests(r, 20) {
			was := policy.Evaluate(before, &req).Decision
			for i, after := range afters {
				now := policy.Evaluate(after, &req).Decision
				if was != policy.Allow && now == policy.Allow {
					t.Fatalf("round %d/%d: adding a Deny widened %s on %s from %v to Allow", round, i, req.Action, req.Resource, was)
				}
				if was == policy.ExplicitDeny && now != policy.ExplicitDeny {
					t.Fatalf("round %d/%d: adding a Deny lifted an explicit deny on %s %s", round, i, req.Action, req.Resource)
				}
			}
		}
	}
}
