package main

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
)

const samlSignin = "https://signin.aws.amazon.com/saml"

// samlSetup registers a test IdP as SAML provider Corp and creates role
// Dev that trusts it for subjects in example.com, may list users only with
// the session tag dept=eng.
func samlSetup(tb testing.TB, s *server) (idp *samltest.IdP, providerARN, roleARN string) {
	tb.Helper()
	ctx := context.Background()
	c := s.root()
	idp = samltest.New(tb, "https://idp.example.com/metadata")
	out, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata(time.Time{}))})
	if err != nil {
		tb.Fatal(err)
	}
	providerARN = aws.ToString(out.SAMLProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},
		"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],
		"Condition":{"StringEquals":{"saml:aud":"` + samlSignin + `","saml:iss":"https://idp.example.com/metadata","saml:sub_type":"persistent"},
		"StringLike":{"saml:sub":"*@example.com"}}}]}`
	role, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
	if err != nil {
		tb.Fatal(err)
	}
	perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalTag/dept":"eng"}}}]}`
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Dev"), PolicyName: aws.String("list"), PolicyDocument: aws.String(perms)}); err != nil {
		tb.Fatal(err)
	}
	return idp, providerARN, aws.ToString(role.Role.Arn)
}

func samlAssertion(roleARN, providerARN, subject string) samltest.Assertion {
	return samltest.Assertion{NameID: subject, Recipient: samlSignin, Attributes: map[string][]string{
		saml.AttrRole:                      {roleARN + "," + providerARN},
		saml.AttrRoleSessionName:           {"alice"},
		saml.AttrSessionDuration:           {"1800"},
		saml.AttrTagPrefix + "dept":        {"eng"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": {"staff"},
	}}
}

func TestE2EAssumeRoleWithSAML(t *testing.T) {
	s := startServer(t, nil, nil)
	idp, providerARN, roleARN := samlSetup(t, s)
	ctx := context.Background()
	anon := s.anonSTS()
	assume := func(resp string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(providerARN),
			SAMLAssertion: aws.String(resp)})
	}

	resp := idp.Response(t, samlAssertion(roleARN, providerARN, "alice@example.com"), samltest.SignAssertion)
	out := res(assume(resp)).must(t)
	want := "arn:aws:sts::" + testAccount + ":assumed-role/Dev/alice"
	if aws.ToString(out.AssumedRoleUser.Arn) != want || aws.ToString(out.Subject) != "alice@example.com" ||
		aws.ToString(out.SubjectType) != "persistent" || aws.ToString(out.Issuer) != idp.EntityID ||
		aws.ToString(out.Audience) != samlSignin || aws.ToString(out.NameQualifier) != saml.NameQualifier(idp.EntityID, testAccount, "Corp") {
		t.Fatalf("AssumeRoleWithSAML = %+v", out)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 31*time.Minute || d < 29*time.Minute {
		t.Errorf("session lasts %v, want the SessionDuration attribute's 30 minutes", d)
	}
	who := res(s.stsAs(out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(who.Arn) != want {
		t.Errorf("caller = %s, want %s", aws.ToString(who.Arn), want)
	}
	res(s.iamAs(out.Credentials).ListUsers(ctx, &iam.ListUsersInput{})).must(t) // the dept=eng session tag

	// The same assertion again is a replay.
	_, err := assume(resp)
	wantErr(t, err, "InvalidIdentityToken", 400)

	// A response signed as a whole works too.
	res(assume(idp.Response(t, samlAssertion(roleARN, providerARN, "bob@example.com"), samltest.SignResponse))).must(t)

	other := samltest.New(t, idp.EntityID)
	wrapped := idp.ResponseElement(t, samlAssertion(roleARN, providerARN, "carol@example.com"), samltest.SignAssertion)
	signed := wrapped.FindElement("./Assertion")
	wrapped.RemoveChild(signed)
	wrapped.CreateElement("samlp:Extensions").AddChild(signed)
	evil := signed.Copy()
	evil.FindElement(".//NameID").SetText("mallory@example.com")
	wrapped.AddChild(evil)
	expired := samlAssertion(roleARN, providerARN, "dave@example.com")
	expired.NotBefore, expired.NotOnOrAfter = time.Now().Add(-time.Hour), time.Now().Add(-30*time.Minute)
	wrongAud := samlAssertion(roleARN, providerARN, "erin@example.com")
	wrongAud.Audience = "https://elsewhere.example.com"
	noRole := samlAssertion(roleARN, providerARN, "frank@example.com")
	noRole.Attributes[saml.AttrRole] = []string{"arn:aws:iam::" + testAccount + ":role/Admin," + providerARN}
	outsider := samlAssertion(roleARN, providerARN, "gina@evil.example.org")

	for _, tc := range []struct {
		name, resp, code string
		status           int
	}{
		{"unsigned", idp.Response(t, samlAssertion(roleARN, providerARN, "h@example.com"), samltest.SignNothing), "InvalidIdentityToken", 400},
		{"other key", other.Response(t, samlAssertion(roleARN, providerARN, "i@example.com"), samltest.SignAssertion), "InvalidIdentityToken", 400},
		{"wrapped", samlEncode(t, wrapped), "InvalidIdentityToken", 400},
		{"expired", idp.Response(t, expired, samltest.SignAssertion), "ExpiredTokenException", 400},
		{"wrong audience", idp.Response(t, wrongAud, samltest.SignAssertion), "InvalidIdentityToken", 400},
		{"role not in the assertion", idp.Response(t, noRole, samltest.SignAssertion), "AccessDenied", 403},
		{"subject the trust policy refuses", idp.Response(t, outsider, samltest.SignAssertion), "AccessDenied", 403},
		{"tampered", strings.Replace(idp.Response(t, samlAssertion(roleARN, providerARN, "j@example.com"), samltest.SignAssertion), "A", "B", 1), "InvalidIdentityToken", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assume(tc.resp)
			wantErr(t, err, tc.code, tc.status)
		})
	}
	_, err = anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
		PrincipalArn: aws.String("arn:aws:iam::" + testAccount + ":saml-provider/Nobody"), SAMLAssertion: aws.String(resp)})
	wantErr(t, err, "InvalidIdentityToken", 400)

	// The real aws CLI, which sends the request unsigned.
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, awsCLI, "sts", "assume-role-with-saml", "--endpoint-url", s.URL, "--role-arn", roleARN,
		"--principal-arn", providerARN, "--saml-assertion", idp.Response(t, samlAssertion(roleARN, providerARN, "kim@example.com"), samltest.SignAssertion),
		"--query", "AssumedRoleUser.Arn", "--output", "text")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts assume-role-with-saml: %v\n%s", err, got)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Errorf("aws CLI: %q, want %s", got, want)
	}
}

func samlEncode(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// TestSAMLReplayAcrossNodes exchanges an assertion on one node of a
// PostgreSQL deployment and replays it on the other, which refuses it: the
// used-assertion records live in the shared store.
func TestSAMLReplayAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	idp, providerARN, roleARN := samlSetup(t, a)
	resp := idp.Response(t, samlAssertion(roleARN, providerARN, "alice@example.com"), samltest.SignAssertion)
	in := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(providerARN), SAMLAssertion: aws.String(resp)}
	res(a.anonSTS().AssumeRoleWithSAML(ctx, in)).must(t)
	_, err := b.anonSTS().AssumeRoleWithSAML(ctx, in)
	wantErr(t, err, "InvalidIdentityToken", 400)
	// A fresh assertion is fine on the other node.
	in.SAMLAssertion = aws.String(idp.Response(t, samlAssertion(roleARN, providerARN, "alice@example.com"), samltest.SignAssertion))
	res(b.anonSTS().AssumeRoleWithSAML(ctx, in)).must(t)
}
