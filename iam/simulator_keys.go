package iam

import (
	"encoding/base64"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	awsarn "github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

// Context keys in the simulator: ContextEntries checked against their types,
// the keys policies read (GetContextKeysFor*), and those a simulated request
// lacks (MissingContextValues).

// contextOf turns ContextEntries into request context keys, checking each
// value against its type. Binary values are base64 and are decoded, as
// BinaryEquals compares bytes.
func contextOf(entries []contextEntry) (map[string][]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out := make(map[string][]string, len(entries))
	for _, e := range entries {
		typ := e.ContextKeyType
		if typ == "" {
			typ = "string"
			if len(e.ContextKeyValues) > 1 {
				typ = "stringList"
			}
		}
		base, isList := strings.CutSuffix(typ, "List")
		if !isList && len(e.ContextKeyValues) > 1 {
			return nil, invalidInput("Context key %s of type %s takes one value, not %d.", e.ContextKeyName, typ, len(e.ContextKeyValues))
		}
		vals := make([]string, len(e.ContextKeyValues))
		for i, v := range e.ContextKeyValues {
			norm, ok := contextValue(base, v)
			if !ok {
				return nil, invalidInput("The value %s is not valid for context key %s of type %s.", v, e.ContextKeyName, typ)
			}
			vals[i] = norm
		}
		for k := range out {
			if strings.EqualFold(k, e.ContextKeyName) {
				delete(out, k) // the last entry for a key wins
			}
		}
		out[e.ContextKeyName] = vals
	}
	return out, nil
}

// contextValue checks one value of a context entry of the base type and
// returns it as the policy engine reads it.
func contextValue(typ, v string) (string, bool) {
	switch typ {
	case "string":
		return v, true
	case "numeric":
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return v, err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
	case "boolean":
		return v, strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "ip":
		// A request comes from one address; IpAddress conditions test it
		// against their blocks.
		_, err := netip.ParseAddr(v)
		return v, err == nil
	case "binary":
		b, err := base64.StdEncoding.DecodeString(v)
		return string(b), err == nil
	case "date":
		return v, isDate(strings.TrimSpace(v))
	}
	return "", false
}

// isDate accepts what date condition operators read: an ISO 8601 date or
// date-time, or an epoch time in seconds.
func isDate(s string) bool {
	if s == "" {
		return false
	}
	if whole, frac, _ := strings.Cut(s, "."); len(whole) != 4 && allDigits(whole) && (frac == "" || allDigits(frac)) {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// keyedStatement is a statement that reads the request context: through a
// condition or a policy variable in its Resource element.
type keyedStatement struct {
	vars bool // policy variables are enabled (Version 2012-10-17)
	stmt policy.Statement
	keys []string // condition keys and variables, in document order
}

// keyedStatements picks the statements of srcs that read context keys, once
// per simulation.
func keyedStatements(srcs []authz.Source) []keyedStatement {
	var out []keyedStatement
	for _, src := range srcs {
		if src.Policy == nil {
			continue
		}
		vars := src.Policy.Version() == policy.Version2012
		for _, st := range src.Policy.Statements() {
			keys := statementKeys(&st, vars, true, nil)
			if len(keys) > 0 {
				out = append(out, keyedStatement{vars: vars, stmt: st, keys: keys})
			}
		}
	}
	return out
}

// missingKeys lists the context keys that statements applying to action and
// resource read and the request context lacks.
func (r *simRun) missingKeys(action, resource string, c *policy.Context) list[string] {
	out := list[string]{}
	for i := range r.keyed {
		ks := &r.keyed[i]
		if !actionApplies(&ks.stmt, action) || !resourceApplies(&ks.stmt, resource, ks.vars, c) {
			continue
		}
		for _, k := range ks.keys {
			if _, ok := c.Get(k); !ok {
				out = appendKey(out, k)
			}
		}
	}
	return out
}

func actionApplies(st *policy.Statement, action string) bool {
	pats, not := st.Action, false
	if st.NotAction != nil {
		pats, not = st.NotAction, true
	}
	a := strings.ToLower(action)
	for _, p := range pats {
		if awsarn.Like(strings.ToLower(p), a) {
			return !not
		}
	}
	return not
}

// resourceApplies reports whether the statement's Resource element can name
// resource. A variable the context lacks makes its pattern count as
// applying: the variable is then reported missing.
func resourceApplies(st *policy.Statement, resource string, vars bool, c *policy.Context) bool {
	pats, not := st.Resource, false
	if st.NotResource != nil {
		pats, not = st.NotResource, true
	}
	if pats == nil {
		return true
	}
	for _, p := range pats {
		if vars && strings.Contains(p, "${") {
			var ok bool
			if p, ok = expand(p, c); !ok {
				return true
			}
		}
		if p == "*" || awsarn.Match(p, resource) {
			return !not
		}
	}
	return not
}

// expand replaces the policy variables of a pattern with their values;
// ok is false when a variable has neither a value nor a default.
func expand(p string, c *policy.Context) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(p, "${")
		if i < 0 {
			b.WriteString(p)
			return b.String(), true
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			b.WriteString(p)
			return b.String(), true
		}
		b.WriteString(p[:i])
		body := p[i+2 : i+j]
		p = p[i+j+1:]
		key, def, hasDef := strings.Cut(body, ",")
		key = strings.TrimSpace(key)
		switch key {
		case "*", "?", "$":
			b.WriteString(key)
			continue
		}
		if vs, ok := c.Get(key); ok && len(vs) > 0 {
			b.WriteString(vs[0])
			continue
		}
		if !hasDef {
			return "", false
		}
		b.WriteString(strings.Trim(strings.TrimSpace(def), "'"))
	}
}

// contextKeys lists the context keys the policies use, each once, in
// document order.
func contextKeys(pols []*policy.Policy) list[string] {
	out := list[string]{}
	for _, pol := range pols {
		if pol == nil {
			continue
		}
		vars := pol.Version() == policy.Version2012
		for _, st := range pol.Statements() {
			out = statementKeys(&st, vars, false, out)
		}
	}
	return out
}

// statementKeys appends to keys the variables of the statement's Resource
// element and its condition keys with the variables of their values.
// With skipNull, the keys of Null conditions are left out: for them an
// absent key is a full answer.
func statementKeys(st *policy.Statement, vars, skipNull bool, keys []string) []string {
	add := func(k string) { keys = appendKey(keys, k) }
	if vars {
		for _, p := range append(slices.Clip(st.Resource), st.NotResource...) {
			variables(p, add)
		}
	}
	for _, c := range st.Condition {
		if !(skipNull && c.Operator == "Null") {
			add(c.Key)
		}
		if vars {
			for _, v := range c.Values {
				variables(v, add)
			}
		}
	}
	return keys
}

// variables calls add with the key of each policy variable in s.
func variables(s string, add func(string)) {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return
		}
		body := s[i+2 : i+j]
		s = s[i+j+1:]
		key, _, _ := strings.Cut(body, ",")
		switch key = strings.TrimSpace(key); key {
		case "", "*", "?", "$":
		default:
			add(key)
		}
	}
}

// appendKey appends k unless keys has it already, compared regardless of
// case as condition keys are.
func appendKey[L ~[]string](keys L, k string) L {
	for _, have := range keys {
		if strings.EqualFold(have, k) {
			return keys
		}
	}
	return append(keys, k)
}
