package saml_test

import (
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
)

func TestParseMetadata(t *testing.T) {
	idp := samltest.New(t, "https://idp.example.com/metadata")
	now := time.Now()
	md, err := saml.ParseMetadata([]byte(idp.Metadata(now.Add(48*time.Hour))), now)
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != "https://idp.example.com/metadata" || len(md.Certificates) != 1 || md.ValidUntil.IsZero() {
		t.Errorf("metadata = %+v", md)
	}
	if md, err := saml.ParseMetadata([]byte(idp.Metadata(time.Time{})), now); err != nil || !md.ValidUntil.IsZero() {
		t.Errorf("without validUntil: %+v, %v", md, err)
	}
	good := idp.Metadata(time.Time{})
	for name, doc := range map[string]string{
		"expired":       idp.Metadata(now.Add(-time.Hour)),
		"not XML":       "hello",
		"no entity ID":  strings.Replace(good, `entityID="https://idp.example.com/metadata"`, "", 1),
		"no signing":    strings.Replace(good, `use="signing"`, `use="encryption"`, 1),
		"bad cert":      strings.Replace(good, "<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1),
		"wrong ns":      strings.Replace(good, "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example", 1),
		"doctype":       `<!DOCTYPE x [<!ENTITY a "b">]>` + good[strings.Index(good, "<md:"):],
		"no SAML 2 IDP": strings.Replace(good, "urn:oasis:names:tc:SAML:2.0:protocol", "urn:other", 1),
	} {
		if _, err := saml.ParseMetadata([]byte(doc), now); err == nil {
			t.Errorf("%s: metadata accepted", name)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	idp := samltest.New(f, "https://idp.example.com")
	f.Add(idp.Metadata(time.Time{}))
	f.Add(idp.Metadata(time.Now().Add(time.Hour)))
	f.Add(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`)
	f.Fuzz(func(t *testing.T, doc string) {
		md, err := saml.ParseMetadata([]byte(doc), time.Now())
		if err == nil && (md.EntityID == "" || len(md.Certificates) == 0) {
			t.Fatalf("accepted metadata without entity ID or certificates: %q", doc)
		}
	})
}
