package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/oidc/oidctest"
)

// awsCLIWithEndpointURL finds an aws CLI that reads AWS_ENDPOINT_URL
// (aws-cli 1.29+ or 2.13+): the one on PATH, then Debian's. It returns the
// program and the environment it needs (a pyenv shim needs PYENV_ROOT).
func awsCLIWithEndpointURL(t *testing.T) (string, []string) {
	t.Helper()
	var tried []string
	candidates := []string{awsCLI}
	if p, err := exec.LookPath("aws"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	// pip's aws CLI under pyenv, also when PATH does not name the shims.
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".pyenv", "shims", "aws"))
	}
	for _, p := range candidates {
		var env []string
		if dir, ok := strings.CutSuffix(filepath.Dir(p), "/shims"); ok {
			env = append(env, "PYENV_ROOT="+dir)
		}
		cmd := exec.Command(p, "--version")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
		out, err := cmd.CombinedOutput()
		m := regexp.MustCompile(`aws-cli/(\d+)\.(\d+)\.`).FindSubmatch(out)
		tried = append(tried, p+": "+strings.TrimSpace(string(out)))
		if err != nil || m == nil {
			continue
		}
		major, _ := strconv.Atoi(string(m[1]))
		minor, _ := strconv.Atoi(string(m[2]))
		if major == 1 && minor >= 29 || major == 2 && minor >= 13 || major > 2 {
			return p, env
		}
	}
	t.Fatalf("no aws CLI that reads AWS_ENDPOINT_URL (aws-cli 1.29+ or 2.13+; pip install awscli): %s", strings.Join(tried, "; "))
	return "", nil
}

// TestE2EAWSCLIWebIdentityProvider runs the real aws CLI as a pod or a CI
// job does: no credentials, only AWS_WEB_IDENTITY_TOKEN_FILE,
// AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME, with AWS_ENDPOINT_URL at Warden.
// The CLI's own web identity credential provider exchanges the token (from
// the test OIDC issuer) for the role's credentials and signs with them.
func TestE2EAWSCLIWebIdentityProvider(t *testing.T) {
	cli, cliEnv := awsCLIWithEndpointURL(t)
	s := startServer(t, nil, nil)
	iss := oidctest.New(t)
	_, roleARN := wiSetup(t, s, iss)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	claims := iss.Claims("repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com")
	claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string]any{"team": []string{"ci"}}}
	if err := os.WriteFile(tokenFile, []byte(iss.Sign(t, claims)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_ENDPOINT_URL=" + s.URL,
			"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + roleARN, "AWS_ROLE_SESSION_NAME=ci-job-7"}, cliEnv...)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	got, err := run("sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, got)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/ci-deploy/ci-job-7"; got != want {
		t.Fatalf("aws sts get-caller-identity = %q, want %s", got, want)
	}
	// An IAM call the role allows (with the token's session tag team=ci) ...
	got, err = run("iam", "list-users", "--query", "length(Users)", "--output", "text")
	if err != nil || got != "0" {
		t.Fatalf("aws iam list-users: %v\n%s", err, got)
	}
	// ... and one it does not: denied as the role session.
	got, err = run("iam", "create-user", "--user-name", "mallory")
	if err == nil || !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "assumed-role/ci-deploy/ci-job-7") {
		t.Fatalf("aws iam create-user as the role: %v\n%s", err, got)
	}
}
