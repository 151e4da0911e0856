package iam

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/warden-iam/warden"
)

// settingsOperations are the account's STS preferences and properties, and
// the operations that need AWS Organizations, which Warden does not have:
// those answer as IAM answers an account that is in no organization.
func (s *Service) settingsOperations() map[string]operation {
	noOrg := func(action string) operation { return op(s.organizationsOnly(action)) }
	return map[string]operation{
		"SetSecurityTokenServicePreferences": noOutput(s.setSecurityTokenServicePreferences),
		"GetAccountProperties":               op(s.getAccountProperties),
		"PutAccountProperties":               op(s.putAccountProperties),

		"EnableOrganizationsRootCredentialsManagement":  noOrg("EnableOrganizationsRootCredentialsManagement"),
		"DisableOrganizationsRootCredentialsManagement": noOrg("DisableOrganizationsRootCredentialsManagement"),
		"EnableOrganizationsRootSessions":               noOrg("EnableOrganizationsRootSessions"),
		"DisableOrganizationsRootSessions":              noOrg("DisableOrganizationsRootSessions"),
		"ListOrganizationsFeatures":                     noOrg("ListOrganizationsFeatures"),
		"GenerateOrganizationsAccessReport":             op(s.generateOrganizationsAccessReport),
		"GetOrganizationsAccessReport":                  op(s.getOrganizationsAccessReport),
	}
}

// credentialSummary adds the account summary's entries about server and
// signing certificates and the STS token version.
func credentialSummary(ctx context.Context, tx warden.Tx, account string, counts map[string]int) error {
	n, err := tx.Count(ctx, warden.KindServerCertificate, account)
	if err != nil {
		return err
	}
	counts["ServerCertificates"] = n
	rs, err := tx.List(ctx, warden.KindSigningCertificate, account, warden.RootOwner+"/", "", 1)
	if err != nil {
		return err
	}
	if len(rs) > 0 {
		counts["AccountSigningCertificatesPresent"] = 1
	}
	a, _, err := loadSettings(ctx, tx, account)
	if err != nil {
		return err
	}
	counts["GlobalEndpointTokenVersion"] = a.TokenVersion()
	return nil
}

// loadSettings returns the account's settings, the defaults when none are stored.
func loadSettings(ctx context.Context, tx warden.Tx, account string) (*warden.AccountSettings, bool, error) {
	a, err := warden.Load[warden.AccountSettings](ctx, tx, account, account)
	if errors.Is(err, warden.ErrNotFound) {
		return &warden.AccountSettings{Account: account}, false, nil
	}
	return a, err == nil, err
}

// AccountSettings returns the settings of account (the defaults when none
// were ever set).
func (s *Service) AccountSettings(ctx context.Context, account string) (*warden.AccountSettings, error) {
	var a *warden.AccountSettings
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		a, _, err = loadSettings(ctx, tx, account)
		return err
	})
	return a, err
}

func (s *Service) saveSettings(ctx context.Context, tx warden.Tx, a *warden.AccountSettings, stored bool) error {
	if stored {
		return warden.Save(ctx, tx, a)
	}
	return warden.Insert(ctx, tx, a)
}

type setSecurityTokenServicePreferencesInput struct {
	GlobalEndpointTokenVersion string
}

func (s *Service) setSecurityTokenServicePreferences(ctx context.Context, p *warden.Principal, in *setSecurityTokenServicePreferencesInput) error {
	if err := s.authorize(ctx, p, "SetSecurityTokenServicePreferences", "*", nil); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		a, stored, err := loadSettings(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		a.GlobalEndpointTokenVersion = 1
		if in.GlobalEndpointTokenVersion == "v2Token" {
			a.GlobalEndpointTokenVersion = 2
		}
		if err := s.saveSettings(ctx, tx, a, stored); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "SetSecurityTokenServicePreferences", "*")
	})
}

