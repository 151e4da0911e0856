package main

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/oidc"
)

// TestE2EOutboundWebIdentityFederation shows Warden as an OIDC issuer: a
// user of one account gets a token with GetWebIdentityToken, and another
// account that registered the first one's issuer exchanges it for role
// credentials with AssumeRoleWithWebIdentity. The issuer is reached over
// HTTPS through a TLS front (its certificate trusted by thumbprint), as a
// deployment behind a TLS-terminating proxy would be.
func TestE2EOutboundWebIdentityFederation(t *testing.T) {
	var backend atomic.Value
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := url.Parse(backend.Load().(string))
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	defer front.Close()
	s := startServer(t, []string{"--issuer-url", front.URL}, nil)
	backend.Store(s.URL)
	ctx := context.Background()
	root := s.root()

	_, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantErr(t, err, "FeatureDisabled", 404)
	en := res(root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})).must(t)
	issuerURL := aws.ToString(en.IssuerIdentifier)
	if !strings.HasPrefix(issuerURL, front.URL+"/oidc/"+testAccount+"/") {
		t.Fatalf("issuer = %s", issuerURL)
	}
	_, err = root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	wantErr(t, err, "FeatureEnabled", 409)
	info := res(root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})).must(t)
	if !info.JwtVendingEnabled || aws.ToString(info.IssuerIdentifier) != issuerURL {
		t.Errorf("info = %+v", info)
	}

	// The published key set holds public keys only.
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := insecure.Get(issuerURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(jwks), `"kty":"RSA"`) || !strings.Contains(string(jwks), `"kty":"EC"`) || strings.Contains(string(jwks), `"d":`) {
		t.Fatalf("JWKS %d: %s", resp.StatusCode, jwks)
	}

	// A user of account A with sts:GetWebIdentityToken.
	key, _ := userWithKey(t, s, "builder")
	putUserPolicyDoc(t, root, "builder", "tokens", stsDoc(stsAllow("*", "sts:GetWebIdentityToken")))
	builder := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))

	// Account B trusts A's issuer for that user.
	rootB, _ := secondAccount(t, s, otherAccount)
	prov := res(rootB.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuerURL),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{oidc.Thumbprint(front.Certificate())}})).must(t)
	issuer := strings.TrimPrefix(issuerURL, "https://")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(prov.OpenIDConnectProviderArn) + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + issuer + `:sub":"arn:aws:iam::` + testAccount + `:user/builder"}}}]}`
	role := stsRole(t, rootB, "FromA", trust, stsDoc(stsAllow("*", "iam:ListRoles")))

	for _, alg := range []string{"RS256", "ES384"} {
		tok, err := builder.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"sts.amazonaws.com"}, SigningAlgorithm: aws.String(alg)})
		if err != nil {
			t.Fatalf("GetWebIdentityToken %s: %v", alg, err)
		}
		if d := time.Until(aws.ToTime(tok.Expiration)); d > 301*time.Second || d < 280*time.Second {
			t.Errorf("token lasts %v, want 5 minutes", d)
		}
		out, err := s.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
			RoleSessionName: aws.String("from-a"), WebIdentityToken: tok.WebIdentityToken})
		if err != nil {
			t.Fatalf("AssumeRoleWithWebIdentity with %s token: %v", alg, err)
		}
		if want := "arn:aws:sts::" + otherAccount + ":assumed-role/FromA/from-a"; aws.ToString(out.AssumedRoleUser.Arn) != want {
			t.Errorf("assumed %s, want %s", aws.ToString(out.AssumedRoleUser.Arn), want)
		}
	}
	_, err = builder.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"x"}, SigningAlgorithm: aws.String("HS256")})
	wantErr(t, err, "ValidationError", 400)

	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = builder.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"sts.amazonaws.com"}, SigningAlgorithm: aws.String("RS256")})
	wantErr(t, err, "OutboundWebIdentityFederationDisabledException", 403)
}
