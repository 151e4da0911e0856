package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/warden-iam/warden/policy"
)

// errFindings makes `warden policy validate` exit non-zero without another message.
var errFindings = errors.New("the policy has errors")

func policyCommand(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	switch sub {
	case "validate":
		return policyValidate(args, stdout, stderr)
	case "eval":
		return policyEval(args, stdout, stderr)
	}
	return fmt.Errorf("unknown policy command %q (validate, eval)", sub)
}

func parseKind(s string) (policy.Kind, error) {
	switch strings.ToLower(s) {
	case "identity", "":
		return policy.Identity, nil
	case "resource":
		return policy.Resource, nil
	case "trust":
		return policy.Trust, nil
	case "boundary":
		return policy.Boundary, nil
	case "session":
		return policy.Session, nil
	}
	return 0, fmt.Errorf("--type must be identity, resource, trust, boundary or session, not %q", s)
}

func policyValidate(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("policy validate", stderr)
	kindFlag := fs.String("type", "identity", "policy type: identity, resource, trust, boundary, session")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: warden policy validate [--type identity] FILE")
	}
	kind, err := parseKind(*kindFlag)
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if _, err := policy.Parse(doc, kind); err != nil {
		fmt.Fprintf(stdout, "ERROR MalformedPolicyDocument: %v\n", err)
		return errFindings
	}
	if err := policy.CheckSize(doc, kind); err != nil {
		fmt.Fprintf(stdout, "ERROR LimitExceeded: %v\n", err)
		return errFindings
	}
	fmt.Fprintf(stdout, "OK: a valid %s policy of %d characters (not counting white space)\n", kind, policy.Size(doc))
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func policyEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var policies, boundaries, contexts multiFlag
	fs.Var(&policies, "policy", "identity-based policy file (repeatable)")
	fs.Var(&boundaries, "boundary", "permissions boundary policy file")
	fs.Var(&contexts, "context", "condition key=value (repeatable; repeat a key for several values)")
	action := fs.String("action", "", "action, e.g. iam:CreateUser")
	resource := fs.String("resource", "*", "resource ARN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *action == "" || len(policies) == 0 {
		return errors.New("usage: warden policy eval --policy FILE... --action ACTION [--resource ARN] [--boundary FILE] [--context key=value...]")
	}
	load := func(files []string, kind policy.Kind) (*policy.Set, error) {
		var named []policy.Named
		for _, f := range files {
			doc, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			p, err := policy.Parse(doc, kind)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			named = append(named, policy.Named{Name: f, Policy: p})
		}
		return policy.Compile(named...), nil
	}
	in := policy.Input{}
	var err error
	if in.Identity, err = load(policies, policy.Identity); err != nil {
		return err
	}
	if len(boundaries) > 0 {
		if in.Boundary, err = load(boundaries, policy.Boundary); err != nil {
			return err
		}
	}
	req := policy.Request{Action: *action, Resource: *resource}
	for _, kv := range contexts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--context %q: want key=value", kv)
		}
		req.Context.Add(k, v)
	}
	res := policy.Evaluate(&in, &req)
	fmt.Fprintf(stdout, "%s\n", res.Decision)
	for _, m := range res.Deciding() {
		sid := ""
		if m.Sid != "" {
			sid = " (Sid " + m.Sid + ")"
		}
		fmt.Fprintf(stdout, "  %s %s statement %d%s: %s\n", m.Kind, m.PolicyName, m.Statement, sid, m.Effect)
	}
	if res.Decision == policy.ImplicitDeny {
		fmt.Fprintf(stdout, "  no %s policy allows %s on %s\n", strings.ToLower(res.Missing.String()), *action, *resource)
	}
	return nil
}
