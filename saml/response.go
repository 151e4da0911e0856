package saml

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// XML namespaces of SAML 2.0 and XML-DSig.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Attribute names AWS reads from assertions.
const (
	AttrRole            = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity  = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	AttrTagPrefix       = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	AttrTransitiveTags  = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// maxResponse bounds a decoded SAMLResponse (the API takes 100,000
// characters of base64).
const maxResponse = 100000

// skew is the clock skew allowed on NotBefore and NotOnOrAfter.
const skew = 5 * time.Minute

// Assertion is what a verified SAML response asserts.
type Assertion struct {
	ID           string
	Issuer       string
	NameID       string
	NameIDFormat string
	// Recipient is the SubjectConfirmationData Recipient, the URL the
	// assertion was meant for (saml:aud).
	Recipient    string
	Audiences    []string
	NotOnOrAfter time.Time // the earliest of the assertion's limits
	// Attributes maps each attribute Name to its values.
	Attributes map[string][]string
}

// Expectations are what a response must satisfy.
type Expectations struct {
	Issuer       string // the provider's entity ID
	Certificates []*x509.Certificate
	// Recipients are the accepted Recipient and Audience values, e.g.
	// https://signin.aws.amazon.com/saml.
	Recipients []string
	Now        time.Time
	// DecryptionKeys decrypt an EncryptedAssertion (the SAML provider's
	// private keys); with RequireEncryption a plaintext assertion is
	// refused.
	DecryptionKeys    []*rsa.PrivateKey
	RequireEncryption bool
}

// Error is a refusal of a SAML response; Expired says it is only late.
type Error struct {
	Message string
	Expired bool
}

func (e *Error) Error() string { return e.Message }

func refuse(msg string) *Error { return &Error{Message: msg} }

// Verify decodes a base64 SAMLResponse, verifies its XML signature (of the
// Response or of its Assertion) against the certificates, and returns the
// assertion's content as signed: everything is read from the element the
// signature covers, never from the unverified document, so an assertion
// wrapped beside or inside a signed one is not seen. It checks the status,
// the Issuer, Audience and Recipient, NotBefore and NotOnOrAfter, and that
// the subject is a bearer. Errors are *Error.
func Verify(response string, want Expectations) (*Assertion, error) {
	if len(response) > maxResponse*2 {
		return nil, refuse("The SAML response is too large.")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(response), ""))
	if err != nil || len(raw) > maxResponse*2 {
		return nil, refuse("The SAML response is not base64-encoded XML.")
	}
	if strings.Contains(string(raw), "<!DOCTYPE") || strings.Contains(string(raw), "<!ENTITY") {
		return nil, refuse("The SAML response must not have a document type declaration.")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, refuse("The SAML response is not well-formed XML.")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, refuse("The SAML response has no Response element.")
	}
	if len(want.Certificates) == 0 {
		return nil, refuse("The SAML provider has no signing certificate.")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: want.Certificates})
	vc.IdAttribute = "ID"

	var assertion *etree.Element
	if hasSignature(root) {
		signed, err := vc.Validate(root)
		if err != nil {
			return nil, refuse("The signature of the SAML response is not valid.")
		}
		if err := checkStatus(signed); err != nil {
			return nil, err
		}
		if assertion, err = assertionOf(signed, want); err != nil {
			return nil, err
		}
		// An assertion signed as well must verify too.
		if hasSignature(assertion) {
			if assertion, err = vc.Validate(assertion); err != nil {
				return nil, refuse("The signature of the SAML assertion is not valid.")
			}
		}
	} else {
		if err := checkStatus(root); err != nil {
			return nil, err
		}
		a, err := assertionOf(root, want)
		if err != nil {
			return nil, err
		}
		if !hasSignature(a) {
			return nil, refuse("The SAML response is not signed.")
		}
		if assertion, err = vc.Validate(a); err != nil {
			return nil, refuse("The signature of the SAML assertion is not valid.")
		}
	}
	return readAssertion(assertion, want)
}

// hasSignature reports whether el has an enveloped ds:Signature child.
func hasSignature(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			return true
		}
	}
	return false
}

// assertionOf returns the one Assertion of a response, decrypting an
// EncryptedAssertion with the provider's keys; none or several is a
// refusal (several is how wrapping attacks start).
func assertionOf(resp *etree.Element, want Expectations) (*etree.Element, error) {
	var plain, enc *etree.Element
	n := 0
	for _, c := range resp.ChildElements() {
		if c.NamespaceURI() != nsAssertion {
			continue
		}
		switch c.Tag {
		case "Assertion":
			plain, n = c, n+1
		case "EncryptedAssertion":
			enc, n = c, n+1
		}
	}
	switch {
	case n == 0:
		return nil, refuse("The SAML response has no Assertion.")
	case n > 1:
		return nil, refuse("The SAML response has more than one Assertion.")
	case plain != nil:
		if want.RequireEncryption {
			return nil, refuse("The SAML provider requires encrypted assertions, and this one is not encrypted.")
		}
		return plain, nil
	case len(want.DecryptionKeys) == 0:
		return nil, refuse("The SAML assertion is encrypted, but the SAML provider has no private key to decrypt it.")
	}
	return decryptAssertion(enc, want.DecryptionKeys)
}

