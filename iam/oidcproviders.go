package iam

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// OpenID Connect provider quotas from the IAM and STS quotas page.
const (
	maxOIDCProviders     = 100
	maxClientIDsPerOIDC  = 100
	maxThumbprintsPerIDP = 5
)

// oidcOperations are the IAM OpenID Connect identity provider operations.
func (s *Service) oidcOperations() map[string]operation {
	return map[string]operation{
		"CreateOpenIDConnectProvider":             op(s.createOIDCProvider),
		"GetOpenIDConnectProvider":                op(s.getOIDCProvider),
		"ListOpenIDConnectProviders":              op(s.listOIDCProviders),
		"DeleteOpenIDConnectProvider":             noOutput(s.deleteOIDCProvider),
		"AddClientIDToOpenIDConnectProvider":      noOutput(s.addClientIDToOIDCProvider),
		"RemoveClientIDFromOpenIDConnectProvider": noOutput(s.removeClientIDFromOIDCProvider),
		"UpdateOpenIDConnectProviderThumbprint":   noOutput(s.updateOIDCProviderThumbprint),
		"TagOpenIDConnectProvider":                noOutput(s.tagOIDCProvider),
		"UntagOpenIDConnectProvider":              noOutput(s.untagOIDCProvider),
		"ListOpenIDConnectProviderTags":           op(s.listOIDCProviderTags),
	}
}

// OIDCResource checks an OpenID Connect provider URL as IAM does (https, a
// host with an optional port and path, no query, fragment or user
// information) and returns it without its scheme, host lower-cased and
// without a trailing slash: the part of the provider's ARN after
// "oidc-provider/", which is also how tokens' iss claims are matched.
// The error is InvalidInput.
func OIDCResource(raw string) (string, error) {
	bad := invalidInput("Invalid Open ID Connect Provider URL.")
	if len(raw) < len("https://x") || !strings.EqualFold(raw[:len("https://")], "https://") {
		return "", bad
	}
	if strings.ContainsAny(raw, "?#\\ \t\r\n") {
		return "", bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", bad
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, "*%") {
		return "", bad
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		host += ":" + port
	} else if strings.HasSuffix(u.Host, ":") {
		return "", bad
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if strings.Contains(path, "//") {
		return "", bad
	}
	return host + path, nil
}

// checkThumbprints validates thumbprints (40 hex digits each, at most five)
// and returns them lower-cased, without duplicates.
func checkThumbprints(tps []string) ([]string, error) {
	var out []string
	for _, tp := range tps {
		if len(tp) != 40 || strings.Trim(strings.ToLower(tp), "0123456789abcdef") != "" {
			return nil, invalidInput("Thumbprint must be a 40-character hexadecimal string: %s", tp)
		}
		if !slices.Contains(out, strings.ToLower(tp)) {
			out = append(out, strings.ToLower(tp))
		}
	}
	if len(out) > maxThumbprintsPerIDP {
		return nil, limitExceeded("Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", maxThumbprintsPerIDP)
	}
	return out, nil
}

// oidcResourceOf returns the resource part of an OIDC provider ARN of the
// caller's account, or NoSuchEntity (InvalidInput when it is no ARN).
func oidcResourceOf(account, providerARN string) (string, error) {
	prefix := "arn:aws:iam::"
	if !strings.HasPrefix(providerARN, prefix) {
		return "", invalidInput("ARN %s is not valid.", providerARN)
	}
	acct, rest, ok := strings.Cut(providerARN[len(prefix):], ":")
	res, isOIDC := strings.CutPrefix(rest, "oidc-provider/")
	if !ok || len(acct) != 12 || !isOIDC || res == "" {
		return "", invalidInput("ARN %s is not valid.", providerARN)
	}
	if acct != account {
		return "", oidcNotFound(providerARN)
	}
	return res, nil
}

func oidcNotFound(providerARN string) error {
	return noSuchEntity("OpenIDConnect Provider not found for arn %s", providerARN)
}

// oidcFor loads the provider an operation acts on and authorizes action on
// it; a caller who may not act on it learns AccessDenied, not whether it
// exists.
func (s *Service) oidcFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, providerARN string, keys map[string][]string) (*warden.OIDCProvider, error) {
	res, err := oidcResourceOf(p.Account, providerARN)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, action, providerARN, keys); err != nil {
		return nil, err
	}
	op, err := warden.Load[warden.OIDCProvider](ctx, tx, p.Account, warden.NameKey(res))
	if err != nil {
		return nil, notFoundAs(err, oidcNotFound(providerARN))
	}
	return op, nil
}

