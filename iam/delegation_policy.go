package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// A policy template is a policy document with placeholders {{Name}} for the
// request's parameters, inside its JSON strings (so that the template itself
// is a valid policy: "arn:aws:s3:::{{Bucket}}/*"). A string parameter's
// value replaces its placeholder; a string holding a stringList parameter's
// placeholder becomes one string for each of its values, spliced into the
// surrounding array (or making one). Object keys take string parameters
// too (condition keys such as "{{Host}}:sub", for role templates).

var placeholder = regexp.MustCompile(`\{\{([A-Za-z0-9_]+)\}\}`)

// maxRendered bounds the strings a template may make from its list
// parameters, so that a few lists of many values cannot multiply without
// end.
const maxRendered = 10000

// maxRenderedBytes bounds the bytes of the strings a template makes; no
// policy document is near it.
const maxRenderedBytes = 1 << 20

func validParameterName(name string) bool {
	return len(name) <= 128 && placeholder.MatchString("{{"+name+"}}")
}

// renderTemplate fills in the parameters of template doc. Every
// placeholder needs a parameter and every parameter a placeholder
// (InvalidInput otherwise); a template that is not JSON is
// MalformedPolicyDocument.
func renderTemplate(doc string, params []warden.PolicyParameter) (string, error) {
	var tree any
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return "", warden.Errorf(warden.CodeMalformedPolicyDocument, "The policy template is not valid JSON.")
	}
	byName := map[string]warden.PolicyParameter{}
	for _, p := range params {
		byName[p.Name] = p
	}
	used := map[string]bool{}
	var missing, listKey string
	// expand fills the placeholders of one JSON string: string parameters
	// in place, and one string for each value of a stringList parameter
	// (several lists make every combination, earlier ones varying
	// slowest). Values are never scanned for placeholders themselves, and
	// the strings made are bounded (maxRendered).
	total, size := 0, 0
	var tooMany bool
	expand := func(str string) []any {
		outs := []string{""}
		last := 0
		for _, l := range placeholder.FindAllStringSubmatchIndex(str, -1) {
			lit, name := str[last:l[0]], str[l[2]:l[3]]
			last = l[1]
			p, ok := byName[name]
			var vals []string
			switch {
			case !ok:
				if missing == "" {
					missing = name
				}
				vals = []string{str[l[0]:l[1]]}
			case p.Type == "stringList":
				used[name] = true
				vals = p.Values
			default:
				used[name] = true
				vals = p.Values[:min(1, len(p.Values))]
			}
			if len(outs)*len(vals) > maxRendered {
				tooMany = true
				return []any{str}
			}
			next := make([]string, 0, len(outs)*len(vals))
			for _, o := range outs {
				for _, v := range vals {
					if size += len(o) + len(lit) + len(v); size > maxRenderedBytes {
						tooMany = true
						return []any{str}
					}
					next = append(next, o+lit+v)
				}
			}
			outs = next
		}
		total += len(outs)
		if total > maxRendered {
			tooMany = true
		}
		res := make([]any, len(outs))
		for i, o := range outs {
			res[i] = o + str[last:]
		}
		return res
	}
	var fill func(v any) []any // returns the values v becomes (more than one for a spliced list)
	fill = func(v any) []any {
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			for _, k := range keys {
				out := fill(t[k])
				var val any = out
				if len(out) == 1 {
					val = out[0]
				}
				// A key (a condition key such as "{{Host}}:sub") takes
				// string parameters; a list cannot make one key.
				nk := k
				if placeholder.MatchString(k) {
					if ks := expand(k); len(ks) == 1 {
						nk = ks[0].(string)
					} else if listKey == "" {
						listKey = k
					}
				}
				if nk != k {
					delete(t, k)
				}
				t[nk] = val
			}
		case []any:
			var out []any
			for _, e := range t {
				out = append(out, fill(e)...)
			}
			if out == nil {
				out = []any{}
			}
			return []any{out}
		case string:
			return expand(t)
		}
		return []any{v}
	}
	out := fill(tree)
	if missing != "" {
		return "", invalidInput("The policy template needs the parameter %s.", missing)
	}
	if tooMany {
		return "", invalidInput("The policy template makes more than %d strings (or %d bytes) from its parameters.", maxRendered, maxRenderedBytes)
	}
	if listKey != "" {
		return "", invalidInput("The policy template uses a list parameter in the key %s; keys take string parameters.", listKey)
	}
	for _, p := range params {
		if !used[p.Name] {
			return "", invalidInput("The policy template has no parameter %s.", p.Name)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out[0]); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// statement is what the summary and the permission check read of a
// statement.
type statement struct {
	Effect      string
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	Condition   map[string]map[string][]string
}

// statements reads the statements of a (valid) policy document; strings
// and lists are both accepted where the grammar allows either.
func statements(doc string) []statement {
	var raw struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &raw) != nil {
		return nil
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw.Statement, &list) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw.Statement, &one) != nil {
			return nil
		}
		list = []map[string]json.RawMessage{one}
	}
	strs := func(m json.RawMessage) []string {
		var many []string
		if json.Unmarshal(m, &many) == nil {
			return many
		}
		var one string
		if json.Unmarshal(m, &one) == nil {
			return []string{one}
		}
		return nil
	}
	var out []statement
	for _, st := range list {
		s := statement{Action: strs(st["Action"]), NotAction: strs(st["NotAction"]), Resource: strs(st["Resource"]), NotResource: strs(st["NotResource"])}
		json.Unmarshal(st["Effect"], &s.Effect)
		var cond map[string]map[string]json.RawMessage
		if json.Unmarshal(st["Condition"], &cond) == nil && len(cond) > 0 {
			s.Condition = map[string]map[string][]string{}
			for op, keys := range cond {
				s.Condition[op] = map[string][]string{}
				for k, v := range keys {
					s.Condition[op][k] = strs(v)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// boundaryARNs are the permissions boundaries a policy requires of the
// roles it lets the partner create (conditions on iam:PermissionsBoundary).
func boundaryARNs(doc string) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range statements(doc) {
		for _, keys := range st.Condition {
			for k, vals := range keys {
				if !strings.EqualFold(k, "iam:PermissionsBoundary") {
					continue
				}
				for _, v := range vals {
					if !seen[v] {
						seen[v] = true
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// permissionCheck says whether p holds what policy doc grants: DENIED when
// p may not make one of the requests its Allow statements name, UNSURE
// when some cannot be tried one by one (wildcards, NotAction or
// NotResource, conditions), else ALLOWED.
func (s *Service) permissionCheck(ctx context.Context, p *warden.Principal, doc string) string {
	unsure := false
	for _, st := range statements(doc) {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.NotAction) > 0 || len(st.NotResource) > 0 || len(st.Condition) > 0 {
			unsure = true
		}
		for _, a := range st.Action {
			for _, r := range st.Resource {
				if strings.ContainsAny(a, "*?") || strings.ContainsAny(r, "*?") {
					unsure = true
					if a == "*" || r != "*" || strings.ContainsAny(a, "*?") {
						continue
					}
				}
				if err := s.authz.Authorize(ctx, p, authz.Request{Action: a, Resource: r}); err != nil {
					return "DENIED"
				}
			}
		}
	}
	if unsure {
		return "UNSURE"
	}
	return "ALLOWED"
}

// summarize describes a request and what it grants in plain English.
func summarize(d *warden.DelegationRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (account %s) asks for temporary access", d.RequestorName, d.RequestorAccount)
	if d.OwnerAccount != "" {
		fmt.Fprintf(&b, " to account %s", d.OwnerAccount)
	}
	fmt.Fprintf(&b, " for %s, starting when the access token is sent. ", humanDuration(d.SessionDuration))
	if d.Description != "" {
		fmt.Fprintf(&b, "Purpose: %s. ", strings.TrimRight(d.Description, ". "))
	}
	b.WriteString("During that time it could act as the approver, limited to the following:")
	for _, st := range statements(d.PermissionPolicy) {
		b.WriteString("\n- ")
		if st.Effect == "Deny" {
			b.WriteString("Never ")
		} else {
			b.WriteString("Allowed to ")
		}
		switch {
		case len(st.NotAction) > 0:
			fmt.Fprintf(&b, "do anything except %s", joinWords(st.NotAction))
		case len(st.Action) == 1 && st.Action[0] == "*":
			b.WriteString("do anything")
		default:
			fmt.Fprintf(&b, "%s", joinWords(st.Action))
		}
		switch {
		case len(st.NotResource) > 0:
			fmt.Fprintf(&b, " on any resource except %s", joinWords(st.NotResource))
		case len(st.Resource) == 1 && st.Resource[0] == "*":
			b.WriteString(" on any resource")
		case len(st.Resource) > 0:
			fmt.Fprintf(&b, " on %s", joinWords(st.Resource))
		}
		if len(st.Condition) > 0 {
			var conds []string
			for op, keys := range st.Condition {
				for k, v := range keys {
					conds = append(conds, fmt.Sprintf("%s %s %s", k, op, joinWords(v)))
				}
			}
			sort.Strings(conds)
			fmt.Fprintf(&b, ", only when %s", strings.Join(conds, " and "))
		}
		b.WriteString(".")
	}
	if len(d.BoundaryARNs) > 0 {
		fmt.Fprintf(&b, "\nRoles it creates must have the permissions boundary %s.", joinWords(d.BoundaryARNs))
	}
	return b.String()
}

func joinWords(xs []string) string {
	switch len(xs) {
	case 0:
		return "nothing"
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func humanDuration(seconds int) string {
	d := time.Duration(seconds) * time.Second
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d hours %d minutes", h, m)
	case h == 1:
		return "1 hour"
	case h > 0:
		return fmt.Sprintf("%d hours", h)
	}
	return fmt.Sprintf("%d minutes", m)
}
