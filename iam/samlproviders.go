package iam

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/saml"
)

// maxSAMLProviders is the quota of SAML providers per account.
const maxSAMLProviders = 100

// samlOperations are the IAM SAML identity provider operations.
func (s *Service) samlOperations() map[string]operation {
	return map[string]operation{
		"CreateSAMLProvider":   op(s.createSAMLProvider),
		"GetSAMLProvider":      op(s.getSAMLProvider),
		"ListSAMLProviders":    op(s.listSAMLProviders),
		"UpdateSAMLProvider":   op(s.updateSAMLProvider),
		"DeleteSAMLProvider":   noOutput(s.deleteSAMLProvider),
		"TagSAMLProvider":      noOutput(s.tagSAMLProvider),
		"UntagSAMLProvider":    noOutput(s.untagSAMLProvider),
		"ListSAMLProviderTags": op(s.listSAMLProviderTags),
	}
}

// applyMetadata parses and validates a metadata document into prov. A
// document without validUntil is valid for a hundred years, as IAM reports.
func (s *Service) applyMetadata(prov *warden.SAMLProvider, doc string) error {
	md, err := saml.ParseMetadata([]byte(doc), s.Now())
	if err != nil {
		return invalidInput("Could not parse metadata: %s.", err.Error())
	}
	prov.Metadata, prov.EntityID, prov.Certs = doc, md.EntityID, md.Certificates
	prov.ValidUntil = md.ValidUntil.Truncate(time.Second)
	if md.ValidUntil.IsZero() {
		prov.ValidUntil = s.now().AddDate(100, 0, 0)
	}
	return nil
}

// samlNameOf returns the name in a SAML provider ARN of the caller's account.
func samlNameOf(account, providerARN string) (string, error) {
	rest, ok := strings.CutPrefix(providerARN, "arn:aws:iam::")
	acct, res, ok2 := strings.Cut(rest, ":")
	name, ok3 := strings.CutPrefix(res, "saml-provider/")
	if !ok || !ok2 || !ok3 || len(acct) != 12 || name == "" || strings.Contains(name, "/") {
		return "", invalidInput("ARN %s is not valid.", providerARN)
	}
	if acct != account {
		return "", samlNotFound(providerARN)
	}
	return name, nil
}

func samlNotFound(providerARN string) error {
	return noSuchEntity("Manifest not found for arn %s", providerARN)
}

// samlFor loads the provider an operation acts on and authorizes action on it.
func (s *Service) samlFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, providerARN string, keys map[string][]string) (*warden.SAMLProvider, error) {
	name, err := samlNameOf(p.Account, providerARN)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, action, providerARN, keys); err != nil {
		return nil, err
	}
	prov, err := warden.Load[warden.SAMLProvider](ctx, tx, p.Account, warden.NameKey(name))
	if err != nil {
		return nil, notFoundAs(err, samlNotFound(providerARN))
	}
	return prov, nil
}

func (s *Service) saveSAML(ctx context.Context, tx warden.Tx, p *warden.Principal, action string, prov *warden.SAMLProvider) error {
	if err := warden.Save(ctx, tx, prov); err != nil {
		return err
	}
	return s.auditIn(ctx, tx, p, action, prov.ARN())
}

type createSAMLProviderInput struct {
	Name                    string
	SAMLMetadataDocument    string
	Tags                    []tagsInput
	AddPrivateKey           string
	AssertionEncryptionMode string
}

type createSAMLProviderOutput struct {
	SAMLProviderArn string     `xml:"SAMLProviderArn"`
	Tags            list[wTag] `xml:"Tags,omitempty"`
}

