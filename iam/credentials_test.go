package iam

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/secrets"
	"github.com/warden-iam/warden/sqlite"
)

const testAccount = "123456789012"

func newTestService(t *testing.T) (*Service, *warden.Principal) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	az := authz.New(store, authz.Strict, slog.New(slog.DiscardHandler))
	acct := &warden.Account{ID: testAccount, RootID: testAccount, Status: warden.AccountActive}
	if err := store.Update(ctx, func(tx warden.Tx) error { return warden.Insert(ctx, tx, acct) }); err != nil {
		t.Fatal(err)
	}
	root := RootPrincipal(acct)
	return New(az.Track(store), az, box), &root
}

func invoke(t *testing.T, s *Service, p *warden.Principal, action string, kv ...string) any {
	t.Helper()
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	out, err := s.Invoke(context.Background(), p, action, form)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return out
}

func TestVerifyServiceCredential(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	invoke(t, s, root, "CreateUser", "UserName", "coder")
	u := invoke(t, s, root, "GetUser", "UserName", "coder").(*getUserOutput).User
	cc := invoke(t, s, root, "CreateServiceSpecificCredential", "UserName", "coder", "ServiceName", "codecommit.amazonaws.com").(*serviceCredentialOutput).ServiceSpecificCredential
	br := invoke(t, s, root, "CreateServiceSpecificCredential", "UserName", "coder", "ServiceName", "bedrock.amazonaws.com", "CredentialAgeDays", "1").(*serviceCredentialOutput).ServiceSpecificCredential

	verify := func(service, user, password string) error {
		p, err := s.VerifyServiceCredential(ctx, testAccount, service, user, password)
		if err == nil && p.ID != u.UserID {
			t.Errorf("verified as %s, want the user's ID %s", p.ID, u.UserID)
		}
		return err
	}
	tests := []struct {
		name                    string
		service, user, password string
		ok                      bool
	}{
		{"right password", "codecommit.amazonaws.com", cc.ServiceUserName, cc.ServicePassword, true},
		{"wrong password", "codecommit.amazonaws.com", cc.ServiceUserName, cc.ServicePassword + "x", false},
		{"empty password", "codecommit.amazonaws.com", cc.ServiceUserName, "", false},
		{"another service", "cassandra.amazonaws.com", cc.ServiceUserName, cc.ServicePassword, false},
		{"unknown user", "codecommit.amazonaws.com", "nobody-at-" + testAccount, cc.ServicePassword, false},
		{"bedrock key", "bedrock.amazonaws.com", br.ServiceCredentialSecret, "", true},
		{"bedrock key altered", "bedrock.amazonaws.com", br.ServiceCredentialSecret[:len(br.ServiceCredentialSecret)-4] + "AAAA", "", false},
		{"bedrock not a key", "bedrock.amazonaws.com", "ABSK!!!", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.service, tt.user, tt.password)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, warden.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}

	// Inactive credentials and expired keys are refused; reset changes the password.
	invoke(t, s, root, "UpdateServiceSpecificCredential", "UserName", "coder", "ServiceSpecificCredentialId", cc.ServiceSpecificCredentialID, "Status", "Inactive")
	if err := verify("codecommit.amazonaws.com", cc.ServiceUserName, cc.ServicePassword); !errors.Is(err, warden.ErrNotFound) {
		t.Errorf("inactive: err = %v", err)
	}
	invoke(t, s, root, "UpdateServiceSpecificCredential", "UserName", "coder", "ServiceSpecificCredentialId", cc.ServiceSpecificCredentialID, "Status", "Active")
	reset := invoke(t, s, root, "ResetServiceSpecificCredential", "UserName", "coder", "ServiceSpecificCredentialId", cc.ServiceSpecificCredentialID).(*serviceCredentialOutput).ServiceSpecificCredential
	if err := verify("codecommit.amazonaws.com", cc.ServiceUserName, cc.ServicePassword); !errors.Is(err, warden.ErrNotFound) {
		t.Errorf("old password after reset: err = %v", err)
	}
	if err := verify("codecommit.amazonaws.com", cc.ServiceUserName, reset.ServicePassword); err != nil {
		t.Errorf("new password after reset: %v", err)
	}
	now = now.Add(25 * time.Hour)
	if err := verify("bedrock.amazonaws.com", br.ServiceCredentialSecret, ""); !errors.Is(err, warden.ErrNotFound) {
		t.Errorf("expired key: err = %v", err)
	}
}

// seedCert is a self-signed certificate and its key for the fuzz seeds.
func seedCert(f *testing.F) (certPEM, keyPEM string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seed"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// wantAWSError fails unless err is nil or a *warden.Error with one of codes.
func wantAWSError(t *testing.T, err error, codes ...warden.Code) {
	t.Helper()
	if err == nil {
		return
	}
	var we *warden.Error
	if !errors.As(err, &we) {
		t.Fatalf("not a warden.Error: %v", err)
	}
	for _, c := range codes {
		if we.Code == c {
			return
		}
	}
	t.Fatalf("code %s, want one of %v", we.Code, codes)
}

func FuzzParseSSHPublicKey(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 comment")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")
	f.Add("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
	f.Add("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		k, err := parseSSHPublicKey(body)
		wantAWSError(t, err, codeUnrecognizedPublicKeyEncoding, codeInvalidPublicKey)
		if err == nil {
			// What was accepted parses again to the same key.
			again, err := parseSSHPublicKey(k.authorized)
			if err != nil || again.fingerprint != k.fingerprint {
				t.Fatalf("accepted key does not round-trip: %v", err)
			}
			if !strings.HasPrefix(k.authorized, "ssh-rsa ") {
				t.Fatalf("accepted a non-RSA key: %q", k.authorized)
			}
		}
	})
}

func FuzzCheckServerCertificate(f *testing.F) {
	cert, key := seedCert(f)
	f.Add(cert, key, "")
	f.Add(cert, key, cert)
	f.Add(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "")
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", key, "garbage")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, body, key, chain string) {
		_, err := checkServerCertificate(body, key, chain, time.Now())
		wantAWSError(t, err, codeMalformedCertificate, codeKeyPairMismatch)
		_, err = parseCertificate(body, time.Now())
		wantAWSError(t, err, codeMalformedCertificate)
	})
}

func BenchmarkParseSSHPublicKey(b *testing.B) {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 3071))
	n.SetBit(n, 3071, 1).SetBit(n, 0, 1)
	der, _ := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: 65537})
	body := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSSHPublicKey(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckServerCertificate(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kder, _ := x509.MarshalECPrivateKey(key)
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := checkServerCertificate(cert, priv, "", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
