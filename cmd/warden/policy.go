package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/validate"
)

// errFindings makes `warden policy validate` exit non-zero without another message.
var errFindings = errors.New("the policy has errors")

func policyCommand(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	switch sub {
	case "validate":
		return policyValidate(args, stdout, stderr)
	case "summary":
		return policySummary(args, stdout, stderr)
	case "eval":
		return policyEval(args, stdout, stderr)
	}
	return fmt.Errorf("unknown policy command %q (validate, summary, eval)", sub)
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

// validationType maps --type to the kind of policy Access Analyzer checks;
// it knows AWS Organizations' policies besides the kinds IAM stores.
func validationType(s string) (validate.Type, error) {
	switch strings.ToLower(s) {
	case "scp":
		return validate.ServiceControlPolicy, nil
	case "rcp":
		return validate.ResourceControlPolicy, nil
	}
	kind, err := parseKind(s)
	if err != nil {
		return 0, fmt.Errorf("--type must be identity, resource, trust, boundary, session, scp or rcp, not %q", s)
	}
	switch kind {
	case policy.Resource:
		return validate.ResourcePolicy, nil
	case policy.Trust:
		return validate.TrustPolicy, nil
	}
	return validate.IdentityPolicy, nil
}

// policyValidate prints the findings of validate.Document, one a line:
//
//	ERROR INVALID_ACTION 7:17 Statement[0].Action[0]: The action s3:GetObjekt does not exist. ...
//
// (the position is line:column of the first location, columns from 1 as
// editors count them), or the findings as Access Analyzer's JSON with
// --format json. It fails when a finding is an ERROR.
func policyValidate(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("policy validate", stderr)
	typeFlag := fs.String("type", "identity", "policy type: identity, resource, trust, boundary, session, scp, rcp")
	format := fs.String("format", "text", "output format: text or json")
	if err := parseArgs(fs, args, false); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: warden policy validate [--type identity] [--format text|json] FILE")
	}
	typ, err := validationType(*typeFlag)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format must be text or json, not %q", *format)
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	findings := validate.Document(doc, typ)
	if *format == "json" {
		if findings == nil {
			findings = []validate.Finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"findings": findings}); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			loc := f.Locations[0]
			var where strings.Builder
			for _, e := range loc.Path {
				where.WriteString(e.String())
			}
			fmt.Fprintf(stdout, "%s %s %d:%d %s: %s\n", f.FindingType, f.IssueCode, loc.Span.Start.Line,
				loc.Span.Start.Column+1, strings.TrimPrefix(where.String(), "."), f.FindingDetails)
		}
		if len(findings) == 0 {
			fmt.Fprintf(stdout, "OK: no findings for this %s policy of %d characters (not counting white space)\n",
				strings.ToLower(*typeFlag), policy.Size(doc))
		}
	}
	if validate.HasErrors(findings) {
		return errFindings
	}
	return nil
}

// policySummary prints what a policy allows and denies, service by service,
// as the IAM console's policy summary does, or the summary as JSON.
func policySummary(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("policy summary", stderr)
	format := fs.String("format", "text", "output format: text or json")
	if err := parseArgs(fs, args, false); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: warden policy summary [--format text|json] FILE")
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	sum := validate.Summarize(doc)
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	case "text":
	default:
		return fmt.Errorf("--format must be text or json, not %q", *format)
	}
	section := func(title string, services []validate.ServiceSummary) {
		fmt.Fprintf(stdout, "%s (%d of %d services)\n", title, len(services), sum.Services)
		if len(services) == sum.Services && sum.Services > 0 && allFull(services) {
			fmt.Fprintf(stdout, "  every service: Full access\n")
			return
		}
		for _, s := range services {
			var levels []string
			for _, l := range s.Levels {
				if l.Access == validate.Full {
					levels = append(levels, "Full: "+l.Level)
				} else {
					levels = append(levels, fmt.Sprintf("Limited: %s (%d of %d)", l.Level, l.Granted, l.Total))
				}
			}
			access := strings.Join(levels, ", ")
			if s.Full() {
				access = "Full access"
			}
			resources := strings.Join(s.Resources, ", ")
			if resources == "" {
				resources = "none of the policy's resources"
			}
			conditions := "no conditions"
			if s.Conditions {
				conditions = "with conditions"
			}
			fmt.Fprintf(stdout, "  %s (%s): %s; resources: %s; %s\n", s.Name, s.Prefix, access, resources, conditions)
		}
	}
	section("Allow", sum.Allow)
	if len(sum.Deny) > 0 {
		section("Deny", sum.Deny)
	}
	if len(sum.Unrecognized) > 0 {
		fmt.Fprintf(stdout, "Unrecognized actions (they grant nothing): %s\n", strings.Join(sum.Unrecognized, ", "))
	}
	return nil
}

func allFull(services []validate.ServiceSummary) bool {
	for i := range services {
		if !services[i].Full() || len(services[i].Resources) != 1 || services[i].Resources[0] != "All resources" || services[i].Conditions {
			return false
		}
	}
	return true
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func policyEval(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("policy eval", stderr)
	var policies, boundaries, contexts multiFlag
	fs.Var(&policies, "policy", "identity-based policy file (repeatable)")
	fs.Var(&boundaries, "boundary", "permissions boundary policy file")
	fs.Var(&contexts, "context", "condition key=value (repeatable; repeat a key for several values)")
	action := fs.String("action", "", "action, e.g. iam:CreateUser")
	resource := fs.String("resource", "*", "resource ARN")
	if err := parseArgs(fs, args, false); err != nil {
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
