package validate

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

// opType is the type of value a condition operator compares.
type opType uint8

const (
	opString opType = iota + 1
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opARN
	opNull
)

// name is how Access Analyzer's messages name the operator type.
func (t opType) name() string {
	switch t {
	case opString:
		return "String"
	case opNumeric:
		return "Numeric"
	case opDate:
		return "Date"
	case opBool:
		return "Bool"
	case opBinary:
		return "Binary"
	case opIP:
		return "IpAddress"
	case opARN:
		return "Arn"
	}
	return "Null"
}

type operator struct {
	typ     opType
	like    bool // wildcards in values are wildcards
	negated bool
	// bound is -1 for less-than operators and 1 for greater-than ones,
	// whose several values collapse into one.
	bound int
}

var operators = map[string]operator{
	"StringEquals": {opString, false, false, 0}, "StringNotEquals": {opString, false, true, 0},
	"StringEqualsIgnoreCase": {opString, false, false, 0}, "StringNotEqualsIgnoreCase": {opString, false, true, 0},
	"StringLike": {opString, true, false, 0}, "StringNotLike": {opString, true, true, 0},
	"NumericEquals": {opNumeric, false, false, 0}, "NumericNotEquals": {opNumeric, false, true, 0},
	"NumericLessThan": {opNumeric, false, false, -1}, "NumericLessThanEquals": {opNumeric, false, false, -1},
	"NumericGreaterThan": {opNumeric, false, false, 1}, "NumericGreaterThanEquals": {opNumeric, false, false, 1},
	"DateEquals": {opDate, false, false, 0}, "DateNotEquals": {opDate, false, true, 0},
	"DateLessThan": {opDate, false, false, 0}, "DateLessThanEquals": {opDate, false, false, 0},
	"DateGreaterThan": {opDate, false, false, 0}, "DateGreaterThanEquals": {opDate, false, false, 0},
	"Bool": {opBool, false, false, 0}, "BinaryEquals": {opBinary, false, false, 0},
	"IpAddress": {opIP, false, false, 0}, "NotIpAddress": {opIP, false, true, 0},
	"ArnEquals": {opARN, true, false, 0}, "ArnLike": {opARN, true, false, 0},
	"ArnNotEquals": {opARN, true, true, 0}, "ArnNotLike": {opARN, true, true, 0},
	"Null": {opNull, false, false, 0},
}

// condition is one key test of a Condition element.
type condition struct {
	op       string // as written
	base     string // the operator without qualifier and IfExists
	info     operator
	known    bool
	qual     string // "ForAllValues", "ForAnyValue" or ""
	ifExists bool

	key    string
	keyAt  at
	values []item
	valAt  at
}

