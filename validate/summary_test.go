package validate

import (
	"slices"
	"testing"

	"github.com/warden-iam/warden/servicedata"
)

func service(t *testing.T, list []ServiceSummary, prefix string) ServiceSummary {
	t.Helper()
	for _, s := range list {
		if s.Prefix == prefix {
			return s
		}
	}
	t.Fatalf("no %s among %d services", prefix, len(list))
	return ServiceSummary{}
}

func level(s ServiceSummary, name string) (LevelSummary, bool) {
	for _, l := range s.Levels {
		if l.Level == name {
			return l, true
		}
	}
	return LevelSummary{}, false
}

func TestSummarizeAdministratorAccess(t *testing.T) {
	ref, err := servicedata.Load()
	if err != nil {
		t.Fatal(err)
	}
	sum := Summarize([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if len(sum.Allow) != len(ref.Services()) || sum.Services != len(ref.Services()) || len(sum.Deny) != 0 {
		t.Fatalf("allow %d of %d services, deny %d", len(sum.Allow), sum.Services, len(sum.Deny))
	}
	for _, s := range sum.Allow {
		if !s.Full() || !slices.Equal(s.Resources, []string{"All resources"}) || s.Conditions {
			t.Errorf("%s: %+v", s.Prefix, s)
		}
	}
}

func TestSummarize(t *testing.T) {
	doc := `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:iam::123456789012:user/x"]},
	    {"Effect": "Allow", "Action": "iam:TagUser", "Resource": "arn:aws:iam::123456789012:user/x",
	     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
	    {"Effect": "Allow", "Action": ["nosuch:Thing", "s3:Frobnicate"], "Resource": "*"},
	    {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::b"}
	  ]
	}`
	sum := Summarize([]byte(doc))
	ref, _ := servicedata.Load()

	s3 := service(t, sum.Allow, "s3")
	list, ok := level(s3, "List")
	if !ok || list.Access != Full || list.Granted != list.Total {
		t.Errorf("s3 List: %+v", list)
	}
	read, ok := level(s3, "Read")
	if !ok || read.Access != Limited || read.Granted == 0 || read.Granted >= read.Total || !slices.Contains(read.Actions, "GetObject") {
		t.Errorf("s3 Read: %+v", read)
	}
	if _, ok := level(s3, "Write"); ok {
		t.Error("s3 Write granted")
	}
	if !slices.Equal(s3.Resources, []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}) || s3.Conditions {
		t.Errorf("s3 resources %v, conditions %v", s3.Resources, s3.Conditions)
	}
	iam := service(t, sum.Allow, "iam")
	tagging, ok := level(iam, "Tagging")
	if !ok || tagging.Access != Limited || tagging.Granted != 1 || !iam.Conditions ||
		!slices.Equal(iam.Resources, []string{"arn:aws:iam::123456789012:user/x"}) || len(iam.Levels) != 1 {
		t.Errorf("iam: %+v", iam)
	}
	if !slices.Equal(sum.Unrecognized, []string{"nosuch:Thing", "s3:Frobnicate"}) {
		t.Errorf("unrecognized %v", sum.Unrecognized)
	}
	// The Deny applies to every service but IAM.
	if len(sum.Deny) != len(ref.Services())-1 {
		t.Errorf("deny %d services", len(sum.Deny))
	}
	for _, d := range sum.Deny {
		if d.Prefix == "iam" {
			t.Error("iam denied")
		}
	}
	if d := service(t, sum.Deny, "ec2"); !d.Full() || !slices.Equal(d.Resources, []string{"All resources except arn:aws:s3:::b"}) {
		t.Errorf("ec2 deny %+v", d)
	}
}

func TestSummarizeMalformed(t *testing.T) {
	for _, doc := range []string{"", "not json", `[]`, `{"Statement": 7}`, `{"Statement": [{"Effect": "Maybe", "Action": "*"}]}`} {
		if s := Summarize([]byte(doc)); len(s.Allow) != 0 || len(s.Deny) != 0 {
			t.Errorf("Summarize(%q) = %+v", doc, s)
		}
	}
}
