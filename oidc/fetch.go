package oidc

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Bounds of every outbound fetch.
const (
	fetchTimeout = 5 * time.Second
	maxDocument  = 512 << 10 // bytes of a discovery document or key set
)

// fetcher gets issuer documents over HTTPS.
type fetcher struct {
	// roots are the certificate authorities a chain must verify against;
	// nil means the system's (SSL_CERT_FILE, SSL_CERT_DIR).
	roots *x509.CertPool
}

// errUntrusted is a TLS connection that neither the roots nor the
// registered thumbprints vouch for.
var errUntrusted = errors.New("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")

// verifyFor returns a tls.Config.VerifyConnection that accepts a chain the
// roots verify for the host or, failing that, one whose top certificate as
// presented by the server (the last one sent) has a SHA-1 thumbprint in
// thumbprints, as IAM documents for OIDC providers.
func (f *fetcher) verifyFor(thumbprints []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errUntrusted
		}
		opts := x509.VerifyOptions{DNSName: cs.ServerName, Roots: f.roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := cs.PeerCertificates[0].Verify(opts); err == nil {
			return nil
		}
		top := cs.PeerCertificates[len(cs.PeerCertificates)-1]
		sum := sha1.Sum(top.Raw)
		if slices.Contains(thumbprints, hex.EncodeToString(sum[:])) {
			return nil
		}
		return errUntrusted
	}
}

// getJSON fetches an https URL and decodes its JSON body into v.
func (f *fetcher) getJSON(ctx context.Context, rawURL string, thumbprints []string, v any) (maxAge time.Duration, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return 0, communication(err, "The OpenIDConnect provider's URL %s is not an https URL.", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	tr := &http.Transport{
		// Verification is VerifyConnection's, which also accepts the
		// registered thumbprints when the chain does not verify.
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, VerifyConnection: f.verifyFor(thumbprints), MinVersion: tls.VersionTLS12},
		DisableKeepAlives:      true,
		ResponseHeaderTimeout:  fetchTimeout,
		TLSHandshakeTimeout:    fetchTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		Proxy:                  http.ProxyFromEnvironment,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: fetchTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, communication(err, "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errUntrusted) {
			return 0, invalidToken("%s", errUntrusted.Error())
		}
		return 0, communication(err, "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, communication(fmt.Errorf("GET %s: %s", rawURL, resp.Status),
			"Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil || len(body) > maxDocument {
		return 0, communication(err, "The response of your identity provider at %s is too large or incomplete.", rawURL)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return 0, communication(err, "The response of your identity provider at %s is not valid JSON.", rawURL)
	}
	return cacheMaxAge(resp.Header.Get("Cache-Control")), nil
}

// cacheMaxAge reads max-age from a Cache-Control header (0 when absent).
func cacheMaxAge(h string) time.Duration {
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(k, "max-age") {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// Thumbprint is the thumbprint IAM registers for a certificate: the
// lower-case hex SHA-1 of its DER encoding.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return hex.EncodeToString(sum[:])
}