// readConditions reads a Condition element, reporting its shape problems.
func (c *checker) readConditions(v *node, p path) []condition {
	if v.kind != kindObject {
		c.dataType(p, v, "Object")
		return nil
	}
	if len(v.keys) == 0 {
		c.report("EMPTY_OBJECT_CONDITION", "This condition block is empty and it does not affect the policy. Specify conditions.", atNode(p, v))
		return nil
	}
	var out []condition
	for i, op := range v.keys {
		block := v.elems[i]
		bp := p.value(op)
		opAt := at{path: p.key(op), start: v.keySpans[i][0], end: v.keySpans[i][1]}
		cond := condition{op: op}
		base := op
		if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
			base, cond.qual = rest, "ForAllValues"
		} else if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
			base, cond.qual = rest, "ForAnyValue"
		}
		info, ok := operators[base]
		if !ok {
			if trimmed, cut := strings.CutSuffix(base, "IfExists"); cut {
				info, ok = operators[trimmed]
				base, cond.ifExists = trimmed, ok
			}
		}
		cond.base, cond.info, cond.known = base, info, ok
		switch {
		case !ok:
			c.report("INVALID_CONDITION_OPERATOR", "The condition operator "+op+" is not valid. Use a valid condition operator.", opAt)
		case info.typ == opNull && cond.ifExists:
			c.report("NULL_WITH_IF_EXISTS", "The Null condition operator cannot be used with the IfExists suffix. Update the operator or the suffix.", opAt)
		case info.typ == opNull && cond.qual != "":
			c.report("NULL_WITH_QUALIFIER", "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively.", opAt)
		}
		if block.kind != kindObject {
			c.dataType(bp, block, "Object")
			continue
		}
		if len(block.keys) == 0 {
			c.report("EMPTY_OBJECT_CONDITION", "This condition block is empty and it does not affect the policy. Specify conditions.", atNode(bp, block))
			continue
		}
		for j, key := range block.keys {
			kc := cond
			kc.key = key
			kc.keyAt = at{path: bp.key(key), start: block.keySpans[j][0], end: block.keySpans[j][1]}
			vp := bp.value(key)
			val := block.elems[j]
			kc.valAt = atNode(vp, val)
			for _, prev := range block.keys[:j] {
				if prev != key && strings.EqualFold(prev, key) {
					c.report("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", "The condition key "+key+
						" appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.", kc.keyAt)
					break
				}
			}
			kc.values = c.conditionValues(&kc, val, vp)
			out = append(out, kc)
		}
	}
	return out
}

// conditionValues reads the value of a condition key: a string, number or
// boolean, or a non-empty list of them.
func (c *checker) conditionValues(cond *condition, v *node, p path) []item {
	scalar := func(n *node) bool { return n.kind == kindString || n.kind == kindNumber || n.kind == kindBool }
	if scalar(v) {
		return []item{{text: v.text, n: v, path: p}}
	}
	if v.kind != kindArray {
		c.dataType(p, v, "Array")
		return nil
	}
	if len(v.elems) == 0 {
		switch {
		case cond.qual == "ForAllValues":
			c.report("EMPTY_ARRAY_CONDITION_FORALLVALUES", "The ForAllValues prefix with an empty condition key matches only if the key "+cond.key+
				" is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.", atNode(p, v))
		case cond.qual == "ForAnyValue":
			c.report("EMPTY_ARRAY_CONDITION_FORANYVALUE", "The ForAnyValue prefix with an empty condition key "+cond.key+
				" never matches the request context and it does not affect the policy. Specify conditions.", atNode(p, v))
		case cond.ifExists:
			c.report("EMPTY_ARRAY_CONDITION_IFEXISTS", "The IfExists suffix with an empty condition key matches only if the key "+cond.key+
				" is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.", atNode(p, v))
		default:
			c.report("EMPTY_ARRAY_CONDITION", "There are no values for the condition key "+cond.key+" and it does not affect the policy. Specify conditions.", atNode(p, v))
		}
		return nil
	}
	out := make([]item, 0, len(v.elems))
	kinds := map[nodeKind]bool{}
	for i, e := range v.elems {
		if !scalar(e) {
			c.dataType(p.index(i), e, "String")
			continue
		}
		kinds[e.kind] = true
		out = append(out, item{text: e.text, n: e, path: p.index(i)})
	}
	if len(kinds) > 1 {
		c.report("INVALID_CONDITION_DATA_TYPE", "The condition value data types do not match. Use condition values of the same JSON data type.", atNode(p, v))
	}
	return out
}

// tagKeys are the global keys that name a tag after a slash.
var tagKeys = []string{"aws:RequestTag/", "aws:ResourceTag/", "aws:PrincipalTag/"}

// conditionChecks checks the keys and values of a statement's conditions.
func (c *checker) conditionChecks(s *statement) {
	for i := range s.conditions {
		cond := &s.conditions[i]
		key := c.conditionKey(s, cond)
		if !cond.known {
			continue
		}
		if key != nil && cond.info.typ != opNull {
			c.keyType(s, cond, key)
		}
		c.values(cond)
	}
}

