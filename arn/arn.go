// Package arn parses, formats and matches Amazon Resource Names
// (arn:partition:service:region:account-id:resource) the way AWS IAM reads
// them in policies. It is pure and allocation-free on its matching path.
package arn

import (
	"errors"
	"strings"
)

// ARN is a parsed Amazon Resource Name. Resource keeps everything after the
// fifth colon, so it may itself contain ':' and '/'.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// Errors returned by Parse. They are sentinels so that parsing untrusted
// input never allocates on failure; compare them with errors.Is.
var (
	ErrPrefix    = errors.New("arn: must begin with \"arn:\"")
	ErrSections  = errors.New("arn: must have six colon-separated sections: arn:partition:service:region:account-id:resource")
	ErrPartition = errors.New("arn: partition is empty")
	ErrService   = errors.New("arn: service is empty")
	ErrResource  = errors.New("arn: resource is empty")
)

const prefix = "arn:"

// Parse splits s into its sections. It returns ErrPrefix when s does not start
// with "arn:", ErrSections when s has fewer than six sections, and
// ErrPartition, ErrService or ErrResource when one of those sections is empty.
// Region and account ID may be empty, as they are for global services
// (arn:aws:s3:::bucket). Wildcards are not special: Parse accepts the ARN
// patterns of policy documents as well as concrete ARNs.
func Parse(s string) (ARN, error) {
	if !strings.HasPrefix(s, prefix) {
		return ARN{}, ErrPrefix
	}
	var sec [6]string
	if Split(s, sec[:]) != len(sec) {
		return ARN{}, ErrSections
	}
	a := ARN{Partition: sec[1], Service: sec[2], Region: sec[3], AccountID: sec[4], Resource: sec[5]}
	switch {
	case a.Partition == "":
		return ARN{}, ErrPartition
	case a.Service == "":
		return ARN{}, ErrService
	case a.Resource == "":
		return ARN{}, ErrResource
	}
	return a, nil
}

// String formats a back into arn:partition:service:region:account-id:resource.
func (a ARN) String() string {
	var b strings.Builder
	b.Grow(len(prefix) + len(a.Partition) + len(a.Service) + len(a.Region) + len(a.AccountID) + len(a.Resource) + 4)
	b.WriteString(prefix)
	b.WriteString(a.Partition)
	b.WriteByte(':')
	b.WriteString(a.Service)
	b.WriteByte(':')
	b.WriteString(a.Region)
	b.WriteByte(':')
	b.WriteString(a.AccountID)
	b.WriteByte(':')
	b.WriteString(a.Resource)
	return b.String()
}

// Split cuts s at its first len(dst)-1 colons into dst and returns how many
// sections it filled. The last section filled keeps the rest of s, colons
// included. When s has fewer colons, fewer sections are filled.
func Split(s string, dst []string) int {
	if len(dst) == 0 {
		return 0
	}
	n := 0
	for n < len(dst)-1 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		dst[n] = s[:i]
		s = s[i+1:]
		n++
	}
	dst[n] = s
	return n + 1
}

// Match reports whether value matches pattern as IAM matches the Resource
// element of a policy: both are cut into the six ARN sections and each section
// is compared separately, case-sensitively, where '*' matches any run of
// characters and '?' any single character within that section. Because the
// resource section is the rest of the ARN, a '*' there also spans '/' and ':'.
// A pattern with fewer sections matches its last section against the rest of
// the value, so the pattern "*" matches everything. A value with fewer
// sections than the pattern never matches.
func Match(pattern, value string) bool {
	var ps, vs [6]string
	n := Split(pattern, ps[:])
	if Split(value, vs[:n]) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if !Like(ps[i], vs[i]) {
			return false
		}
	}
	return true
}

// Like reports whether s matches pattern, where '*' in pattern matches any
// run of characters (including none) and '?' matches exactly one byte. All
// other bytes match themselves, case-sensitively.
func Like(pattern, s string) bool { return like(pattern, s, false) }

// LikeFold is Like ignoring the case of ASCII letters, as IAM compares
// action names.
func LikeFold(pattern, s string) bool { return like(pattern, s, true) }

func like(pattern, s string, fold bool) bool {
	// Iterative matching with a single backtrack point: on a mismatch the
	// last '*' absorbs one more byte. This is linear in practice and never
	// worse than len(pattern)*len(s).
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && (s[sx] == c || fold && lower(s[sx]) == lower(c)) {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx <= len(s) {
			px, sx = starPx+1, starSx
			starSx++
			continue
		}
		return false
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
