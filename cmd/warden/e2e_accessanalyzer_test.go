package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/warden-iam/warden/validate"
)

// analyzerCLI runs `aws accessanalyzer ARGS...` with the given credentials
// and an empty CLI configuration, and returns its standard output, standard
// error and exit error.
func analyzerCLI(t *testing.T, s *server, keyID, secret string, args ...string) (string, string, error) {
	t.Helper()
	home := t.TempDir()
	config := filepath.Join(home, "config")
	credentials := filepath.Join(home, "credentials")
	for _, f := range []string{config, credentials} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"accessanalyzer"}, append(args, "--endpoint-url", s.URL, "--output", "json")...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentials,
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// corpusArgs are the CLI's policy type arguments for a corpus file, by the
// prefix of its name (see validate's corpus test).
func corpusArgs(name string) []string {
	switch {
	case strings.HasPrefix(name, "resource-"):
		return []string{"--policy-type", "RESOURCE_POLICY"}
	case strings.HasPrefix(name, "trust-"):
		return []string{"--policy-type", "RESOURCE_POLICY", "--validate-policy-resource-type", "AWS::IAM::AssumeRolePolicyDocument"}
	case strings.HasPrefix(name, "scp-"):
		return []string{"--policy-type", "SERVICE_CONTROL_POLICY"}
	case strings.HasPrefix(name, "rcp-"):
		return []string{"--policy-type", "RESOURCE_CONTROL_POLICY"}
	}
	return []string{"--policy-type", "IDENTITY_POLICY"}
}