// conditionKey checks a condition key and returns it from the reference, or
// nil when it is unknown.
func (c *checker) conditionKey(s *statement, cond *condition) *servicedata.ConditionKey {
	key := cond.key
	prefix, rest, ok := strings.Cut(key, ":")
	if !ok || prefix == "" || rest == "" || strings.HasPrefix(rest, "//") {
		c.report("INVALID_CONDITION_KEY_FORMAT", "The condition key format is not valid. Use the format service:keyname.", cond.keyAt)
		return nil
	}
	if c.ref == nil {
		return nil
	}
	lp := strings.ToLower(prefix)
	if lp == "aws" {
		if strings.EqualFold(key, "aws:ARN") {
			c.report("DEPRECATED_GLOBAL_CONDITION_KEY", "We recommend that you update aws:ARN to use the newer condition keys aws:PrincipalArn or aws:SourceArn.", cond.keyAt)
			return nil
		}
		for _, t := range tagKeys {
			if strings.EqualFold(key, t) {
				c.report("MISSING_TAG_KEY_IN_CONDITION", "The condition key "+key+" must name a tag key after the slash, such as "+t+"team.", cond.keyAt)
				return nil
			}
		}
		k := c.ref.ConditionKey(key)
		if k == nil {
			c.report("INVALID_GLOBAL_CONDITION_KEY", "The condition key "+key+" does not exist. Use a valid condition key.", cond.keyAt)
		}
		return k
	}
	if k := c.ref.ConditionKey(key); k != nil {
		c.keySupported(s, cond, k)
		return k
	}
	// Identity providers (accounts.google.com, an OIDC provider's URL) have
	// keys of their own that no reference lists.
	if strings.ContainsAny(prefix, "./") {
		return nil
	}
	if !c.ref.KnownKeyPrefix(prefix) {
		msg := "The service " + prefix + " does not exist. Use a valid service name."
		if s := closest(prefix, c.ref.ServiceNames(), typoLimit(prefix)); s != "" {
			msg += " Did you mean " + s + "?"
		}
		c.report("INVALID_SERVICE", msg, cond.keyAt)
		return nil
	}
	c.report("INVALID_SERVICE_CONDITION_KEY", "The condition key "+key+" does not exist in the service "+prefix+". Use a valid condition key.", cond.keyAt)
	return nil
}

// keySupported reports a service's condition key that none of the
// statement's actions supports: requests for them never carry it.
func (c *checker) keySupported(s *statement, cond *condition, k *servicedata.ConditionKey) {
	if s.notAction() || len(s.actions) == 0 {
		return
	}
	for _, g := range c.ref.GlobalConditionKeys() {
		if g.Matches(cond.key) {
			return
		}
	}
	for _, it := range s.actions {
		if it.text == "*" {
			return
		}
		prefix, name, _ := strings.Cut(it.text, ":")
		svc := c.ref.Service(prefix)
		if svc == nil {
			return
		}
		for _, a := range svc.Match(name) {
			if a.SupportsKey(cond.key) {
				return
			}
		}
	}
	// What a condition on a key the request does not carry evaluates to.
	always := cond.info.negated || cond.ifExists || cond.qual == "ForAllValues"
	if cond.info.typ == opNull {
		always = len(cond.values) > 0 && strings.EqualFold(cond.values[0].text, "true")
	}
	c.report("CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS", "None of the actions in the statement supports the condition key "+cond.key+
		", so requests for them never carry it and the condition "+cond.op+" is always "+strconv.FormatBool(always)+
		". Check the condition key or the actions.", cond.keyAt)
}