func checkStatus(resp *etree.Element) error {
	for _, st := range resp.ChildElements() {
		if st.Tag != "Status" {
			continue
		}
		for _, code := range st.ChildElements() {
			if code.Tag == "StatusCode" && code.SelectAttrValue("Value", "") == "urn:oasis:names:tc:SAML:2.0:status:Success" {
				return nil
			}
		}
	}
	return refuse("The SAML response does not report success.")
}

func child(el *etree.Element, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsAssertion {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == nsAssertion {
			out = append(out, c)
		}
	}
	return out
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// readAssertion reads and checks a verified assertion.
func readAssertion(el *etree.Element, want Expectations) (*Assertion, error) {
	a := &Assertion{ID: el.SelectAttrValue("ID", ""), Attributes: map[string][]string{}}
	if a.ID == "" {
		return nil, refuse("The SAML assertion has no ID.")
	}
	if iss := child(el, "Issuer"); iss != nil {
		a.Issuer = strings.TrimSpace(iss.Text())
	}
	if a.Issuer != want.Issuer {
		return nil, refuse("The issuer of the SAML assertion does not match the provider's entity ID.")
	}
	subj := child(el, "Subject")
	if nid := child(subj, "NameID"); nid != nil {
		a.NameID = strings.TrimSpace(nid.Text())
		a.NameIDFormat = nid.SelectAttrValue("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
	}
	if a.NameID == "" {
		return nil, refuse("The SAML assertion has no NameID.")
	}
	var limits []time.Time
	bearer := false
	for _, sc := range children(subj, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
			continue
		}
		data := child(sc, "SubjectConfirmationData")
		if data == nil {
			continue
		}
		r := data.SelectAttrValue("Recipient", "")
		if !contains(want.Recipients, r) {
			continue
		}
		t, ok := parseTime(data.SelectAttrValue("NotOnOrAfter", ""))
		if !ok {
			continue
		}
		bearer, a.Recipient = true, r
		limits = append(limits, t)
		break
	}
	if !bearer {
		return nil, refuse("The SAML assertion has no bearer subject confirmation for this service's recipient URL.")
	}
	cond := child(el, "Conditions")
	if cond == nil {
		return nil, refuse("The SAML assertion has no Conditions.")
	}
	if nb, ok := parseTime(cond.SelectAttrValue("NotBefore", "")); ok && want.Now.Add(skew).Before(nb) {
		return nil, refuse("The SAML assertion is not valid yet (NotBefore).")
	}
	if t, ok := parseTime(cond.SelectAttrValue("NotOnOrAfter", "")); ok {
		limits = append(limits, t)
	}
	for _, t := range limits {
		if a.NotOnOrAfter.IsZero() || t.Before(a.NotOnOrAfter) {
			a.NotOnOrAfter = t
		}
	}
	if !want.Now.Add(-skew).Before(a.NotOnOrAfter) {
		return nil, &Error{Message: "The SAML assertion has expired (NotOnOrAfter).", Expired: true}
	}
	audOK := false
	for _, ar := range children(cond, "AudienceRestriction") {
		for _, au := range children(ar, "Audience") {
			v := strings.TrimSpace(au.Text())
			a.Audiences = append(a.Audiences, v)
			audOK = audOK || contains(want.Recipients, v)
		}
	}
	if !audOK {
		return nil, refuse("The audience of the SAML assertion is not this service.")
	}
	for _, st := range children(el, "AttributeStatement") {
		for _, at := range children(st, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			for _, v := range children(at, "AttributeValue") {
				a.Attributes[name] = append(a.Attributes[name], strings.TrimSpace(v.Text()))
			}
		}
	}
	return a, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// NameQualifier is saml:namequalifier: the base64 SHA-1 of the issuer,
// the account ID and "/" with the provider's name, as AWS computes it.
func NameQualifier(issuer, account, providerName string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ErrNoRole is returned by RoleFor when no Role attribute value pairs the
// role with the provider.
var ErrNoRole = errors.New("no Role attribute value names this role and provider")

// RoleFor checks that one value of the Role attribute pairs roleARN with
// providerARN ("role,provider" in either order).
func (a *Assertion) RoleFor(roleARN, providerARN string) error {
	for _, v := range a.Attributes[AttrRole] {
		first, second, ok := strings.Cut(v, ",")
		first, second = strings.TrimSpace(first), strings.TrimSpace(second)
		if ok && (first == roleARN && second == providerARN || first == providerARN && second == roleARN) {
			return nil
		}
	}
	return ErrNoRole
}
