package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
// MalformedPolicyDocument. The document is rewritten token by token, so its
// members keep the template's order (IAM reads a single statement object
// before "Version" differently).
func renderTemplate(doc string, params []warden.PolicyParameter) (string, error) {
	r := templateRender{byName: map[string]warden.PolicyParameter{}, used: map[string]bool{}}
	for _, p := range params {
		r.byName[p.Name] = p
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := r.value(dec, nil); err != nil {
		return "", warden.Errorf(warden.CodeMalformedPolicyDocument, "The policy template is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", warden.Errorf(warden.CodeMalformedPolicyDocument, "The policy template is not valid JSON.")
	}
	if r.missing != "" {
		return "", invalidInput("The policy template needs the parameter %s.", r.missing)
	}
	if r.tooMany {
		return "", invalidInput("The policy template makes more than %d strings (or %d bytes) from its parameters.", maxRendered, maxRenderedBytes)
	}
	if r.listKey != "" {
		return "", invalidInput("The policy template uses a list parameter in the key %s; keys take string parameters.", r.listKey)
	}
	for _, p := range params {
		if !r.used[p.Name] {
			return "", invalidInput("The policy template has no parameter %s.", p.Name)
		}
	}
	return r.out.String(), nil
}

// templateRender is one rendering of a policy template.
type templateRender struct {
	byName           map[string]warden.PolicyParameter
	used             map[string]bool
	missing, listKey string
	tooMany          bool
	total, size      int // strings and bytes made so far
	out              bytes.Buffer
}

// value copies the next JSON value of dec to the output. Inside an array
// (elems non-nil) a string may become several elements; elsewhere several
// strings become an array.
func (r *templateRender) value(dec *json.Decoder, elems *int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	sep := func() {
		if elems != nil {
			if *elems > 0 {
				r.out.WriteByte(',')
			}
			*elems++
		}
	}
	switch t := tok.(type) {
	case json.Delim:
		sep()
		switch t {
		case '{':
			r.out.WriteByte('{')
			for n := 0; dec.More(); n++ {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				if n > 0 {
					r.out.WriteByte(',')
				}
				k := key.(string)
				if placeholder.MatchString(k) {
					// A key (a condition key such as "{{Host}}:sub") takes
					// string parameters; a list cannot make one key.
					if ks := r.expand(k); len(ks) == 1 {
						k = ks[0]
					} else if r.listKey == "" {
						r.listKey = k
					}
				}
				r.str(k)
				r.out.WriteByte(':')
				if err := r.value(dec, nil); err != nil {
					return err
				}
			}
			r.out.WriteByte('}')
		case '[':
			r.out.WriteByte('[')
			n := 0
			for dec.More() {
				if err := r.value(dec, &n); err != nil {
					return err
				}
			}
			r.out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		vals := r.expand(t)
		if elems == nil && len(vals) != 1 {
			r.out.WriteByte('[')
			for i, v := range vals {
				if i > 0 {
					r.out.WriteByte(',')
				}
				r.str(v)
			}
			r.out.WriteByte(']')
			return nil
		}
		for _, v := range vals {
			sep()
			r.str(v)
		}
		return nil
	default:
		sep()
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		r.out.Write(b)
		return nil
	}
}

// str writes s as a JSON string without HTML escaping.
func (r *templateRender) str(s string) {
	enc := json.NewEncoder(&r.out)
	enc.SetEscapeHTML(false)
	enc.Encode(s)                   // a string always encodes
	r.out.Truncate(r.out.Len() - 1) // Encode's newline
}

// expand fills the placeholders of one JSON string: string parameters in
// place, and one string for each value of a stringList parameter (several
// lists make every combination, earlier ones varying slowest). Values are
// never scanned for placeholders themselves, and the strings made are
// bounded (maxRendered, maxRenderedBytes).
func (r *templateRender) expand(str string) []string {
	outs := []string{""}
	last := 0
	for _, l := range placeholder.FindAllStringSubmatchIndex(str, -1) {
		lit, name := str[last:l[0]], str[l[2]:l[3]]
		last = l[1]
		p, ok := r.byName[name]
		var vals []string
		switch {
		case !ok:
			if r.missing == "" {
				r.missing = name
			}
			vals = []string{str[l[0]:l[1]]}
		case p.Type == "stringList":
			r.used[name] = true
			vals = p.Values
		default:
			r.used[name] = true
			vals = p.Values[:min(1, len(p.Values))]
		}
		if len(outs)*len(vals) > maxRendered {
			r.tooMany = true
			return []string{str}
		}
		next := make([]string, 0, len(outs)*len(vals))
		for _, o := range outs {
			for _, v := range vals {
				if r.size += len(o) + len(lit) + len(v); r.size > maxRenderedBytes {
					r.tooMany = true
					return []string{str}
				}
				next = append(next, o+lit+v)
			}
		}
		outs = next
	}
	if r.total += len(outs); r.total > maxRendered {
		r.tooMany = true
	}
	for i := range outs {
		outs[i] += str[last:]
	}
	return outs
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
