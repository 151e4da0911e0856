package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/oidc/oidctest"
)

// wiSetup registers the test issuer as an OIDC provider of the test account
// and creates role ci-deploy that trusts it for one subject, with session
// tags, and may list users only with the session tag team=ci.
func wiSetup(tb testing.TB, s *server, iss *oidctest.Issuer) (providerARN, roleARN string) {
	tb.Helper()
	ctx := context.Background()
	c := s.root()
	out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(iss.URL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{iss.Thumbprint}})
	if err != nil {
		tb.Fatal(err)
	}
	providerARN = aws.ToString(out.OpenIDConnectProviderArn)
	host := strings.TrimPrefix(iss.URL, "https://")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},
		"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
		"Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com","aws:FederatedProvider":"` + providerARN + `"},
		"StringLike":{"` + host + `:sub":"repo:octo/app:*"}}}]}`
	role, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ci-deploy"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		tb.Fatal(err)
	}
	perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalTag/team":"ci"}}}]}`
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ci-deploy"), PolicyName: aws.String("list"), PolicyDocument: aws.String(perms)}); err != nil {
		tb.Fatal(err)
	}
	return providerARN, aws.ToString(role.Role.Arn)
}

// anonSTS is an STS client without credentials: AssumeRoleWithWebIdentity
// is not signed.
func (s *server) anonSTS() *sts.Client {
	cfg := s.config("", "", "")
	cfg.Credentials = aws.AnonymousCredentials{}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

func TestE2EAssumeRoleWithWebIdentity(t *testing.T) {
	s := startServer(t, nil, nil)
	iss := oidctest.New(t)
	providerARN, roleARN := wiSetup(t, s, iss)
	ctx := context.Background()
	anon := s.anonSTS()
	assume := func(token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("build-42"), WebIdentityToken: aws.String(token)})
	}

	claims := iss.Claims("repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com")
	claims["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string]any{"team": []string{"ci"}}}
	out := res(assume(iss.Sign(t, claims))).must(t)
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/ci-deploy/build-42"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.SubjectFromWebIdentityToken) != "repo:octo/app:ref:refs/heads/main" ||
		aws.ToString(out.Provider) != providerARN || aws.ToString(out.Audience) != "sts.amazonaws.com" ||
		!strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
		t.Fatalf("AssumeRoleWithWebIdentity = %+v %+v", out, out.AssumedRoleUser)
	}
	who := res(s.stsAs(out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(who.Arn) != wantARN {
		t.Errorf("caller = %s, want %s", aws.ToString(who.Arn), wantARN)
	}
	// The session tag from the token's tags claim reaches the role's policy.
	res(s.iamAs(out.Credentials).ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	untagged := res(assume(iss.Token(t, "repo:octo/app:ref:refs/heads/dev", "sts.amazonaws.com"))).must(t)
	_, err := s.iamAs(untagged.Credentials).ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "AccessDenied", 403)

	// Key rotation at the issuer.
	iss.Rotate(t, jose.ES256)
	res(assume(iss.Token(t, "repo:octo/app:pull/1", "sts.amazonaws.com"))).must(t)

	other := oidctest.New(t)
	for _, tc := range []struct {
		name, token, code string
		status            int
	}{
		{"subject the trust policy refuses", iss.Token(t, "repo:evil/app:ref:refs/heads/main", "sts.amazonaws.com"), "AccessDenied", 403},
		{"wrong audience", iss.Token(t, "repo:octo/app:x", "someone-else"), "InvalidIdentityToken", 400},
		{"expired", iss.Sign(t, map[string]any{"iss": iss.URL, "sub": "repo:octo/app:x", "aud": "sts.amazonaws.com",
			"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}), "ExpiredTokenException", 400},
		{"alg none", oidctest.Unsigned("none", iss.Claims("repo:octo/app:x", "sts.amazonaws.com")), "InvalidIdentityToken", 400},
		{"tampered", tamper(iss.Token(t, "repo:octo/app:x", "sts.amazonaws.com")), "InvalidIdentityToken", 400},
		{"unknown issuer", other.Token(t, "repo:octo/app:x", "sts.amazonaws.com"), "InvalidIdentityToken", 400},
		{"not a token", "not-a-token", "InvalidIdentityToken", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assume(tc.token)
			wantErr(t, err, tc.code, tc.status)
		})
	}
	// A role that does not exist is refused like one that does not trust.
	_, err = anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/nope"),
		RoleSessionName: aws.String("x1"), WebIdentityToken: aws.String(iss.Token(t, "repo:octo/app:x", "sts.amazonaws.com"))})
	wantErr(t, err, "AccessDenied", 403)
	// Other actions still need a signature.
	_, err = anon.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "MissingAuthenticationToken", 403)
}

// tamper changes the payload of a token, keeping its signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2]
}

// TestE2EWebIdentityCredentialProviders drives the credential providers of
// pods and CI jobs: aws-sdk-go-v2's web identity provider reading the token
// file (AWS_WEB_IDENTITY_TOKEN_FILE), and the real aws CLI without
// credentials.
func TestE2EWebIdentityCredentialProviders(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s: %v", awsCLI, err)
	}
	s := startServer(t, nil, nil)
	iss := oidctest.New(t)
	_, roleARN := wiSetup(t, s, iss)
	ctx := context.Background()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(iss.Token(t, "repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com")), 0o600); err != nil {
		t.Fatal(err)
	}

	prov := stscreds.NewWebIdentityRoleProvider(s.anonSTS(), roleARN, stscreds.IdentityTokenFile(tokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "pod-1" })
	cfg := s.config("", "", "")
	cfg.Credentials = aws.NewCredentialsCache(prov)
	who := res(sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/ci-deploy/pod-1"; aws.ToString(who.Arn) != want {
		t.Errorf("SDK provider: caller = %s, want %s", aws.ToString(who.Arn), want)
	}

	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// Debian's botocore reads no AWS_ENDPOINT_URL, so its web identity
	// credential provider cannot be pointed at Warden; the CLI calls the
	// operation itself, unsigned, as the provider does.
	cmd := exec.CommandContext(cctx, awsCLI, "sts", "assume-role-with-web-identity", "--endpoint-url", s.URL,
		"--role-arn", roleARN, "--role-session-name", "cli-job", "--web-identity-token", "file://"+tokenFile,
		"--query", "AssumedRoleUser.Arn", "--output", "text")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts assume-role-with-web-identity: %v\n%s", err, got)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/ci-deploy/cli-job"; strings.TrimSpace(string(got)) != want {
		t.Errorf("aws CLI: caller = %q, want %s", got, want)
	}
}

// BenchmarkAssumeRoleWithWebIdentity measures AssumeRoleWithWebIdentity end
// to end with the issuer's keys cached: the SDK call, token verification,
// the trust policy with the token's claims, and the write of the session.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	s := startServer(b, nil, nil)
	iss := oidctest.New(b)
	_, roleARN := wiSetup(b, s, iss)
	anon := s.anonSTS()
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bench"),
		WebIdentityToken: aws.String(iss.Token(b, "repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com"))}
	ctx := context.Background()
	if _, err := anon.AssumeRoleWithWebIdentity(ctx, in); err != nil { // fetches and caches the keys
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := anon.AssumeRoleWithWebIdentity(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	if n := iss.JWKSFetches.Load(); n != 1 {
		b.Errorf("key set fetched %d times, want 1", n)
	}
}
