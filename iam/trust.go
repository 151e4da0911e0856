package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// checkTrustPrincipals resolves the IAM users and roles a trust policy names
// by ARN, as IAM does when it stores the policy: IAM keeps their unique IDs,
// so a user or role that does not exist — in this account, in another one,
// or under another path — makes the document invalid, with
// `Invalid principal in policy: "AWS":"<arn>"` (recorded, among others, in
// opstrace/opstrace#88 and aws-actions/configure-aws-credentials#332).
// Account IDs, account roots and session ARNs are not resolved. doc has
// passed checkTrustDocument.
func (s *Service) checkTrustPrincipals(ctx context.Context, tx warden.Tx, doc string) error {
	p, err := policy.Parse([]byte(doc), policy.Trust)
	if err != nil {
		return checkDocument(doc, policy.Trust)
	}
	for _, st := range p.Statements() {
		if st.Principal == nil {
			continue
		}
		for _, v := range st.Principal.AWS {
			ok, err := s.principalExists(ctx, tx, v)
			if err != nil {
				return err
			}
			if !ok {
				return warden.Errorf(warden.CodeMalformedPolicyDocument, `Invalid principal in policy: "AWS":"%s"`, v)
			}
		}
	}
	return nil
}

// principalExists reports whether an AWS principal value names an existing
// IAM user or role; values of other forms are taken as they are.
func (s *Service) principalExists(ctx context.Context, tx warden.Tx, v string) (bool, error) {
	const prefix = "arn:aws:iam::"
	if !strings.HasPrefix(v, prefix) || s.DevUserARN != "" && strings.EqualFold(v, s.DevUserARN) {
		return true, nil
	}
	account, resource, ok := strings.Cut(v[len(prefix):], ":")
	if !ok {
		return true, nil
	}
	typ, rest, _ := strings.Cut(resource, "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	var got string
	var err error
	switch typ {
	case "user":
		var u *warden.User
		if u, err = warden.Load[warden.User](ctx, tx, account, warden.NameKey(name)); err == nil {
			got = u.ARN()
		}
	case "role":
		var r *warden.Role
		if r, err = warden.Load[warden.Role](ctx, tx, account, warden.NameKey(name)); err == nil {
			got = r.ARN()
		}
	default:
		return true, nil
	}
	if errors.Is(err, warden.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return strings.EqualFold(got, v), nil
}
