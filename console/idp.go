package console

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/saml"
)

// Identity providers: the account's OpenID Connect and SAML providers, as
// the AWS console's "Identity providers" page shows them. Every fact and
// change is an IAM operation called as the signed-in principal.

// maxMetadataUpload bounds an uploaded SAML metadata file (the console
// reads at most 1 MiB of any request).
const maxMetadataUpload = 512 << 10

func (c *Console) idpRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/identity-providers", c.authed(c.listProviders))
	m.HandleFunc("GET /console/identity-providers/new", c.authed(c.newProviderPage))
	m.HandleFunc("POST /console/identity-providers", c.authed(c.createProvider))
	m.HandleFunc("GET /console/identity-providers/provider", c.authed(c.providerPage))
	m.HandleFunc("POST /console/identity-providers/provider", c.authed(c.providerAction))
	m.HandleFunc("POST /console/identity-providers/delete", c.authed(c.confirmed(dangerDeleteProvider, c.deleteProvider)))
}

type arnEntry struct {
	Arn string `xml:"Arn"`
}

type oidcProvidersResult struct {
	Providers []arnEntry `xml:"OpenIDConnectProviderList>member"`
}

type oidcProviderResult struct {
	URL         string    `xml:"Url"`
	ClientIDs   []string  `xml:"ClientIDList>member"`
	Thumbprints []string  `xml:"ThumbprintList>member"`
	CreateDate  time.Time `xml:"CreateDate"`
	Tags        []tagView `xml:"Tags>member"`
}

type samlProviderEntry struct {
	Arn        string    `xml:"Arn"`
	ValidUntil time.Time `xml:"ValidUntil"`
	CreateDate time.Time `xml:"CreateDate"`
}

type samlProvidersResult struct {
	Providers []samlProviderEntry `xml:"SAMLProviderList>member"`
}

type samlKeyView struct {
	KeyID     string    `xml:"KeyId"`
	Timestamp time.Time `xml:"Timestamp"`
}

type samlProviderResult struct {
	UUID             string        `xml:"SAMLProviderUUID"`
	Metadata         string        `xml:"SAMLMetadataDocument"`
	CreateDate       time.Time     `xml:"CreateDate"`
	ValidUntil       time.Time     `xml:"ValidUntil"`
	Tags             []tagView     `xml:"Tags>member"`
	EncryptionMode   string        `xml:"AssertionEncryptionMode"`
	PrivateKeys      []samlKeyView `xml:"PrivateKeyList>member"`
	EntityID         string        `xml:"-"`
	MetadataProblems string        `xml:"-"`
}

// providerRow is one line of the list page.
type providerRow struct {
	Name       string // the OIDC provider's host and path, or the SAML provider's name
	Type       string // "OpenID Connect" or "SAML"
	Arn        string
	CreateDate time.Time
	ValidUntil time.Time
}

// providerName is the name a provider's ARN gives it.
func providerName(arn string) (kind, name string) {
	if _, n, ok := strings.Cut(arn, ":oidc-provider/"); ok {
		return "oidc", n
	}
	if _, n, ok := strings.Cut(arn, ":saml-provider/"); ok {
		return "saml", n
	}
	return "", ""
}

func providerURL(arn string) string {
	return "/console/identity-providers/provider?arn=" + url.QueryEscape(arn)
}

