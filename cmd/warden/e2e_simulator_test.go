package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// simulate runs SimulatePrincipalPolicy for arn and fails the test on error.
func simulate(t *testing.T, c *iam.Client, in *iam.SimulatePrincipalPolicyInput) []types.EvaluationResult {
	t.Helper()
	return res(c.SimulatePrincipalPolicy(context.Background(), in)).must(t).EvaluationResults
}

// decisions maps each action to its EvalDecision.
func decisions(results []types.EvaluationResult) map[string]string {
	out := map[string]string{}
	for _, r := range results {
		out[*r.EvalActionName] = string(r.EvalDecision)
	}
	return out
}

func matchedIDs(ss []types.Statement) []string {
	var out []string
	for _, s := range ss {
		out = append(out, aws.ToString(s.SourcePolicyId)+"/"+string(s.SourcePolicyType))
	}
	return out
}

func putUserPolicy(t *testing.T, c *iam.Client, user, name, doc string) {
	t.Helper()
	res(c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user),
		PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})).must(t)
}

// TestE2ESimulatePrincipalPolicyGroup checks that a user's group policies are
// simulated, and that the simulation is what the API enforces.
func TestE2ESimulatePrincipalPolicyGroup(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	key, bob := userWithKey(t, s, "bob")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("storage")})).must(t)
	addToGroup(t, root, "storage", "bob")
	res(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("storage"), PolicyName: aws.String("S3All"),
		PolicyDocument: aws.String(allowDoc("s3:*"))})).must(t)

	object := "arn:aws:s3:::reports/2024/q1.csv"
	results := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "bob")),
		ActionNames: []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{object}})
	if got := decisions(results); got["s3:GetObject"] != "allowed" || got["s3:PutObject"] != "allowed" {
		t.Fatalf("s3 decisions = %v", got)
	}
	r := results[0]
	if got := matchedIDs(r.MatchedStatements); !slices.Equal(got, []string{"S3All/group"}) {
		t.Errorf("MatchedStatements = %v", got)
	}
	if !strings.Contains(aws.ToString(r.EvalResourceName), "${BucketName}") {
		t.Errorf("EvalResourceName = %q, want the object ARN format", aws.ToString(r.EvalResourceName))
	}
	if len(r.ResourceSpecificResults) != 1 || aws.ToString(r.ResourceSpecificResults[0].EvalResourceName) != object ||
		r.ResourceSpecificResults[0].EvalResourceDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("ResourceSpecificResults = %+v", r.ResourceSpecificResults)
	}
	if r.OrganizationsDecisionDetail == nil || !r.OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("OrganizationsDecisionDetail = %+v", r.OrganizationsDecisionDetail)
	}
	if r.PermissionsBoundaryDecisionDetail != nil {
		t.Errorf("PermissionsBoundaryDecisionDetail without a boundary = %+v", r.PermissionsBoundaryDecisionDetail)
	}
	if r.EvalDecisionDetails == nil || len(r.EvalDecisionDetails) != 0 {
		t.Errorf("EvalDecisionDetails within the account = %v, want present and empty", r.EvalDecisionDetails)
	}

	results = simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "bob")),
		ActionNames: []string{"iam:CreateUser"}})
	if r := results[0]; r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(r.MatchedStatements) != 0 ||
		aws.ToString(r.EvalResourceName) != "*" || r.ResourceSpecificResults != nil || r.EvalDecisionDetails != nil {
		t.Fatalf("iam:CreateUser = %+v", r)
	}
	// The API agrees.
	_, err := bob.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantErr(t, err, "AccessDenied", 403)
	// Bob may not simulate: that takes iam:SimulatePrincipalPolicy.
	_, err = bob.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "bob")),
		ActionNames: []string{"s3:GetObject"}})
	wantErr(t, err, "AccessDenied", 403)
	_ = key

	// The group itself, as the policy source.
	results = simulate(t, root, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":group/storage"), ActionNames: []string{"s3:ListBucket", "ec2:RunInstances"}})
	if got := decisions(results); got["s3:ListBucket"] != "allowed" || got["ec2:RunInstances"] != "implicitDeny" {
		t.Errorf("group decisions = %v", got)
	}

	// Unknown sources.
	for _, arn := range []string{userARN("/", "nobody"), userARN("/other/", "bob"), "arn:aws:iam::" + testAccount + ":role/none",
		"arn:aws:iam::999999999999:user/bob"} {
		_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn),
			ActionNames: []string{"s3:GetObject"}})
		wantErr(t, err, "NoSuchEntity", 404)
	}
	_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":policy/x"), ActionNames: []string{"s3:GetObject"}})
	wantErr(t, err, "InvalidInput", 400)
}

