package iam

import (
	"testing"

	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

func TestGrantsService(t *testing.T) {
	ref, err := servicedata.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		ns   string
		want bool
	}{
		{"everything", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "s3", true},
		{"the service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "s3", true},
		{"another service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "iam", false},
		{"prefix case", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}}`, "s3", true},
		{"wildcard that matches", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}`, "iam", true},
		{"wildcard that matches nothing", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Frob*","Resource":"*"}}`, "iam", false},
		{"deny only", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`, "s3", false},
		{"not action leaves the service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, "s3", true},
		{"not action excludes the service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, "iam", false},
		{"not action excludes some", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:Get*","Resource":"*"}}`, "iam", true},
		{"conditions do not matter", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`, "sts", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.doc), policy.Identity)
			if err != nil {
				t.Fatal(err)
			}
			if got := grantsService(ref, p, tt.ns); got != tt.want {
				t.Errorf("grantsService(%s) = %v", tt.ns, got)
			}
			// Without the reference, namespaces compare by prefix.
			if got := grantsService(nil, p, tt.ns); tt.name != "wildcard that matches nothing" && tt.name != "not action excludes some" && got != tt.want {
				t.Errorf("without the reference: grantsService(%s) = %v", tt.ns, got)
			}
		})
	}
}

func TestSplitIdentityARN(t *testing.T) {
	tests := []struct {
		arn                       string
		account, kind, path, name string
		ok                        bool
	}{
		{"arn:aws:iam::123456789012:user/alice", "123456789012", "user", "/", "alice", true},
		{"arn:aws:iam::123456789012:user/dev/team/alice", "123456789012", "user", "/dev/team/", "alice", true},
		{"arn:aws:iam::123456789012:group/admins", "123456789012", "group", "/", "admins", true},
		{"arn:aws:iam::123456789012:role/service-role/app", "123456789012", "role", "/service-role/", "app", true},
		{"arn:aws:iam::123456789012:policy/p", "", "", "", "", false},
		{"arn:aws:iam::12345:user/alice", "", "", "", "", false},
		{"arn:aws:iam::123456789012:user/", "", "", "", "", false},
		{"arn:aws:s3:::bucket", "", "", "", "", false},
		{"alice", "", "", "", "", false},
	}
	for _, tt := range tests {
		account, kind, path, name, ok := splitIdentityARN(tt.arn)
		if account != tt.account || kind != tt.kind || path != tt.path || name != tt.name || ok != tt.ok {
			t.Errorf("splitIdentityARN(%s) = %q %q %q %q %v", tt.arn, account, kind, path, name, ok)
		}
	}
}
