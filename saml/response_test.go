package saml_test

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
)

const signin = "https://signin.aws.amazon.com/saml"

func expect(idp *samltest.IdP) saml.Expectations {
	return saml.Expectations{Issuer: idp.EntityID, Certificates: []*x509.Certificate{idp.Cert}, Recipients: []string{signin}, Now: time.Now()}
}

func assertion() samltest.Assertion {
	return samltest.Assertion{NameID: "alice@example.com", Recipient: signin, Attributes: map[string][]string{
		saml.AttrRole:            {"arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Corp"},
		saml.AttrRoleSessionName: {"alice"},
	}}
}

func encode(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestVerifySigned(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com")
	for _, how := range []samltest.Sign{samltest.SignAssertion, samltest.SignResponse} {
		a, err := saml.Verify(idp.Response(t, assertion(), how), expect(idp))
		if err != nil {
			t.Fatalf("sign %d: %v", how, err)
		}
		if a.NameID != "alice@example.com" || a.Issuer != idp.EntityID || a.Recipient != signin || a.ID == "" ||
			a.Attributes[saml.AttrRoleSessionName][0] != "alice" {
			t.Errorf("assertion = %+v", a)
		}
		if err := a.RoleFor("arn:aws:iam::123456789012:role/Dev", "arn:aws:iam::123456789012:saml-provider/Corp"); err != nil {
			t.Error(err)
		}
		if err := a.RoleFor("arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:saml-provider/Corp"); err == nil {
			t.Error("a role the assertion does not name was accepted")
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com")
	other := samltest.New(t, "https://idp.example.com")
	edit := func(f func(*samltest.Assertion)) samltest.Assertion { a := assertion(); f(&a); return a }

	tampered := idp.ResponseElement(t, assertion(), samltest.SignAssertion)
	for _, v := range tampered.FindElements("//AttributeValue") {
		if v.Text() == "alice" {
			v.SetText("root")
		}
	}
	// Wrapping: the signed assertion is hidden in an extension and an
	// unsigned one with other attributes takes its place.
	wrapped := idp.ResponseElement(t, assertion(), samltest.SignAssertion)
	signed := wrapped.FindElement("./Assertion")
	wrapped.RemoveChild(signed)
	ext := wrapped.CreateElement("samlp:Extensions")
	ext.AddChild(signed)
	evil := signed.Copy()
	for _, v := range evil.FindElements("//AttributeValue") {
		if strings.Contains(v.Text(), "role/Dev") {
			v.SetText("arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Corp")
		}
	}
	wrapped.AddChild(evil)
	// Wrapping of a signed response: a second assertion beside the first.
	twice := idp.ResponseElement(t, assertion(), samltest.SignAssertion)
	twice.AddChild(twice.FindElement("./Assertion").Copy())

	for _, tc := range []struct {
		name, resp string
		expired    bool
	}{
		{"unsigned", idp.Response(t, assertion(), samltest.SignNothing), false},
		{"other key", other.Response(t, assertion(), samltest.SignAssertion), false},
		{"tampered", encode(t, tampered), false},
		{"wrapped", encode(t, wrapped), false},
		{"two assertions", encode(t, twice), false},
		{"expired", idp.Response(t, edit(func(a *samltest.Assertion) {
			a.NotBefore, a.NotOnOrAfter = time.Now().Add(-time.Hour), time.Now().Add(-30*time.Minute)
		}), samltest.SignAssertion), true},
		{"not yet valid", idp.Response(t, edit(func(a *samltest.Assertion) {
			a.NotBefore = time.Now().Add(time.Hour)
			a.NotOnOrAfter = time.Now().Add(2 * time.Hour)
		}), samltest.SignAssertion), false},
		{"wrong audience", idp.Response(t, edit(func(a *samltest.Assertion) { a.Audience = "https://other.example.com" }), samltest.SignAssertion), false},
		{"wrong recipient", idp.Response(t, edit(func(a *samltest.Assertion) { a.Recipient = "https://other.example.com/acs" }), samltest.SignAssertion), false},
		{"wrong issuer", idp.Response(t, edit(func(a *samltest.Assertion) { a.Issuer = "https://evil.example.com" }), samltest.SignAssertion), false},
		{"not base64", "%%%", false},
		{"not XML", base64.StdEncoding.EncodeToString([]byte("<a")), false},
		{"doctype", base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY e "e">]><x/>`)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := saml.Verify(tc.resp, expect(idp))
			se, ok := err.(*saml.Error)
			if !ok {
				t.Fatalf("error = %v, want a refusal", err)
			}
			if se.Expired != tc.expired {
				t.Errorf("Expired = %v, want %v (%s)", se.Expired, tc.expired, se.Message)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	idp := samltest.New(f, "https://idp.example.com")
	f.Add(idp.Response(f, assertion(), samltest.SignAssertion))
	f.Add(idp.Response(f, assertion(), samltest.SignResponse))
	f.Add(idp.Response(f, assertion(), samltest.SignNothing))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)))
	want := expect(idp)
	f.Fuzz(func(t *testing.T, resp string) {
		a, err := saml.Verify(resp, want)
		if err == nil && (a.NameID == "" || a.Issuer != idp.EntityID) {
			t.Fatalf("accepted %+v", a)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	idp := samltest.New(b, "https://idp.example.com")
	resp := idp.Response(b, assertion(), samltest.SignAssertion)
	want := expect(idp)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := saml.Verify(resp, want); err != nil {
			b.Fatal(err)
		}
	}
}