// A policy whose Deny statement starts on line 10, column 5.
const denyDeleteDoc = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowAll",
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    },
    {
      "Sid": "NoDelete",
      "Effect": "Deny",
      "Action": "iam:DeleteUser",
      "Resource": "*"
    }
  ]
}`

// TestE2ESimulateExplicitDeny checks the decision and the statement
// positions of an explicit deny.
func TestE2ESimulateExplicitDeny(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	_, carol := userWithKey(t, s, "carol")
	putUserPolicy(t, root, "carol", "Guarded", denyDeleteDoc)
	createUser(t, root, "victim")

	results := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "carol")),
		ActionNames: []string{"iam:DeleteUser", "iam:ListUsers"}})
	if got := decisions(results); got["iam:DeleteUser"] != "explicitDeny" || got["iam:ListUsers"] != "allowed" {
		t.Fatalf("decisions = %v", got)
	}
	deny := results[0].MatchedStatements
	if len(deny) != 1 {
		t.Fatalf("MatchedStatements = %+v", deny)
	}
	st := deny[0]
	if aws.ToString(st.SourcePolicyId) != "Guarded" || st.SourcePolicyType != types.PolicySourceTypeUser {
		t.Errorf("source = %s %s", aws.ToString(st.SourcePolicyId), st.SourcePolicyType)
	}
	// IAM reports the column just after the statement's braces.
	if st.StartPosition == nil || st.StartPosition.Line != 10 || st.StartPosition.Column != 6 ||
		st.EndPosition == nil || st.EndPosition.Line != 15 || st.EndPosition.Column != 6 {
		t.Errorf("positions = %+v .. %+v, want 10:6 .. 15:6", st.StartPosition, st.EndPosition)
	}
	allow := results[1].MatchedStatements
	if len(allow) != 1 || allow[0].StartPosition.Line != 4 || allow[0].StartPosition.Column != 6 {
		t.Errorf("allowing statement = %+v", allow)
	}
	// As the API enforces.
	_, err := carol.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("victim")})
	wantErr(t, err, "AccessDenied", 403)
	res(carol.ListUsers(ctx, &iam.ListUsersInput{})).must(t)

	// A one-line custom policy: positions as in the AWS CLI documentation.
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`
	out := res(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc},
		ActionNames: []string{"dynamodb:CreateBackup"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"),
			ContextKeyValues: []string{"2019-04-25T11:00:00Z"}, ContextKeyType: types.ContextKeyTypeEnumDate}}})).must(t)
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != 1 {
		t.Fatalf("custom = %+v", r)
	}
	m := r.MatchedStatements[0]
	if aws.ToString(m.SourcePolicyId) != "PolicyInputList.1" || *m.StartPosition != (types.Position{Line: 1, Column: 38}) ||
		*m.EndPosition != (types.Position{Line: 1, Column: 167}) {
		t.Errorf("custom statement = %s %+v %+v", aws.ToString(m.SourcePolicyId), *m.StartPosition, *m.EndPosition)
	}
}

