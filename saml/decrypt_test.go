package saml_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
)

// pemKey reads a fixed test key (PKCS#1 PEM).
func pemKey(t testing.TB, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVerifyEncrypted decrypts assertions encrypted with every supported
// combination of key transport and data encryption, signed in the
// assertion or in the response, with the key in KeyInfo or beside it.
func TestVerifyEncrypted(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com")
	key, spare := rsaKey(t), rsaKey(t)
	for _, data := range []string{saml.AlgAES128GCM, saml.AlgAES192GCM, saml.AlgAES256GCM, saml.AlgAES128CBC, saml.AlgAES192CBC, saml.AlgAES256CBC} {
		for _, tr := range []struct {
			name   string
			alg    string
			sha256 bool
		}{{"rsa-oaep-mgf1p", saml.AlgRSAOAEPMGF1P, false}, {"rsa-oaep", saml.AlgRSAOAEP, false}, {"rsa-oaep-256", saml.AlgRSAOAEP, true}} {
			for _, how := range []samltest.Sign{samltest.SignAssertion, samltest.SignResponse} {
				enc := samltest.Encryption{Key: &key.PublicKey, Data: data, Transport: tr.alg, SHA256: tr.sha256, KeyBeside: how == samltest.SignResponse}
				name := data[strings.LastIndexByte(data, '#')+1:] + "/" + tr.name
				want := expect(idp)
				want.DecryptionKeys, want.RequireEncryption = []*rsa.PrivateKey{spare, key}, true
				a, err := saml.Verify(idp.EncryptedResponse(t, assertion(), how, enc), want)
				if err != nil {
					t.Fatalf("%s signed %d: %v", name, how, err)
				}
				if a.NameID != "alice@example.com" || a.Recipient != signin || len(a.Attributes[saml.AttrRole]) != 1 {
					t.Errorf("%s: assertion %+v", name, a)
				}
			}
		}
	}
}

func TestVerifyEncryptedRefusals(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com")
	key, other := rsaKey(t), rsaKey(t)
	enc := samltest.Encryption{Key: &key.PublicKey}
	withKeys := func(keys ...*rsa.PrivateKey) saml.Expectations {
		w := expect(idp)
		w.DecryptionKeys = keys
		return w
	}
	tamper := func(data string) string {
		el := idp.EncryptedResponseElement(t, assertion(), samltest.SignAssertion, samltest.Encryption{Key: &key.PublicKey, Data: data})
		cv := el.FindElement(".//EncryptedData/CipherData/CipherValue")
		b, _ := base64.StdEncoding.DecodeString(cv.Text())
		b[len(b)-20] ^= 1
		cv.SetText(base64.StdEncoding.EncodeToString(b))
		return encode(t, el)
	}
	pkcs15 := idp.EncryptedResponseElement(t, assertion(), samltest.SignAssertion, enc)
	pkcs15.FindElement(".//EncryptedKey/EncryptionMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
	twoAssertions := idp.EncryptedResponseElement(t, assertion(), samltest.SignAssertion, enc)
	twoAssertions.AddChild(idp.ResponseElement(t, assertion(), samltest.SignAssertion).SelectElement("saml:Assertion"))
	required := expect(idp)
	required.DecryptionKeys, required.RequireEncryption = []*rsa.PrivateKey{key}, true
	for _, tc := range []struct {
		name string
		resp string
		want saml.Expectations
		msg  string
	}{
		{"no private key", idp.EncryptedResponse(t, assertion(), samltest.SignAssertion, enc), withKeys(), "has no private key"},
		{"another key", idp.EncryptedResponse(t, assertion(), samltest.SignAssertion, enc), withKeys(other), "could not be decrypted"},
		{"plaintext when required", idp.Response(t, assertion(), samltest.SignAssertion), required, "requires encrypted assertions"},
		{"unsigned inside an unsigned response", idp.EncryptedResponse(t, assertion(), samltest.SignNothing, enc), withKeys(key), "not signed"},
		{"GCM ciphertext tampered", tamper(saml.AlgAES256GCM), withKeys(key), "could not be decrypted"},
		{"CBC ciphertext tampered", tamper(saml.AlgAES128CBC), withKeys(key), ""},
		{"RSA PKCS#1 v1.5 key transport", encode(t, pkcs15), withKeys(key), "could not be decrypted"},
		{"an encrypted and a plain assertion", encode(t, twoAssertions), withKeys(key), "more than one Assertion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := saml.Verify(tc.resp, tc.want)
			var se *saml.Error
			if !errors.As(err, &se) || !strings.Contains(se.Message, tc.msg) {
				t.Fatalf("Verify = %v, want a refusal with %q", err, tc.msg)
			}
		})
	}

	// The signed response covers the ciphertext: changing it breaks the
	// response's signature before anything is decrypted.
	el := idp.EncryptedResponseElement(t, assertion(), samltest.SignResponse, enc)
	el.FindElement(".//EncryptedData/EncryptionMethod").CreateAttr("Algorithm", saml.AlgAES128GCM)
	if _, err := saml.Verify(encode(t, el), withKeys(key)); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("tampered signed response: %v", err)
	}
}

// FuzzVerifyEncrypted feeds mutated encrypted responses to Verify with a
// decryption key: it must refuse or accept, never panic or hang.
func FuzzVerifyEncrypted(f *testing.F) {
	idp := samltest.WithKey(f, "https://idp.example.com", pemKey(f, "testdata/fuzz-idp-key.pem"))
	key := pemKey(f, "testdata/fuzz-sp-key.pem")
	for _, enc := range []samltest.Encryption{{Key: &key.PublicKey}, {Key: &key.PublicKey, Data: saml.AlgAES128CBC, Transport: saml.AlgRSAOAEP, SHA256: true, KeyBeside: true}} {
		doc := etree.NewDocument()
		doc.SetRoot(idp.EncryptedResponseElement(f, assertion(), samltest.SignAssertion, enc))
		b, _ := doc.WriteToBytes()
		f.Add(b)
	}
	want := expect(idp)
	want.DecryptionKeys = []*rsa.PrivateKey{key}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := saml.Verify(base64.StdEncoding.EncodeToString(data), want)
		if err == nil && a.NameID == "" {
			t.Fatal("accepted an assertion without a subject")
		}
		var se *saml.Error
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of another kind: %v", err)
		}
	})
}

// BenchmarkVerifyEncrypted is BenchmarkVerify with the assertion encrypted
// (RSA-OAEP, AES-256-GCM) for a 2048-bit key: one RSA decryption more.
func BenchmarkVerifyEncrypted(b *testing.B) {
	idp := samltest.New(b, "https://idp.example.com")
	key := rsaKey(b)
	resp := idp.EncryptedResponse(b, assertion(), samltest.SignAssertion, samltest.Encryption{Key: &key.PublicKey})
	want := expect(idp)
	want.DecryptionKeys = []*rsa.PrivateKey{key}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := saml.Verify(resp, want); err != nil {
			b.Fatal(err)
		}
	}
}