// keyType checks that the operator fits the type of the key, and the
// qualifier fits how many values the key has.
func (c *checker) keyType(s *statement, cond *condition, k *servicedata.ConditionKey) {
	base := k.Type.Base()
	var want opType
	switch base {
	case "String":
		switch cond.info.typ {
		case opString, opARN, opBinary:
		default:
			want = opString
		}
	case "ARN":
		if t := cond.info.typ; t != opARN && t != opString {
			want = opARN
		}
	case "Bool":
		if cond.info.typ != opBool {
			want = opBool
		}
	case "Numeric":
		if cond.info.typ != opNumeric {
			want = opNumeric
		}
	case "Date":
		// aws:EpochTime holds seconds and compares as a number too.
		if t := cond.info.typ; t != opDate && !(t == opNumeric && strings.EqualFold(cond.key, "aws:EpochTime")) {
			want = opDate
		}
	case "IPAddress":
		if cond.info.typ != opIP {
			want = opIP
		}
	case "Binary":
		if t := cond.info.typ; t != opBinary && t != opString {
			want = opBinary
		}
	}
	if want != 0 {
		c.report("TYPE_MISMATCH", "Use the operator type "+want.name()+" instead of operator "+cond.op+" for the condition key "+cond.key+".", cond.keyAt)
	}
	switch {
	case k.Type.Multivalued() && cond.qual == "":
		c.report("MISSING_QUALIFIER", "The request context key "+cond.key+
			" has multiple values. Use the ForAllValues or ForAnyValue condition key qualifiers in your policy.", cond.keyAt)
	case !k.Type.Multivalued() && cond.qual == "ForAllValues" && s.allow():
		c.report("FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Using ForAllValues qualifier with the single-valued condition key "+cond.key+
			" can be overly permissive. We recommend that you remove ForAllValues:.", cond.keyAt)
	}
}

// private are the address ranges aws:SourceIp never carries.
var private = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"),
}

func isPrivate(p netip.Prefix) bool {
	for _, r := range private {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// values checks each value against the type of the operator.
func (c *checker) values(cond *condition) {
	op := cond.op
	if cond.info.typ == opBool && len(cond.values) > 1 {
		c.report("INVALID_CONDITION_MULTIPLE_BOOLEAN", "The condition key "+cond.key+" does not support multiple Boolean values. Use a single Boolean value.", cond.valAt)
	}
	wildcard := false
	var nums []float64
	var privates, publics int
	for _, it := range cond.values {
		v := it.text
		hasVar := hasVariable(v)
		switch cond.info.typ {
		case opString, opARN:
			if !c.variables(it) {
				continue
			}
			if cond.info.typ == opString && !cond.info.like && !wildcard && hasWildcard(v) {
				wildcard = true
				c.report("WILDCARD_WITHOUT_LIKE_OPERATOR", "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like.", it.at())
			}
			continue
		}
		if hasVar {
			c.report("INVALID_VARIABLE_FOR_OPERATOR", "Policy variables can only be used with String and ARN operators.", it.at())
			continue
		}
		switch cond.info.typ {
		case opNumeric:
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !numeric(v) {
				c.report("TYPE_MISMATCH_NUMBER", "Add a valid numeric value for the condition operator "+op+".", it.at())
				continue
			}
			nums = append(nums, n)
		case opDate:
			epoch, ok := date(v)
			switch {
			case !ok:
				c.report("TYPE_MISMATCH_DATE", "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format.", it.at())
			case epoch && !strings.EqualFold(cond.key, "aws:EpochTime"):
				c.report("INVALID_DATE_VALUE", "The date "+v+" might not resolve as expected. We recommend that you use the YYYY-MM-DD format.", it.at())
			}
		case opBool, opNull:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				c.report("TYPE_MISMATCH_BOOLEAN", "Add a valid Boolean value (true or false) for the condition operator "+op+".", it.at())
			}
		case opBinary:
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				c.report("TYPE_MISMATCH_STRING", "Add a valid base64-encoded string value for the condition operator "+op+".", it.at())
			}
		case opIP:
			p, ok := ipRange(v)
			if !ok {
				c.report("TYPE_MISMATCH_IP_RANGE", "The condition operator "+op+" is used with an invalid IP range value. Specify the IP range in standard CIDR format.", it.at())
				continue
			}
			if masked := p.Masked(); masked != p {
				c.report("IMPROVE_IP_RANGE", "The non-zero bits in the IP address after the masked bits are ignored. Replace address with "+masked.String()+".", it.at())
			}
			if isPrivate(p) {
				privates++
			} else {
				publics++
			}
		}
	}
	if len(nums) > 1 && cond.info.bound != 0 && cond.qual == "" {
		word := "greatest"
		if cond.info.bound > 0 {
			word = "least"
		}
		c.report("REDUNDANT_CONDITION_VALUE_NUM", "Multiple values in "+op+" are redundant. Replace with the "+word+" single value for "+cond.key+".", cond.valAt)
	}
	if cond.info.typ == opIP && strings.EqualFold(cond.key, "aws:SourceIp") && privates > 0 {
		switch {
		case publics == 0 && !cond.info.negated:
			c.report("PRIVATE_IP_ADDRESS", "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect. Update the value to include only public IP addresses.", cond.valAt)
		case publics == 0:
			c.report("PRIVATE_NOT_IP_ADDRESS", "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges. Update the value to include only public IP addresses.", cond.valAt)
		case !cond.info.negated:
			c.report("PRIVATE_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.", cond.valAt)
		default:
			c.report("PRIVATE_NOT_IP_ADDRESS_SUBSET", "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses have no effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.", cond.valAt)
		}
	}
}

