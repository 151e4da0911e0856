package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	amzDateLayout = "20060102T150405Z"
	scopeLayout   = "20060102"

	// maxSkew is how far a request's time may stray from the server's clock.
	maxSkew = 15 * time.Minute
	// maxExpires is the longest lifetime a presigned URL may ask for.
	maxExpires = 7 * 24 * time.Hour
)

// Signature is what Parse extracts from a request, before any secret is known.
type Signature struct {
	AccessKeyID   string
	Date          string        // scope date YYYYMMDD
	Region        string        // scope region, as the client sent it
	Service       string        // scope service, e.g. "iam", "sts"
	Time          time.Time     // X-Amz-Date (or the Date header when X-Amz-Date is absent), UTC
	SignedHeaders []string      // lower-case, as listed
	Signature     string        // hex
	SecurityToken string        // X-Amz-Security-Token header or query value, "" if none
	Presigned     bool          // authenticated by query parameters rather than the Authorization header
	Expires       time.Duration // presigned only: X-Amz-Expires (1..604800 s), 15 minutes when the URL has none
}

// Parse reads the Signature Version 4 parts of r: from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...") or from
// a presigned query string (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-SignedHeaders, X-Amz-Signature and the optional X-Amz-Expires and
// X-Amz-Security-Token). It reads neither the body nor any secret.
//
// Errors are *Error: CodeMissingAuthenticationToken when r carries no
// authentication at all; CodeIncompleteSignature when a part is missing or
// malformed (the credential is not five slash-separated elements, the date is not
// ISO 8601 basic format, host is not signed, both mechanisms are used at once);
// and, as AWS does, CodeSignatureDoesNotMatch when the credential scope is well
// formed but inconsistent (its terminator is not aws4_request, or its date is not
// the date of the request time). Parse checks neither the clock (see CheckTime)
// nor the region and service names, which are the caller's to judge.
func Parse(r *http.Request) (*Signature, error) {
	if r == nil {
		return nil, missingToken()
	}
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	var rawQuery string
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	inQuery := queryHasAuth(rawQuery)
	switch {
	case auth != "" && inQuery:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter " +
			"or the Authorization header should be specified")
	case auth != "":
		return parseHeader(r, auth, rawQuery)
	case inQuery:
		return parseQuery(r, rawQuery)
	}
	return nil, missingToken()
}

func missingToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: "Request is missing Authentication Token"}
}

