package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden/arn"
)

// Condition is one key test of a statement's Condition element, as written:
// {"ForAnyValue:StringLike": {"aws:TagKeys": ["team", "env"]}} is the
// Condition{Operator: "ForAnyValue:StringLike", Key: "aws:TagKeys",
// Values: ["team", "env"]}. Numbers and booleans are kept as their JSON text.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// valueType is the kind of value an operator compares.
type valueType uint8

const (
	typeString valueType = iota + 1
	typeNumeric
	typeDate
	typeBool
	typeBinary
	typeIP
	typeARN
	typeNull
)

// cmp is how an operator compares a request value with a policy value.
type cmp uint8

const (
	cmpEq cmp = iota
	cmpEqFold
	cmpLike
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// operator is one entry of the registry. The IfExists suffix and the
// ForAllValues:/ForAnyValue: qualifiers are not operators of their own: they
// are applied to any entry, once, in condition.eval.
type operator struct {
	name    string
	typ     valueType
	cmp     cmp
	negated bool // true for the ...Not... forms: the result of cmp is inverted
}

// operators is every condition operator AWS documents, by name.
var operators = func() map[string]*operator {
	ops := []operator{
		{"StringEquals", typeString, cmpEq, false},
		{"StringNotEquals", typeString, cmpEq, true},
		{"StringEqualsIgnoreCase", typeString, cmpEqFold, false},
		{"StringNotEqualsIgnoreCase", typeString, cmpEqFold, true},
		{"StringLike", typeString, cmpLike, false},
		{"StringNotLike", typeString, cmpLike, true},
		{"NumericEquals", typeNumeric, cmpEq, false},
		{"NumericNotEquals", typeNumeric, cmpEq, true},
		{"NumericLessThan", typeNumeric, cmpLt, false},
		{"NumericLessThanEquals", typeNumeric, cmpLe, false},
		{"NumericGreaterThan", typeNumeric, cmpGt, false},
		{"NumericGreaterThanEquals", typeNumeric, cmpGe, false},
		{"DateEquals", typeDate, cmpEq, false},
		{"DateNotEquals", typeDate, cmpEq, true},
		{"DateLessThan", typeDate, cmpLt, false},
		{"DateLessThanEquals", typeDate, cmpLe, false},
		{"DateGreaterThan", typeDate, cmpGt, false},
		{"DateGreaterThanEquals", typeDate, cmpGe, false},
		{"Bool", typeBool, cmpEq, false},
		{"BinaryEquals", typeBinary, cmpEq, false},
		{"IpAddress", typeIP, cmpEq, false},
		{"NotIpAddress", typeIP, cmpEq, true},
		{"ArnEquals", typeARN, cmpLike, false},
		{"ArnLike", typeARN, cmpLike, false},
		{"ArnNotEquals", typeARN, cmpLike, true},
		{"ArnNotLike", typeARN, cmpLike, true},
		{"Null", typeNull, cmpEq, false},
	}
	m := make(map[string]*operator, len(ops))
	for i := range ops {
		m[ops[i].name] = &ops[i]
	}
	return m
}()

type qualifier uint8

const (
	qualNone qualifier = iota
	qualForAll
	qualForAny
)

// condition is a compiled Condition.
type condition struct {
	op       *operator
	qual     qualifier
	ifExists bool
	key      string // lower case
	values   []value
}

// value is one compiled policy value; which field is used depends on the
// operator's type.
type value struct {
	str  template   // typeString
	arn  arnPattern // typeARN
	num  float64    // typeNumeric
	time time.Time  // typeDate
	b    bool       // typeBool, typeNull
	bin  string     // typeBinary: the decoded bytes
	ip   netip.Prefix
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperator(name string) (op *operator, q qualifier, ifExists bool, err error) {
	base := name
	if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, q = rest, qualForAll
	} else if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, q = rest, qualForAny
	}
	op = operators[base]
	if op == nil {
		if trimmed, ok := strings.CutSuffix(base, "IfExists"); ok {
			op, ifExists = operators[trimmed], true
		}
	}
	// Null tests presence itself: it takes neither IfExists nor a qualifier.
	if op == nil || op.typ == typeNull && (ifExists || q != qualNone) {
		return nil, 0, false, broke(RuleSyntax)
	}
	return op, q, ifExists, nil
}

