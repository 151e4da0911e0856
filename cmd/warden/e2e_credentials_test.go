package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"
)

// fakeRSAPublicKey is an RSA public key of bits bits. Only the public half is
// ever uploaded, so a random odd modulus stands in for a real key pair and
// tests need not pay for generating primes.
func fakeRSAPublicKey(t *testing.T, bits int) *rsa.PublicKey {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	if err != nil {
		t.Fatal(err)
	}
	n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

func authorizedKey(t *testing.T, pub any) string {
	t.Helper()
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " dev@laptop"
}

// testCert is a certificate with its key, PEM-encoded.
type testCert struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	PEM    string
	KeyPEM string
}

// newCert makes an ECDSA certificate valid from notBefore to notAfter,
// signed by parent (self-signed when nil).
func newCert(t *testing.T, cn string, notBefore, notAfter time.Time, parent *testCert, ca bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: ca, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, DNSNames: []string{cn}}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key,
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))}
}

func validCert(t *testing.T, cn string) *testCert {
	return newCert(t, cn, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), nil, false)
}

func TestE2ESSHPublicKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "dev")
	createUser(t, root, "other")

	body := authorizedKey(t, fakeRSAPublicKey(t, 2048))
	k := res(root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(body)})).must(t).SSHPublicKey
	if id := aws.ToString(k.SSHPublicKeyId); len(id) != 20 || !strings.HasPrefix(id, "APKA") {
		t.Errorf("SSHPublicKeyId = %q, want APKA + 16", id)
	}
	if !regexp.MustCompile(`^([0-9a-f]{2}:){15}[0-9a-f]{2}$`).MatchString(aws.ToString(k.Fingerprint)) {
		t.Errorf("Fingerprint = %q, want an MD5 in colon-separated hex", aws.ToString(k.Fingerprint))
	}
	if k.Status != types.StatusTypeActive || aws.ToString(k.UserName) != "dev" {
		t.Errorf("key = %+v", k)
	}
	recent(t, "UploadDate", k.UploadDate)
	// The body comes back as the ssh-rsa key, without the comment.
	if got := aws.ToString(k.SSHPublicKeyBody); !strings.HasPrefix(body, got) || !strings.HasPrefix(got, "ssh-rsa AAAA") {
		t.Errorf("SSHPublicKeyBody = %q", got)
	}

	get := func(user, id string, enc types.EncodingType) (*types.SSHPublicKey, error) {
		out, err := root.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(id), Encoding: enc})
		if err != nil {
			return nil, err
		}
		return out.SSHPublicKey, nil
	}
	if g := res(get("dev", *k.SSHPublicKeyId, types.EncodingTypeSsh)).must(t); aws.ToString(g.SSHPublicKeyBody) != aws.ToString(k.SSHPublicKeyBody) || aws.ToString(g.Fingerprint) != aws.ToString(k.Fingerprint) {
		t.Errorf("GetSSHPublicKey SSH = %+v", g)
	}
	pemKey := res(get("dev", *k.SSHPublicKeyId, types.EncodingTypePem)).must(t)
	if b := aws.ToString(pemKey.SSHPublicKeyBody); !strings.HasPrefix(b, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("GetSSHPublicKey PEM body = %q", b)
	}
	// The PEM encoding is accepted on upload too, and is the same key.
	_, err := root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: pemKey.SSHPublicKeyBody})
	wantErr(t, err, "DuplicateSSHPublicKey", 400)
	_, err = root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(body)})
	wantErr(t, err, "DuplicateSSHPublicKey", 400)
	// Another user may hold the same key.
	res(root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("other"), SSHPublicKeyBody: pemKey.SSHPublicKeyBody})).must(t)

	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for name, bad := range map[string]string{
		"garbage":        "this is not a key",
		"ed25519":        authorizedKey(t, edPub),
		"truncated":      body[:40],
		"pem of a cert":  validCert(t, "x").PEM,
		"two keys":       body + "\n" + body,
		"private key":    validCert(t, "y").KeyPEM,
		"corrupt base64": "ssh-rsa AAAA!!!!",
	} {
		_, err := root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(bad)})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantErr(t, err, "UnrecognizedPublicKeyEncoding", 400)
	}
	_, err = root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(authorizedKey(t, fakeRSAPublicKey(t, 1024)))})
	wantErr(t, err, "InvalidPublicKey", 400)
	_, err = root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("nobody"), SSHPublicKeyBody: aws.String(body)})
	wantErr(t, err, "NoSuchEntity", 404)

	// Five keys per user.
	for range 4 {
		res(root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(authorizedKey(t, fakeRSAPublicKey(t, 2048)))})).must(t)
	}
	_, err = root.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(authorizedKey(t, fakeRSAPublicKey(t, 2048)))})
	wantErrMessage(t, err, "LimitExceeded", 409, "PublicKeysPerUser: 5")

	list := func(user string) []types.SSHPublicKeyMetadata {
		t.Helper()
		var all []types.SSHPublicKeyMetadata
		pg := iam.NewListSSHPublicKeysPaginator(root, &iam.ListSSHPublicKeysInput{UserName: aws.String(user), MaxItems: aws.Int32(2)})
		for pg.HasMorePages() {
			all = append(all, res(pg.NextPage(ctx)).must(t).SSHPublicKeys...)
		}
		return all
	}
	if n := len(list("dev")); n != 5 {
		t.Fatalf("ListSSHPublicKeys (paged by 2) = %d keys, want 5", n)
	}

	res(root.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Status: types.StatusTypeInactive})).must(t)
	for _, m := range list("dev") {
		if aws.ToString(m.SSHPublicKeyId) == *k.SSHPublicKeyId && m.Status != types.StatusTypeInactive {
			t.Errorf("status after update = %s", m.Status)
		}
	}
	// A key of dev is not found under other, nor an unknown ID.
	_, err = get("other", *k.SSHPublicKeyId, types.EncodingTypeSsh)
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("other"), SSHPublicKeyId: k.SSHPublicKeyId})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: aws.String("APKAUNKNOWNUNKNOWN00"), Status: types.StatusTypeActive})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Status: "Sleeping"})
	wantErr(t, err, "ValidationError", 400)

	// The keys follow their user through a rename, and keep it from being deleted.
	res(root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("dev"), NewUserName: aws.String("developer")})).must(t)
	keys := list("developer")
	if len(keys) != 5 || aws.ToString(keys[0].UserName) != "developer" {
		t.Fatalf("after rename: %d keys, first of %q", len(keys), aws.ToString(keys[0].UserName))
	}
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("developer")})
	wantErrMessage(t, err, "DeleteConflict", 409, "SSH public keys")
	for _, m := range keys {
		res(root.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("developer"), SSHPublicKeyId: m.SSHPublicKeyId})).must(t)
	}
	if n := len(list("developer")); n != 0 {
		t.Errorf("after deleting all: %d keys", n)
	}
	res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("developer")})).must(t)

	// A user without permission is refused, even for itself; with it, it
	// may manage its own keys without naming itself on List.
	_, self := userWithKey(t, s, "self")
	_, err = self.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("self"), SSHPublicKeyBody: aws.String(body)})
	wantErr(t, err, "AccessDenied", 403)
	putUserPolicy(t, root, "self", "ssh", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*SSHPublicKey*"],"Resource":"`+userARN("/", "self")+`"}]}`)
	res(self.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("self"), SSHPublicKeyBody: aws.String(body)})).must(t)
	if got := res(self.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{})).must(t).SSHPublicKeys; len(got) != 1 || aws.ToString(got[0].UserName) != "self" {
		t.Errorf("ListSSHPublicKeys of the caller = %+v", got)
	}
	_, err = self.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("other")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestE2ESigningCertificates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "signer")
	createUser(t, root, "second")

	c1 := validCert(t, "signer-1")
	up := res(root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(c1.PEM)})).must(t).Certificate
	if len(aws.ToString(up.CertificateId)) < 24 || aws.ToString(up.CertificateBody) != c1.PEM || up.Status != types.StatusTypeActive || aws.ToString(up.UserName) != "signer" {
		t.Errorf("uploaded = %+v", up)
	}
	recent(t, "UploadDate", up.UploadDate)

	// The same certificate cannot be uploaded again, for anyone in the account.
	_, err := root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("second"), CertificateBody: aws.String(c1.PEM)})
	wantErr(t, err, "DuplicateCertificate", 409)

	expired := newCert(t, "old", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), nil, false)
	for name, bad := range map[string]string{
		"garbage":     "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
		"not pem":     "hello",
		"private key": c1.KeyPEM,
		"expired":     expired.PEM,
		"two certs":   c1.PEM + validCert(t, "z").PEM,
	} {
		_, err := root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(bad)})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantErr(t, err, "MalformedCertificate", 400)
	}
	_, err = root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("ghost"), CertificateBody: aws.String(validCert(t, "g").PEM)})
	wantErr(t, err, "NoSuchEntity", 404)

	c2 := res(root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(validCert(t, "signer-2").PEM)})).must(t).Certificate
	_, err = root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(validCert(t, "signer-3").PEM)})
	wantErrMessage(t, err, "LimitExceeded", 409, "CertificatesPerUser: 2")

	res(root.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: aws.String("signer"), CertificateId: c2.CertificateId, Status: types.StatusTypeInactive})).must(t)
	certs := res(root.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: aws.String("signer")})).must(t).Certificates
	if len(certs) != 2 {
		t.Fatalf("ListSigningCertificates = %d certificates", len(certs))
	}
	for _, c := range certs {
		want := types.StatusTypeActive
		if *c.CertificateId == *c2.CertificateId {
			want = types.StatusTypeInactive
		}
		if c.Status != want {
			t.Errorf("%s: status %s, want %s", *c.CertificateId, c.Status, want)
		}
	}
	_, err = root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("second"), CertificateId: c2.CertificateId})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("signer")})
	wantErrMessage(t, err, "DeleteConflict", 409, "signing certificates")
	for _, c := range certs {
		res(root.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("signer"), CertificateId: c.CertificateId})).must(t)
	}
	_, err = root.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: aws.String("signer"), CertificateId: c2.CertificateId, Status: types.StatusTypeActive})
	wantErr(t, err, "NoSuchEntity", 404)
	// Once deleted, the certificate may be uploaded again, by another user.
	res(root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("second"), CertificateBody: aws.String(c1.PEM)})).must(t)

	// The root user's own certificates: no UserName.
	rc := res(root.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{CertificateBody: aws.String(validCert(t, "root").PEM)})).must(t).Certificate
	if got := res(root.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})).must(t).Certificates; len(got) != 1 || *got[0].CertificateId != *rc.CertificateId {
		t.Errorf("root's certificates = %+v", got)
	}
}

