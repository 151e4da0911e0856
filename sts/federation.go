package sts

import (
	"context"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

type getFederationTokenInput struct {
	Name            string
	Policy          *string
	PolicyArns      []policyDescriptor
	DurationSeconds *int
	Tags            []tagInput
}

type wFederatedUser struct {
	FederatedUserID string `xml:"FederatedUserId"`
	Arn             string `xml:"Arn"`
}

type getFederationTokenOutput struct {
	Credentials      wCredentials   `xml:"Credentials"`
	FederatedUser    wFederatedUser `xml:"FederatedUser"`
	PackedPolicySize *int           `xml:"PackedPolicySize,omitempty"`
}

// getFederationToken issues credentials for a federated user named Name in
// the caller's account. The federated user may do what both the calling
// user's policies and the session policies allow; without session policies
// it may do nothing (authz). Only long-term credentials may call it; the
// caller needs sts:GetFederationToken on the federated user's ARN, and
// sts:TagSession to pass tags. Sessions of the root user last at most an
// hour.
func (s *Service) getFederationToken(ctx context.Context, p *warden.Principal, in *getFederationTokenInput) (*getFederationTokenOutput, error) {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return nil, warden.Errorf(warden.CodeAccessDenied, "Cannot call GetFederationToken with session credentials")
	}
	limits, err := sessionLimits(in.Policy, in.PolicyArns, in.Tags, nil)
	if err != nil {
		return nil, err
	}
	userARN := "arn:aws:sts::" + p.Account + ":federated-user/" + in.Name
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:GetFederationToken", Resource: userARN}); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		keys := map[string][]string{}
		tagKeys := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			keys["aws:RequestTag/"+t.Key] = []string{t.Value}
			tagKeys = append(tagKeys, t.Key)
		}
		keys["aws:TagKeys"] = tagKeys
		if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:TagSession", Resource: userARN, Context: keys}); err != nil {
			return nil, err
		}
	}
	d := durationOf(in.DurationSeconds, defaultSessionToken, 129600)
	if p.IsRoot() {
		d = durationOf(in.DurationSeconds, maxRootSession, maxRootSession)
	}
	sess := &warden.Session{
		Account:         p.Account,
		Type:            warden.PrincipalFederatedUser,
		ARN:             userARN,
		ID:              p.Account + ":" + in.Name,
		Name:            in.Name,
		IssuerARN:       p.ARN,
		IssuerUser:      p.Name,
		IssuerUserID:    p.ID,
		SessionPolicies: limits.policies,
		PolicyARNs:      limits.policyARNs,
		Tags:            limits.tags,
	}
	sess.IssueRegion = p.Region
	creds := s.issue(sess, d)
	err = s.storeSession(ctx, sess, func(tx warden.Tx) error {
		return s.audit(ctx, tx, p, p.Account, "GetFederationToken", userARN, map[string]string{"accessKeyId": sess.AccessKeyID})
	})
	if err != nil {
		return nil, err
	}
	return &getFederationTokenOutput{Credentials: creds, FederatedUser: wFederatedUser{FederatedUserID: sess.ID, Arn: sess.ARN},
		PackedPolicySize: limits.packedSize()}, nil
}
