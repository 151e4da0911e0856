// Package apimodel is the AWS Query input model of the IAM and STS APIs:
// the constraints of every operation's input, generated from the AWS service
// models (see gen/), and the decoding of Query parameters into typed inputs
// with AWS's own validation errors. The API and the console both call
// operations through it, so input is checked the same way at either door.
package apimodel

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/warden-iam/warden"
)

//go:embed models.json
var modelsJSON []byte

// extraJSON holds, in the same form, operations newer than the botocore that
// models.json was generated from (Debian's), written from the AWS API
// reference or generated from the current aws-sdk-go-v2 clients (members and
// the SDK validators' required ones: scripts/sdkrequired.py); where both
// have an operation, models.json's members win and extra.json only adds the
// members it lacks (such as CredentialAgeDays).
//
//go:embed extra.json
var extraJSON []byte

// Field is the constraint tree of one input member.
type Field struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	// Sensitive values (passwords, secrets) are never echoed in messages.
	Sensitive bool    `json:"sensitive,omitempty"`
	Members   []Field `json:"members,omitempty"`

	re *regexp.Regexp
	// noDoubleHyphen stands in for the one lookahead the models use
	// ("-(?!-)", account aliases), which RE2 cannot express.
	noDoubleHyphen bool
}

// Service is the input model of one AWS service.
type Service struct {
	ops map[string][]Field
}

var (
	loadOnce sync.Once
	services map[string]*Service
)

// Load returns the model of service "iam" or "sts". It panics if the
// embedded model lacks it, which is a build defect.
func Load(service string) *Service {
	loadOnce.Do(func() {
		var raw, extra map[string]map[string][]Field
		if err := json.Unmarshal(modelsJSON, &raw); err != nil {
			panic("apimodel: embedded models: " + err.Error())
		}
		if err := json.Unmarshal(extraJSON, &extra); err != nil {
			panic("apimodel: embedded extra models: " + err.Error())
		}
		for name, ops := range extra {
			for op, fs := range ops {
				have, ok := raw[name][op]
				if !ok {
					raw[name][op] = fs
					continue
				}
				// An operation botocore knows gets the members it lacks.
				for _, f := range fs {
					if !slices.ContainsFunc(have, func(h Field) bool { return h.Name == f.Name }) {
						have = append(have, f)
					}
				}
				raw[name][op] = have
			}
		}
		services = map[string]*Service{}
		for name, ops := range raw {
			for _, fs := range ops {
				compile(fs)
			}
			services[name] = &Service{ops: ops}
		}
	})
	s, ok := services[service]
	if !ok {
		panic("apimodel: no model for " + service)
	}
	return s
}

func compile(fs []Field) {
	for i := range fs {
		f := &fs[i]
		if f.Pattern != "" {
			p := javaToRE2(f.Pattern)
			if strings.Contains(p, "-(?!-)") {
				p = strings.ReplaceAll(p, "-(?!-)", "-")
				f.noDoubleHyphen = true
			}
			f.re = regexp.MustCompile(`^(?:` + p + `)$`)
		}
		compile(f.Members)
	}
}