func TestE2EServerCertificates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	s, stop := runServer(t, data, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--account-id", testAccount},
		map[string]string{"WARDEN_ROOT_PASSWORD": rootPass, "WARDEN_ROOT_ACCESS_KEY_ID": rootKeyID, "WARDEN_ROOT_SECRET_ACCESS_KEY": rootSecret})
	root := s.root()

	ca := newCert(t, "Test CA", time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour), nil, true)
	inter := newCert(t, "Test Intermediate", time.Now().Add(-time.Hour), time.Now().Add(300*24*time.Hour), ca, true)
	leaf := newCert(t, "www.example.com", time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour), inter, false)

	up := res(root.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("www"), Path: aws.String("/cloudfront/"),
		CertificateBody: aws.String(leaf.PEM), PrivateKey: aws.String(leaf.KeyPEM), CertificateChain: aws.String(inter.PEM + ca.PEM),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	})).must(t)
	md := up.ServerCertificateMetadata
	if id := aws.ToString(md.ServerCertificateId); len(id) != 21 || !strings.HasPrefix(id, "ASCA") {
		t.Errorf("ServerCertificateId = %q", id)
	}
	if got, want := aws.ToString(md.Arn), "arn:aws:iam::"+testAccount+":server-certificate/cloudfront/www"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if md.Expiration == nil || !md.Expiration.Equal(leaf.cert.NotAfter.UTC().Truncate(time.Second)) {
		t.Errorf("Expiration = %v, want %v", md.Expiration, leaf.cert.NotAfter)
	}
	if tagMap(up.Tags)["team"] != "web" {
		t.Errorf("upload Tags = %v", up.Tags)
	}

	got := res(root.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("WWW")})).must(t).ServerCertificate
	if aws.ToString(got.CertificateBody) != leaf.PEM || aws.ToString(got.CertificateChain) != inter.PEM+ca.PEM || tagMap(got.Tags)["team"] != "web" {
		t.Errorf("GetServerCertificate = %+v", got)
	}

	upload := func(name, body, key, chain string) error {
		in := &iam.UploadServerCertificateInput{ServerCertificateName: aws.String(name), CertificateBody: aws.String(body), PrivateKey: aws.String(key)}
		if chain != "" {
			in.CertificateChain = aws.String(chain)
		}
		_, err := root.UploadServerCertificate(ctx, in)
		return err
	}
	wantErr(t, upload("www", leaf.PEM, leaf.KeyPEM, ""), "EntityAlreadyExists", 409)
	wantErr(t, upload("mismatch", leaf.PEM, ca.KeyPEM, ""), "KeyPairMismatch", 400)
	wantErr(t, upload("badcert", "nope", leaf.KeyPEM, ""), "MalformedCertificate", 400)
	wantErr(t, upload("badkey", leaf.PEM, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ""), "MalformedCertificate", 400)
	// The chain must start with the leaf's issuer and go up in order.
	wantErrMessage(t, upload("order", leaf.PEM, leaf.KeyPEM, ca.PEM+inter.PEM), "MalformedCertificate", 400, "index within the chain of the invalid certificate is: 0")
	wantErrMessage(t, upload("gap", leaf.PEM, leaf.KeyPEM, inter.PEM+leaf.PEM), "MalformedCertificate", 400, "is: 1")
	expired := newCert(t, "old.example.com", time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour), nil, false)
	wantErrMessage(t, upload("expired", expired.PEM, expired.KeyPEM, ""), "MalformedCertificate", 400, "no longer valid")
	_, err := root.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: aws.String("bad/name"), CertificateBody: aws.String(leaf.PEM), PrivateKey: aws.String(leaf.KeyPEM)})
	wantErr(t, err, "ValidationError", 400)

	// Rename and move: the old name is gone, the new one answers.
	res(root.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("www"),
		NewServerCertificateName: aws.String("www-2026"), NewPath: aws.String("/elb/")})).must(t)
	_, err = root.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www")})
	wantErr(t, err, "NoSuchEntity", 404)
	moved := res(root.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www-2026")})).must(t).ServerCertificate
	if aws.ToString(moved.ServerCertificateMetadata.Path) != "/elb/" || *moved.ServerCertificateMetadata.ServerCertificateId != *md.ServerCertificateId {
		t.Errorf("after update = %+v", moved.ServerCertificateMetadata)
	}

	// Tags.
	res(root.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("www-2026"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("edge")}}})).must(t)
	res(root.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: aws.String("www-2026"), TagKeys: []string{"ENV"}})).must(t)
	tags := res(root.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("www-2026")})).must(t).Tags
	if m := tagMap(tags); len(m) != 1 || m["team"] != "edge" {
		t.Errorf("tags = %v", m)
	}
	_, err = root.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("nothing"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantErr(t, err, "NoSuchEntity", 404)

	// Quota: 20 per account; listing by path prefix pages.
	for i := range 19 {
		if err := upload("bulk-"+string(rune('a'+i)), leaf.PEM, leaf.KeyPEM, ""); err != nil {
			t.Fatalf("bulk %d: %v", i, err)
		}
	}
	wantErrMessage(t, upload("one-too-many", leaf.PEM, leaf.KeyPEM, ""), "LimitExceeded", 409, "ServerCertificatesPerAccount: 20")
	var all []types.ServerCertificateMetadata
	pg := iam.NewListServerCertificatesPaginator(root, &iam.ListServerCertificatesInput{MaxItems: aws.Int32(7)})
	for pg.HasMorePages() {
		all = append(all, res(pg.NextPage(ctx)).must(t).ServerCertificateMetadataList...)
	}
	if len(all) != 20 {
		t.Errorf("ListServerCertificates = %d, want 20", len(all))
	}
	elb := res(root.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{PathPrefix: aws.String("/elb/")})).must(t).ServerCertificateMetadataList
	if len(elb) != 1 || aws.ToString(elb[0].ServerCertificateName) != "www-2026" {
		t.Errorf("PathPrefix /elb/ = %+v", elb)
	}

	res(root.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www-2026")})).must(t)
	_, err = root.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www-2026")})
	wantErr(t, err, "NoSuchEntity", 404)

	// A user without permission learns nothing.
	_, user := userWithKey(t, s, "viewer")
	_, err = user.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("bulk-a")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = user.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
	wantErr(t, err, "AccessDenied", 403)

	// Tagging is authorized with the request's tags.
	_, tagger := userWithKey(t, s, "tagger")
	putUserPolicy(t, root, "tagger", "tag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagServerCertificate","Resource":"*",`+
		`"Condition":{"StringEquals":{"aws:RequestTag/env":"dev"}}}]}`)
	_, err = tagger.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("bulk-a"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	wantErr(t, err, "AccessDenied", 403)
	res(tagger.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("bulk-a"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})).must(t)

	// Private keys are encrypted at rest.
	stop()
	keyBody := strings.Join(strings.Split(strings.TrimSpace(leaf.KeyPEM), "\n")[1:2], "")
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(keyBody)) {
			t.Errorf("the private key is in clear in %s", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestE2EServiceSpecificCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "coder")
	createUser(t, root, "peer")

	create := func(user, service string, days *int32) (*types.ServiceSpecificCredential, error) {
		out, err := root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String(user), ServiceName: aws.String(service), CredentialAgeDays: days})
		if err != nil {
			return nil, err
		}
		return out.ServiceSpecificCredential, nil
	}
	c1 := res(create("coder", "codecommit.amazonaws.com", nil)).must(t)
	if got, want := aws.ToString(c1.ServiceUserName), "coder-at-"+testAccount; got != want {
		t.Errorf("ServiceUserName = %q, want %q", got, want)
	}
	if id := aws.ToString(c1.ServiceSpecificCredentialId); len(id) != 21 || !strings.HasPrefix(id, "ACCA") {
		t.Errorf("ServiceSpecificCredentialId = %q", id)
	}
	if len(aws.ToString(c1.ServicePassword)) < 32 || c1.Status != types.StatusTypeActive || c1.ExpirationDate != nil {
		t.Errorf("credential = %+v", c1)
	}
	c2 := res(create("coder", "codecommit.amazonaws.com", nil)).must(t)
	if got := aws.ToString(c2.ServiceUserName); got != "coder+1-at-"+testAccount {
		t.Errorf("second ServiceUserName = %q", got)
	}
	_, err := create("coder", "codecommit.amazonaws.com", nil)
	wantErrMessage(t, err, "LimitExceeded", 409, "ServiceSpecificCredentialsPerUserPerService: 2")
	// The quota is per service.
	ks := res(create("coder", "cassandra.amazonaws.com", nil)).must(t)

	// Bedrock API keys: an alias and a secret, with an expiry when asked.
	br := res(create("coder", "bedrock.amazonaws.com", aws.Int32(30))).must(t)
	if !strings.HasPrefix(aws.ToString(br.ServiceCredentialSecret), "ABSK") || !strings.HasPrefix(aws.ToString(br.ServiceCredentialAlias), "BedrockAPIKey-") || br.ServicePassword != nil {
		t.Errorf("bedrock key = %+v", br)
	}
	if br.ExpirationDate == nil || br.ExpirationDate.Sub(*br.CreateDate) != 30*24*time.Hour {
		t.Errorf("ExpirationDate = %v, CreateDate %v", br.ExpirationDate, br.CreateDate)
	}
	_, err = create("coder", "codecommit.amazonaws.com", aws.Int32(3))
	wantErr(t, err, "InvalidInput", 400)
	_, err = create("peer", "bedrock.amazonaws.com", aws.Int32(0))
	wantErr(t, err, "ValidationError", 400)
	_, err = create("coder", "s3.amazonaws.com", nil)
	wantErr(t, err, "NotSupportedService", 404)
	_, err = create("ghost", "codecommit.amazonaws.com", nil)
	wantErr(t, err, "NoSuchEntity", 404)

	// Listing shows no secret.
	listed := res(root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String("coder")})).must(t).ServiceSpecificCredentials
	if len(listed) != 4 {
		t.Fatalf("ListServiceSpecificCredentials = %d, want 4", len(listed))
	}
	cc := res(root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String("coder"), ServiceName: aws.String("codecommit.amazonaws.com")})).must(t).ServiceSpecificCredentials
	if len(cc) != 2 {
		t.Errorf("codecommit only = %d, want 2", len(cc))
	}
	res(create("peer", "codecommit.amazonaws.com", nil)).must(t)
	everyone := res(root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true), ServiceName: aws.String("codecommit.amazonaws.com")})).must(t).ServiceSpecificCredentials
	users := map[string]int{}
	for _, c := range everyone {
		users[aws.ToString(c.UserName)]++
	}
	if users["coder"] != 2 || users["peer"] != 1 {
		t.Errorf("AllUsers = %v", users)
	}
	_, err = root.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true), UserName: aws.String("coder")})
	wantErr(t, err, "InvalidInput", 400)

	// Reset gives a new password; the old one is gone.
	reset := res(root.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String("coder"), ServiceSpecificCredentialId: c1.ServiceSpecificCredentialId})).must(t).ServiceSpecificCredential
	if p := aws.ToString(reset.ServicePassword); p == "" || p == aws.ToString(c1.ServicePassword) || aws.ToString(reset.ServiceUserName) != aws.ToString(c1.ServiceUserName) {
		t.Errorf("reset = %+v", reset)
	}
	res(root.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: aws.String("coder"), ServiceSpecificCredentialId: ks.ServiceSpecificCredentialId, Status: types.StatusTypeInactive})).must(t)

	// Unknown IDs and another user's credential are not found.
	_, err = root.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String("peer"), ServiceSpecificCredentialId: c1.ServiceSpecificCredentialId})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("coder"), ServiceSpecificCredentialId: aws.String("ACCAUNKNOWNUNKNOWN000")})
	wantErr(t, err, "NoSuchEntity", 404)

	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("coder")})
	wantErrMessage(t, err, "DeleteConflict", 409, "service specific credentials")
	for _, c := range listed {
		res(root.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("coder"), ServiceSpecificCredentialId: c.ServiceSpecificCredentialId})).must(t)
	}
	res(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("coder")})).must(t)
}
