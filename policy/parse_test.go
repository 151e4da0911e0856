package policy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/warden-iam/warden/policy"
)

// stmt wraps statement JSON into a 2012-10-17 document.
func stmt(s string) string {
	return `{"Version":"2012-10-17","Statement":` + s + `}`
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name string
		kind policy.Kind
		doc  string
		want string
	}{
		{"not json", policy.Identity, `{"Version":`, "Syntax errors in policy."},
		{"trailing data", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `{}`, "Syntax errors in policy."},
		{"array document", policy.Identity, `[]`, "Syntax errors in policy."},
		{"empty", policy.Identity, ``, "Syntax errors in policy."},
		{"duplicate key", policy.Identity, stmt(`{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"unknown top-level field", policy.Identity, `{"Version":"2012-10-17","Foo":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"unknown statement field", policy.Identity, stmt(`{"Effect":"Allow","Actions":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"lower-case field", policy.Identity, stmt(`{"effect":"Allow","Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"unknown version", policy.Identity, `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"numeric version", policy.Identity, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Syntax errors in policy."},
		{"no statement", policy.Identity, `{"Version":"2012-10-17"}`, "Syntax errors in policy."},
		{"empty statement list", policy.Identity, stmt(`[]`), "Syntax errors in policy."},
		{"statement is string", policy.Identity, stmt(`"x"`), "Syntax errors in policy."},
		{"no effect", policy.Identity, stmt(`{"Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"bad effect", policy.Identity, stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), "The policy failed legacy parsing"},
		{"no action", policy.Identity, stmt(`{"Effect":"Allow","Resource":"*"}`), "Policy statement must contain actions."},
		{"empty action list", policy.Identity, stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Policy statement must contain actions."},
		{"action and notaction", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}`), "Syntax errors in policy."},
		{"action number", policy.Identity, stmt(`{"Effect":"Allow","Action":5,"Resource":"*"}`), "Syntax errors in policy."},
		{"action no vendor", policy.Identity, stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action empty vendor", policy.Identity, stmt(`{"Effect":"Allow","Action":":GetObject","Resource":"*"}`), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action two colons", policy.Identity, stmt(`{"Effect":"Allow","Action":"ec2:ec2:Run","Resource":"*"}`), "Actions/Condition can contain only one colon."},
		{"action vendor wildcard", policy.Identity, stmt(`{"Effect":"Allow","Action":"*:Untag*","Resource":"*"}`), "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards."},
		{"action vendor wildcard suffix", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3*:Get","Resource":"*"}`), "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards."},
		{"action bad vendor", policy.Identity, stmt(`{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}`), "Vendor s 3 is not valid"},
		{"no resource", policy.Identity, stmt(`{"Effect":"Allow","Action":"*"}`), "Policy statement must contain resources."},
		{"no resource before action vendor", policy.Identity, stmt(`{"Effect":"Allow","Action":"invalid"}`), "Policy statement must contain resources."},
		{"iam path", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:::example_bucket"}`), `IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"resource and notresource", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "Syntax errors in policy."},
		{"resource not arn", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"my-bucket"}`), `Resource my-bucket must be in ARN format or "*".`},
		{"resource empty service", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:::1:x"}`), "The policy failed legacy parsing"},
		{"resource four sections", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3::example_bucket"}`), "The policy failed legacy parsing"},
		{"resource five sections", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:791234567834:user/dave"}`), "The policy failed legacy parsing"},
		{"resource four sections ending in a wildcard", policy.Identity, stmt(`{"Effect":"Allow","Action":"codebuild:codebuild:StartBuild","Resource":"arn:aws:codebuild:*"}`), "Actions/Condition can contain only one colon."},
		{"resource region with a double hyphen", policy.Identity, stmt(`{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:us-west--2:111122223333:table/t"}`), "The policy failed legacy parsing"},
		{"resource region with a trailing hyphen", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:dynamodb:us-west-:111122223333:table/t"}`), "The policy failed legacy parsing"},
		{"resource empty", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":""}`), `Resource  must be in ARN format or "*".`},
		{"iam resource with region", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:us-east-1:123456789012:role/x"}`), "IAM resource arn:aws:iam:us-east-1:123456789012:role/x cannot contain region information."},
		{"resource object", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":{"a":1}}`), "Syntax errors in policy."},
		{"resource unclosed variable", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}`), "Policy variable ${aws:username is missing its closing brace."},
		{"resource empty variable", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${}"}`), "Policy variable ${} is not valid."},
		{"variable bad default", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, none}"}`), "Policy variable ${aws:username, none} has a default value that is not in single quotes."},
		{"principal in identity", policy.Identity, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"notprincipal in identity", policy.Identity, stmt(`{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"principal in boundary", policy.Boundary, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"principal in session", policy.Session, stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), "Policy document should not specify a principal."},
		{"resource policy without principal", policy.Resource, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), "Missing required field Principal"},
		{"resource policy both principals", policy.Resource, stmt(`{"Effect":"Allow","Principal":"*","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}`), "Policy statement must not contain both Principal and NotPrincipal."},
		{"trust without principal", policy.Trust, stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "Missing required field Principal"},
		{"trust with notprincipal", policy.Trust, stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`), "Has prohibited field NotPrincipal"},
		{"trust with resource", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`), "Has prohibited field Resource"},
		{"trust without action", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}`), "Missing required field Action"},
		{"principal string not star", policy.Resource, stmt(`{"Effect":"Allow","Principal":"123456789012","Action":"s3:*","Resource":"*"}`), "Invalid principal in policy"},
		{"principal unknown key", policy.Resource, stmt(`{"Effect":"Allow","Principal":{"User":"alice"},"Action":"s3:*","Resource":"*"}`), "Invalid principal in policy"},
		{"principal empty object", policy.Resource, stmt(`{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}`), "Invalid principal in policy"},
		{"principal bad aws value", policy.Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"*"}`), `Invalid principal in policy: "AWS":"alice"`},
		{"principal wildcard arn", policy.Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"s3:*","Resource":"*"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`},
		{"principal short account", policy.Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"s3:*","Resource":"*"}`), `Invalid principal in policy: "AWS":"12345"`},
		{"principal non-principal arn", policy.Resource, stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"s3:*","Resource":"*"}`), `Invalid principal in policy: "AWS":"arn:aws:s3:::bucket"`},
		{"principal wildcard service", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "SERVICE":"*.amazonaws.com"`},
		{"principal federated wildcard", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Federated":"*"},"Action":"sts:AssumeRoleWithWebIdentity"}`), "Federated principals must be valid domain names or SAML metadata ARNs"},
		{"principal service without a name", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"amazonaws.com"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "SERVICE":"amazonaws.com"`},
		{"principal service not amazonaws", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"lambda"},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "SERVICE":"lambda"`},
		{"sid not alphanumeric", policy.Identity, stmt(`{"Sid":"my-sid","Effect":"Allow","Action":"*","Resource":"*"}`), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"duplicate sid", policy.Identity, stmt(`[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]`), "Statement IDs (SID) in a single policy must be unique."},
		{"sid number", policy.Identity, stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), "Syntax errors in policy."},
		{"condition not object", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}`), "Syntax errors in policy."},
		{"condition block not object", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}`), "Syntax errors in policy."},
		{"condition unknown operator", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}`), "Syntax errors in policy."},
		{"condition unknown qualifier", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:username":"a"}}}`), "Syntax errors in policy."},
		{"condition null ifexists", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}`), "Syntax errors in policy."},
		{"condition key two colons", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"https://oidc.example.com:sub":"a"}}}`), "Condition can contain only one colon."},
		{"condition value object", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}`), "Syntax errors in policy."},
		{"condition value null", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}`), "Syntax errors in policy."},
		// IAM reads a document that opens with white space, or whose single
		// statement object precedes the Version, with the legacy parser
		// (hashicorp/terraform#14652, 99designs/iamy#65).
		{"leading space", policy.Identity, "  " + stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "The policy failed legacy parsing"},
		{"leading newline", policy.Managed, "\n" + stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), "The policy failed legacy parsing"},
		{"trust opening with blanks", policy.Trust, "    " + stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), "Policy statement must contain resources."},
		{"statement object before version", policy.Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Version":"2012-10-17"}`, "The policy failed legacy parsing"},
		// An unknown sts: action is refused in a trust policy (localstack's
		// snapshot of UpdateAssumeRolePolicy, recorded from AWS).
		{"trust unknown sts action", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:InvalidAction"}`), "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust sts wildcard matching none", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:Get*"}`), "AssumeRole policy may only specify STS AssumeRole actions."},
		// A principal list left empty (terraform-aws-modules/terraform-aws-iam#47).
		{"trust empty principal list", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}`), "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		// Sids are checked statement by statement, characters first
		// (Wolox/carthage_cache#22).
		{"duplicate sid not alphanumeric", policy.Identity, stmt(`[{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}]`), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"s3 region on a bucket with an account", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:us-west-2:123456789012:test/athena"}`), "Resource arn:aws:s3:us-west-2:123456789012:test/athena can not contain region information."},
		{"date not a date", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}`), "The policy failed legacy parsing"},
		// STS words a session policy that is not JSON its own way
		// (hashicorp/vault#1113; ansible's sts_assume_role test).
		{"session not json", policy.Session, `invalid policy`, "The policy is not in the valid JSON format."},
		{"session policy arn for a document", policy.Session, `arn:aws:iam::aws:policy/ReadOnlyAccess`, "The policy is not in the valid JSON format."},
		{"session truncated", policy.Session, `{"Version":"2012-10-17","Statement":`, "The policy is not in the valid JSON format."},
		// A trust policy refuses the bare "*" principal (aws/aws-cdk#5732),
		// whatever its conditions say.
		{"trust star principal", policy.Trust, stmt(`[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}},"Effect":"Allow","Principal":"*"}]`), `AssumeRolepolicy contained an invalid principal: "STAR":"*".`},
		{"trust star principal after a valid one", policy.Trust, stmt(`[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]`), `AssumeRolepolicy contained an invalid principal: "STAR":"*".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.doc), tt.kind)
			if err == nil {
				t.Fatalf("Parse succeeded with %d statements, want error %q", len(p.Statements()), tt.want)
			}
			var perr *policy.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T) is not a *policy.Error", err, err)
			}
			if perr.Message != tt.want {
				t.Fatalf("message\n got %q\nwant %q", perr.Message, tt.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		kind policy.Kind
		doc  string
	}{
		{"minimal", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`)},
		{"version 2008", policy.Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"no version", policy.Identity, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"id", policy.Identity, `{"Version":"2012-10-17","Id":"x-1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"lists", policy.Identity, stmt(`[{"Sid":"A1","Effect":"Allow","Action":["s3:Get*","s3:List?ucket","iam:*AccessKey*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},{"Sid":"","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/${aws:username}"}]`)},
		{"log stream arn", policy.Identity, stmt(`{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:*"}`)},
		{"wildcard arn", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:*:*:*:*:*"}`)},
		{"arn ending in a wildcard", policy.Identity, stmt(`{"Effect":"Allow","Action":"codebuild:StartBuild","Resource":["arn:aws:codebuild:*","arn:aws:codebuild:us-east-1:*"]}`)},
		{"open regions", policy.Identity, stmt(`{"Effect":"Allow","Action":"dynamodb:*","Resource":["arn:aws:dynamodb:us-*:111122223333:table/t","arn:aws:dynamodb:${aws:RequestedRegion}:111122223333:table/t","arn:aws:dynamodb:us-gov-west-1:111122223333:table/t"]}`)},
		{"every operator", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEquals":{"aws:a":"x"},"StringNotEquals":{"aws:a":"x"},"StringEqualsIgnoreCase":{"aws:a":"x"},"StringNotEqualsIgnoreCase":{"aws:a":"x"},
			"StringLike":{"aws:a":"x*"},"StringNotLike":{"aws:a":"x?"},
			"NumericEquals":{"aws:n":1},"NumericNotEquals":{"aws:n":"1.5"},"NumericLessThan":{"aws:n":"-2"},"NumericLessThanEquals":{"aws:n":"3"},"NumericGreaterThan":{"aws:n":"4"},"NumericGreaterThanEquals":{"aws:n":"5"},
			"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"DateNotEquals":{"aws:CurrentTime":"1577836800"},"DateLessThan":{"aws:CurrentTime":"2020-01-01"},"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00+02:00"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00.123Z"},"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T10:00:00"},
			"Bool":{"aws:SecureTransport":true},"BinaryEquals":{"aws:b":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
			"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64","192.0.2.7"]},"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"},
			"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:t"},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b*"},"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::c"},"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::d*"},
			"Null":{"aws:TokenIssueTime":"true"},
			"StringEqualsIfExists":{"aws:a":"x"},"ForAllValues:StringLike":{"aws:TagKeys":["a*"]},"ForAnyValue:StringEqualsIgnoreCaseIfExists":{"aws:TagKeys":"b"},
			"NumericLessThanIfExists":{"aws:n":1},"DateLessThanIfExists":{"aws:t":"2020"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"BinaryEqualsIfExists":{"aws:b":"AA=="},"IpAddressIfExists":{"aws:SourceIp":"::1"},"ArnLikeIfExists":{"aws:SourceArn":"*"}
		}}`)},
		{"condition keys", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/aws:cloudformation:stack-name":"s","kms:EncryptionContext:aws:lambda:FunctionArn":"x","oidc.eks.us-east-1.amazonaws.com/id/X:sub":"y","s3:prefix":""}}}`)},
		{"trust everyone by AWS star", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}`)},
		{"bucket policy", policy.Resource, stmt(`[{"Sid":"Public Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","123456789012"]},"Action":"s3:*","Resource":"arn:aws:s3:::b"}]`)},
		{"trust ec2", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}`)},
		{"trust accounts", policy.Trust, stmt(`{"Sid":"T","Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/path/R","arn:aws:sts::111122223333:assumed-role/R/s"]},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`)},
		{"trust oidc", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.example.com:aud":"x"}}}`)},
		{"escapes", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${*}/${?}/${$}","Condition":{"StringLike":{"s3:prefix":"${aws:username, 'it''s'}/*"}}}`)},
		{"2008 literal variable", policy.Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}}`},
		// CDK renders Statement (a list) before Version; IAM reads it.
		{"statement list before version", policy.Managed, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}],"Version":"2012-10-17"}`},
		{"s3 regional types", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:us-west-2:123456789012:accesspoint/ap","arn:aws:s3:us-west-2:123456789012:job/*","arn:aws:s3:us-west-2:123456789012:storage-lens/x","arn:aws:s3:us-west-2:123456789012:*"]}`)},
		{"trust tag session", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}`)},
		{"trust sts wildcard", policy.Trust, stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:*","sts:AssumeRole*"]}`)},
		{"whitespace", policy.Identity, "{ \"Version\" : \"2012-10-17\" ,\r\n \"Statement\" : { \"Effect\":\"Allow\", \"Action\":\"*\", \"Resource\":\"*\" } } \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.doc), tt.kind)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !bytes.Equal(p.Raw(), []byte(tt.doc)) {
				t.Fatalf("Raw() = %q, want the document unchanged", p.Raw())
			}
			if p.Kind() != tt.kind {
				t.Fatalf("Kind() = %v, want %v", p.Kind(), tt.kind)
			}
		})
	}
}

func TestParseElements(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Id":"P1","Statement":[
		{"Sid":"One","Effect":"Deny","NotPrincipal":{"AWS":"123456789012","Service":"s.amazonaws.com"},
		 "NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b/*",
		 "Condition":{"NumericLessThan":{"s3:max-keys":10},"ForAnyValue:StringLike":{"aws:TagKeys":["a","b"]},"Bool":{"aws:SecureTransport":false}}}]}`)
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version() != policy.Version2012 || p.ID() != "P1" {
		t.Fatalf("Version, ID = %q, %q", p.Version(), p.ID())
	}
	ss := p.Statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements", len(ss))
	}
	s := ss[0]
	if s.Sid != "One" || s.Effect != policy.EffectDeny || s.Principal != nil || s.NotPrincipal == nil {
		t.Fatalf("statement = %+v", s)
	}
	if got := strings.Join(s.NotPrincipal.AWS, ",") + "|" + strings.Join(s.NotPrincipal.Service, ","); got != "123456789012|s.amazonaws.com" {
		t.Fatalf("NotPrincipal = %q", got)
	}
	if s.Action != nil || len(s.NotAction) != 1 || s.Resource != nil || len(s.NotResource) != 1 {
		t.Fatalf("statement = %+v", s)
	}
	want := []policy.Condition{
		{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
		{Operator: "ForAnyValue:StringLike", Key: "aws:TagKeys", Values: []string{"a", "b"}},
		{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}},
	}
	if len(s.Condition) != len(want) {
		t.Fatalf("conditions = %+v", s.Condition)
	}
	for i := range want {
		if s.Condition[i].Operator != want[i].Operator || s.Condition[i].Key != want[i].Key ||
			strings.Join(s.Condition[i].Values, ",") != strings.Join(want[i].Values, ",") {
			t.Fatalf("condition %d = %+v, want %+v", i, s.Condition[i], want[i])
		}
	}
	if policy.EffectAllow.String() != "Allow" || policy.ExplicitDeny.String() != "ExplicitDeny" || policy.Trust.String() != "Trust" {
		t.Fatal("String methods")
	}
	if _, err := policy.Parse(doc, policy.Kind(0)); err == nil {
		t.Fatal("Parse accepted an unknown kind")
	}
}

func TestSize(t *testing.T) {
	big := func(n int) []byte {
		// A valid document padded with white space and a long Sid.
		pad := strings.Repeat(" \n\t\r", 3000)
		prefix := `{"Version":"2012-10-17","Statement":{"Sid":"`
		suffix := `","Effect":"Allow","Action":"*","Resource":"*"}}`
		sid := strings.Repeat("a", n-len(prefix)-len(suffix))
		return []byte(pad + prefix + sid + suffix + pad)
	}
	if got := policy.Size(big(100)); got != 100 {
		t.Fatalf("Size = %d, want 100", got)
	}
	if got := policy.Size([]byte("é é")); got != 2 {
		t.Fatalf("Size counts bytes, not characters: %d", got)
	}
	tests := []struct {
		name string
		kind policy.Kind
		size int
		want string
	}{
		{"managed at limit", policy.Identity, 6144, ""},
		{"managed over", policy.Identity, 6145, "Cannot exceed quota for PolicySize: 6144"},
		{"boundary over", policy.Boundary, 6145, "Cannot exceed quota for PolicySize: 6144"},
		{"trust at limit", policy.Trust, 2048, ""},
		{"trust over", policy.Trust, 2049, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"session over", policy.Session, 2049, "Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"resource has no IAM quota", policy.Resource, 20000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.CheckSize(big(tt.size), tt.kind)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckSize: %v", err)
				}
				return
			}
			var perr *policy.Error
			if !errors.As(err, &perr) || perr.Message != tt.want {
				t.Fatalf("CheckSize = %v, want %q", err, tt.want)
			}
		})
	}
	inline := []struct {
		owner policy.Owner
		total int
		want  string
	}{
		{policy.OwnerUser, 2048, ""},
		{policy.OwnerUser, 2049, "Maximum policy size of 2048 bytes exceeded for user alice"},
		{policy.OwnerGroup, 5121, "Maximum policy size of 5120 bytes exceeded for group alice"},
		{policy.OwnerRole, 10240, ""},
		{policy.OwnerRole, 10241, "Maximum policy size of 10240 bytes exceeded for role alice"},
	}
	for _, tt := range inline {
		err := policy.CheckInlineSize(tt.total, tt.owner, "alice")
		if (err == nil) != (tt.want == "") || err != nil && err.Error() != tt.want {
			t.Errorf("CheckInlineSize(%d, %v) = %v, want %q", tt.total, tt.owner, err, tt.want)
		}
	}
}

func TestStatementSpan(t *testing.T) {
	doc := "{\"Version\":\"2012-10-17\",\"Statement\":[ \n {\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"} ,\n\t{\"Sid\":\"B\",\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":[\"*\"]}]}"
	p, err := policy.Parse([]byte(doc), policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`,
		`{"Sid":"B","Effect":"Deny","Action":"s3:*","Resource":["*"]}`,
	}
	for i, w := range want {
		start, end := p.StatementSpan(i)
		if got := doc[start:end]; got != w {
			t.Errorf("statement %d span = %q, want %q", i, got, w)
		}
	}
	single := `{"Statement" : {"Effect":"Allow","Action":"*","Resource":"*"}}`
	p, err = policy.Parse([]byte(single), policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	if start, end := p.StatementSpan(0); single[start:end] != `{"Effect":"Allow","Action":"*","Resource":"*"}` {
		t.Errorf("single statement span = %q", single[start:end])
	}
}

// TestDollarEscape: ${$} is the escape for a literal "$" in a Resource and
// in an ArnLike value, also when it is the only escape in the string.
func TestDollarEscape(t *testing.T) {
	doc := stmt(`[{"Sid":"R","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::cash/${$}5"},
		{"Sid":"C","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:${$}topic"}}}]`)
	p, err := policy.Parse([]byte(doc), policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	in := &policy.Input{Identity: policy.Compile(policy.Named{Name: "p", Policy: p})}
	for _, tt := range []struct {
		action, resource, source string
		want                     policy.Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::cash/$5", "", policy.Allow},
		{"s3:GetObject", "arn:aws:s3:::cash/${$}5", "", policy.ImplicitDeny},
		{"s3:GetObject", "arn:aws:s3:::cash/5", "", policy.ImplicitDeny},
		{"s3:PutObject", "arn:aws:s3:::x", "arn:aws:sns:us-east-1:123456789012:$topic", policy.Allow},
		{"s3:PutObject", "arn:aws:s3:::x", "arn:aws:sns:us-east-1:123456789012:topic", policy.ImplicitDeny},
	} {
		req := policy.Request{Action: tt.action, Resource: tt.resource}
		if tt.source != "" {
			req.Context.Set("aws:SourceArn", tt.source)
		}
		if got := policy.Evaluate(in, &req).Decision; got != tt.want {
			t.Errorf("%s on %s (source %q) = %v, want %v", tt.action, tt.resource, tt.source, got, tt.want)
		}
	}
}