// conditionDoc allows s3:GetObject only with MFA, from 10.0.0.0/8, before 2100.
const conditionDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{
"Bool":{"aws:MultiFactorAuthPresent":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
"DateLessThan":{"aws:CurrentTime":"2100-01-01T00:00:00Z"},"NumericLessThan":{"s3:max-keys":"10"}}}]}`

func entry(name string, typ types.ContextKeyTypeEnum, values ...string) types.ContextEntry {
	return types.ContextEntry{ContextKeyName: aws.String(name), ContextKeyType: typ, ContextKeyValues: values}
}

// TestE2ESimulateContext checks condition keys given as ContextEntries, the
// keys reported missing, and values of the wrong type.
func TestE2ESimulateContext(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "dave")
	putUserPolicy(t, root, "dave", "Conditional", conditionDoc)
	source := aws.String(userARN("/", "dave"))

	full := []types.ContextEntry{
		entry("aws:MultiFactorAuthPresent", types.ContextKeyTypeEnumBoolean, "true"),
		entry("aws:SourceIp", types.ContextKeyTypeEnumIp, "10.1.2.3"),
		entry("aws:CurrentTime", types.ContextKeyTypeEnumDate, "2025-06-01T12:00:00Z"),
		entry("s3:max-keys", types.ContextKeyTypeEnumNumeric, "5"),
	}
	r := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source, ActionNames: []string{"s3:GetObject"},
		ContextEntries: full})[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(r.MissingContextValues) != 0 {
		t.Fatalf("with every key: %s, missing %v", r.EvalDecision, r.MissingContextValues)
	}

	// One value changes the answer.
	for i, e := range []types.ContextEntry{
		entry("aws:MultiFactorAuthPresent", types.ContextKeyTypeEnumBoolean, "false"),
		entry("aws:SourceIp", types.ContextKeyTypeEnumIp, "192.0.2.1"),
		entry("aws:CurrentTime", types.ContextKeyTypeEnumDate, "2101-01-01T00:00:00Z"),
		entry("s3:max-keys", types.ContextKeyTypeEnumNumeric, "50"),
	} {
		entries := slices.Clone(full)
		entries[i] = e
		r := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source, ActionNames: []string{"s3:GetObject"},
			ContextEntries: entries})[0]
		if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
			t.Errorf("with %s=%v: %s", *e.ContextKeyName, e.ContextKeyValues, r.EvalDecision)
		}
	}

	// Without entries: aws:CurrentTime is the server's clock, as when the
	// API decides; the others are missing.
	r = simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source, ActionNames: []string{"s3:GetObject", "s3:PutObject"}})[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("without context: %s", r.EvalDecision)
	}
	if want := []string{"aws:MultiFactorAuthPresent", "aws:SourceIp", "s3:max-keys"}; !slices.Equal(r.MissingContextValues, want) {
		t.Errorf("MissingContextValues = %v, want %v", r.MissingContextValues, want)
	}
	// Per resource too, and only for statements that apply.
	results := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source,
		ActionNames: []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/k"}})
	if rs := results[0].ResourceSpecificResults; len(rs) != 1 || len(rs[0].MissingContextValues) != 3 {
		t.Errorf("per-resource missing = %+v", rs)
	}
	if m := results[1].MissingContextValues; len(m) != 0 {
		t.Errorf("s3:PutObject missing = %v, want none: no statement applies", m)
	}

	// List types, and every type checked.
	listDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{
"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]},"ForAnyValue:IpAddress":{"my:ips":"10.0.0.0/8"}}}]}`
	out := res(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{listDoc},
		ActionNames: []string{"ec2:RunInstances"}, ContextEntries: []types.ContextEntry{
			entry("aws:TagKeys", types.ContextKeyTypeEnumStringList, "team", "env"),
			entry("my:ips", types.ContextKeyTypeEnumIpList, "192.0.2.1", "10.9.9.9"),
			entry("my:nums", types.ContextKeyTypeEnumNumericList, "1", "2.5"),
			entry("my:flags", types.ContextKeyTypeEnumBooleanList, "true", "FALSE"),
			entry("my:bin", types.ContextKeyTypeEnumBinary, "aGVsbG8="),
			entry("my:bins", types.ContextKeyTypeEnumBinaryList, "aGVsbG8=", "d29ybGQ="),
			entry("my:dates", types.ContextKeyTypeEnumDateList, "2024-01-01", "1700000000"),
			entry("my:str", types.ContextKeyTypeEnumString, "x"),
		}})).must(t)
	if d := out.EvaluationResults[0].EvalDecision; d != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("list types: %s", d)
	}
	for _, bad := range []types.ContextEntry{
		entry("aws:MultiFactorAuthPresent", types.ContextKeyTypeEnumBoolean, "yes"),
		entry("aws:SourceIp", types.ContextKeyTypeEnumIp, "10.0.0.300"),
		entry("aws:CurrentTime", types.ContextKeyTypeEnumDate, "tomorrow"),
		entry("s3:max-keys", types.ContextKeyTypeEnumNumeric, "ten"),
		entry("my:bin", types.ContextKeyTypeEnumBinary, "not base64!"),
		entry("my:ips", types.ContextKeyTypeEnumIpList, "10.0.0.1", "nope"),
		entry("aws:SourceIp", types.ContextKeyTypeEnumIp, "10.0.0.1", "10.0.0.2"),
	} {
		_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: source,
			ActionNames: []string{"s3:GetObject"}, ContextEntries: []types.ContextEntry{bad}})
		wantErr(t, err, "InvalidInput", 400)
	}
}