// accountProviders lists the account's providers; an operation the
// principal may not call leaves its kind out and says so.
func (c *Console) accountProviders(ctx context.Context, p *warden.Principal, details bool) ([]providerRow, map[string]string, error) {
	var rows []providerRow
	denied := map[string]string{}
	var oidcs oidcProvidersResult
	if err := c.call(ctx, p, "ListOpenIDConnectProviders", nil, &oidcs); err != nil {
		if warden.ErrorCode(err) != warden.CodeAccessDenied {
			return nil, nil, err
		}
		denied["oidc"], _ = errMessage(err)
	}
	for _, e := range oidcs.Providers {
		_, name := providerName(e.Arn)
		row := providerRow{Name: name, Type: "OpenID Connect", Arn: e.Arn}
		if details {
			var got oidcProviderResult
			if c.call(ctx, p, "GetOpenIDConnectProvider", form("OpenIDConnectProviderArn", e.Arn), &got) == nil {
				row.CreateDate = got.CreateDate
			}
		}
		rows = append(rows, row)
	}
	var samls samlProvidersResult
	if err := c.call(ctx, p, "ListSAMLProviders", nil, &samls); err != nil {
		if warden.ErrorCode(err) != warden.CodeAccessDenied {
			return nil, nil, err
		}
		denied["saml"], _ = errMessage(err)
	}
	for _, e := range samls.Providers {
		_, name := providerName(e.Arn)
		rows = append(rows, providerRow{Name: name, Type: "SAML", Arn: e.Arn, CreateDate: e.CreateDate, ValidUntil: e.ValidUntil})
	}
	slices.SortStableFunc(rows, func(a, b providerRow) int { return byName(a.Name, b.Name) })
	return rows, denied, nil
}

type providersData struct {
	Providers []providerRow
	Denied    map[string]string
}

func (c *Console) listProviders(w http.ResponseWriter, r *http.Request, v *visit) {
	rows, denied, err := c.accountProviders(r.Context(), &v.p, true)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "idps.html", &view{Title: "Identity providers", Nav: "idps", Who: whoOf(v),
		Flash: flashOf(r), Data: providersData{Providers: rows, Denied: denied}})
}

// newProviderData is the create form, kept across a failed attempt.
type newProviderData struct {
	Type        string // oidc or saml
	URL         string
	ClientIDs   string // one a line
	Thumbprint  string
	Computed    string // the thumbprint Warden fetched
	FetchError  string
	Name        string
	CSRF        string
	MaxMetadata int
}

func (c *Console) newProviderPage(w http.ResponseWriter, r *http.Request, v *visit) {
	t := r.URL.Query().Get("type")
	if t != "saml" {
		t = "oidc"
	}
	c.renderNewProvider(w, r, v, http.StatusOK, newProviderData{Type: t, ClientIDs: "sts.amazonaws.com"}, "")
}

func (c *Console) renderNewProvider(w http.ResponseWriter, r *http.Request, v *visit, status int, d newProviderData, errMsg string) {
	d.CSRF, d.MaxMetadata = v.sess.CSRF, maxMetadataUpload>>10
	c.render(w, r, status, "idpnew.html", &view{Title: "Add an identity provider", Nav: "idps", Who: whoOf(v), Error: errMsg, Data: d})
}

// lines splits text into its non-empty trimmed lines (commas separate too).
func lines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// memberList adds prefix.member.N parameters.
func memberList(f url.Values, prefix string, values []string) url.Values {
	for i, v := range values {
		f.Set(prefix+".member."+strconv.Itoa(i+1), v)
	}
	return f
}

func (c *Console) createProvider(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	d := newProviderData{Type: r.PostFormValue("type"), URL: strings.TrimSpace(r.PostFormValue("url")),
		ClientIDs: r.PostFormValue("client-ids"), Thumbprint: strings.TrimSpace(r.PostFormValue("thumbprint")),
		Name: strings.TrimSpace(r.PostFormValue("name"))}
	switch d.Type {
	case "oidc":
		if r.PostFormValue("op") == "thumbprint" {
			d.Computed, d.FetchError = fetchThumbprint(ctx, d.URL)
			if d.Computed != "" && d.Thumbprint == "" {
				d.Thumbprint = d.Computed
			}
			c.renderNewProvider(w, r, v, http.StatusOK, d, "")
			return
		}
		f := memberList(form("Url", d.URL), "ClientIDList", lines(d.ClientIDs))
		memberList(f, "ThumbprintList", lines(d.Thumbprint))
		var out struct {
			Arn string `xml:"OpenIDConnectProviderArn"`
		}
		if err := c.call(ctx, &v.p, "CreateOpenIDConnectProvider", f, &out); err != nil {
			c.failOn(w, r, v, err, func(msg string) { c.renderNewProvider(w, r, v, http.StatusBadRequest, d, msg) })
			return
		}
		redirect(w, r, providerURL(out.Arn), "provider-created")
	case "saml":
		doc, msg := metadataUpload(r)
		if msg != "" {
			c.renderNewProvider(w, r, v, http.StatusBadRequest, d, msg)
			return
		}
		var out struct {
			Arn string `xml:"SAMLProviderArn"`
		}
		if err := c.call(ctx, &v.p, "CreateSAMLProvider", form("Name", d.Name, "SAMLMetadataDocument", doc), &out); err != nil {
			c.failOn(w, r, v, err, func(msg string) { c.renderNewProvider(w, r, v, http.StatusBadRequest, d, msg) })
			return
		}
		redirect(w, r, providerURL(out.Arn), "provider-created")
	default:
		c.renderNewProvider(w, r, v, http.StatusBadRequest, newProviderData{Type: "oidc"}, "Choose a provider type: OpenID Connect or SAML.")
	}
}

