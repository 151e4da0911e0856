package sts

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

const (
	defaultRoleSession = 3600 // seconds, AssumeRole without DurationSeconds
	maxChainedSession  = 3600 // seconds, the role chaining limit
	maxSessionPolicies = 10   // managed session policies per request
	maxPackedPolicy    = 2048 // characters of inline and managed session policies together
)

type tagInput struct {
	Key   string
	Value string
}

type policyDescriptor struct {
	ARN string `aws:"arn"`
}

type assumeRoleInput struct {
	RoleArn           string
	RoleSessionName   string
	PolicyArns        []policyDescriptor
	Policy            *string
	DurationSeconds   *int
	Tags              []tagInput
	TransitiveTagKeys []string
	ExternalId        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
}

type wAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleOutput struct {
	Credentials      wCredentials     `xml:"Credentials"`
	AssumedRoleUser  wAssumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize *int             `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string           `xml:"SourceIdentity,omitempty"`
}

// assumeRole issues credentials for a session of a role, in the role's
// account, to an IAM user or a role session (role chaining) of any account
// of the deployment.
//
// The role's trust policy is evaluated as the resource-based policy of the
// role with the caller as principal: it must allow the caller, and unless
// it names the caller itself within the caller's own account, the caller's
// identity-based policies must allow sts:AssumeRole on the role too (always
// so across accounts). Session tags need sts:TagSession and a source
// identity sts:SetSourceIdentity, decided the same way. A denial, a role
// that does not exist, and a role ARN that names none all answer the same
// AccessDenied, with an encoded authorization message.
func (s *Service) assumeRole(ctx context.Context, p *warden.Principal, in *assumeRoleInput) (*assumeRoleOutput, error) {
	if p.IsRoot() {
		return nil, warden.Errorf(warden.CodeAccessDenied, "Roles may not be assumed by root accounts.")
	}
	limits, err := sessionLimits(in.Policy, in.PolicyArns, in.Tags, in.TransitiveTagKeys)
	if err != nil {
		return nil, err
	}
	caller, err := s.loadSession(ctx, p)
	if err != nil {
		return nil, err
	}
	chained := p.Type == warden.PrincipalAssumedRole

	tags, transitive, sourceIdentity, err := inherit(caller, limits, in.SourceIdentity)
	if err != nil {
		return nil, err
	}

	mfa, mfaTime := p.MFAAuthenticated, p.MFAAuthTime
	if in.SerialNumber != "" || in.TokenCode != "" {
		if err := s.checkMFA(ctx, p, in.SerialNumber, in.TokenCode); err != nil {
			return nil, err
		}
		mfa, mfaTime = true, s.now()
	}

	role, trust, err := s.roleByARN(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	keys := assumeRoleKeys(in, mfa, s.now().Sub(mfaTime))
	req := authz.Request{Resource: in.RoleArn, ResourcePolicy: trust, Trust: true, Context: keys}
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 || len(in.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req.Action = action
		_, err := s.authz.Check(ctx, p, req)
		if warden.ErrorCode(err) == warden.CodeAccessDenied {
			return nil, accessDenied(p, action, in.RoleArn)
		}
		if err != nil {
			return nil, err
		}
	}
	if role == nil { // enforcement is off or soft; there is still nothing to assume
		return nil, accessDenied(p, "sts:AssumeRole", in.RoleArn)
	}

	seconds := defaultRoleSession
	if in.DurationSeconds != nil {
		seconds = *in.DurationSeconds
	}
	if chained && seconds > maxChainedSession {
		return nil, warden.Errorf(warden.CodeValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	maxSession := role.MaxSessionDuration
	if maxSession == 0 {
		maxSession = warden.DefaultMaxSessionDuration
	}
	if seconds > maxSession {
		return nil, warden.Errorf(warden.CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
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
		SourceIdentity:    sourceIdentity,
		SessionPolicies:   limits.policies,
		PolicyARNs:        limits.policyARNs,
		Tags:              tags,
		TransitiveTagKeys: transitive,
		MFAAuthenticated:  mfa,
		MFAAuthTime:       mfaTime,
		Chained:           chained,
	}
	sess.IssueRegion = p.Region
	creds := s.issue(sess, time.Duration(seconds)*time.Second)
	now := sess.IssueTime
	details := map[string]string{"accessKeyId": sess.AccessKeyID, "assumedRoleArn": sess.ARN}
	err = s.storeSession(ctx, sess, func(tx warden.Tx) error {
		if s.roleUses.due(role.ARN(), now) {
			if err := recordRoleUse(ctx, tx, role.Account, role.ID, role.Name, now, p.Region); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, p, role.Account, "AssumeRole", role.ARN(), details); err != nil {
			return err
		}
		if p.Account != role.Account {
			return s.audit(ctx, tx, p, p.Account, "AssumeRole", role.ARN(), details)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &assumeRoleOutput{Credentials: creds, AssumedRoleUser: wAssumedRoleUser{AssumedRoleID: sess.ID, Arn: sess.ARN},
		PackedPolicySize: limits.packedSize(), SourceIdentity: sourceIdentity}, nil
}

// inherit adds to the request's session tags those the calling session
// passes on (its transitive tags, which the request may not set again), and
// returns the source identity of the new session: the caller's, which may
// not change, or the one requested.
func inherit(caller *warden.Session, l *limits, requested string) (tags []warden.Tag, transitive []string, sourceIdentity string, err error) {
	tags, transitive, sourceIdentity = l.tags, l.transitive, requested
	if caller == nil {
		return tags, transitive, sourceIdentity, nil
	}
	for _, k := range caller.TransitiveTagKeys {
		for _, t := range caller.Tags {
			if !strings.EqualFold(t.Key, k) {
				continue
			}
			for _, nt := range l.tags {
				if strings.EqualFold(nt.Key, k) {
					return nil, nil, "", warden.Errorf(warden.CodeInvalidParameterValue,
						"Cannot override the transitive session tag %s set by the calling session.", t.Key)
				}
			}
			tags = append(tags, t)
			transitive = append(transitive, t.Key)
		}
	}
	if caller.SourceIdentity != "" {
		if requested != "" && requested != caller.SourceIdentity {
			return nil, nil, "", warden.Errorf(warden.CodeAccessDenied,
				"The source identity %s of the calling session cannot be changed.", caller.SourceIdentity)
		}
		sourceIdentity = caller.SourceIdentity
	}
	if len(tags) > maxSessionTags {
		return nil, nil, "", warden.Errorf(warden.CodeValidationError, "Cannot exceed quota for SessionTags: %d", maxSessionTags)
	}
	return tags, transitive, sourceIdentity, nil
}

// assumeRoleKeys are the request's condition keys for the trust policy and
// the caller's policies; mfa says the caller is (or just was) authenticated
// with MFA, mfaAge how long ago.
func assumeRoleKeys(in *assumeRoleInput, mfa bool, mfaAge time.Duration) map[string][]string {
	keys := map[string][]string{"sts:RoleSessionName": {in.RoleSessionName}}
	if in.ExternalId != "" {
		keys["sts:ExternalId"] = []string{in.ExternalId}
	}
	if in.SourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{in.SourceIdentity}
		keys["aws:SourceIdentity"] = []string{in.SourceIdentity}
	}
	if len(in.Tags) > 0 {
		tagKeys := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			keys["aws:RequestTag/"+t.Key] = []string{t.Value}
			tagKeys = append(tagKeys, t.Key)
		}
		keys["aws:TagKeys"] = tagKeys
	}
	if len(in.TransitiveTagKeys) > 0 {
		keys["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	if mfa {
		keys["aws:MultiFactorAuthPresent"] = []string{"true"}
		keys["aws:MultiFactorAuthAge"] = []string{strconv.FormatInt(int64(mfaAge.Seconds()), 10)}
	}
	return keys
}

// roleByARN loads the role a RoleArn names, with its trust policy compiled.
// A role that does not exist, or an ARN that names none, gives a nil role
// and an empty trust policy, which admits nobody: the caller is refused as
// by a role that does not trust it.
func (s *Service) roleByARN(ctx context.Context, roleARN string) (*warden.Role, *policy.Set, error) {
	a, err := arn.Parse(roleARN)
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "role/") || name == "" {
		return nil, policy.Compile(), nil
	}
	var role *warden.Role
	err = s.store.View(ctx, func(tx warden.Tx) error {
		acct, err := warden.Load[warden.Account](ctx, tx, "", a.AccountID)
		if err != nil || acct.Status != warden.AccountActive {
			return err
		}
		role, err = warden.Load[warden.Role](ctx, tx, a.AccountID, warden.NameKey(name))
		return err
	})
	if errors.Is(err, warden.ErrNotFound) || err == nil && (role == nil || role.ARN() != roleARN) {
		return nil, policy.Compile(), nil
	}
	if err != nil {
		return nil, nil, err
	}
	if role.ServiceLinked() {
		// Only the service itself may assume a service-linked role.
		return nil, policy.Compile(), nil
	}
	doc, err := policy.Parse([]byte(role.AssumeRolePolicyDocument), policy.Trust)
	if err != nil {
		doc = nil // validated when written; one that no longer parses trusts nobody
	}
	return role, policy.Compile(policy.Named{Name: role.ARN() + "#trust", Policy: doc}), nil
}

// recordRoleUse sets a role's RoleLastUsed — when, and the region the
// AssumeRole request was signed for — unless the role changed identity
// meanwhile.
func recordRoleUse(ctx context.Context, tx warden.Tx, account, id, name string, now time.Time, region string) error {
	r, err := warden.Load[warden.Role](ctx, tx, account, warden.NameKey(name))
	if errors.Is(err, warden.ErrNotFound) {
		return nil
	}
	if err != nil || r.ID != id {
		return err
	}
	r.RoleLastUsed = &warden.RoleLastUsed{Date: now, Region: region}
	return warden.Save(ctx, tx, r)
}

// checkMFA verifies a code of the caller's own MFA device. Only IAM users
// (and their GetSessionToken sessions) and the root user have devices.
func (s *Service) checkMFA(ctx context.Context, p *warden.Principal, serial, code string) error {
	if serial == "" || code == "" {
		return warden.Errorf(warden.CodeAccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	var owner string
	switch p.Type {
	case warden.PrincipalUser:
		owner = p.Name
	case warden.PrincipalRoot:
	default:
		return warden.Errorf(warden.CodeAccessDenied, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
	}
	return s.iam.CheckMFACodeFor(ctx, p.Account, owner, serial, code)
}
