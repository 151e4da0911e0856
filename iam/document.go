package iam

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode"

	"github.com/warden-iam/warden"
)

// docKind says which rules a policy document must follow.
type docKind int

const (
	identityDoc docKind = iota
	trustDoc
)

// checkDocument validates a policy document, returning MalformedPolicyDocument.
func checkDocument(doc string, kind docKind) error {
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return warden.Errorf(warden.CodeMalformedPolicyDocument, "Syntax errors in policy.")
	}
	if _, ok := v["Statement"]; !ok {
		return warden.Errorf(warden.CodeMalformedPolicyDocument, "Syntax errors in policy.")
	}
	return nil
}

// policySize is the size AWS counts against policy quotas: characters other
// than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// encodeDocument URL-encodes a policy document as IAM returns them (RFC 3986).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