// compileCondition prepares c's values. vars enables policy variables
// (Version 2012-10-17) in string and ARN values. IAM stores condition keys
// and values it cannot read (a Bool of "yes", a NumericEquals of "ten"): such
// a value never matches, so it is dropped here. Only an unknown operator is
// refused (Parse has already done so with IAM's message), and so is a
// malformed policy variable.
func compileCondition(c Condition, vars bool) (condition, error) {
	op, q, ifExists, err := parseOperator(c.Operator)
	if err != nil {
		return condition{}, err
	}
	cc := condition{op: op, qual: q, ifExists: ifExists, key: strings.ToLower(c.Key)}
	cc.values = make([]value, 0, len(c.Values))
	for _, s := range c.Values {
		v, ok, err := compileValue(op, s, vars)
		if err != nil {
			return condition{}, err
		}
		if ok {
			cc.values = append(cc.values, v)
		}
	}
	return cc, nil
}

// compileValue reads one condition value; ok is false for a value the
// operator cannot read, which never matches.
func compileValue(op *operator, s string, vars bool) (v value, ok bool, err error) {
	switch op.typ {
	case typeString:
		v.str, err = parseTemplate(s, vars, op.cmp == cmpLike)
		return v, err == nil, err
	case typeARN:
		v.arn, err = parseARNPattern(s, vars)
		return v, err == nil, err
	case typeNumeric:
		v.num, ok = parseNumber(s)
	case typeDate:
		v.time, ok = parseDate(s)
	case typeBool, typeNull:
		v.b, ok = parseBool(s)
	case typeBinary:
		b, berr := base64.StdEncoding.DecodeString(s)
		v.bin, ok = string(b), berr == nil
	case typeIP:
		v.ip, ok = parseIP(s)
	}
	return v, ok, nil
}

