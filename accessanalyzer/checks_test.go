package accessanalyzer

import (
	"encoding/json"
	"testing"
)

func body(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	readBucket  = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`
	s3All       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	s3Get       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`
	denyDelete  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	condDeny    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	condAllow   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`
	notAction   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`
	publicRead  = `{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	orgOnly     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`
	oneAccount  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	resourceAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::site/*"}]}`
)

func TestCheckAccessNotGranted(t *testing.T) {
	h := &Handler{}
	tests := []struct {
		name, doc, typ     string
		actions, resources []string
		want               string
		index              int
	}{
		{"action granted", readBucket, "IDENTITY_POLICY", []string{"s3:GetObject"}, nil, "FAIL", 0},
		{"action not granted", readBucket, "IDENTITY_POLICY", []string{"s3:PutObject"}, nil, "PASS", -1},
		{"action on another resource", readBucket, "IDENTITY_POLICY", []string{"s3:GetObject"}, []string{"arn:aws:s3:::other/x"}, "PASS", -1},
		{"action on the resource", readBucket, "IDENTITY_POLICY", []string{"s3:GetObject"}, []string{"arn:aws:s3:::data/report.csv"}, "FAIL", 0},
		{"resource only", readBucket, "IDENTITY_POLICY", nil, []string{"arn:aws:s3:::data/a"}, "FAIL", 0},
		{"wildcard grants", s3All, "IDENTITY_POLICY", []string{"s3:DeleteBucket"}, nil, "FAIL", 0},
		{"explicit deny", denyDelete, "IDENTITY_POLICY", []string{"s3:DeleteObject"}, nil, "PASS", -1},
		{"conditional deny may not apply", condDeny, "IDENTITY_POLICY", []string{"s3:DeleteObject"}, nil, "FAIL", 0},
		{"conditional allow may apply", condAllow, "IDENTITY_POLICY", []string{"s3:DeleteObject"}, nil, "FAIL", 0},
		{"not action", notAction, "IDENTITY_POLICY", []string{"iam:CreateUser"}, nil, "PASS", -1},
		{"not action grants others", notAction, "IDENTITY_POLICY", []string{"ec2:RunInstances"}, nil, "FAIL", 0},
		{"resource policy", publicRead, "RESOURCE_POLICY", []string{"s3:GetObject"}, nil, "FAIL", 0},
		{"resource policy other action", publicRead, "RESOURCE_POLICY", []string{"s3:PutObject"}, nil, "PASS", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.checkAccessNotGranted(body(t, map[string]any{"policyDocument": tt.doc, "policyType": tt.typ,
				"access": []map[string]any{{"actions": tt.actions, "resources": tt.resources}}}))
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tt.want {
				t.Fatalf("result = %s (%+v), want %s", out.Result, out.Reasons, tt.want)
			}
			if tt.index >= 0 && (len(out.Reasons) == 0 || out.Reasons[0].StatementIndex != tt.index) {
				t.Errorf("reasons = %+v, want statement %d", out.Reasons, tt.index)
			}
		})
	}
	for name, in := range map[string]map[string]any{
		"no document":    {"policyType": "IDENTITY_POLICY", "access": []map[string]any{{"actions": []string{"s3:GetObject"}}}},
		"bad type":       {"policyDocument": s3All, "policyType": "SCP", "access": []map[string]any{{"actions": []string{"s3:GetObject"}}}},
		"no access":      {"policyDocument": s3All, "policyType": "IDENTITY_POLICY"},
		"empty access":   {"policyDocument": s3All, "policyType": "IDENTITY_POLICY", "access": []map[string]any{{}}},
		"not a policy":   {"policyDocument": "{", "policyType": "IDENTITY_POLICY", "access": []map[string]any{{"actions": []string{"s3:GetObject"}}}},
		"invalid policy": {"policyDocument": `{"Statement":{"Effect":"Maybe","Action":"s3:*","Resource":"*"}}`, "policyType": "IDENTITY_POLICY", "access": []map[string]any{{"actions": []string{"s3:GetObject"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := h.checkAccessNotGranted(body(t, in))
			if ae, ok := err.(*apiError); !ok || ae.code != "ValidationException" {
				t.Fatalf("err = %v, want a ValidationException", err)
			}
		})
	}
}

func TestCheckNoNewAccess(t *testing.T) {
	h := &Handler{}
	tests := []struct {
		name, newDoc, existing, typ string
		want                        string
	}{
		{"narrower", s3Get, s3All, "IDENTITY_POLICY", "PASS"},
		{"wider", s3All, s3Get, "IDENTITY_POLICY", "FAIL"},
		{"same", readBucket, readBucket, "IDENTITY_POLICY", "PASS"},
		{"new resource", s3Get, readBucket, "IDENTITY_POLICY", "FAIL"},
		{"deny removed", s3All, denyDelete, "IDENTITY_POLICY", "FAIL"},
		{"conditional existing grants less", s3All, condAllow, "IDENTITY_POLICY", "FAIL"},
		{"not action is new", notAction, s3All, "IDENTITY_POLICY", "FAIL"},
		{"resource policy narrower", oneAccount, resourceAll, "RESOURCE_POLICY", "PASS"},
		{"resource policy wider", resourceAll, publicRead, "RESOURCE_POLICY", "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.checkNoNewAccess(body(t, map[string]any{"newPolicyDocument": tt.newDoc, "existingPolicyDocument": tt.existing, "policyType": tt.typ}))
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tt.want {
				t.Fatalf("result = %s (%+v), want %s", out.Result, out.Reasons, tt.want)
			}
			if tt.want == "FAIL" && len(out.Reasons) == 0 {
				t.Error("FAIL without a reason")
			}
		})
	}
}

func TestCheckNoPublicAccess(t *testing.T) {
	h := &Handler{}
	tests := []struct {
		name, doc, typ string
		want           string
	}{
		{"public", publicRead, "AWS::S3::Bucket", "FAIL"},
		{"public via AWS star", resourceAll, "AWS::S3::Bucket", "FAIL"},
		{"organization only", orgOnly, "AWS::S3::Bucket", "PASS"},
		{"one account", oneAccount, "AWS::S3::Bucket", "PASS"},
		{"public trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}`, "AWS::IAM::AssumeRolePolicyDocument", "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.checkNoPublicAccess(body(t, map[string]any{"policyDocument": tt.doc, "resourceType": tt.typ}))
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tt.want {
				t.Fatalf("result = %s (%+v), want %s", out.Result, out.Reasons, tt.want)
			}
		})
	}
	_, err := h.checkNoPublicAccess(body(t, map[string]any{"policyDocument": publicRead, "resourceType": "AWS::Nope"}))
	if ae, ok := err.(*apiError); !ok || ae.code != "ValidationException" {
		t.Fatalf("unknown resource type: err = %v", err)
	}
}

func BenchmarkCheckNoNewAccess(b *testing.B) {
	h := &Handler{}
	in, _ := json.Marshal(map[string]any{"newPolicyDocument": denyDelete, "existingPolicyDocument": readBucket, "policyType": "IDENTITY_POLICY"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.checkNoNewAccess(in); err != nil {
			b.Fatal(err)
		}
	}
}
