package sts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/oidc"
	"github.com/warden-iam/warden/saml"
)

// SAMLAudience is the recipient and audience AWS expects in assertions.
const SAMLAudience = "https://signin.aws.amazon.com/saml"

// samlOIDs name the eduPerson and X.500 attributes AWS offers as saml:
// condition keys, by the attribute names IdPs send.
var samlOIDs = map[string]string{
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  "edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.2":  "edupersonnickname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":  "edupersonorgdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.4":  "edupersonorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":  "edupersonprimaryaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  "edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":  "edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.8":  "edupersonprimaryorgunitdn",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":  "edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "edupersontargetedid",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "edupersonassurance",
	"urn:oid:0.9.2342.19200300.100.1.1": "uid",
	"urn:oid:0.9.2342.19200300.100.1.3": "mail",
	"urn:oid:2.5.4.3":                   "cn",
	"urn:oid:2.5.4.4":                   "sn",
	"urn:oid:2.5.4.42":                  "givenName",
	"urn:oid:2.5.4.10":                  "o",
	"urn:oid:2.5.4.11":                  "ou",
	"urn:oid:2.16.840.1.113730.3.1.241": "displayName",
	"urn:oid:1.3.6.1.4.1.5923.1.5.1.1":  "edupersonorgunitdn",
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

type assumeRoleWithSAMLInput struct {
	RoleArn         string
	PrincipalArn    string
	SAMLAssertion   string
	PolicyArns      []policyDescriptor
	Policy          *string
	DurationSeconds *int
}

type assumeRoleWithSAMLOutput struct {
	Credentials      wCredentials     `xml:"Credentials"`
	AssumedRoleUser  wAssumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize *int             `xml:"PackedPolicySize,omitempty"`
	Subject          string           `xml:"Subject"`
	SubjectType      string           `xml:"SubjectType"`
	Issuer           string           `xml:"Issuer"`
	Audience         string           `xml:"Audience"`
	NameQualifier    string           `xml:"NameQualifier"`
	SourceIdentity   string           `xml:"SourceIdentity,omitempty"`
}

func samlRefused(e error) error {
	var se *saml.Error
	if errors.As(e, &se) && se.Expired {
		return warden.Errorf(oidc.CodeExpiredToken, "%s", se.Message)
	}
	return warden.Errorf(oidc.CodeInvalidIdentityToken, "%s", e.Error())
}

// subjectType is saml:sub_type: persistent, transient, or the format URI.
func subjectType(format string) string {
	switch format {
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":
		return "persistent"
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:transient":
		return "transient"
	}
	return format
}

// assumeRoleWithSAML issues credentials for a session of a role to the
// bearer of a SAML assertion signed by a SAML provider of the role's
// account. The response's signature is verified against the provider's
// metadata certificates and only the signed content is read; the assertion
// must name the role and provider in its Role attribute, carry a
// RoleSessionName, be meant for this service and be used once. The role's
// trust policy then decides with the provider as the Federated principal
// and the saml: condition keys.
func (s *Service) assumeRoleWithSAML(ctx context.Context, p *warden.Principal, in *assumeRoleWithSAMLInput) (*assumeRoleWithSAMLOutput, error) {
	_, out, err := s.samlSession(ctx, p, in, false)
	return out, err
}

// samlSession is AssumeRoleWithSAML, returning the session it stored too.
// For a console sign-in (console) the SessionDuration attribute is capped
// at the role's MaxSessionDuration instead of refused beyond it, as the AWS
// console does.
func (s *Service) samlSession(ctx context.Context, p *warden.Principal, in *assumeRoleWithSAMLInput, console bool) (*warden.Session, *assumeRoleWithSAMLOutput, error) {
	limits, err := sessionLimits(in.Policy, in.PolicyArns, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	account := roleAccount(in.RoleArn)
	provName, ok := strings.CutPrefix(in.PrincipalArn, "arn:aws:iam::"+account+":saml-provider/")
	if account == "" || !ok || provName == "" {
		return nil, nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "Specified provider doesn't exist in the role's account")
	}
	prov, err := s.iam.SAMLProvider(ctx, account, provName)
	if warden.IsNotFound(err) {
		return nil, nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "Specified provider doesn't exist")
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	want, err := s.samlExpectations(prov, now)
	if err != nil {
		return nil, nil, err
	}
	a, err := saml.Verify(in.SAMLAssertion, want)
	if err != nil {
		return nil, nil, samlRefused(err)
	}
	if err := a.RoleFor(in.RoleArn, in.PrincipalArn); err != nil {
		return nil, nil, warden.Errorf(warden.CodeAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	sessionName := first(a.Attributes[saml.AttrRoleSessionName])
	if !sessionNameRE.MatchString(sessionName) {
		return nil, nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "The SAML assertion's RoleSessionName attribute is missing or not a valid session name.")
	}
	tags, transitive, err := samlTags(a)
	if err != nil {
		return nil, nil, err
	}
	sourceIdentity := first(a.Attributes[saml.AttrSourceIdentity])

	role, trust, err := s.roleByARN(ctx, in.RoleArn)
	if err != nil {
		return nil, nil, err
	}
	nameQualifier := saml.NameQualifier(a.Issuer, account, prov.Name)
	keys := map[string][]string{
		"saml:aud": {a.Recipient}, "saml:iss": {a.Issuer}, "saml:sub": {a.NameID}, "saml:sub_type": {subjectType(a.NameIDFormat)},
		"saml:namequalifier": {nameQualifier}, "saml:doc": {account + "/" + prov.Name}, "sts:RoleSessionName": {sessionName},
	}
	for name, vs := range a.Attributes {
		if k, ok := samlOIDs[name]; ok {
			keys["saml:"+k] = vs
		}
	}
	addTagKeys(keys, tags, transitive)
	if sourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	req := authz.FederatedRequest{Provider: in.PrincipalArn, Role: in.RoleArn, Trust: trust, Context: keys,
		SourceIP: p.SourceIP, UserAgent: p.UserAgent, SecureTransport: p.SecureTransport}
	actions := []string{"sts:AssumeRoleWithSAML"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req.Action = action
		if _, err := s.authz.AuthorizeFederated(ctx, req); err != nil {
			return nil, nil, err
		}
	}
	if role == nil {
		return nil, nil, warden.Errorf(warden.CodeAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML")
	}
	asked := in.DurationSeconds
	if asked == nil {
		if d, err := strconv.Atoi(first(a.Attributes[saml.AttrSessionDuration])); err == nil && d >= 900 && d <= 43200 {
			asked = &d
		}
	}
	if console {
		maxSession := role.MaxSessionDuration
		if maxSession == 0 {
			maxSession = warden.DefaultMaxSessionDuration
		}
		if asked != nil && *asked > maxSession {
			asked = &maxSession
		}
	}
	seconds, err := roleDuration(role, asked)
	if err != nil {
		return nil, nil, err
	}
	sess := &warden.Session{
		Account:           role.Account,
		Type:              warden.PrincipalAssumedRole,
		ARN:               "arn:aws:sts::" + role.Account + ":assumed-role/" + role.Name + "/" + sessionName,
		ID:                role.ID + ":" + sessionName,
		Name:              sessionName,
		RoleName:          role.Name,
		RoleID:            role.ID,
		IssuerARN:         role.ARN(),
		SourceIdentity:    sourceIdentity,
		SessionPolicies:   limits.policies,
		PolicyARNs:        limits.policyARNs,
		Tags:              tags,
		TransitiveTagKeys: transitive,
	}
	creds := s.issue(sess, time.Duration(seconds)*time.Second)
	use := &warden.SAMLAssertionUse{Key: assertionKey(a), Expires: a.NotOnOrAfter.Add(5 * time.Minute)}
	actor := *p
	actor.ARN = in.PrincipalArn
	details := map[string]string{"accessKeyId": sess.AccessKeyID, "assumedRoleArn": sess.ARN, "subject": a.NameID}
	err = s.storeSession(ctx, sess, func(tx warden.Tx) error {
		if err := pruneAssertionUses(ctx, tx, now); err != nil {
			return err
		}
		if err := warden.Insert(ctx, tx, use); errors.Is(err, warden.ErrAlreadyExists) {
			return warden.Errorf(oidc.CodeInvalidIdentityToken, "The SAML assertion has already been used.")
		} else if err != nil {
			return err
		}
		if s.roleUses.due(role.ARN(), sess.IssueTime) {
			if err := recordRoleUse(ctx, tx, role.Account, role.ID, role.Name, sess.IssueTime, p.Region); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, &actor, role.Account, "AssumeRoleWithSAML", role.ARN(), details)
	})
	if err != nil {
		return nil, nil, err
	}
	return sess, &assumeRoleWithSAMLOutput{Credentials: creds, AssumedRoleUser: wAssumedRoleUser{AssumedRoleID: sess.ID, Arn: sess.ARN},
		PackedPolicySize: limits.packedSize(), Subject: a.NameID, SubjectType: subjectType(a.NameIDFormat), Issuer: a.Issuer,
		Audience: a.Recipient, NameQualifier: nameQualifier, SourceIdentity: sourceIdentity}, nil
}

// samlExpectations are what a response must satisfy for prov: signed by
// its metadata certificates, decrypted with its private keys (encrypted
// when it requires so), meant for AWS's sign-in URL or one of this
// Warden's (SAMLRecipients, and each of those followed by
// /ACCOUNT/PROVIDER, the provider's own sign-in URL).
func (s *Service) samlExpectations(prov *warden.SAMLProvider, now time.Time) (saml.Expectations, error) {
	certs, err := saml.Certificates(prov.Certs)
	if err != nil {
		return saml.Expectations{}, err
	}
	keys, err := s.iam.SAMLDecryptionKeys(prov)
	if err != nil {
		return saml.Expectations{}, err
	}
	recipients := []string{SAMLAudience}
	for _, r := range s.SAMLRecipients {
		recipients = append(recipients, r, strings.TrimSuffix(r, "/")+"/"+prov.Account+"/"+prov.Name)
	}
	return saml.Expectations{Issuer: prov.EntityID, Certificates: certs, Recipients: recipients, Now: now,
		DecryptionKeys: keys, RequireEncryption: prov.EncryptionMode == "Required"}, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// samlTags reads the PrincipalTag:KEY and TransitiveTagKeys attributes.
func samlTags(a *saml.Assertion) ([]warden.Tag, []string, error) {
	var tags []warden.Tag
	for name, vs := range a.Attributes {
		k, ok := strings.CutPrefix(name, saml.AttrTagPrefix)
		if !ok {
			continue
		}
		if k == "" || len(k) > 128 || len(vs) != 1 || len(vs[0]) > 256 {
			return nil, nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "The session tag attribute %s of the SAML assertion is malformed.", name)
		}
		tags = append(tags, warden.Tag{Key: k, Value: vs[0]})
	}
	if len(tags) > maxSessionTags {
		return nil, nil, warden.Errorf(warden.CodeValidationError, "Cannot exceed quota for SessionTags: %d", maxSessionTags)
	}
	var transitive []string
	for _, k := range a.Attributes[saml.AttrTransitiveTags] {
		found := false
		for _, t := range tags {
			found = found || strings.EqualFold(t.Key, k)
		}
		if !found {
			return nil, nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "The transitive tag key %s of the SAML assertion is not a session tag.", k)
		}
		transitive = append(transitive, k)
	}
	return tags, transitive, nil
}

// pruneAssertionUses deletes a few expired assertion records, starting at
// a random key, so that the cache stays as small as its live assertions.
func pruneAssertionUses(ctx context.Context, tx warden.Tx, now time.Time) error {
	var b [1]byte
	rand.Read(b[:])
	uses, err := warden.LoadAll[warden.SAMLAssertionUse](ctx, tx, "", "", hex.EncodeToString(b[:]), 16)
	if err != nil {
		return err
	}
	for _, u := range uses {
		if now.After(u.Expires) {
			if err := warden.Remove(ctx, tx, u); err != nil && !warden.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
