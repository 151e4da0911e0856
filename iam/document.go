package iam

import (
	"errors"
	"net/url"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// checkDocument parses and validates a policy document of the given kind,
// returning MalformedPolicyDocument with the parser's explanation.
func checkDocument(doc string, kind policy.Kind) error {
	if _, err := policy.Parse([]byte(doc), kind); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return warden.Errorf(warden.CodeMalformedPolicyDocument, "%s", pe.Message)
		}
		return err
	}
	return nil
}

// checkSize returns LimitExceeded when doc is over its kind's quota.
func checkSize(doc string, kind policy.Kind) error {
	if err := policy.CheckSize([]byte(doc), kind); err != nil {
		return limitExceeded("%s", err.Error())
	}
	return nil
}

// policySize is the size AWS counts against policy quotas: characters other
// than white space.
func policySize(doc string) int { return policy.Size([]byte(doc)) }

// encodeDocument URL-encodes a policy document as IAM returns them (RFC 3986).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