func (s *Service) saveOIDC(ctx context.Context, tx warden.Tx, p *warden.Principal, action string, op *warden.OIDCProvider) error {
	if err := warden.Save(ctx, tx, op); err != nil {
		return err
	}
	return s.auditIn(ctx, tx, p, action, op.ARN())
}

type createOIDCProviderInput struct {
	Url            string
	ClientIDList   []string
	ThumbprintList []string
	Tags           []tagsInput
}

type createOIDCProviderOutput struct {
	OpenIDConnectProviderArn string     `xml:"OpenIDConnectProviderArn"`
	Tags                     list[wTag] `xml:"Tags,omitempty"`
}

func (s *Service) createOIDCProvider(ctx context.Context, p *warden.Principal, in *createOIDCProviderInput) (*createOIDCProviderOutput, error) {
	res, err := OIDCResource(in.Url)
	if err != nil {
		return nil, err
	}
	prov := &warden.OIDCProvider{Account: p.Account, Resource: res, CreateDate: s.now(), Tags: tagsIn(in.Tags)}
	if err := s.authorize(ctx, p, "CreateOpenIDConnectProvider", prov.ARN(), tagKeys(prov.Tags)); err != nil {
		return nil, err
	}
	if err := checkNewTags(prov.Tags); err != nil {
		return nil, err
	}
	if prov.Thumbprints, err = checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	for _, id := range in.ClientIDList {
		if !slices.Contains(prov.ClientIDs, id) {
			prov.ClientIDs = append(prov.ClientIDs, id)
		}
	}
	if len(prov.ClientIDs) > maxClientIDsPerOIDC {
		return nil, limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDsPerOIDC)
	}
	err = s.update(ctx, p, "CreateOpenIDConnectProvider", prov.ARN(), func(tx warden.Tx) error {
		return insertWithin(ctx, tx, prov, warden.KindOIDCProvider, p.Account, maxOIDCProviders, "OpenIdConnectProvidersPerAccount",
			alreadyExists("Provider with url %s already exists.", prov.URL()))
	})
	if err != nil {
		return nil, err
	}
	return &createOIDCProviderOutput{OpenIDConnectProviderArn: prov.ARN(), Tags: tagsOut(prov.Tags)}, nil
}

type oidcProviderARNInput struct {
	OpenIDConnectProviderArn string
}

type getOIDCProviderOutput struct {
	Url            string       `xml:"Url"`
	ClientIDList   list[string] `xml:"ClientIDList"`
	ThumbprintList list[string] `xml:"ThumbprintList"`
	CreateDate     time.Time    `xml:"CreateDate"`
	Tags           list[wTag]   `xml:"Tags"`
}

func (s *Service) getOIDCProvider(ctx context.Context, p *warden.Principal, in *oidcProviderARNInput) (*getOIDCProviderOutput, error) {
	var prov *warden.OIDCProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = s.oidcFor(ctx, tx, p, "GetOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	tags := slices.SortedFunc(slices.Values(prov.Tags), func(a, b warden.Tag) int { return strings.Compare(a.Key, b.Key) })
	return &getOIDCProviderOutput{Url: prov.Resource, ClientIDList: list[string](orEmpty(prov.ClientIDs)),
		ThumbprintList: list[string](orEmpty(prov.Thumbprints)), CreateDate: prov.CreateDate, Tags: tagsOut(tags)}, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type listOIDCProvidersInput struct{}

type wProviderEntry struct {
	Arn string `xml:"Arn"`
}

type listOIDCProvidersOutput struct {
	OpenIDConnectProviderList list[wProviderEntry] `xml:"OpenIDConnectProviderList"`
}

func (s *Service) listOIDCProviders(ctx context.Context, p *warden.Principal, _ *listOIDCProvidersInput) (*listOIDCProvidersOutput, error) {
	if err := s.authorize(ctx, p, "ListOpenIDConnectProviders", "*", nil); err != nil {
		return nil, err
	}
	var provs []*warden.OIDCProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		provs, err = warden.LoadAll[warden.OIDCProvider](ctx, tx, p.Account, "", "", 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listOIDCProvidersOutput{OpenIDConnectProviderList: list[wProviderEntry]{}}
	for _, prov := range provs {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, wProviderEntry{prov.ARN()})
	}
	return out, nil
}

func (s *Service) deleteOIDCProvider(ctx context.Context, p *warden.Principal, in *oidcProviderARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "DeleteOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, prov); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteOpenIDConnectProvider", prov.ARN())
	})
}