// metadataUpload reads the uploaded metadata file of a multipart form, or
// says in words what is wrong with it.
func metadataUpload(r *http.Request) (string, string) {
	f, hdr, err := r.FormFile("metadata")
	if err != nil {
		return "", "Choose the metadata document (XML) your identity provider gives you."
	}
	defer f.Close()
	if hdr.Size > maxMetadataUpload {
		return "", "The metadata document is larger than 512 KiB."
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMetadataUpload+1))
	if err != nil || len(b) > maxMetadataUpload {
		return "", "The metadata document is larger than 512 KiB."
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return "", "The metadata document is empty."
	}
	return string(b), ""
}

// fetchThumbprint connects to the provider URL's host over TLS and returns
// the thumbprint IAM would register: the SHA-1 of the last certificate of
// the chain the server presents. It only reads the certificates; nothing is
// trusted by it. A failure is returned in words.
func fetchThumbprint(ctx context.Context, raw string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", "Enter the provider URL (https://…) first."
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", "Could not fetch the certificate chain of " + host + ": " + dialProblem(err) + ". Paste the thumbprint instead."
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", host + " presented no certificate. Paste the thumbprint instead."
	}
	return oidc.Thumbprint(certs[len(certs)-1]), ""
}

func dialProblem(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer within 5 seconds"
	case strings.Contains(err.Error(), "refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "no such host"):
		return "no such host"
	}
	return "no TLS connection"
}

type providerData struct {
	Kind    string // oidc or saml
	Name    string
	Arn     string
	OIDC    oidcProviderResult
	SAML    samlProviderResult
	CSRF    string
	Expired bool
}

func (c *Console) providerPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderProvider(w, r, v, http.StatusOK, r.URL.Query().Get("arn"), "")
}

func (c *Console) renderProvider(w http.ResponseWriter, r *http.Request, v *visit, status int, arn, errMsg string) {
	ctx := r.Context()
	kind, name := providerName(arn)
	d := providerData{Kind: kind, Name: name, Arn: arn, CSRF: v.sess.CSRF}
	var err error
	switch kind {
	case "oidc":
		err = c.call(ctx, &v.p, "GetOpenIDConnectProvider", form("OpenIDConnectProviderArn", arn), &d.OIDC)
	case "saml":
		err = c.call(ctx, &v.p, "GetSAMLProvider", form("SAMLProviderArn", arn), &d.SAML)
		if err == nil {
			if md, perr := saml.ParseMetadata([]byte(d.SAML.Metadata), c.now()); perr == nil {
				d.SAML.EntityID = md.EntityID
			} else {
				d.SAML.MetadataProblems = perr.Error()
			}
			d.Expired = !d.SAML.ValidUntil.IsZero() && c.now().After(d.SAML.ValidUntil)
		}
	default:
		err = warden.Errorf(warden.CodeNoSuchEntity, "There is no identity provider with the ARN %q.", arn)
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "idp.html", &view{Title: name, Nav: "idps", Who: whoOf(v), Flash: flashOf(r), Error: errMsg, Data: d})
}

