package sts

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/oidc"
)

// tagsClaim is the claim that carries session tags in an ID token.
const tagsClaim = "https://aws.amazon.com/tags"

// githubIssuer is GitHub Actions' issuer, whose claims AWS offers to trust
// policies under its own prefix besides the standard ones.
const githubIssuer = "token.actions.githubusercontent.com"

// githubClaims are the GitHub Actions claims a trust policy can test as
// token.actions.githubusercontent.com:CLAIM.
var githubClaims = []string{"actor", "actor_id", "base_ref", "environment", "event_name", "head_ref",
	"job_workflow_ref", "ref", "ref_type", "repository", "repository_id", "repository_owner",
	"repository_owner_id", "repository_visibility", "runner_environment", "workflow", "workflow_ref",
	"enterprise", "enterprise_id"}

// Unsigned reports whether action is one of the STS actions a caller makes
// without AWS credentials, as AWS takes them: the caller proves who it is
// with an identity provider's token instead.
func Unsigned(action string) bool {
	return action == "AssumeRoleWithWebIdentity" || action == "AssumeRoleWithSAML"
}

type assumeRoleWithWebIdentityInput struct {
	RoleArn          string
	RoleSessionName  string
	WebIdentityToken string
	ProviderId       string
	PolicyArns       []policyDescriptor
	Policy           *string
	DurationSeconds  *int
}

