// Package samltest is a SAML 2.0 identity provider for tests: a signing key
// with its self-signed certificate, the IdP's metadata document, and signed
// SAML responses.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// IdP is a test identity provider.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// New returns an IdP with a fresh 2048-bit RSA key and a certificate valid
// for a year.
func New(t testing.TB, entityID string) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return WithKey(t, entityID, key)
}

// WithKey returns an IdP signing with key (fuzz targets use a fixed key:
// generating one under the fuzzer's instrumentation takes minutes).
func WithKey(t testing.TB, entityID string, key *rsa.PrivateKey) *IdP {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &IdP{EntityID: entityID, Key: key, Cert: cert}
}

// Metadata is the IdP's metadata document; validUntil is left out when
// zero.
func (idp *IdP) Metadata(validUntil time.Time) string {
	vu := ""
	if !validUntil.IsZero() {
		vu = ` validUntil="` + validUntil.UTC().Format(time.RFC3339) + `"`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + idp.EntityID + `"` + vu + `>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(idp.Cert.Raw) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`
}

// Assertion describes a response to build.
type Assertion struct {
	ID           string // assertion ID; random when empty
	Issuer       string // the IdP's entity ID when empty
	NameID       string
	NameIDFormat string
	Recipient    string // also the Audience unless Audience is set
	Audience     string
	NotBefore    time.Time
	NotOnOrAfter time.Time
	Attributes   map[string][]string
}

// Sign controls what Response signs.
type Sign int

const (
	SignAssertion Sign = iota // the assertion only, as most IdPs do
	SignResponse              // the response only
	SignNothing
)

// Response builds a base64 SAMLResponse for a, signed as asked.
func (idp *IdP) Response(t testing.TB, a Assertion, how Sign) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(idp.ResponseElement(t, a, how))
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ResponseElement is Response before encoding, for tests that tamper with it.
func (idp *IdP) ResponseElement(t testing.TB, a Assertion, how Sign) *etree.Element {
	t.Helper()
	if a.ID == "" {
		a.ID = "_a" + randomHex(t)
	}
	if a.Issuer == "" {
		a.Issuer = idp.EntityID
	}
	if a.Audience == "" {
		a.Audience = a.Recipient
	}
	if a.NameIDFormat == "" {
		a.NameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	now := time.Now().UTC()
	if a.NotBefore.IsZero() {
		a.NotBefore = now.Add(-time.Minute)
	}
	if a.NotOnOrAfter.IsZero() {
		a.NotOnOrAfter = now.Add(5 * time.Minute)
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	resp.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	resp.CreateAttr("ID", "_r"+randomHex(t))
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(now))
	resp.CreateAttr("Destination", a.Recipient)
	resp.CreateElement("saml:Issuer").SetText(a.Issuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")

	as := etree.NewElement("saml:Assertion")
	as.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	as.CreateAttr("ID", a.ID)
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", ts(now))
	as.CreateElement("saml:Issuer").SetText(a.Issuer)
	subj := as.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", a.NameIDFormat)
	nid.SetText(a.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	scd.CreateAttr("Recipient", a.Recipient)
	cond := as.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(a.NotBefore))
	cond.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(a.Audience)
	st := as.CreateElement("saml:AttributeStatement")
	for _, name := range sortedKeys(a.Attributes) {
		at := st.CreateElement("saml:Attribute")
		at.CreateAttr("Name", name)
		for _, v := range a.Attributes[name] {
			at.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	if how == SignAssertion {
		as = idp.sign(t, as)
	}
	resp.AddChild(as)
	if how == SignResponse {
		resp = idp.sign(t, resp)
	}
	return resp
}

// sign returns el with an enveloped signature (RSA-SHA256, exclusive c14n).
func (idp *IdP) sign(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(idp.Key, [][]byte{idp.Cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.IdAttribute = "ID"
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func randomHex(t testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
