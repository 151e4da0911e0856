package console

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/saml/samltest"
)

// upload posts a multipart form with one file field, metadata.
func (b *browser) upload(path string, vals url.Values, file []byte) page {
	b.t.Helper()
	return b.uploadAs(path, "metadata", vals, file)
}

// uploadAs posts a multipart form with one file field named field.
func (b *browser) uploadAs(path, field string, vals url.Values, file []byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, "upload")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(data), header: resp.Header}
}

// TestIdentityProviderPages walks the identity provider pages as root: an
// OIDC provider with the thumbprint Warden fetches from a TLS server on
// loopback, its audiences, thumbprints and tags; a SAML provider from an
// uploaded metadata file (and refusals of bad and oversized ones); both in
// the list and in the create-role templates; deletion behind a typed name.
func TestIdentityProviderPages(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	issuer := httptest.NewTLSServer(http.NotFoundHandler())
	defer issuer.Close()
	want := oidc.Thumbprint(issuer.Certificate())

	tok := b.token("/console/identity-providers/new")
	p := b.post("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"oidc"}, "op": {"thumbprint"}, "url": {issuer.URL + "/issuer"}}, "")
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="computed-thumbprint">`+want+`<`) {
		t.Fatalf("thumbprint of the loopback issuer: %d %s", p.status, excerpt(p.body))
	}
	// An address that answers nothing: said in words, paste one instead.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := strings.Replace(dead.URL, "http://", "https://", 1)
	dead.Close()
	p = b.post("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"oidc"}, "op": {"thumbprint"}, "url": {deadURL}}, "")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Could not fetch the certificate chain") {
		t.Errorf("thumbprint of a closed port: %d %s", p.status, excerpt(p.body))
	}
	p = b.post("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"oidc"}, "op": {"create"}, "url": {issuer.URL + "/issuer"},
		"client-ids": {"sts.amazonaws.com\napp-1"}, "thumbprint": {want}}, "")
	host := strings.TrimPrefix(issuer.URL, "https://")
	oidcARN := "arn:aws:iam::" + testAccount + ":oidc-provider/" + host + "/issuer"
	expect(t, p, http.StatusSeeOther, providerURL(oidcARN)+"&done=provider-created")
	page := b.get(providerURL(oidcARN))
	for _, w := range []string{oidcARN, "app-1", "sts.amazonaws.com", want} {
		if !strings.Contains(page.body, w) {
			t.Errorf("OIDC provider page lacks %q: %s", w, excerpt(page.body))
		}
	}
	p = b.post("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"oidc"}, "op": {"create"}, "url": {"http://plain.example.com"}}, "")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "InvalidInput") {
		t.Errorf("http provider URL: %d %s", p.status, excerpt(p.body))
	}

	tok = b.token(providerURL(oidcARN))
	for _, f := range []url.Values{
		{"op": {"add-client"}, "client-id": {"app-2"}},
		{"op": {"remove-client"}, "client-id": {"app-1"}},
		{"op": {"thumbprints"}, "thumbprints": {strings.Repeat("a", 40) + "\n" + strings.Repeat("b", 40)}},
		{"op": {"tag"}, "key": {"team"}, "value": {"platform"}},
	} {
		f.Set("csrf", tok)
		f.Set("arn", oidcARN)
		expect(t, b.post("/console/identity-providers/provider", f, ""), http.StatusSeeOther, providerURL(oidcARN)+"&done=saved")
	}
	var got oidcProviderResult
	res, err := s.iam.Invoke(t.Context(), &s.root, "GetOpenIDConnectProvider", form("OpenIDConnectProviderArn", oidcARN))
	if err != nil {
		t.Fatal(err)
	}
	s.decode(res, &got)
	if strings.Join(got.ClientIDs, ",") != "sts.amazonaws.com,app-2" || len(got.Thumbprints) != 2 || len(got.Tags) != 1 || got.Tags[0].Value != "platform" {
		t.Errorf("after the edits: %+v", got)
	}
	p = b.post("/console/identity-providers/provider", url.Values{"csrf": {tok}, "arn": {oidcARN}, "op": {"thumbprints"}, "thumbprints": {"not-hex"}}, "")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "ValidationError") {
		t.Errorf("bad thumbprint: %d %s", p.status, excerpt(p.body))
	}

	// SAML: from an uploaded metadata file.
	idp := samltest.New(t, "https://idp.example.com/metadata")
	until := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	tok = b.token("/console/identity-providers/new?type=saml")
	p = b.upload("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"saml"}, "name": {"Corp"}}, []byte(idp.Metadata(until)))
	samlARN := "arn:aws:iam::" + testAccount + ":saml-provider/Corp"
	expect(t, p, http.StatusSeeOther, providerURL(samlARN)+"&done=provider-created")
	page = b.get(providerURL(samlARN))
	for _, w := range []string{samlARN, "https://idp.example.com/metadata", until.Format("2006-01-02 15:04 UTC"), "X509Certificate"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("SAML provider page lacks %q: %s", w, excerpt(page.body))
		}
	}
	for _, tc := range []struct {
		name   string
		file   []byte
		status int
		msg    string
	}{
		{"too short for metadata", []byte("<html>hello</html>"), http.StatusBadRequest, "ValidationError"},
		{"not metadata", []byte("<html>" + strings.Repeat("hello ", 200) + "</html>"), http.StatusBadRequest, "InvalidInput"},
		{"empty", nil, http.StatusBadRequest, "The metadata document is empty."},
		{"over the upload bound", bytes.Repeat([]byte("x"), maxMetadataUpload+1), http.StatusBadRequest, "larger than 512 KiB"},
		{"over the console's request bound", bytes.Repeat([]byte("x"), 2<<20), http.StatusRequestEntityTooLarge, "larger than the console accepts"},
	} {
		p = b.upload("/console/identity-providers", url.Values{"csrf": {tok}, "type": {"saml"}, "name": {"Other"}}, tc.file)
		if p.status != tc.status || !strings.Contains(p.body, tc.msg) {
			t.Errorf("%s: %d %s", tc.name, p.status, excerpt(p.body))
		}
	}
	// New metadata replaces the old: another entity ID.
	tok = b.token(providerURL(samlARN))
	other := samltest.New(t, "https://idp2.example.com/metadata")
	expect(t, b.upload("/console/identity-providers/provider", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"metadata"}}, []byte(other.Metadata(time.Time{}))),
		http.StatusSeeOther, providerURL(samlARN)+"&done=saved")
	if page = b.get(providerURL(samlARN)); !strings.Contains(page.body, "https://idp2.example.com/metadata") {
		t.Errorf("metadata not replaced: %s", excerpt(page.body))
	}

	// Private keys: uploaded sealed, listed by ID only; Required needs one.
	tok = b.token(providerURL(samlARN))
	p = b.post("/console/identity-providers/provider", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"mode"}, "mode": {"Required"}}, "")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "needs a private key") {
		t.Errorf("Required without a key: %d %s", p.status, excerpt(p.body))
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	expect(t, b.uploadAs("/console/identity-providers/provider", "private-key", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"add-key"}}, keyPEM),
		http.StatusSeeOther, providerURL(samlARN)+"&done=saved")
	expect(t, b.post("/console/identity-providers/provider", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"mode"}, "mode": {"Required"}}, ""),
		http.StatusSeeOther, providerURL(samlARN)+"&done=saved")
	page = b.get(providerURL(samlARN))
	keyID := regexp.MustCompile(`name="key-id" value="([A-Z0-9]{22})"`).FindStringSubmatch(page.body)
	if keyID == nil || !strings.Contains(page.body, `id="encryption-mode">Required<`) || strings.Contains(page.body, string(keyPEM[40:80])) {
		t.Fatalf("provider page after adding a key: %s", excerpt(page.body))
	}
	p = b.uploadAs("/console/identity-providers/provider", "private-key", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"add-key"}}, []byte("not a key"))
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "InvalidInput") {
		t.Errorf("bad key: %d %s", p.status, excerpt(p.body))
	}
	p = b.post("/console/identity-providers/provider", url.Values{"csrf": {tok}, "arn": {samlARN}, "op": {"remove-key"}, "key-id": {keyID[1]}}, "")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "needs a private key") {
		t.Errorf("removing the last key while Required: %d %s", p.status, excerpt(p.body))
	}

	list := b.get("/console/identity-providers")
	if !strings.Contains(list.body, ">Corp<") || !strings.Contains(list.body, ">"+host+"/issuer<") || !strings.Contains(list.body, "OpenID Connect") {
		t.Errorf("list: %s", excerpt(list.body))
	}

	// The role templates offer the account's providers.
	newRole := b.get("/console/roles/new")
	if !strings.Contains(newRole.body, `<option value="`+samlARN+`"`) || !strings.Contains(newRole.body, `<option value="`+host+`/issuer"`) {
		t.Errorf("the create-role page does not offer the providers: %s", excerpt(newRole.body))
	}
	tok = b.token("/console/roles/new")
	expect(t, b.post("/console/roles", url.Values{"csrf": {tok}, "entity": {"saml"}, "saml-provider": {samlARN}, "name": {"Federated"}}, ""),
		http.StatusSeeOther, "/console/roles/Federated?done=role-created")
	expect(t, b.post("/console/roles", url.Values{"csrf": {tok}, "entity": {"webidentity"}, "oidc-provider": {host + "/issuer"},
		"audience": {"app-2"}, "name": {"CI"}}, ""), http.StatusSeeOther, "/console/roles/CI?done=role-created")
	if page = b.get("/console/roles/CI"); !strings.Contains(page.body, host+"/issuer:aud") || !strings.Contains(page.body, oidcARN) {
		t.Errorf("web identity role's trust: %s", excerpt(page.body))
	}
	if page = b.get("/console/roles/Federated"); !strings.Contains(page.body, samlARN) || !strings.Contains(page.body, "sts:AssumeRoleWithSAML") {
		t.Errorf("SAML role's trust: %s", excerpt(page.body))
	}
	p = b.post("/console/roles", url.Values{"csrf": {tok}, "entity": {"saml"}, "saml-provider": {oidcARN}, "name": {"Wrong"}}, "")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Choose the account") {
		t.Errorf("SAML template with an OIDC provider: %d %s", p.status, excerpt(p.body))
	}

	// Deleting asks for the name typed.
	tok = b.token(providerURL(samlARN))
	p = b.post("/console/identity-providers/delete", url.Values{"csrf": {tok}, "arn": {samlARN}}, "")
	if p.status != http.StatusOK || !strings.Contains(p.body, "type <strong>Corp</strong>") {
		t.Fatalf("delete without confirmation: %d %s", p.status, excerpt(p.body))
	}
	p = b.post("/console/identity-providers/delete", url.Values{"csrf": {tok}, "arn": {samlARN}, "confirmed": {"yes"}, "typed": {"corp"}}, "")
	if p.status != http.StatusBadRequest {
		t.Errorf("delete with the wrong name: %d", p.status)
	}
	expect(t, b.post("/console/identity-providers/delete", url.Values{"csrf": {tok}, "arn": {samlARN}, "confirmed": {"yes"}, "typed": {"Corp"}}, ""),
		http.StatusSeeOther, "/console/identity-providers?done=provider-deleted")
	if p = b.get(providerURL(samlARN)); p.status != http.StatusNotFound {
		t.Errorf("deleted provider's page: %d", p.status)
	}
	if p = b.get(providerURL("arn:aws:iam::" + testAccount + ":user/x")); p.status != http.StatusNotFound {
		t.Errorf("not a provider ARN: %d", p.status)
	}
}