func parseHeader(r *http.Request, auth, rawQuery string) (*Signature, error) {
	alg, params, _ := strings.Cut(auth, " ")
	var cred, signed, sig string
	for part := range strings.SplitSeq(params, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + auth + "'.")
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Credential":
			if cred == "" {
				cred = v
			}
		case "SignedHeaders":
			if signed == "" {
				signed = v
			}
		case "Signature":
			if sig == "" {
				sig = v
			}
		}
	}

	dateValue, fromAmzDate := r.Header.Get("X-Amz-Date"), true
	if dateValue == "" {
		dateValue, fromAmzDate = r.Header.Get("Date"), false
	}
	var missing strings.Builder
	if cred == "" {
		missing.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if sig == "" {
		missing.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if signed == "" {
		missing.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if dateValue == "" {
		missing.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if missing.Len() > 0 {
		missing.WriteString("Authorization=")
		missing.WriteString(auth)
		return nil, incomplete(missing.String())
	}
	if alg != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '" + alg + "'.")
	}

	s := &Signature{Signature: sig}
	term, err := s.setCredential(cred)
	if err != nil {
		return nil, err
	}
	t, ok := parseAmzDate(dateValue)
	if !ok && !fromAmzDate {
		// AWS also takes an HTTP Date header (RFC 1123 and its older forms).
		var perr error
		t, perr = http.ParseTime(dateValue)
		ok = perr == nil
	}
	if !ok {
		return nil, badDate(dateValue)
	}
	s.Time = t.UTC()
	if err := s.setSignedHeaders(signed); err != nil {
		return nil, err
	}
	s.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	if s.SecurityToken == "" {
		s.SecurityToken = queryValue(rawQuery, "X-Amz-Security-Token")
	}
	if err := s.checkScope(term, dateValue); err != nil {
		return nil, err
	}
	return s, nil
}

// Indexes of the query parameters a presigned request is made of.
const (
	qAlgorithm = iota
	qCredential
	qSignature
	qSignedHeaders
	qDate
	qExpires
	qToken
	qCount
)

var queryNames = [qCount]string{
	qAlgorithm:     "X-Amz-Algorithm",
	qCredential:    "X-Amz-Credential",
	qSignature:     "X-Amz-Signature",
	qSignedHeaders: "X-Amz-SignedHeaders",
	qDate:          "X-Amz-Date",
	qExpires:       "X-Amz-Expires",
	qToken:         "X-Amz-Security-Token",
}

func parseQuery(r *http.Request, rawQuery string) (*Signature, error) {
	var vals [qCount]string
	var seen [qCount]bool
	var dup string
	forEachParam(rawQuery, func(k, v string) {
		for i, name := range queryNames {
			if k == name {
				if seen[i] && dup == "" {
					dup = name
				}
				seen[i] = true
				vals[i] = v
				return
			}
		}
	})
	if dup != "" {
		return nil, incomplete("AWS query-string parameter '" + dup + "' must appear only once. Re-examine the query-string parameters.")
	}
	var missing strings.Builder
	for i := qAlgorithm; i <= qDate; i++ {
		if vals[i] == "" {
			missing.WriteString("AWS query-string parameters must include '" + queryNames[i] + "'. ")
		}
	}
	if missing.Len() > 0 {
		missing.WriteString("Re-examine the query-string parameters.")
		return nil, incomplete(missing.String())
	}
	if vals[qAlgorithm] != algorithm {
		return nil, incomplete("Unsupported AWS 'algorithm': '" + vals[qAlgorithm] + "'.")
	}

	s := &Signature{Signature: vals[qSignature], Presigned: true, Expires: maxSkew}
	term, err := s.setCredential(vals[qCredential])
	if err != nil {
		return nil, err
	}
	t, ok := parseAmzDate(vals[qDate])
	if !ok {
		return nil, badDate(vals[qDate])
	}
	s.Time = t
	if seen[qExpires] {
		v := vals[qExpires]
		if !isDigits(v) {
			return nil, incomplete("X-Amz-Expires should be a number")
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(maxExpires/time.Second) {
			return nil, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		if n < 1 {
			return nil, incomplete("X-Amz-Expires must be at least 1 second")
		}
		s.Expires = time.Duration(n) * time.Second
	}
	if err := s.setSignedHeaders(vals[qSignedHeaders]); err != nil {
		return nil, err
	}
	s.SecurityToken = vals[qToken]
	if s.SecurityToken == "" {
		s.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	}
	if err := s.checkScope(term, vals[qDate]); err != nil {
		return nil, err
	}
	return s, nil
}

// setCredential splits "AKID/20150830/us-east-1/iam/aws4_request" into s and
// returns the terminator for checkScope.
func (s *Signature) setCredential(cred string) (term string, err error) {
	if strings.Count(cred, "/") != 4 {
		return "", incomplete("Credential must have exactly 5 slash-delimited elements, " +
			"e.g. keyid/date/region/service/term, got '" + cred + "'")
	}
	s.AccessKeyID, cred, _ = strings.Cut(cred, "/")
	s.Date, cred, _ = strings.Cut(cred, "/")
	s.Region, cred, _ = strings.Cut(cred, "/")
	s.Service, term, _ = strings.Cut(cred, "/")
	return term, nil
}

func (s *Signature) setSignedHeaders(list string) error {
	s.SignedHeaders = strings.Split(strings.ToLower(list), ";")
	for _, h := range s.SignedHeaders {
		if h == "host" {
			return nil
		}
	}
	return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
}

// checkScope applies the consistency checks AWS answers with SignatureDoesNotMatch
// rather than IncompleteSignature.
func (s *Signature) checkScope(term, dateValue string) error {
	if term != terminator {
		return mismatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" + term + "'.")
	}
	if d := s.Time.Format(scopeLayout); d != s.Date {
		return mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			s.Date + "' != '" + d + "', from '" + dateValue + "'.")
	}
	return nil
}

func badDate(v string) *Error {
	return incomplete("Date must be in ISO-8601 'basic format'. Got '" + v + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// parseAmzDate accepts exactly YYYYMMDD'T'HHMMSS'Z'; time.Parse alone would also
// take fractional seconds.
func parseAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateLayout, v)
	return t, err == nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// forEachParam calls fn with each decoded name and value of a raw query string,
// skipping parameters that are not validly escaped.
func forEachParam(raw string, fn func(k, v string)) {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		fn(k, v)
	}
}

// queryValue returns the first value of the decoded parameter name in raw.
func queryValue(raw, name string) string {
	var val string
	var found bool
	forEachParam(raw, func(k, v string) {
		if !found && k == name {
			val, found = v, true
		}
	})
	return val
}

// queryHasAuth reports whether raw carries presigned-URL authentication. It avoids
// decoding for the common case of plain parameter names.
func queryHasAuth(raw string) bool {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(seg, "=")
		if strings.ContainsAny(k, "%+") {
			dk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = dk
		}
		switch k {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return true
		}
	}
	return false
}