// TestE2ESimulateBoundary checks the permissions boundary detail, the
// entity's own boundary and one given with the request.
func TestE2ESimulateBoundary(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "erin")
	putUserPolicy(t, root, "erin", "Broad", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}]}`)
	res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("S3Only"), PolicyDocument: aws.String(allowDoc("s3:*"))})).must(t)
	res(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("erin"),
		PermissionsBoundary: aws.String(policyARN("/", "S3Only"))})).must(t)

	results := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "erin")),
		ActionNames: []string{"s3:GetObject", "iam:ListUsers"}})
	get, list := results[0], results[1]
	if get.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || get.PermissionsBoundaryDecisionDetail == nil ||
		!get.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("s3:GetObject = %s %+v", get.EvalDecision, get.PermissionsBoundaryDecisionDetail)
	}
	if got := matchedIDs(get.MatchedStatements); !slices.Equal(got, []string{"Broad/user", "S3Only/user-managed"}) {
		t.Errorf("s3:GetObject MatchedStatements = %v", got)
	}
	if list.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || list.PermissionsBoundaryDecisionDetail == nil ||
		list.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("iam:ListUsers = %s %+v", list.EvalDecision, list.PermissionsBoundaryDecisionDetail)
	}

	// A boundary given with the request replaces the entity's.
	results = simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "erin")),
		ActionNames: []string{"s3:GetObject", "iam:ListUsers"}, PermissionsBoundaryPolicyInputList: []string{allowDoc("iam:List*")}})
	if got := decisions(results); got["s3:GetObject"] != "implicitDeny" || got["iam:ListUsers"] != "allowed" {
		t.Errorf("with the given boundary: %v", got)
	}
	if got := matchedIDs(results[1].MatchedStatements); !slices.Equal(got, []string{"Broad/user", "PermissionsBoundaryPolicyInputList.1/none"}) {
		t.Errorf("MatchedStatements = %v", got)
	}
	_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "erin")),
		ActionNames: []string{"s3:GetObject"}, PermissionsBoundaryPolicyInputList: []string{allowDoc("s3:*"), allowDoc("iam:*")}})
	wantErr(t, err, "InvalidInput", 400)

	// Custom: a boundary caps the given policies.
	out := res(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allowDoc("*")},
		PermissionsBoundaryPolicyInputList: []string{allowDoc("s3:*")}, ActionNames: []string{"s3:GetObject", "sqs:SendMessage"}})).must(t)
	if got := decisions(out.EvaluationResults); got["s3:GetObject"] != "allowed" || got["sqs:SendMessage"] != "implicitDeny" {
		t.Errorf("custom with boundary: %v", got)
	}

	// Extra identity policies add to the entity's own.
	results = simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "erin")),
		ActionNames: []string{"s3:DeleteBucket"}, PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`}})
	if r := results[0]; r.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny ||
		!slices.Equal(matchedIDs(r.MatchedStatements), []string{"PolicyInputList.1/none"}) {
		t.Errorf("with a denying extra policy: %s %v", r.EvalDecision, matchedIDs(r.MatchedStatements))
	}
}