type wProperty struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type getAccountPropertiesOutput struct {
	Properties []wProperty `xml:"Properties>entry"`
}

func (s *Service) getAccountProperties(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getAccountPropertiesOutput, error) {
	if err := s.authorize(ctx, p, "GetAccountProperties", "*", nil); err != nil {
		return nil, err
	}
	a, err := s.AccountSettings(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	out := &getAccountPropertiesOutput{Properties: []wProperty{}}
	for _, k := range sortedKeys(a.Properties) {
		out.Properties = append(out.Properties, wProperty{k, a.Properties[k]})
	}
	return out, nil
}

type putAccountPropertiesInput struct {
	Properties map[string]string
}

// maxAccountProperties bounds how many properties an account keeps.
const maxAccountProperties = 100

// putAccountPropertiesOutput is empty, but the current SDKs expect its
// (empty) result element.
type putAccountPropertiesOutput struct{}

func (s *Service) putAccountProperties(ctx context.Context, p *warden.Principal, in *putAccountPropertiesInput) (*putAccountPropertiesOutput, error) {
	if err := s.authorize(ctx, p, "PutAccountProperties", "*", nil); err != nil {
		return nil, err
	}
	namespace := ""
	for _, k := range sortedKeys(in.Properties) {
		ns, name, ok := strings.Cut(k, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return nil, invalidInput("Invalid property key %s: the key must have the form Namespace/PropertyName.", k)
		}
		if namespace != "" && !strings.EqualFold(ns, namespace) {
			return nil, invalidInput("All properties in a request must belong to the same namespace.")
		}
		namespace = ns
	}
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		a, stored, err := loadSettings(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if a.Properties == nil {
			a.Properties = map[string]string{}
		}
		for k, v := range in.Properties {
			a.Properties[k] = v
		}
		if len(a.Properties) > maxAccountProperties {
			return limitExceeded("Cannot exceed quota for AccountProperties: %d", maxAccountProperties)
		}
		if err := s.saveSettings(ctx, tx, a, stored); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "PutAccountProperties", "*")
	})
	if err != nil {
		return nil, err
	}
	return &putAccountPropertiesOutput{}, nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// noOrganization is IAM's answer to an organization operation from an
// account that belongs to no organization.
func noOrganization() error {
	return warden.Errorf(warden.CodeOrganizationNotFound, "The request was rejected because no organization is associated with your account.")
}

// organizationsOnly is an organization operation without input: authorized
// like any other, then refused because Warden's accounts are in no
// organization.
func (s *Service) organizationsOnly(action string) func(context.Context, *warden.Principal, *emptyInput) (*struct{}, error) {
	return func(ctx context.Context, p *warden.Principal, _ *emptyInput) (*struct{}, error) {
		if err := s.authorize(ctx, p, action, "*", nil); err != nil {
			return nil, err
		}
		return nil, noOrganization()
	}
}

type generateOrganizationsAccessReportInput struct {
	EntityPath            string
	OrganizationsPolicyId string
}

func (s *Service) generateOrganizationsAccessReport(ctx context.Context, p *warden.Principal, in *generateOrganizationsAccessReportInput) (*struct{}, error) {
	if err := s.authorize(ctx, p, "GenerateOrganizationsAccessReport", "*", nil); err != nil {
		return nil, err
	}
	return nil, noOrganization()
}

type getOrganizationsAccessReportInput struct {
	JobId    string
	Marker   string
	MaxItems int
	SortKey  string
}

func (s *Service) getOrganizationsAccessReport(ctx context.Context, p *warden.Principal, in *getOrganizationsAccessReportInput) (*struct{}, error) {
	if err := s.authorize(ctx, p, "GetOrganizationsAccessReport", "*", nil); err != nil {
		return nil, err
	}
	// No report can have been generated, so no job ID names one.
	return nil, noSuchEntity("The request was rejected because the job %s does not exist.", in.JobId)
}
