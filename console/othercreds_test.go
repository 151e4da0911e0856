package console

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func testSSHKey(t *testing.T) string {
	t.Helper()
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 2047))
	n.SetBit(n, 2047, 1).SetBit(n, 0, 1)
	k, err := ssh.NewPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	return string(ssh.MarshalAuthorizedKey(k))
}

func testCertAndKey(t *testing.T) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "console.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func TestUserPageOtherCredentials(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	s.as(&s.root, "CreateUser", "UserName", "dev")
	page := "/console/users/dev"

	expect(t, b.post(page+"/ssh-keys", url.Values{"body": {testSSHKey(t)}}, page), http.StatusSeeOther, page+"?done=saved")
	bad := b.post(page+"/ssh-keys", url.Values{"body": {"not a key"}}, page)
	expect(t, bad, http.StatusBadRequest, "")
	if !strings.Contains(bad.body, "public key encoding format is unsupported") {
		t.Errorf("bad key: no AWS message in %s", excerpt(bad.body))
	}
	cert, certKey := testCertAndKey(t)
	expect(t, b.post(page+"/signing-certificates", url.Values{"body": {cert}}, page), http.StatusSeeOther, page+"?done=saved")

	created := b.shown(b.post(page+"/service-credentials", url.Values{"service": {"codecommit.amazonaws.com"}}, page))
	password := find(t, `id="service-password">([^<]+)<`, created.body)
	if find(t, `id="service-user">([^<]+)<`, created.body) != "dev-at-"+testAccount || len(password) < 32 {
		t.Fatalf("created credential page: %s", excerpt(created.body))
	}

	detail := b.get(page)
	expect(t, detail, http.StatusOK, "")
	for _, want := range []string{`id="ssh-keys"`, "APKA", `id="signing-certificates"`, "dev-at-" + testAccount, "codecommit.amazonaws.com"} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	if strings.Contains(detail.body, password) {
		t.Error("the user page shows the service password")
	}
	// Reset shows a new password once.
	id := find(t, `name="id" value="(ACCA[A-Z0-9]+)"`, detail.body)
	reset := b.shown(b.post(page+"/service-credentials", url.Values{"id": {id}, "op": {"reset"}}, page))
	if p := find(t, `id="service-password">([^<]+)<`, reset.body); p == password {
		t.Error("reset kept the password")
	}

	// Server certificates on their account page.
	expect(t, b.post("/console/server-certificates", url.Values{"name": {"web"}, "body": {cert}, "key": {certKey}}, "/console/server-certificates"),
		http.StatusSeeOther, "/console/server-certificates?done=saved")
	_, otherKey := testCertAndKey(t)
	mismatch := b.post("/console/server-certificates", url.Values{"name": {"web2"}, "body": {cert}, "key": {otherKey}}, "/console/server-certificates")
	expect(t, mismatch, http.StatusBadRequest, "")
	list := b.get("/console/server-certificates")
	expect(t, list, http.StatusOK, "")
	if !strings.Contains(list.body, "ASCA") || !strings.Contains(list.body, ">web<") || strings.Contains(list.body, "PRIVATE KEY-----\n") {
		t.Errorf("server certificates page: %s", excerpt(list.body))
	}

	// Deleting the user from the console removes these credentials first.
	expect(t, b.post(page+"/delete", url.Values{"confirm": {"dev"}}, page), http.StatusSeeOther, "/console/users?done=user-deleted")
}