// TestAccessAnalyzerCLI validates the corpus of good and bad policies of
// validate/testdata/policies through the real aws CLI and compares every
// finding — type, code, details, path and span — with the expected findings
// next to each policy.
func TestAccessAnalyzerCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s (apt-get install awscli, or run ./scripts/test.sh): %v", awsCLI, err)
	}
	s := startServer(t, nil, nil)
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), "validate", "testdata", "policies", "*.json"))
	if err != nil || len(files) < 15 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"validate-policy", "--policy-document", "file://" + file}, corpusArgs(name)...)
			if name == "bad-conditions" {
				// Many findings: let the CLI page through them one by one.
				args = append(args, "--page-size", "1")
			}
			stdout, stderr, err := analyzerCLI(t, s, rootKeyID, rootSecret, args...)
			if err != nil {
				t.Fatalf("aws accessanalyzer validate-policy: %v\n%s\n--- server log\n%s", err, stderr, s.Stderr)
			}
			var out struct {
				Findings []validate.Finding `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("output is not the findings: %v\n%s", err, stdout)
			}
			var got []string
			for _, f := range out.Findings {
				got = append(got, f.String())
				if !strings.HasPrefix(f.LearnMoreLink, "https://docs.aws.amazon.com/") {
					t.Errorf("%s: learnMoreLink %q", f.IssueCode, f.LearnMoreLink)
				}
			}
			raw, err := os.ReadFile(strings.TrimSuffix(file, ".json") + ".findings")
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			if text := strings.TrimSpace(string(raw)); text != "" {
				want = strings.Split(text, "\n")
			}
			if !slices.Equal(got, want) {
				t.Errorf("findings through the CLI differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// TestAccessAnalyzerCLIErrors checks the errors the CLI shows: unknown keys,
// bad signatures, callers without permission and bad input.
func TestAccessAnalyzerCLIErrors(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s: %v", awsCLI, err)
	}
	s := startServer(t, nil, nil)
	ctx := context.Background()
	root := s.root()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nobody")}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	tests := []struct {
		name, keyID, secret string
		args                []string
		want                string
	}{
		{"unknown key", "AKIANOSUCHKEY0000000", rootSecret, nil,
			"An error occurred (UnrecognizedClientException) when calling the ValidatePolicy operation: The security token included in the request is invalid."},
		{"wrong secret", rootKeyID, "wrong" + rootSecret[5:], nil, "An error occurred (InvalidSignatureException)"},
		{"no permission", *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, nil,
			"An error occurred (AccessDeniedException) when calling the ValidatePolicy operation: User: arn:aws:iam::" + testAccount +
				":user/nobody is not authorized to perform: access-analyzer:ValidatePolicy on resource: *"},
		{"bad type", rootKeyID, rootSecret, []string{"--policy-type", "FRIENDLY_POLICY"},
			"An error occurred (ValidationException) when calling the ValidatePolicy operation: 1 validation error detected: Value 'FRIENDLY_POLICY' at 'policyType'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"validate-policy", "--policy-document", doc}
			if tt.args != nil {
				args = append(args, tt.args...)
			} else {
				args = append(args, "--policy-type", "IDENTITY_POLICY")
			}
			_, stderr, err := analyzerCLI(t, s, tt.keyID, tt.secret, args...)
			if err == nil || !strings.Contains(stderr, tt.want) {
				t.Errorf("err %v, stderr:\n%s\nwant %q", err, stderr, tt.want)
			}
		})
	}
	// Once allowed, the same user can validate.
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("analyze"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"access-analyzer:ValidatePolicy","Resource":"*"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		stdout, stderr, err := analyzerCLI(t, s, *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey,
			"validate-policy", "--policy-document", doc, "--policy-type", "IDENTITY_POLICY")
		if err == nil {
			if !strings.Contains(stdout, `"findings": []`) {
				t.Errorf("output %s", stdout)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused: %v\n%s", err, stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestListPoliciesGrantingServiceAccess answers from the contents of the
// policies of a user, its groups and a role, through the Go SDK.
func TestListPoliciesGrantingServiceAccess(t *testing.T) {
	s := startServer(t, nil, nil)
	ctx := context.Background()
	root := s.root()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/dev/")}))
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")}))
	must(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}))
	must(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("queues"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*"}}`)}))
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("describe"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)}))
	created, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:GetUser","iam:ChangePassword"],"Resource":"*"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: created.Policy.Arn}))
	must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)}))
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("worker"), PolicyName: aws.String("everything-but-iam"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)}))

	list := func(arn string, namespaces ...string) map[string][]string {
		t.Helper()
		out, err := root.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{
			Arn: aws.String(arn), ServiceNamespaces: namespaces})
		if err != nil {
			t.Fatal(err)
		}
		if out.IsTruncated {
			t.Error("truncated")
		}
		got := map[string][]string{}
		for i, e := range out.PoliciesGrantingServiceAccess {
			if aws.ToString(e.ServiceNamespace) != namespaces[i] {
				t.Errorf("entry %d is %s, want %s", i, aws.ToString(e.ServiceNamespace), namespaces[i])
			}
			names := []string{}
			for _, p := range e.Policies {
				desc := aws.ToString(p.PolicyName) + " " + string(p.PolicyType)
				if p.PolicyType == iamtypes.PolicyTypeInline {
					desc += " " + string(p.EntityType) + " " + aws.ToString(p.EntityName)
				} else {
					desc += " " + aws.ToString(p.PolicyArn)
				}
				names = append(names, desc)
			}
			got[aws.ToString(e.ServiceNamespace)] = names
		}
		return got
	}
	alice := "arn:aws:iam::" + testAccount + ":user/dev/alice"
	got := list(alice, "s3", "ec2", "iam", "sqs", "dynamodb")
	want := map[string][]string{
		// The user's Deny of s3:* does not change which policies grant s3.
		"s3":       {"AmazonS3ReadOnlyAccess MANAGED arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		"ec2":      {"describe INLINE USER alice"},
		"iam":      {"self MANAGED " + aws.ToString(created.Policy.Arn)},
		"sqs":      {"queues INLINE GROUP readers"},
		"dynamodb": {},
	}
	for ns, w := range want {
		if !slices.Equal(got[ns], w) {
			t.Errorf("%s: %v, want %v", ns, got[ns], w)
		}
	}
	got = list("arn:aws:iam::"+testAccount+":group/readers", "s3", "ec2")
	if len(got["s3"]) != 1 || len(got["ec2"]) != 0 {
		t.Errorf("group: %v", got)
	}
	got = list("arn:aws:iam::"+testAccount+":role/worker", "s3", "iam")
	if !slices.Equal(got["s3"], []string{"everything-but-iam INLINE ROLE worker"}) || len(got["iam"]) != 0 {
		t.Errorf("role: %v", got)
	}

	for _, tt := range []struct{ arn, code string }{
		{"arn:aws:iam::" + testAccount + ":user/alice", "NoSuchEntity"}, // wrong path
		{"arn:aws:iam::" + testAccount + ":user/nobody", "NoSuchEntity"},
		{"arn:aws:iam::" + testAccount + ":policy/self", "InvalidInput"},
		{"arn:aws:s3:::example-bucket-name", "InvalidInput"},
		{"not-an-arn", "ValidationError"}, // shorter than the model's minimum
	} {
		_, err := root.ListPoliciesGrantingServiceAccess(ctx, &iam.ListPoliciesGrantingServiceAccessInput{
			Arn: aws.String(tt.arn), ServiceNamespaces: []string{"s3"}})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code {
			t.Errorf("%s: %v, want %s", tt.arn, err, tt.code)
		}
	}
}

