package apimodel

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
)

type tag struct {
	Key   string
	Value string
}

type createUser struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []tag
}

func TestEveryPatternCompiles(t *testing.T) {
	for _, svc := range []string{"iam", "sts"} {
		s := Load(svc)
		if len(s.Operations()) == 0 {
			t.Fatalf("%s: no operations", svc)
		}
	}
}

func TestDecode(t *testing.T) {
	s := Load("iam")
	form := url.Values{
		"UserName":            {"alice"},
		"Path":                {"/eng/"},
		"Tags.member.1.Key":   {"team"},
		"Tags.member.1.Value": {"blue"},
		"Tags.member.2.Key":   {"env"},
		"Tags.member.2.Value": {""},
		"SomethingUnknown":    {"ignored"},
	}
	var in createUser
	if err := s.Decode("CreateUser", form, &in); err != nil {
		t.Fatal(err)
	}
	if in.UserName != "alice" || in.Path != "/eng/" || len(in.Tags) != 2 || in.Tags[0] != (tag{"team", "blue"}) || in.Tags[1].Key != "env" {
		t.Fatalf("decoded %+v", in)
	}
}

func TestDecodeErrors(t *testing.T) {
	s := Load("iam")
	tests := []struct {
		name string
		op   string
		form url.Values
		want string
	}{
		{"missing required", "CreateUser", url.Values{}, "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"pattern", "CreateUser", url.Values{"UserName": {"a b"}}, `Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"too long", "CreateUser", url.Values{"UserName": {strings.Repeat("a", 65)}}, "Member must have length less than or equal to 64"},
		{"empty", "CreateUser", url.Values{"UserName": {""}}, "Member must have length greater than or equal to 1"},
		{"two errors", "CreateUser", url.Values{"UserName": {""}, "Path": {"nope"}}, "2 validation errors detected"},
		{"tag value missing", "CreateUser", url.Values{"UserName": {"a"}, "Tags.member.1.Key": {"k"}}, "Value null at 'tags.1.member.value'"},
		{"integer", "ListUsers", url.Values{"MaxItems": {"x"}}, "Member must be a number"},
		{"integer range", "ListUsers", url.Values{"MaxItems": {"1001"}}, "Member must have value less than or equal to 1000"},
		{"enum", "UpdateAccessKey", url.Values{"AccessKeyId": {"AKIAAAAAAAAAAAAAAAAA"}, "Status": {"Paused"}}, "Member must satisfy enum value set: [Active, Inactive"},
		{"boolean", "CreatePolicyVersion", url.Values{"PolicyArn": {"arn:aws:iam::123456789012:policy/p"}, "PolicyDocument": {"{}"}, "SetAsDefault": {"yes"}}, "be a boolean"},
		{"alias double hyphen", "CreateAccountAlias", url.Values{"AccountAlias": {"my--co"}}, "Member must satisfy regular expression pattern"},
		{"unknown op", "Nope", url.Values{}, "Could not find operation Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in struct {
				UserName    string
				Path        string
				MaxItems    int
				AccessKeyId string
				Status      string
			}
			err := s.Decode(tt.op, tt.form, &in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode = %v, want message containing %q", err, tt.want)
			}
			code := warden.ErrorCode(err)
			if tt.op != "Nope" && code != warden.CodeValidationError {
				t.Fatalf("code %s", code)
			}
		})
	}
}

func TestSensitiveValuesAreNotEchoed(t *testing.T) {
	s := Load("iam")
	var in struct{ OldPassword, NewPassword string }
	err := s.Decode("ChangePassword", url.Values{"OldPassword": {"x"}, "NewPassword": {"sekrit\x01value"}}, &in)
	if err == nil {
		t.Fatal("accepted a control character in a password")
	}
	if strings.Contains(err.Error(), "sekrit") {
		t.Fatalf("message echoes the password: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("UserName=alice&Tags.member.1.Key=a&Tags.member.1.Value=b")
	f.Add("UserName=&Path=%2F&Tags.member.99.Key=x")
	f.Add("Tags=&UserName=a")
	s := Load("iam")
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in createUser
		if err := s.Decode("CreateUser", form, &in); err != nil && warden.ErrorCode(err) != warden.CodeValidationError {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// TestListOverBoundIsRefused: a list longer than any Query list may be is a
// ValidationError naming the bound, not a list silently cut at it.
func TestListOverBoundIsRefused(t *testing.T) {
	s := Load("iam")
	type simulate struct {
		PolicyInputList []string
		ActionNames     []string
	}
	for _, n := range []int{maxListMembers, maxListMembers + 1} {
		form := url.Values{"PolicyInputList.member.1": {`{"Version":"2012-10-17","Statement":[]}`}}
		for i := 1; i <= n; i++ {
			form.Set("ActionNames.member."+strconv.Itoa(i), "iam:GetUser")
		}
		var in simulate
		err := s.Decode("SimulateCustomPolicy", form, &in)
		if n <= maxListMembers {
			if err != nil || len(in.ActionNames) != n {
				t.Fatalf("%d members: err %v, %d decoded", n, err, len(in.ActionNames))
			}
			continue
		}
		var we *warden.Error
		if !errors.As(err, &we) || we.Code != warden.CodeValidationError ||
			!strings.Contains(we.Message, "at 'actionNames' failed to satisfy constraint: Member must have length less than or equal to 1000") {
			t.Fatalf("%d members: got %v", n, err)
		}
	}
}

type replacement struct{ Values []string }

type acquireRole struct {
	TemplateArn          string
	ReplacementValues    map[string]replacement
	TemplateMinorVersion *int
}

// A map of structures, as AcquireRole's ReplacementValues.
func TestDecodeStructMap(t *testing.T) {
	s := Load("iam")
	form := url.Values{
		"TemplateArn":                                     {"arn:aws:iam::aws:role-template/x/Y:1"},
		"TemplateMinorVersion":                            {"2"},
		"ReplacementValues.entry.1.key":                   {"A"},
		"ReplacementValues.entry.1.value.Values.member.1": {"a1"},
		"ReplacementValues.entry.1.value.Values.member.2": {"a2"},
		"ReplacementValues.entry.2.key":                   {"B"},
		"ReplacementValues.entry.2.value.Values.member.1": {"b"},
	}
	var in acquireRole
	if err := s.Decode("AcquireRole", form, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.ReplacementValues) != 2 || strings.Join(in.ReplacementValues["A"].Values, ",") != "a1,a2" ||
		in.ReplacementValues["B"].Values[0] != "b" || in.TemplateMinorVersion == nil || *in.TemplateMinorVersion != 2 {
		t.Fatalf("decoded %+v", in)
	}
	form.Del("ReplacementValues.entry.2.value.Values.member.1")
	err := s.Decode("AcquireRole", form, &acquireRole{})
	if err == nil || !strings.Contains(err.Error(), "replacementValues.value") {
		t.Fatalf("an entry without values: %v", err)
	}
	many := url.Values{"TemplateArn": form["TemplateArn"]}
	for i := 1; i <= 31; i++ {
		many.Set("ReplacementValues.entry."+strconv.Itoa(i)+".key", "K"+strconv.Itoa(i))
		many.Set("ReplacementValues.entry."+strconv.Itoa(i)+".value.Values.member.1", "v")
	}
	err = s.Decode("AcquireRole", many, &acquireRole{})
	if err == nil || !strings.Contains(err.Error(), "less than or equal to 30") {
		t.Fatalf("31 entries: %v", err)
	}
}