// javaToRE2 rewrites \uXXXX escapes of the models' Java patterns as RE2's \x{XXXX}.
func javaToRE2(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			if p[i+1] == 'u' && i+5 < len(p) {
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
				continue
			}
			b.WriteByte(p[i])
			b.WriteByte(p[i+1])
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// Has reports whether op is an operation of the service.
func (s *Service) Has(op string) bool {
	_, ok := s.ops[op]
	return ok
}

// Operations lists the service's operation names.
func (s *Service) Operations() []string {
	out := make([]string, 0, len(s.ops))
	for op := range s.ops {
		out = append(out, op)
	}
	return out
}

// Decode validates form against op's input constraints and fills dst, a
// pointer to a struct whose fields are named as the AWS members (or carry an
// `aws:"Member"` tag). Supported field types: string, *string, bool, *bool,
// int, *int, []string and slices of structs. Violations come back as one
// *warden.Error with code ValidationError listing them the way AWS does.
func (s *Service) Decode(op string, form url.Values, dst any) error {
	fields, ok := s.ops[op]
	if !ok {
		return warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version", op)
	}
	d := decoder{form: form}
	d.structure(fields, "", "", reflect.ValueOf(dst).Elem())
	switch len(d.problems) {
	case 0:
		return nil
	case 1:
		return warden.Errorf(warden.CodeValidationError, "1 validation error detected: %s", d.problems[0])
	default:
		return warden.Errorf(warden.CodeValidationError, "%d validation errors detected: %s", len(d.problems), strings.Join(d.problems, "; "))
	}
}

type decoder struct {
	form     url.Values
	problems []string
}

func (d *decoder) fail(path, value, constraint string) {
	d.problems = append(d.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, path, constraint))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// structure decodes the members of a structure whose parameters start with
// prefix; path is the member path AWS names in messages.
func (d *decoder) structure(fields []Field, prefix, path string, v reflect.Value) {
	for i := range fields {
		f := &fields[i]
		var fv reflect.Value
		if v.IsValid() {
			fv = fieldByName(v, f.Name)
		}
		d.field(f, join(prefix, f.Name), join(path, lowerFirst(f.Name)), fv)
	}
}

func fieldByName(v reflect.Value, name string) reflect.Value {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if tag, ok := sf.Tag.Lookup("aws"); ok {
			if tag == name {
				return v.Field(i)
			}
			continue
		}
		if sf.Name == name {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

func (d *decoder) field(f *Field, param, path string, v reflect.Value) {
	switch f.Type {
	case "list":
		d.list(f, param, path, v)
		return
	case "structure":
		if !hasPrefix(d.form, param+".") {
			if f.Required {
				d.fail(path, "null", "not be null")
			}
			return
		}
		if v.IsValid() && v.Kind() == reflect.Pointer {
			v.Set(reflect.New(v.Type().Elem()))
			v = v.Elem()
		}
		d.structure(f.Members, param, path, v)
		return
	case "map":
		d.mapping(f, param, path, v)
		return
	}
	vals, present := d.form[param]
	if !present {
		if f.Required {
			d.fail(path, "null", "not be null")
		}
		return
	}
	raw := ""
	if len(vals) > 0 {
		raw = vals[0]
	}
	switch f.Type {
	case "string", "timestamp":
		d.checkString(f, path, raw)
		setString(v, raw)
	case "integer", "long":
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			d.fail(path, quote(raw), "be a number")
			return
		}
		if f.Min != nil && float64(n) < *f.Min {
			d.fail(path, quote(raw), fmt.Sprintf("have value greater than or equal to %d", int64(*f.Min)))
		}
		if f.Max != nil && float64(n) > *f.Max {
			d.fail(path, quote(raw), fmt.Sprintf("have value less than or equal to %d", int64(*f.Max)))
		}
		setInt(v, n)
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			d.fail(path, quote(raw), "be a boolean (true or false)")
			return
		}
		setBool(v, b)
	case "blob":
		setString(v, raw)
	}
}

func quote(s string) string { return "'" + s + "'" }

func (d *decoder) checkString(f *Field, path, raw string) {
	if f.Sensitive {
		defer func(n int) {
			for i := n; i < len(d.problems); i++ {
				d.problems[i] = strings.Replace(d.problems[i], "Value "+quote(raw)+" at", "Value at", 1)
			}
		}(len(d.problems))
	}
	n := utf8.RuneCountInString(raw)
	if !utf8.ValidString(raw) {
		d.fail(path, quote(strings.ToValidUTF8(raw, "?")), "be valid UTF-8")
		return
	}
	if f.Min != nil && float64(n) < *f.Min {
		d.fail(path, quote(raw), fmt.Sprintf("have length greater than or equal to %d", int64(*f.Min)))
		return
	}
	if f.Max != nil && float64(n) > *f.Max {
		d.fail(path, quote(raw), fmt.Sprintf("have length less than or equal to %d", int64(*f.Max)))
		return
	}
	if f.re != nil && (!f.re.MatchString(raw) || (f.noDoubleHyphen && strings.Contains(raw, "--"))) {
		d.fail(path, quote(raw), "satisfy regular expression pattern: "+f.Pattern)
		return
	}
	if len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if e == raw {
				return
			}
		}
		d.fail(path, quote(raw), "satisfy enum value set: ["+strings.Join(f.Enum, ", ")+"]")
	}
}