// eval reports whether the condition holds for the request context, applying
// IfExists and the set qualifiers exactly once for every operator:
//
//   - A key is present when the context has it with at least one value.
//   - Null:true holds when the key is absent, Null:false when present.
//   - With IfExists an absent key makes the condition true, whatever the
//     qualifier.
//   - ForAllValues holds when every request value matches some policy value
//     (for negated operators: matches none), and when the key is absent.
//   - ForAnyValue holds when some request value does; never when absent.
//   - Without a qualifier a missing key makes the condition false, or true
//     for a negated operator or with IfExists; a present key matches when any
//     request value matches any policy value, and a negated operator holds
//     when none does.
func (c *condition) eval(ctx *Context) bool {
	vals, _ := ctx.lookup(c.key)
	present := len(vals) > 0
	if c.op.typ == typeNull {
		for i := range c.values {
			if c.values[i].b != present {
				return true
			}
		}
		return false
	}
	if !present && c.ifExists {
		return true
	}
	switch c.qual {
	case qualForAll:
		for _, rv := range vals {
			if c.any(ctx, rv) == c.op.negated {
				return false
			}
		}
		return true
	case qualForAny:
		for _, rv := range vals {
			if c.any(ctx, rv) != c.op.negated {
				return true
			}
		}
		return false
	}
	if !present {
		return c.op.negated
	}
	for _, rv := range vals {
		if c.any(ctx, rv) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

// any reports whether request value rv matches any of the policy values
// under the operator's positive comparison. Values are ORed, as AWS does.
func (c *condition) any(ctx *Context, rv string) bool {
	switch c.op.typ {
	case typeString:
		for i := range c.values {
			t := &c.values[i].str
			switch c.op.cmp {
			case cmpEq:
				if t.equal(ctx, rv, false) {
					return true
				}
			case cmpEqFold:
				if t.equal(ctx, rv, true) {
					return true
				}
			case cmpLike:
				if t.like(ctx, rv) {
					return true
				}
			}
		}
	case typeARN:
		av := arnValue{s: rv}
		av.n = arn.Split(rv, av.secs[:])
		for i := range c.values {
			if c.values[i].arn.match(ctx, &av) {
				return true
			}
		}
	case typeNumeric:
		n, ok := parseNumber(rv)
		if !ok {
			return false
		}
		for i := range c.values {
			if compare(c.op.cmp, cmpFloat(n, c.values[i].num)) {
				return true
			}
		}
	case typeDate:
		t, ok := parseDate(rv)
		if !ok {
			return false
		}
		for i := range c.values {
			if compare(c.op.cmp, t.Compare(c.values[i].time)) {
				return true
			}
		}
	case typeBool:
		b, ok := parseBool(rv)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.values[i].b == b {
				return true
			}
		}
	case typeBinary:
		for i := range c.values {
			if c.values[i].bin == rv {
				return true
			}
		}
	case typeIP:
		a, err := netip.ParseAddr(rv)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			if c.values[i].ip.Contains(a) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: never equal, less or greater
}

// compare maps a three-way result onto the operator's comparison.
func compare(c cmp, r int) bool {
	switch c {
	case cmpEq:
		return r == 0
	case cmpLt:
		return r == -1
	case cmpLe:
		return r == -1 || r == 0
	case cmpGt:
		return r == 1
	case cmpGe:
		return r == 1 || r == 0
	}
	return false
}

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	// strconv allocates its error; refuse most non-numbers before asking it.
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !('0' <= r && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	}) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseDate reads a W3C (ISO 8601) date or date-time, YYYY[-MM[-DD[Thh:mm
// [:ss[.fraction]][Z|+hh:mm|-hh:mm]]]], where a time without a zone is UTC,
// or an epoch time in seconds with an optional fraction. It does not
// allocate, so request values are parsed on the hot path.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if whole, frac, _ := strings.Cut(s, "."); allDigits(whole) && len(whole) != 4 && (frac == "" && !strings.HasSuffix(s, ".") || allDigits(frac)) {
		sec, ok := atoi(whole)
		if !ok {
			return time.Time{}, false
		}
		return time.Unix(int64(sec), fraction(frac)).UTC(), true
	}
	num := func(i, n int) (int, bool) {
		if i+n > len(s) || !allDigits(s[i:i+n]) {
			return 0, false
		}
		v, _ := atoi(s[i : i+n])
		return v, true
	}
	year, ok := num(0, 4)
	if !ok {
		return time.Time{}, false
	}
	month, day := 1, 1
	var hour, minute, sec, nsec int
	loc := time.UTC
	i := 4
	if i < len(s) {
		if s[i] != '-' {
			return time.Time{}, false
		}
		if month, ok = num(i+1, 2); !ok {
			return time.Time{}, false
		}
		i += 3
	}
	if i < len(s) {
		if s[i] != '-' {
			return time.Time{}, false
		}
		if day, ok = num(i+1, 2); !ok {
			return time.Time{}, false
		}
		i += 3
	}
	if i < len(s) {
		if s[i] != 'T' {
			return time.Time{}, false
		}
		if hour, ok = num(i+1, 2); !ok || i+3 >= len(s) || s[i+3] != ':' {
			return time.Time{}, false
		}
		if minute, ok = num(i+4, 2); !ok {
			return time.Time{}, false
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			if sec, ok = num(i+1, 2); !ok {
				return time.Time{}, false
			}
			i += 3
			if i < len(s) && s[i] == '.' {
				j := i + 1
				for j < len(s) && '0' <= s[j] && s[j] <= '9' {
					j++
				}
				if j == i+1 {
					return time.Time{}, false
				}
				nsec = int(fraction(s[i+1 : j]))
				i = j
			}
		}
		switch {
		case i == len(s):
		case s[i] == 'Z' && i+1 == len(s):
		case s[i] == '+' || s[i] == '-':
			zh, ok1 := num(i+1, 2)
			var zm int
			var ok2 bool
			switch len(s) - i {
			case 6:
				zm, ok2 = num(i+4, 2)
				ok2 = ok2 && s[i+3] == ':'
			case 5:
				zm, ok2 = num(i+3, 2)
			}
			if !ok1 || !ok2 || zh > 23 || zm > 59 {
				return time.Time{}, false
			}
			off := zh*3600 + zm*60
			if s[i] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		default:
			return time.Time{}, false
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// atoi parses a run of decimal digits that fits an int64.
func atoi(s string) (int, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// fraction turns the digits after a decimal point into nanoseconds.
func fraction(digits string) int64 {
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(digits) {
			ns += int64(digits[i] - '0')
		}
	}
	return ns
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseIP reads a CIDR block or a bare address (a /32 or /128 block).
func parseIP(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsRune(s, '/') {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