type oidcClientIDInput struct {
	OpenIDConnectProviderArn string
	ClientID                 string
}

// addClientIDToOIDCProvider adds a client ID; adding one already there
// succeeds and changes nothing, as on AWS.
func (s *Service) addClientIDToOIDCProvider(ctx context.Context, p *warden.Principal, in *oidcClientIDInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "AddClientIDToOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
		if err != nil {
			return err
		}
		if slices.Contains(prov.ClientIDs, in.ClientID) {
			return nil
		}
		if len(prov.ClientIDs) >= maxClientIDsPerOIDC {
			return limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDsPerOIDC)
		}
		prov.ClientIDs = append(prov.ClientIDs, in.ClientID)
		return s.saveOIDC(ctx, tx, p, "AddClientIDToOpenIDConnectProvider", prov)
	})
}

// removeClientIDFromOIDCProvider removes a client ID; removing one that is
// not there succeeds, as AWS documents.
func (s *Service) removeClientIDFromOIDCProvider(ctx context.Context, p *warden.Principal, in *oidcClientIDInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "RemoveClientIDFromOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
		if err != nil {
			return err
		}
		i := slices.Index(prov.ClientIDs, in.ClientID)
		if i < 0 {
			return nil
		}
		prov.ClientIDs = slices.Delete(prov.ClientIDs, i, i+1)
		return s.saveOIDC(ctx, tx, p, "RemoveClientIDFromOpenIDConnectProvider", prov)
	})
}

type updateOIDCThumbprintInput struct {
	OpenIDConnectProviderArn string
	ThumbprintList           []string
}

func (s *Service) updateOIDCProviderThumbprint(ctx context.Context, p *warden.Principal, in *updateOIDCThumbprintInput) error {
	tps, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "UpdateOpenIDConnectProviderThumbprint", in.OpenIDConnectProviderArn, nil)
		if err != nil {
			return err
		}
		prov.Thumbprints = tps
		return s.saveOIDC(ctx, tx, p, "UpdateOpenIDConnectProviderThumbprint", prov)
	})
}

type tagOIDCProviderInput struct {
	OpenIDConnectProviderArn string
	Tags                     []tagsInput
}

func (s *Service) tagOIDCProvider(ctx context.Context, p *warden.Principal, in *tagOIDCProviderInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "TagOpenIDConnectProvider", in.OpenIDConnectProviderArn, tagKeys(tags))
		if err != nil {
			return err
		}
		if prov.Tags, err = mergeTags(prov.Tags, tags, "OpenIDConnectProvider"); err != nil {
			return err
		}
		return s.saveOIDC(ctx, tx, p, "TagOpenIDConnectProvider", prov)
	})
}

type untagOIDCProviderInput struct {
	OpenIDConnectProviderArn string
	TagKeys                  []string
}

func (s *Service) untagOIDCProvider(ctx context.Context, p *warden.Principal, in *untagOIDCProviderInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.oidcFor(ctx, tx, p, "UntagOpenIDConnectProvider", in.OpenIDConnectProviderArn, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		prov.Tags = removeTags(prov.Tags, in.TagKeys)
		return s.saveOIDC(ctx, tx, p, "UntagOpenIDConnectProvider", prov)
	})
}

type listOIDCProviderTagsInput struct {
	OpenIDConnectProviderArn string
	Marker                   string
	MaxItems                 int
}

func (s *Service) listOIDCProviderTags(ctx context.Context, p *warden.Principal, in *listOIDCProviderTagsInput) (*listTagsOutput, error) {
	var prov *warden.OIDCProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = s.oidcFor(ctx, tx, p, "ListOpenIDConnectProviderTags", in.OpenIDConnectProviderArn, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(prov.Tags, in.Marker, in.MaxItems)
}

// OIDCProvider returns the OpenID Connect provider of account registered
// for an issuer (the resource form OIDCResource returns), for
// AssumeRoleWithWebIdentity. It returns ErrNotFound when there is none.
func (s *Service) OIDCProvider(ctx context.Context, account, resource string) (*warden.OIDCProvider, error) {
	var prov *warden.OIDCProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = warden.Load[warden.OIDCProvider](ctx, tx, account, warden.NameKey(resource))
		return err
	})
	return prov, err
}