// TestE2ESimulateResources checks ResourceSpecificResults, the summary over
// resources, and pagination.
func TestE2ESimulateResources(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "frank")
	putUserPolicy(t, root, "frank", "Public", `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::public/*"},
{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)

	public, private, home := "arn:aws:s3:::public/a.txt", "arn:aws:s3:::private/b.txt", "arn:aws:s3:::home/frank/notes"
	r := simulate(t, root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{public, private, home}})[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("summary = %s, want the most restrictive", r.EvalDecision)
	}
	got := map[string]types.PolicyEvaluationDecisionType{}
	for _, rr := range r.ResourceSpecificResults {
		got[aws.ToString(rr.EvalResourceName)] = rr.EvalResourceDecision
	}
	if got[public] != "allowed" || got[private] != "implicitDeny" || got[home] != "allowed" || len(got) != 3 {
		t.Errorf("per resource = %v", got)
	}
	if len(r.MatchedStatements) != 0 {
		t.Errorf("summary MatchedStatements = %v, want none for implicitDeny", r.MatchedStatements)
	}
	if rr := r.ResourceSpecificResults[2]; len(rr.MatchedStatements) != 1 || rr.MatchedStatements[0].StartPosition.Line != 3 {
		t.Errorf("home statements = %+v", rr.MatchedStatements)
	}

	// Pagination over actions.
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
	page1 := res(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: actions, MaxItems: aws.Int32(2)})).must(t)
	if !page1.IsTruncated || page1.Marker == nil || len(page1.EvaluationResults) != 2 {
		t.Fatalf("page 1: truncated %v, %d results", page1.IsTruncated, len(page1.EvaluationResults))
	}
	page2 := res(root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: actions, MaxItems: aws.Int32(2), Marker: page1.Marker})).must(t)
	if page2.IsTruncated || len(page2.EvaluationResults) != 1 || *page2.EvaluationResults[0].EvalActionName != "s3:ListBucket" {
		t.Errorf("page 2: truncated %v, %+v", page2.IsTruncated, page2.EvaluationResults)
	}
	// The SDK paginator walks them all.
	var all []string
	p := iam.NewSimulatePrincipalPolicyPaginator(root, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: actions, MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.EvaluationResults {
			all = append(all, *r.EvalActionName)
		}
	}
	if !slices.Equal(all, actions) {
		t.Errorf("paginated = %v", all)
	}

	// Scenarios check their resources.
	_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: []string{"ec2:RunInstances"}, ResourceHandlingOption: aws.String("EC2-VPC-EBS"),
		ResourceArns: []string{"arn:aws:ec2:us-east-1:" + testAccount + ":instance/i-1"}})
	wantErr(t, err, "InvalidInput", 400)
	_, err = root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "frank")),
		ActionNames: []string{"s3:*"}})
	wantErr(t, err, "InvalidInput", 400)
}

// TestE2ESimulateCustomPolicy checks two policies and a resource-based
// policy, within an account and across accounts.
func TestE2ESimulateCustomPolicy(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	const other = "111122223333"
	read := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
	noDelete := `{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	bucketPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:user/gina"},
"Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::shared/*"}]}`
	object := "arn:aws:s3:::shared/doc.txt"

	// Across accounts: gina of another account, the bucket owned by ours.
	out := res(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{read, noDelete},
		ResourcePolicy: aws.String(bucketPolicy), CallerArn: aws.String("arn:aws:iam::" + other + ":user/gina"),
		ResourceOwner: aws.String(testAccount), ResourceArns: []string{object},
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}})).must(t)
	byAction := map[string]types.EvaluationResult{}
	for _, r := range out.EvaluationResults {
		byAction[*r.EvalActionName] = r
	}
	get, put, del := byAction["s3:GetObject"], byAction["s3:PutObject"], byAction["s3:DeleteObject"]
	if get.EvalDecision != "allowed" || put.EvalDecision != "implicitDeny" || del.EvalDecision != "explicitDeny" {
		t.Fatalf("decisions = %s %s %s", get.EvalDecision, put.EvalDecision, del.EvalDecision)
	}
	if got := matchedIDs(get.MatchedStatements); !slices.Equal(got, []string{"PolicyInputList.1/none", "ResourcePolicy/resource"}) {
		t.Errorf("s3:GetObject MatchedStatements = %v", got)
	}
	if got := matchedIDs(del.MatchedStatements); !slices.Equal(got, []string{"PolicyInputList.2/none"}) {
		t.Errorf("s3:DeleteObject MatchedStatements = %v", got)
	}
	wantDetails := func(r types.EvaluationResult, identity, resource string) {
		t.Helper()
		d := r.EvalDecisionDetails
		if string(d["IAM Policy"]) != identity || string(d["Resource Policy"]) != resource || len(d) != 2 {
			t.Errorf("%s EvalDecisionDetails = %v", *r.EvalActionName, d)
		}
		if rs := r.ResourceSpecificResults; len(rs) != 1 || len(rs[0].EvalDecisionDetails) != 2 {
			t.Errorf("%s per-resource details = %+v", *r.EvalActionName, rs)
		}
	}
	wantDetails(get, "allowed", "allowed")
	wantDetails(put, "implicitDeny", "allowed")
	wantDetails(del, "explicitDeny", "allowed")

	// Within the account, the bucket policy alone grants an IAM user.
	out = res(root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{read},
		ResourcePolicy: aws.String(strings.ReplaceAll(bucketPolicy, other, testAccount)),
		CallerArn:      aws.String(userARN("/", "gina")), ResourceArns: []string{object}, ActionNames: []string{"s3:PutObject"}})).must(t)
	if r := out.EvaluationResults[0]; r.EvalDecision != "allowed" || !slices.Equal(matchedIDs(r.MatchedStatements), []string{"ResourcePolicy/resource"}) ||
		len(r.EvalDecisionDetails) != 0 {
		t.Errorf("same account: %s %v %v", r.EvalDecision, matchedIDs(r.MatchedStatements), r.EvalDecisionDetails)
	}

	// A resource policy needs a caller.
	_, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{read},
		ResourcePolicy: aws.String(bucketPolicy), ActionNames: []string{"s3:GetObject"}})
	wantErr(t, err, "InvalidInput", 400)

	// Malformed documents, wherever they are given.
	malformed := []func() error{
		func() error {
			_, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{read, `{"Version":"2012-10-17","Statement":[`},
				ActionNames: []string{"s3:GetObject"}})
			return err
		},
		func() error {
			_, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{read},
				ResourcePolicy: aws.String(read), CallerArn: aws.String(userARN("/", "gina")), ActionNames: []string{"s3:GetObject"}})
			return err
		},
		func() error {
			_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "nobody")),
				PolicyInputList: []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`}, ActionNames: []string{"s3:GetObject"}})
			return err
		},
		func() error {
			_, err := root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{"not json"}})
			return err
		},
	}
	for _, call := range malformed {
		wantErr(t, call(), "MalformedPolicyDocument", 400)
	}
}

