package validate

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/warden-iam/warden/policy"
)

var update = flag.Bool("update", false, "rewrite the expected findings of testdata/policies")

// CorpusType is the policy type of a corpus file, by the prefix of its name:
// resource-, trust-, scp- or rcp-, identity otherwise.
func corpusType(name string) Type {
	switch {
	case strings.HasPrefix(name, "resource-"):
		return ResourcePolicy
	case strings.HasPrefix(name, "trust-"):
		return TrustPolicy
	case strings.HasPrefix(name, "scp-"):
		return ServiceControlPolicy
	case strings.HasPrefix(name, "rcp-"):
		return ResourceControlPolicy
	}
	return IdentityPolicy
}

// TestCorpus validates every policy of testdata/policies and compares the
// findings, one a line, with NAME.findings next to it. Policies named good-*
// (and the valid resource and trust policies) have none.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/policies/*.json")
	if err != nil || len(files) < 15 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			findings := Document(doc, corpusType(name))
			var got []string
			for _, f := range findings {
				got = append(got, f.String())
			}
			want := strings.TrimSuffix(file, ".json") + ".findings"
			if *update {
				text := strings.Join(got, "\n")
				if text != "" {
					text += "\n"
				}
				if err := os.WriteFile(want, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			var expected []string
			if s := strings.TrimSpace(string(raw)); s != "" {
				expected = strings.Split(s, "\n")
			}
			if !slices.Equal(got, expected) {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(expected, "\n  "))
			}
			good := strings.HasPrefix(name, "good-") || name == "resource-bucket-policy" || name == "trust-role"
			if good != (len(findings) == 0) {
				t.Errorf("good = %v, %d findings", good, len(findings))
			}
			// A document without errors is one IAM accepts.
			_, perr := policy.Parse(doc, corpusType(name).kind())
			if !HasErrors(findings) && perr != nil {
				t.Errorf("no ERROR finding, but IAM refuses the policy: %v", perr)
			}
		})
	}
}

// Every finding has the shape of Access Analyzer's: a registered code of the
// right type, a link, details and at least one location whose span is in
// the document.
func TestFindingsAreWellFormed(t *testing.T) {
	files, _ := filepath.Glob("testdata/policies/*.json")
	for _, file := range files {
		doc, _ := os.ReadFile(file)
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		for _, f := range Document(doc, corpusType(name)) {
			ch, ok := checks[f.IssueCode]
			if !ok || ch.typ != f.FindingType || f.LearnMoreLink == "" || f.FindingDetails == "" || len(f.Locations) == 0 {
				t.Errorf("%s: %+v", name, f)
			}
			for _, l := range f.Locations {
				s, e := l.Span.Start, l.Span.End
				if s.Line < 1 || s.Offset < 0 || e.Offset < s.Offset || e.Offset > len(doc) {
					t.Errorf("%s: %s: span %+v", name, f.IssueCode, l.Span)
				}
			}
		}
	}
}

func TestPathElementJSON(t *testing.T) {
	f := Finding{FindingType: Error, IssueCode: "INVALID_ACTION", Locations: []Location{{
		Path: path{}.value("Statement").index(0).value("Condition").key("aws:Foo"),
	}}}
	b, err := json.Marshal(f.Locations[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"value":"Statement"},{"index":0},{"value":"Condition"},{"key":"aws:Foo"}]`; string(b) != want {
		t.Errorf("path = %s, want %s", b, want)
	}
	var back []PathElement
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 4 || *back[0].Value != "Statement" || *back[1].Index != 0 || *back[3].Key != "aws:Foo" {
		t.Errorf("round trip: %+v", back)
	}
	sub := PathElement{Substring: &Substring{Start: 3, Length: 4}}
	if b, _ := json.Marshal(sub); string(b) != `{"substring":{"start":3,"length":4}}` {
		t.Errorf("substring = %s", b)
	}
}

func TestIssueCodesAreRegistered(t *testing.T) {
	codes := IssueCodes()
	if len(codes) < 90 || !slices.IsSorted(codes) {
		t.Errorf("%d codes", len(codes))
	}
	for _, c := range codes {
		ch := checks[c]
		if !strings.HasPrefix(ch.link, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: link %s", c, ch.link)
		}
	}
}

func TestPolicyKinds(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	if fs := Policy(doc, policy.Trust); len(fs) != 0 {
		t.Errorf("trust: %v", fs)
	}
	fs := Policy(doc, policy.Identity)
	codes := []string{}
	for _, f := range fs {
		codes = append(codes, f.IssueCode)
	}
	if !slices.Contains(codes, "UNSUPPORTED_PRINCIPAL") || !slices.Contains(codes, "MISSING_RESOURCE") {
		t.Errorf("identity: %v", codes)
	}
	if fs := Policy(doc, policy.Resource); len(fs) != 1 || fs[0].IssueCode != "MISSING_RESOURCE" {
		t.Errorf("resource: %v", fs)
	}
}