func (s *Service) createSAMLProvider(ctx context.Context, p *warden.Principal, in *createSAMLProviderInput) (*createSAMLProviderOutput, error) {
	prov := &warden.SAMLProvider{Account: p.Account, Name: in.Name, UUID: s.NewID("", 22), CreateDate: s.now(), Tags: tagsIn(in.Tags)}
	if err := s.authorize(ctx, p, "CreateSAMLProvider", prov.ARN(), tagKeys(prov.Tags)); err != nil {
		return nil, err
	}
	if err := checkNewTags(prov.Tags); err != nil {
		return nil, err
	}
	if err := s.applyMetadata(prov, in.SAMLMetadataDocument); err != nil {
		return nil, err
	}
	if err := s.applyKeyChanges(prov, in.AddPrivateKey, "", in.AssertionEncryptionMode); err != nil {
		return nil, err
	}
	err := s.update(ctx, p, "CreateSAMLProvider", prov.ARN(), func(tx warden.Tx) error {
		return insertWithin(ctx, tx, prov, warden.KindSAMLProvider, p.Account, maxSAMLProviders, "SamlProvidersPerAccount",
			alreadyExists("SAMLProvider %s already exists.", in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &createSAMLProviderOutput{SAMLProviderArn: prov.ARN(), Tags: tagsOut(prov.Tags)}, nil
}

type samlProviderARNInput struct {
	SAMLProviderArn string
}

type getSAMLProviderOutput struct {
	SAMLProviderUUID        string                `xml:"SAMLProviderUUID"`
	SAMLMetadataDocument    string                `xml:"SAMLMetadataDocument"`
	CreateDate              time.Time             `xml:"CreateDate"`
	ValidUntil              time.Time             `xml:"ValidUntil"`
	Tags                    list[wTag]            `xml:"Tags"`
	AssertionEncryptionMode string                `xml:"AssertionEncryptionMode"`
	PrivateKeyList          list[wSAMLPrivateKey] `xml:"PrivateKeyList"`
}

func (s *Service) getSAMLProvider(ctx context.Context, p *warden.Principal, in *samlProviderARNInput) (*getSAMLProviderOutput, error) {
	var prov *warden.SAMLProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = s.samlFor(ctx, tx, p, "GetSAMLProvider", in.SAMLProviderArn, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	tags := slices.SortedFunc(slices.Values(prov.Tags), func(a, b warden.Tag) int { return strings.Compare(a.Key, b.Key) })
	return &getSAMLProviderOutput{SAMLProviderUUID: prov.UUID, SAMLMetadataDocument: prov.Metadata, CreateDate: prov.CreateDate,
		ValidUntil: prov.ValidUntil, Tags: tagsOut(tags), AssertionEncryptionMode: encryptionModeOf(prov),
		PrivateKeyList: privateKeysOut(prov)}, nil
}

type listSAMLProvidersInput struct{}

type wSAMLProviderEntry struct {
	Arn        string    `xml:"Arn"`
	ValidUntil time.Time `xml:"ValidUntil"`
	CreateDate time.Time `xml:"CreateDate"`
}

type listSAMLProvidersOutput struct {
	SAMLProviderList list[wSAMLProviderEntry] `xml:"SAMLProviderList"`
}

func (s *Service) listSAMLProviders(ctx context.Context, p *warden.Principal, _ *listSAMLProvidersInput) (*listSAMLProvidersOutput, error) {
	if err := s.authorize(ctx, p, "ListSAMLProviders", "*", nil); err != nil {
		return nil, err
	}
	var provs []*warden.SAMLProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		provs, err = warden.LoadAll[warden.SAMLProvider](ctx, tx, p.Account, "", "", 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listSAMLProvidersOutput{SAMLProviderList: list[wSAMLProviderEntry]{}}
	for _, prov := range provs {
		out.SAMLProviderList = append(out.SAMLProviderList, wSAMLProviderEntry{prov.ARN(), prov.ValidUntil, prov.CreateDate})
	}
	return out, nil
}

type updateSAMLProviderInput struct {
	SAMLProviderArn         string
	SAMLMetadataDocument    string
	AddPrivateKey           string
	RemovePrivateKey        string
	AssertionEncryptionMode string
}

type updateSAMLProviderOutput struct {
	SAMLProviderArn string `xml:"SAMLProviderArn"`
}

func (s *Service) updateSAMLProvider(ctx context.Context, p *warden.Principal, in *updateSAMLProviderInput) (*updateSAMLProviderOutput, error) {
	if in.SAMLMetadataDocument == "" && in.AddPrivateKey == "" && in.RemovePrivateKey == "" && in.AssertionEncryptionMode == "" {
		return nil, invalidInput("Nothing to update: give a SAMLMetadataDocument, AssertionEncryptionMode, AddPrivateKey or RemovePrivateKey.")
	}
	var arn string
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.samlFor(ctx, tx, p, "UpdateSAMLProvider", in.SAMLProviderArn, nil)
		if err != nil {
			return err
		}
		if in.SAMLMetadataDocument != "" {
			if err := s.applyMetadata(prov, in.SAMLMetadataDocument); err != nil {
				return err
			}
		}
		if err := s.applyKeyChanges(prov, in.AddPrivateKey, in.RemovePrivateKey, in.AssertionEncryptionMode); err != nil {
			return err
		}
		arn = prov.ARN()
		return s.saveSAML(ctx, tx, p, "UpdateSAMLProvider", prov)
	})
	if err != nil {
		return nil, err
	}
	return &updateSAMLProviderOutput{SAMLProviderArn: arn}, nil
}

func (s *Service) deleteSAMLProvider(ctx context.Context, p *warden.Principal, in *samlProviderARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.samlFor(ctx, tx, p, "DeleteSAMLProvider", in.SAMLProviderArn, nil)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, prov); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteSAMLProvider", prov.ARN())
	})
}

type tagSAMLProviderInput struct {
	SAMLProviderArn string
	Tags            []tagsInput
}

func (s *Service) tagSAMLProvider(ctx context.Context, p *warden.Principal, in *tagSAMLProviderInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.samlFor(ctx, tx, p, "TagSAMLProvider", in.SAMLProviderArn, tagKeys(tags))
		if err != nil {
			return err
		}
		if prov.Tags, err = mergeTags(prov.Tags, tags, "SAMLProvider"); err != nil {
			return err
		}
		return s.saveSAML(ctx, tx, p, "TagSAMLProvider", prov)
	})
}

type untagSAMLProviderInput struct {
	SAMLProviderArn string
	TagKeys         []string
}

func (s *Service) untagSAMLProvider(ctx context.Context, p *warden.Principal, in *untagSAMLProviderInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		prov, err := s.samlFor(ctx, tx, p, "UntagSAMLProvider", in.SAMLProviderArn, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		prov.Tags = removeTags(prov.Tags, in.TagKeys)
		return s.saveSAML(ctx, tx, p, "UntagSAMLProvider", prov)
	})
}

type listSAMLProviderTagsInput struct {
	SAMLProviderArn string
	Marker          string
	MaxItems        int
}

func (s *Service) listSAMLProviderTags(ctx context.Context, p *warden.Principal, in *listSAMLProviderTagsInput) (*listTagsOutput, error) {
	var prov *warden.SAMLProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = s.samlFor(ctx, tx, p, "ListSAMLProviderTags", in.SAMLProviderArn, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(prov.Tags, in.Marker, in.MaxItems)
}

// SAMLProvider returns the SAML provider of account named name, for
// AssumeRoleWithSAML and the console's SAML sign-in. It returns
// ErrNotFound when there is none.
func (s *Service) SAMLProvider(ctx context.Context, account, name string) (*warden.SAMLProvider, error) {
	var prov *warden.SAMLProvider
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		prov, err = warden.Load[warden.SAMLProvider](ctx, tx, account, warden.NameKey(name))
		return err
	})
	return prov, err
}
