// Package saml reads SAML 2.0 identity provider metadata for IAM's SAML
// providers: the IdP's entity ID, its signing certificates and the
// metadata's validity. It is pure: no I/O.
package saml

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"strings"
	"time"
)

const nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"

// Metadata is what IAM keeps of an IdP's metadata document.
type Metadata struct {
	EntityID string
	// Certificates are the DER X.509 certificates the IdP signs with.
	Certificates [][]byte
	// ValidUntil is the metadata's validUntil, zero when it has none.
	ValidUntil time.Time
}

type entityDescriptor struct {
	XMLName    xml.Name `xml:"EntityDescriptor"`
	EntityID   string   `xml:"entityID,attr"`
	ValidUntil string   `xml:"validUntil,attr"`
	IDP        []struct {
		ValidUntil string `xml:"validUntil,attr"`
		Protocols  string `xml:"protocolSupportEnumeration,attr"`
		Keys       []struct {
			Use   string   `xml:"use,attr"`
			Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
	} `xml:"IDPSSODescriptor"`
}

// ParseMetadata reads an IdP metadata document: an EntityDescriptor with an
// entityID and an IDPSSODescriptor for SAML 2.0 holding at least one signing
// certificate (a KeyDescriptor with use="signing" or no use). It refuses
// metadata whose validUntil has passed at now. Errors say what is wrong in
// words fit for the caller.
func ParseMetadata(doc []byte, now time.Time) (*Metadata, error) {
	if bytes.Contains(doc, []byte("<!DOCTYPE")) || bytes.Contains(doc, []byte("<!ENTITY")) {
		return nil, errors.New("the metadata document must not have a document type declaration")
	}
	var ed entityDescriptor
	dec := xml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&ed); err != nil {
		return nil, errors.New("the metadata document is not well-formed XML with an EntityDescriptor")
	}
	if ed.XMLName.Space != nsMetadata {
		return nil, errors.New("the EntityDescriptor is not in the SAML 2.0 metadata namespace")
	}
	md := &Metadata{EntityID: strings.TrimSpace(ed.EntityID)}
	if md.EntityID == "" || len(md.EntityID) > 1024 {
		return nil, errors.New("the EntityDescriptor has no entityID")
	}
	valid := ed.ValidUntil
	found := false
	for _, idp := range ed.IDP {
		if !strings.Contains(idp.Protocols, "urn:oasis:names:tc:SAML:2.0:protocol") {
			continue
		}
		found = true
		if idp.ValidUntil != "" && (valid == "" || idp.ValidUntil < valid) {
			valid = idp.ValidUntil
		}
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
				if err != nil {
					return nil, errors.New("an X509Certificate of the metadata is not base64")
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, errors.New("an X509Certificate of the metadata is not a valid certificate")
				}
				md.Certificates = append(md.Certificates, der)
			}
		}
	}
	if !found {
		return nil, errors.New("the metadata has no IDPSSODescriptor for SAML 2.0")
	}
	if len(md.Certificates) == 0 {
		return nil, errors.New("the metadata has no signing certificate")
	}
	if valid != "" {
		t, err := time.Parse(time.RFC3339, valid)
		if err != nil {
			return nil, errors.New("the validUntil of the metadata is not a dateTime")
		}
		if !now.Before(t) {
			return nil, errors.New("the metadata expired at its validUntil " + t.UTC().Format(time.RFC3339))
		}
		md.ValidUntil = t.UTC()
	}
	return md, nil
}

// Certificates parses the DER certificates kept from metadata.
func Certificates(ders [][]byte) ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