// numeric refuses what strconv accepts but IAM does not (Inf, NaN, hex).
func numeric(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('0' <= r && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	}) < 0
}

// ipRange reads a CIDR block or a bare address, keeping the bits after the
// mask so that IMPROVE_IP_RANGE can point at them.
func ipRange(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsRune(s, '/') {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// date reports whether s is a date IAM reads: an ISO 8601 date or date-time
// (YYYY, YYYY-MM, YYYY-MM-DD, then Thh:mm[:ss[.fff]] and Z or an offset), or
// epoch seconds, which epoch is true for.
func date(s string) (epoch, ok bool) {
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	if digits(whole) && len(whole) != 4 && (!dot || digits(frac)) {
		return true, len(whole) <= 18
	}
	return false, isoDate(s)
}

func digits(s string) bool {
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

// isoDate reads YYYY[-MM[-DD[Thh:mm[:ss[.fraction]][Z|+hh:mm|-hh:mm|+hhmm]]]]
// with a real month, day and time, as the policy engine does.
func isoDate(s string) bool {
	num := func(i, n, lo, hi int) bool {
		if i+n > len(s) || !digits(s[i:i+n]) {
			return false
		}
		v, _ := strconv.Atoi(s[i : i+n])
		return lo <= v && v <= hi
	}
	if !num(0, 4, 0, 9999) {
		return false
	}
	year, _ := strconv.Atoi(s[:4])
	month, day := 1, 1
	i := 4
	if i < len(s) {
		if s[i] != '-' || !num(i+1, 2, 1, 12) {
			return false
		}
		month, _ = strconv.Atoi(s[i+1 : i+3])
		i += 3
	}
	if i < len(s) {
		if s[i] != '-' || !num(i+1, 2, 1, 31) {
			return false
		}
		day, _ = strconv.Atoi(s[i+1 : i+3])
		i += 3
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != 'T' || !num(i+1, 2, 0, 23) || i+3 >= len(s) || s[i+3] != ':' || !num(i+4, 2, 0, 59) {
		return false
	}
	i += 6
	if i < len(s) && s[i] == ':' {
		if !num(i+1, 2, 0, 59) {
			return false
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			j := i + 1
			for j < len(s) && '0' <= s[j] && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				return false
			}
			i = j
		}
	}
	switch {
	case i == len(s):
		return true
	case s[i] == 'Z':
		return i+1 == len(s)
	case s[i] == '+' || s[i] == '-':
		switch len(s) - i {
		case 6:
			return num(i+1, 2, 0, 23) && s[i+3] == ':' && num(i+4, 2, 0, 59)
		case 5:
			return num(i+1, 2, 0, 23) && num(i+3, 2, 0, 59)
		}
	}
	return false
}

// hasVariable reports whether s holds a policy variable: ${...} other than
// the escapes ${*}, ${?} and ${$}.
func hasVariable(s string) bool {
	for i := strings.Index(s, "${"); i >= 0; {
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return true // unterminated: a broken variable
		}
		switch s[i+2 : i+end] {
		case "*", "?", "$":
		default:
			return true
		}
		next := strings.Index(s[i+end:], "${")
		if next < 0 {
			return false
		}
		i += end + next
	}
	return false
}

// hasWildcard reports whether s has a '*' or '?' outside policy variables.
func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				if end := strings.IndexByte(s[i:], '}'); end > 0 {
					i += end
				}
			}
		case '*', '?':
			return true
		}
	}
	return false
}

