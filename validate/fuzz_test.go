package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/warden-iam/warden/policy"
)

// FuzzPolicy feeds arbitrary documents to the validator: it must never panic,
// and every finding must point inside the document.
func FuzzPolicy(f *testing.F) {
	files, _ := filepath.Glob("testdata/policies/*.json")
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc, uint8(corpusType(filepath.Base(file))))
	}
	f.Add([]byte(`{"Statement":{"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:PrincipalTag/":[]}}}}`), uint8(1))
	f.Add([]byte("{\"Version\":\"2012-10-17\",\"Statement\":{\"Resource\":\"arn:aws:s3:::${\"}}"), uint8(2))
	f.Fuzz(func(t *testing.T, doc []byte, typ uint8) {
		fs := Document(doc, Type(typ%6))
		units := len(newLines(doc).units)
		for _, fd := range fs {
			if len(fd.Locations) == 0 || fd.IssueCode == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
			for _, l := range fd.Locations {
				if l.Span.Start.Offset > l.Span.End.Offset || l.Span.Start.Line < 1 || l.Span.End.Line > units+1 {
					t.Fatalf("%s: span %+v", fd.IssueCode, l.Span)
				}
			}
		}
		if _, err := json.Marshal(fs); err != nil {
			t.Fatal(err)
		}
		// A document without errors is one IAM accepts.
		if !HasErrors(fs) {
			if _, err := policy.Parse(doc, Type(typ%6).kind()); err != nil && Type(typ%6) >= IdentityPolicy {
				t.Fatalf("no ERROR finding, but IAM refuses: %v", err)
			}
		}
		_ = Summarize(doc)
	})
}