// TestE2EGetContextKeys checks the context keys of custom and principal
// policies: condition keys and policy variables, each once.
func TestE2EGetContextKeys(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*",
"Resource":"arn:aws:dynamodb:us-west-2:` + testAccount + `:table/${aws:username}",
"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"},"StringEquals":{"AWS:USERNAME":"x","dynamodb:LeadingKeys":"${aws:PrincipalTag/team}"}}}]}`
	out := res(root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc,
		allowDoc("s3:*"), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`}})).must(t)
	want := []string{"aws:username", "aws:CurrentTime", "dynamodb:LeadingKeys", "aws:PrincipalTag/team", "aws:SecureTransport"}
	if !slices.Equal(out.ContextKeyNames, want) {
		t.Errorf("custom keys = %v, want %v", out.ContextKeyNames, want)
	}

	createUser(t, root, "hank")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("net")})).must(t)
	addToGroup(t, root, "net", "hank")
	res(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("net"), PolicyName: aws.String("FromOffice"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)})).must(t)
	putUserPolicy(t, root, "hank", "Own", conditionDoc)
	keys := res(root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{
		PolicySourceArn: aws.String(userARN("/", "hank")), PolicyInputList: []string{doc}})).must(t).ContextKeyNames
	want = []string{"aws:MultiFactorAuthPresent", "aws:SourceIp", "aws:CurrentTime", "s3:max-keys", "aws:username", "dynamodb:LeadingKeys", "aws:PrincipalTag/team"}
	if !slices.Equal(keys, want) {
		t.Errorf("principal keys = %v, want %v", keys, want)
	}
	_, err := root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "nobody"))})
	wantErr(t, err, "NoSuchEntity", 404)
}

// BenchmarkSimulatePrincipalPolicy is a SimulatePrincipalPolicy round trip
// for 10 actions on one resource, for a user with an inline policy and a
// group's AWS managed policy.
func BenchmarkSimulatePrincipalPolicy(b *testing.B) {
	ctx := context.Background()
	s := startServer(b, nil, nil)
	root := s.root()
	benchReader(b, root, "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("Own"),
		PolicyDocument: aws.String(conditionDoc)}); err != nil {
		b.Fatal(err)
	}
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "alice")),
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "iam:GetUser",
			"iam:CreateUser", "ec2:DescribeInstances", "ec2:RunInstances", "dynamodb:GetItem", "sqs:SendMessage"},
		ResourceArns: []string{"arn:aws:s3:::bucket/key"},
		ContextEntries: []types.ContextEntry{entry("aws:MultiFactorAuthPresent", types.ContextKeyTypeEnumBoolean, "true"),
			entry("aws:SourceIp", types.ContextKeyTypeEnumIp, "10.1.2.3")}}
	if _, err := root.SimulatePrincipalPolicy(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := root.SimulatePrincipalPolicy(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