// TestPolicyValidateAndSummaryCommands runs `warden policy validate` and
// `warden policy summary` on files of the corpus.
func TestPolicyValidateAndSummaryCommands(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "validate", "testdata", "policies")
	runCmd := func(args ...string) (string, error) {
		t.Helper()
		var stdout, stderr strings.Builder
		err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr, nil)
		return stdout.String() + stderr.String(), err
	}

	out, err := runCmd("policy", "validate", filepath.Join(dir, "bad-actions.json"))
	if !errors.Is(err, errFindings) || !strings.Contains(out, "ERROR INVALID_ACTION 7:9 Statement[0].Action[0]: The action s3:GetObjekt does not exist. Did you mean s3:GetObject?") {
		t.Errorf("bad policy: %v\n%s", err, out)
	}
	out, err = runCmd("policy", "validate", filepath.Join(dir, "bad-passrole.json"))
	if err != nil || !strings.Contains(out, "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE 7:19 Statement[0].Resource") {
		t.Errorf("warnings only must succeed: %v\n%s", err, out)
	}
	out, err = runCmd("policy", "validate", filepath.Join(dir, "good-s3-read.json"))
	if err != nil || !strings.HasPrefix(out, "OK: no findings for this identity policy") {
		t.Errorf("good policy: %v\n%s", err, out)
	}
	out, err = runCmd("policy", "validate", "--type", "trust", filepath.Join(dir, "trust-role.json"))
	if err != nil || !strings.HasPrefix(out, "OK") {
		t.Errorf("trust policy: %v\n%s", err, out)
	}
	out, err = runCmd("policy", "validate", "--type", "scp", "--format", "json", filepath.Join(dir, "scp-principal.json"))
	var parsed struct{ Findings []validate.Finding }
	if !errors.Is(err, errFindings) || json.Unmarshal([]byte(out[:strings.LastIndexByte(out, '}')+1]), &parsed) != nil ||
		len(parsed.Findings) != 1 || parsed.Findings[0].IssueCode != "SCP_SYNTAX_ERROR_PRINCIPAL" {
		t.Errorf("json: %v\n%s", err, out)
	}
	if _, err := runCmd("policy", "validate", "--type", "friendly", filepath.Join(dir, "good-s3-read.json")); err == nil {
		t.Error("unknown --type accepted")
	}

	out, err = runCmd("policy", "summary", filepath.Join(dir, "good-s3-read.json"))
	if err != nil || !strings.HasPrefix(out, "Allow (1 of ") ||
		!strings.Contains(out, "Amazon S3 (s3): Limited: List (1 of ") ||
		!strings.Contains(out, "resources: arn:aws:s3:::example-bucket, arn:aws:s3:::example-bucket/home/${aws:username}/*; with conditions") {
		t.Errorf("summary: %v\n%s", err, out)
	}
	admin := filepath.Join(t.TempDir(), "admin.json")
	if err := os.WriteFile(admin, []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd("policy", "summary", admin)
	if err != nil || !strings.Contains(out, "every service: Full access") {
		t.Errorf("summary of AdministratorAccess: %v\n%s", err, out)
	}
	out, err = runCmd("policy", "summary", "--format", "json", admin)
	var sum validate.Summary
	if err != nil || json.Unmarshal([]byte(out), &sum) != nil || len(sum.Allow) != sum.Services || sum.Services < 400 {
		t.Errorf("summary json: %v, %d of %d services", err, len(sum.Allow), sum.Services)
	}
}
