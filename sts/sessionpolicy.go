package sts

import (
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// maxSessionTags is how many session tags a session may carry, inherited
// transitive tags included.
const maxSessionTags = 50

// CodePackedPolicyTooLarge is the error of AssumeRole and GetFederationToken
// when the session policies together exceed their limit (HTTP 400).
const CodePackedPolicyTooLarge warden.Code = "PackedPolicyTooLarge"

// limits are the validated session policies and tags of a request.
type limits struct {
	policies   []string
	policyARNs []string
	tags       []warden.Tag
	transitive []string
	// policyChars and tagChars measure what the request packed, for
	// PackedPolicySize.
	policyChars, tagChars int
}

// sessionLimits validates the session policies and tags of AssumeRole or
// GetFederationToken: the inline policy must parse as a session policy
// (MalformedPolicyDocument), at most 10 managed policies may be named, and
// the inline and managed policies together may not exceed 2,048 characters
// (PackedPolicyTooLarge). Tag keys must be unique regardless of case and
// outside the aws: namespace, and transitive tag keys must be among them
// (InvalidParameterValue).
func sessionLimits(doc *string, arns []policyDescriptor, tags []tagInput, transitive []string) (*limits, error) {
	l := &limits{}
	if doc != nil {
		if _, err := policy.Parse([]byte(*doc), policy.Session); err != nil {
			return nil, &warden.Error{Code: warden.CodeMalformedPolicyDocument, Message: err.Error(), Err: err}
		}
		l.policies = []string{*doc}
		l.policyChars = len(*doc)
	}
	if len(arns) > maxSessionPolicies {
		return nil, warden.Errorf(warden.CodeValidationError,
			"1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionPolicies)
	}
	for _, a := range arns {
		owner, rest, ok := strings.Cut(strings.TrimPrefix(a.ARN, "arn:aws:iam::"), ":policy/")
		if !strings.HasPrefix(a.ARN, "arn:aws:iam::") || !ok || owner == "" || rest == "" {
			return nil, warden.Errorf(warden.CodeInvalidParameterValue, "The policy ARN %s is not a valid managed policy ARN.", a.ARN)
		}
		l.policyARNs = append(l.policyARNs, a.ARN)
		l.policyChars += len(a.ARN)
	}
	if l.policyChars > maxPackedPolicy {
		return nil, warden.Errorf(CodePackedPolicyTooLarge,
			"Packed size of the session policies exceeds the %d characters allowed.", maxPackedPolicy)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return nil, warden.Errorf(warden.CodeInvalidParameterValue, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		if strings.HasPrefix(k, "aws:") {
			return nil, warden.Errorf(warden.CodeInvalidParameterValue, "Session tag keys can't start with \"aws:\". This prefix is reserved for AWS tags.")
		}
		seen[k] = true
		l.tags = append(l.tags, warden.Tag{Key: t.Key, Value: t.Value})
		l.tagChars += len(t.Key) + len(t.Value)
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return nil, warden.Errorf(warden.CodeInvalidParameterValue, "The transitive tag key %s is not one of the session tags of the request.", k)
		}
		l.transitive = append(l.transitive, k)
	}
	return l, nil
}

// packedSize is PackedPolicySize: the percentage of the allowed size the
// request's session policies and tags use, the larger of the two; nil when
// it passed neither, as AWS leaves the element out then.
func (l *limits) packedSize() *int {
	if len(l.policies)+len(l.policyARNs)+len(l.tags) == 0 {
		return nil
	}
	pct := func(n, of int) int { return (n*100 + of - 1) / of }
	size := max(pct(l.policyChars, maxPackedPolicy), pct(l.tagChars, maxSessionTags*(128+256)))
	return &size
}