type assumeRoleWithWebIdentityOutput struct {
	Credentials                 wCredentials     `xml:"Credentials"`
	SubjectFromWebIdentityToken string           `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             wAssumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize            *int             `xml:"PackedPolicySize,omitempty"`
	Provider                    string           `xml:"Provider"`
	Audience                    string           `xml:"Audience"`
	SourceIdentity              string           `xml:"SourceIdentity,omitempty"`
}

// assumeRoleWithWebIdentity issues credentials for a session of a role to
// the holder of an OpenID Connect ID token from a provider registered in
// the role's account. The token is verified (signature by the issuer's
// published keys, iss, aud or azp against the provider's client IDs, exp,
// nbf, iat); then the role's trust policy alone decides, with the provider
// as the Federated principal and the token's claims as condition keys.
// p is the caller as far as it is known: its source IP and user agent.
func (s *Service) assumeRoleWithWebIdentity(ctx context.Context, p *warden.Principal, in *assumeRoleWithWebIdentityInput) (*assumeRoleWithWebIdentityOutput, error) {
	if in.ProviderId != "" {
		return nil, warden.Errorf(warden.CodeInvalidParameterValue, "ProviderId is only for OAuth 2.0 access tokens of Login with Amazon and Facebook, which Warden does not accept; use an OpenID Connect ID token.")
	}
	limits, err := sessionLimits(in.Policy, in.PolicyArns, nil, nil)
	if err != nil {
		return nil, err
	}
	iss, err := oidc.Unverified(in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	role, trust, err := s.roleByARN(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	account := roleAccount(in.RoleArn)
	resource, err := iam.OIDCResource(iss)
	if err != nil || "https://"+resource != strings.TrimRight(iss, "/") {
		return nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "No OpenIDConnect provider found in your account for %s", iss)
	}
	prov, err := s.iam.OIDCProvider(ctx, account, resource)
	if warden.IsNotFound(err) {
		return nil, warden.Errorf(oidc.CodeInvalidIdentityToken, "No OpenIDConnect provider found in your account for %s", iss)
	}
	if err != nil {
		return nil, err
	}
	claims, err := s.WebIdentity.Verify(ctx, oidc.Provider{Issuer: iss, ClientIDs: prov.ClientIDs, Thumbprints: prov.Thumbprints}, in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	tags, transitive, err := sessionTagsClaim(claims.Raw[tagsClaim])
	if err != nil {
		return nil, err
	}

	keys := webIdentityKeys(resource, claims, in.RoleSessionName)
	addTagKeys(keys, tags, transitive)
	req := authz.FederatedRequest{Provider: prov.ARN(), Role: in.RoleArn, Trust: trust, Context: keys,
		SourceIP: p.SourceIP, UserAgent: p.UserAgent, SecureTransport: p.SecureTransport}
	actions := []string{"sts:AssumeRoleWithWebIdentity"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	for _, action := range actions {
		req.Action = action
		if _, err := s.authz.AuthorizeFederated(ctx, req); err != nil {
			return nil, err
		}
	}
	if role == nil {
		return nil, warden.Errorf(warden.CodeAccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	seconds, err := roleDuration(role, in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	sess := &warden.Session{
		Account:           role.Account,
		Type:              warden.PrincipalAssumedRole,
		ARN:               "arn:aws:sts::" + role.Account + ":assumed-role/" + role.Name + "/" + in.RoleSessionName,
		ID:                role.ID + ":" + in.RoleSessionName,
		Name:              in.RoleSessionName,
		RoleName:          role.Name,
		RoleID:            role.ID,
		IssuerARN:         role.ARN(),
		SessionPolicies:   limits.policies,
		PolicyARNs:        limits.policyARNs,
		Tags:              tags,
		TransitiveTagKeys: transitive,
	}
	creds := s.issue(sess, time.Duration(seconds)*time.Second)
	actor := *p
	actor.ARN = prov.ARN()
	details := map[string]string{"accessKeyId": sess.AccessKeyID, "assumedRoleArn": sess.ARN, "subject": claims.Subject, "audience": claims.ClientID}
	err = s.storeSession(ctx, sess, func(tx warden.Tx) error {
		if s.roleUses.due(role.ARN(), sess.IssueTime) {
			if err := recordRoleUse(ctx, tx, role.Account, role.ID, role.Name, sess.IssueTime, p.Region); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, &actor, role.Account, "AssumeRoleWithWebIdentity", role.ARN(), details)
	})
	if err != nil {
		return nil, err
	}
	return &assumeRoleWithWebIdentityOutput{Credentials: creds, SubjectFromWebIdentityToken: claims.Subject,
		AssumedRoleUser: wAssumedRoleUser{AssumedRoleID: sess.ID, Arn: sess.ARN}, PackedPolicySize: limits.packedSize(),
		Provider: prov.ARN(), Audience: claims.ClientID}, nil
}

// roleAccount is the account ID of a role ARN ("" when it is none).
func roleAccount(roleARN string) string {
	rest, ok := strings.CutPrefix(roleARN, "arn:aws:iam::")
	if !ok || len(rest) < 13 || rest[12] != ':' {
		return ""
	}
	return rest[:12]
}

// roleDuration is the session duration asked for (an hour by default),
// within the role's maximum.
func roleDuration(role *warden.Role, asked *int) (int, error) {
	seconds := defaultRoleSession
	if asked != nil {
		seconds = *asked
	}
	maxSession := role.MaxSessionDuration
	if maxSession == 0 {
		maxSession = warden.DefaultMaxSessionDuration
	}
	if seconds > maxSession {
		return 0, warden.Errorf(warden.CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return seconds, nil
}

// webIdentityKeys are the condition keys of a verified token, as AWS names
// them: PROVIDER:aud (azp when the token has one), PROVIDER:oaud (the aud
// values then), PROVIDER:sub, PROVIDER:amr, and for GitHub Actions its
// documented claims, where PROVIDER is the provider URL without https://.
func webIdentityKeys(resource string, c *oidc.Claims, session string) map[string][]string {
	keys := map[string][]string{
		resource + ":aud":     {c.ClientID},
		resource + ":sub":     {c.Subject},
		"sts:RoleSessionName": {session},
	}
	if c.AZP != "" {
		keys[resource+":aud"] = []string{c.AZP}
		keys[resource+":oaud"] = c.Audience
	}
	if amr := claimStrings(c.Raw["amr"]); len(amr) > 0 {
		keys[resource+":amr"] = amr
	}
	if resource == githubIssuer {
		for _, name := range githubClaims {
			if v := claimStrings(c.Raw[name]); len(v) > 0 {
				keys[resource+":"+name] = v
			}
		}
	}
	return keys
}

// claimStrings reads a claim that is a string, a number, a boolean or a
// list of them as strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case float64, bool:
		return []string{fmt.Sprint(v)}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, claimStrings(e)...)
		}
		return out
	}
	return nil
}

// sessionTagsClaim reads the https://aws.amazon.com/tags claim:
// {"principal_tags": {"Key": ["Value"]}, "transitive_tag_keys": ["Key"]}.
func sessionTagsClaim(v any) ([]warden.Tag, []string, error) {
	if v == nil {
		return nil, nil, nil
	}
	bad := warden.Errorf(oidc.CodeInvalidIdentityToken, "The %s claim of the web identity token is malformed.", tagsClaim)
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, bad
	}
	pt, _ := m["principal_tags"].(map[string]any)
	var tags []warden.Tag
	for k, vals := range pt {
		vs, ok := vals.([]any)
		if !ok || len(vs) != 1 {
			return nil, nil, bad
		}
		s, ok := vs[0].(string)
		if !ok || k == "" || len(k) > 128 || len(s) > 256 {
			return nil, nil, bad
		}
		tags = append(tags, warden.Tag{Key: k, Value: s})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	if len(tags) > maxSessionTags {
		return nil, nil, warden.Errorf(warden.CodeValidationError, "Cannot exceed quota for SessionTags: %d", maxSessionTags)
	}
	var transitive []string
	if raw, ok := m["transitive_tag_keys"]; ok {
		list, ok := raw.([]any)
		if !ok {
			return nil, nil, bad
		}
		for _, e := range list {
			k, ok := e.(string)
			if !ok || !slices.ContainsFunc(tags, func(t warden.Tag) bool { return strings.EqualFold(t.Key, k) }) {
				return nil, nil, bad
			}
			transitive = append(transitive, k)
		}
	}
	return tags, transitive, nil
}

// addTagKeys adds the request-tag condition keys of session tags.
func addTagKeys(keys map[string][]string, tags []warden.Tag, transitive []string) {
	if len(tags) == 0 {
		return
	}
	var names []string
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		names = append(names, t.Key)
	}
	keys["aws:TagKeys"] = names
	if len(transitive) > 0 {
		keys["sts:TransitiveTagKeys"] = transitive
	}
}