func hasPrefix(form url.Values, prefix string) bool {
	for k := range form {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// maxListMembers bounds how many list members are read, whatever the input:
// a list with more is refused with ValidationError, never silently cut.
const maxListMembers = 1000

func (d *decoder) list(f *Field, param, path string, v reflect.Value) {
	elem := &f.Members[0]
	// The Query protocol spells an empty list as the bare parameter "Name=".
	_, bare := d.form[param]
	n := 0
	for n <= maxListMembers {
		key := fmt.Sprintf("%s.member.%d", param, n+1)
		if _, ok := d.form[key]; !ok && !hasPrefix(d.form, key+".") {
			break
		}
		n++
	}
	if n > maxListMembers {
		d.fail(path, fmt.Sprintf("'[more than %d items]'", maxListMembers), fmt.Sprintf("have length less than or equal to %d", maxListMembers))
		return
	}
	if n == 0 && !bare {
		if f.Required {
			d.fail(path, "null", "not be null")
		}
		return
	}
	if f.Min != nil && float64(n) < *f.Min {
		d.fail(path, "'[]'", fmt.Sprintf("have length greater than or equal to %d", int64(*f.Min)))
	}
	if f.Max != nil && float64(n) > *f.Max {
		d.fail(path, fmt.Sprintf("'[%d items]'", n), fmt.Sprintf("have length less than or equal to %d", int64(*f.Max)))
		return
	}
	var slice reflect.Value
	if v.IsValid() && v.Kind() == reflect.Slice {
		slice = reflect.MakeSlice(v.Type(), n, n)
		v.Set(slice)
	}
	for i := 0; i < n; i++ {
		var ev reflect.Value
		if slice.IsValid() {
			ev = slice.Index(i)
		}
		key := fmt.Sprintf("%s.member.%d", param, i+1)
		epath := fmt.Sprintf("%s.%d.member", path, i+1)
		if elem.Type == "structure" {
			d.structure(elem.Members, key, epath, ev)
		} else {
			d.field(elem, key, epath, ev)
		}
	}
}

// mapping decodes a string-to-string map, spelled Name.entry.N.key and
// Name.entry.N.value; when f has members, the first constrains keys and the
// second values.
func (d *decoder) mapping(f *Field, param, path string, v reflect.Value) {
	if len(f.Members) == 2 && f.Members[1].Type == "structure" {
		d.structMapping(f, param, path, v)
		return
	}
	m := map[string]string{}
	for n := 1; n <= maxListMembers; n++ {
		key := fmt.Sprintf("%s.entry.%d", param, n)
		k, ok := d.form[key+".key"]
		if !ok {
			break
		}
		val := d.form[key+".value"]
		if len(k) == 0 || len(val) == 0 {
			d.fail(path, "null", "not be null")
			return
		}
		if len(f.Members) == 2 {
			d.field(&f.Members[0], key+".key", path+".key", reflect.Value{})
			d.field(&f.Members[1], key+".value", path+".value", reflect.Value{})
		}
		m[k[0]] = val[0]
	}
	if len(m) == 0 {
		if f.Required {
			d.fail(path, "null", "not be null")
		}
		return
	}
	if v.IsValid() && v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String {
		mv := reflect.MakeMapWithSize(v.Type(), len(m))
		for k, val := range m {
			mv.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), reflect.ValueOf(val).Convert(v.Type().Elem()))
		}
		v.Set(mv)
	}
}

// structMapping decodes a map whose values are structures, spelled
// Name.entry.N.key and Name.entry.N.value.Member...; dst is a map from
// string to a struct type (or invalid, to only validate). The map's max is
// its most entries.
func (d *decoder) structMapping(f *Field, param, path string, v reflect.Value) {
	var mv reflect.Value
	if v.IsValid() && v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.Struct {
		mv = reflect.MakeMap(v.Type())
	}
	n := 0
	for n <= maxListMembers {
		if _, ok := d.form[fmt.Sprintf("%s.entry.%d.key", param, n+1)]; !ok {
			break
		}
		n++
	}
	if n == 0 {
		if f.Required {
			d.fail(path, "null", "not be null")
		}
		return
	}
	if f.Max != nil && float64(n) > *f.Max {
		d.fail(path, fmt.Sprintf("'{%d entries}'", n), fmt.Sprintf("have length less than or equal to %d", int64(*f.Max)))
		return
	}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("%s.entry.%d", param, i)
		k := d.form[key+".key"]
		if len(k) == 0 {
			d.fail(path+".key", "null", "not be null")
			return
		}
		d.field(&f.Members[0], key+".key", path+".key", reflect.Value{})
		var ev reflect.Value
		if mv.IsValid() {
			ev = reflect.New(v.Type().Elem()).Elem()
		}
		d.field(&f.Members[1], key+".value", path+".value", ev)
		if mv.IsValid() {
			mv.SetMapIndex(reflect.ValueOf(k[0]).Convert(v.Type().Key()), ev)
		}
	}
	if mv.IsValid() {
		v.Set(mv)
	}
}

func setString(v reflect.Value, s string) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.String {
			v.Set(reflect.ValueOf(&s).Convert(v.Type()))
		}
	}
}

func setInt(v reflect.Value, n int64) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(n)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		p.Elem().SetInt(n)
		v.Set(p)
	}
}

func setBool(v reflect.Value, b bool) {
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(b)
	case reflect.Pointer:
		v.Set(reflect.ValueOf(&b))
	}
}
