package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
)

func newPrivateKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// TestE2ESAMLEncryptedAssertions: a SAML provider with private keys
// decrypts encrypted assertions; Required refuses plaintext ones; keys are
// never returned, at most two, rotated by adding and then removing; and
// the key material is not in the data directory in clear.
func TestE2ESAMLEncryptedAssertions(t *testing.T) {
	s := startServer(t, nil, nil)
	ctx := context.Background()
	c := s.root()
	idp := samltest.New(t, "https://idp.example.com/metadata")
	key1, pem1 := newPrivateKey(t)
	key2, pem2 := newPrivateKey(t)
	_, pem3 := newPrivateKey(t)

	out := res(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata(time.Time{})),
		AddPrivateKey: aws.String(pem1), AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired})).must(t)
	providerARN := aws.ToString(out.SAMLProviderArn)
	got := res(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})).must(t)
	if got.AssertionEncryptionMode != types.AssertionEncryptionModeTypeRequired || len(got.PrivateKeyList) != 1 ||
		!regexp.MustCompile(`^[A-Z0-9]{22}$`).MatchString(aws.ToString(got.PrivateKeyList[0].KeyId)) || got.PrivateKeyList[0].Timestamp == nil {
		t.Fatalf("GetSAMLProvider = %+v", got)
	}
	firstKeyID := aws.ToString(got.PrivateKeyList[0].KeyId)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithSAML"}]}`
	roleARN := aws.ToString(res(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Dev"), AssumeRolePolicyDocument: aws.String(trust)})).must(t).Role.Arn)
	a := func(subject string) samltest.Assertion {
		return samltest.Assertion{NameID: subject, Recipient: samlSignin, Attributes: map[string][]string{
			saml.AttrRole: {roleARN + "," + providerARN}, saml.AttrRoleSessionName: {"alice"}}}
	}
	assume := func(resp string) error {
		_, err := s.anonSTS().AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(providerARN),
			SAMLAssertion: aws.String(resp)})
		return err
	}
	for _, enc := range []samltest.Encryption{
		{Key: &key1.PublicKey},
		{Key: &key1.PublicKey, Data: saml.AlgAES128CBC},
		{Key: &key1.PublicKey, Data: saml.AlgAES128GCM, Transport: saml.AlgRSAOAEP, SHA256: true},
	} {
		if err := assume(idp.EncryptedResponse(t, a("alice@example.com"), samltest.SignAssertion, enc)); err != nil {
			t.Fatalf("encrypted (%s): %v", enc.Data, err)
		}
	}
	wantErr(t, assume(idp.Response(t, a("bob@example.com"), samltest.SignAssertion)), "InvalidIdentityToken", 400) // Required

	// Rotation: a second key; a third is over the quota; then the first goes.
	res(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, AddPrivateKey: aws.String(pem2)})).must(t)
	_, err := c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, AddPrivateKey: aws.String(pem3)})
	wantErr(t, err, "LimitExceeded", 409)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, AddPrivateKey: aws.String("not a key")})
	wantErr(t, err, "InvalidInput", 400)
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, RemovePrivateKey: aws.String("ABCDEFGHIJKLMNOPQRSTUV")})
	wantErr(t, err, "NoSuchEntity", 404)
	res(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, RemovePrivateKey: aws.String(firstKeyID)})).must(t)
	got = res(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})).must(t)
	if len(got.PrivateKeyList) != 1 || aws.ToString(got.PrivateKeyList[0].KeyId) == firstKeyID {
		t.Fatalf("after rotation: %+v", got.PrivateKeyList)
	}
	wantErr(t, assume(idp.EncryptedResponse(t, a("carol@example.com"), samltest.SignAssertion, samltest.Encryption{Key: &key1.PublicKey})), "InvalidIdentityToken", 400)
	if err := assume(idp.EncryptedResponse(t, a("dave@example.com"), samltest.SignResponse, samltest.Encryption{Key: &key2.PublicKey})); err != nil {
		t.Fatalf("encrypted for the new key: %v", err)
	}
	// The last key cannot go while encryption is required; Allowed takes
	// plaintext again.
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, RemovePrivateKey: got.PrivateKeyList[0].KeyId})
	wantErr(t, err, "InvalidInput", 400)
	res(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, AssertionEncryptionMode: types.AssertionEncryptionModeTypeAllowed})).must(t)
	if err := assume(idp.Response(t, a("erin@example.com"), samltest.SignAssertion)); err != nil {
		t.Fatalf("plaintext with Allowed: %v", err)
	}

	// At rest the keys are sealed: neither the PEM nor the key's DER is in
	// any file of the data directory.
	der1, _ := x509.MarshalPKCS8PrivateKey(key2)
	pkcs1 := x509.MarshalPKCS1PrivateKey(key2)
	filepath.Walk(s.Data, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, secret := range [][]byte{[]byte(pem2[40:100]), der1[40:100], pkcs1[40:100]} {
			if bytes.Contains(b, secret) {
				t.Errorf("%s holds the private key in clear", path)
			}
		}
		return nil
	})
}