func (c *Console) providerAction(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	arn := r.PostFormValue("arn")
	kind, _ := providerName(arn)
	arnParam := "OpenIDConnectProviderArn"
	tagSuffix := "OpenIDConnectProvider"
	if kind == "saml" {
		arnParam, tagSuffix = "SAMLProviderArn", "SAMLProvider"
	}
	var err error
	switch op := r.PostFormValue("op"); {
	case kind == "oidc" && op == "add-client":
		err = c.call(ctx, &v.p, "AddClientIDToOpenIDConnectProvider", form(arnParam, arn, "ClientID", strings.TrimSpace(r.PostFormValue("client-id"))), nil)
	case kind == "oidc" && op == "remove-client":
		err = c.call(ctx, &v.p, "RemoveClientIDFromOpenIDConnectProvider", form(arnParam, arn, "ClientID", r.PostFormValue("client-id")), nil)
	case kind == "oidc" && op == "thumbprints":
		err = c.call(ctx, &v.p, "UpdateOpenIDConnectProviderThumbprint",
			memberList(form(arnParam, arn), "ThumbprintList", lines(r.PostFormValue("thumbprints"))), nil)
	case kind == "saml" && op == "metadata":
		doc, msg := metadataUpload(r)
		if msg != "" {
			c.renderProvider(w, r, v, http.StatusBadRequest, arn, msg)
			return
		}
		err = c.call(ctx, &v.p, "UpdateSAMLProvider", form(arnParam, arn, "SAMLMetadataDocument", doc), nil)
	case kind == "saml" && op == "add-key":
		f, hdr, ferr := r.FormFile("private-key")
		if ferr != nil || hdr.Size > 16384 {
			c.renderProvider(w, r, v, http.StatusBadRequest, arn, "Choose a private key file (PEM, at most 16 KiB).")
			return
		}
		b, _ := io.ReadAll(io.LimitReader(f, 16385))
		f.Close()
		err = c.call(ctx, &v.p, "UpdateSAMLProvider", form(arnParam, arn, "AddPrivateKey", string(b)), nil)
	case kind == "saml" && op == "remove-key":
		err = c.call(ctx, &v.p, "UpdateSAMLProvider", form(arnParam, arn, "RemovePrivateKey", r.PostFormValue("key-id")), nil)
	case kind == "saml" && op == "mode":
		err = c.call(ctx, &v.p, "UpdateSAMLProvider", form(arnParam, arn, "AssertionEncryptionMode", r.PostFormValue("mode")), nil)
	case kind != "" && op == "tag":
		err = c.call(ctx, &v.p, "Tag"+tagSuffix, form(arnParam, arn, "Tags.member.1.Key", strings.TrimSpace(r.PostFormValue("key")),
			"Tags.member.1.Value", r.PostFormValue("value")), nil)
	case kind != "" && op == "untag":
		err = c.call(ctx, &v.p, "Untag"+tagSuffix, form(arnParam, arn, "TagKeys.member.1", r.PostFormValue("key")), nil)
	default:
		c.renderError(w, r, v, http.StatusBadRequest, "Request failed", "The form asks for nothing this page does.")
		return
	}
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderProvider(w, r, v, http.StatusBadRequest, arn, msg) })
		return
	}
	redirect(w, r, providerURL(arn), "saved")
}

var dangerDeleteProvider = danger{title: "Delete identity provider", what: func(r *http.Request) string {
	return "Delete identity provider " + r.PostFormValue("arn") + ". Roles that trust it can no longer be assumed with its tokens or assertions; " +
		"sessions already issued keep working until they expire."
}, typed: func(r *http.Request) string {
	_, name := providerName(r.PostFormValue("arn"))
	return name
}}

func (c *Console) deleteProvider(w http.ResponseWriter, r *http.Request, v *visit) {
	arn := r.PostFormValue("arn")
	var err error
	switch kind, _ := providerName(arn); kind {
	case "oidc":
		err = c.call(r.Context(), &v.p, "DeleteOpenIDConnectProvider", form("OpenIDConnectProviderArn", arn), nil)
	case "saml":
		err = c.call(r.Context(), &v.p, "DeleteSAMLProvider", form("SAMLProviderArn", arn), nil)
	default:
		err = warden.Errorf(warden.CodeNoSuchEntity, "There is no identity provider with the ARN %q.", arn)
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	redirect(w, r, "/console/identity-providers", "provider-deleted")
}