// variables checks the policy variables of a Resource value or a String or
// ARN condition value, and reports whether they are well formed.
func (c *checker) variables(it item) bool {
	s := it.text
	first := strings.Index(s, "${")
	if first < 0 {
		return true
	}
	if c.version != policy.Version2012 {
		if strings.Contains(s[first:], "}") {
			c.report("VARIABLE_UNSUPPORTED_IN_VERSION", "To include variables in your policy, use the policy version 2012-10-17 or later.", it.at())
		}
		return true // literal text in a 2008-10-17 policy
	}
	for i := first; i >= 0; {
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			c.report("MISSING_BRACE_IN_VARIABLE", "The policy variable is missing a closing curly brace. Add } after the variable text.", c.substring(it, i, len(s)))
			return false
		}
		sub := c.substring(it, i, i+end+1)
		body := strings.TrimSpace(s[i+2 : i+end])
		switch {
		case body == "":
			c.report("EMPTY_VARIABLE", "Empty policy variable. Remove the ${} variable structure or provide a variable within the structure.", sub)
			return false
		case body == "*" || body == "?" || body == "$":
		default:
			key, def, hasDef := strings.Cut(body, ",")
			key = strings.TrimSpace(key)
			switch {
			case strings.ContainsAny(key, " \t"):
				c.report("UNSUPPORTED_SPACE_IN_VARIABLE", "A space is not supported within the policy variable text. Remove the space.", sub)
				return false
			case key == "" || strings.ContainsAny(key, "'${"):
				c.report("EMPTY_VARIABLE", "Empty policy variable. Remove the ${} variable structure or provide a variable within the structure.", sub)
				return false
			case hasDef:
				def = strings.TrimSpace(def)
				if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
					c.report("MISSING_QUOTE_IN_VARIABLE", "The policy variable default value must begin and end with a single quote. Add the missing quote.", sub)
					return false
				}
			}
		}
		next := strings.Index(s[i+end:], "${")
		if next < 0 {
			break
		}
		i += end + next
	}
	return true
}

// substring is the location of s[from:to] of a string item: its path ends
// with a substring element, and its span is the text of the part when the
// JSON string has no escapes (otherwise the whole string).
func (c *checker) substring(it item, from, to int) at {
	s := it.text
	start := utf16Len(s[:from])
	length := utf16Len(s[from:to])
	p := append(slices.Clip(it.path), PathElement{Substring: &Substring{Start: start, Length: length}})
	raw := c.doc[it.n.start:it.n.end]
	if len(raw) == len(s)+2 && string(raw[1:len(raw)-1]) == s {
		return at{path: p, start: it.n.start + 1 + from, end: it.n.start + 1 + to}
	}
	return at{path: p, start: it.n.start, end: it.n.end}
}

// utf16Len is the length of s in UTF-16 code units; an invalid byte counts
// as one, as it does in positions.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
