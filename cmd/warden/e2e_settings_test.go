package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// stsIn is an STS client signing for region with temporary credentials.
func (s *server) stsIn(region string, c *ststypes.Credentials) *sts.Client {
	cfg := s.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL); o.Region = region })
}

func TestE2EGlobalEndpointTokenVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	version := func() int32 {
		t.Helper()
		return res(root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).must(t).SummaryMap["GlobalEndpointTokenVersion"]
	}
	if v := version(); v != 1 {
		t.Fatalf("GlobalEndpointTokenVersion = %d, want 1 by default", v)
	}
	k, _ := userWithKey(t, s, "traveller")
	token := func(region string) *ststypes.Credentials {
		t.Helper()
		c := sts.NewFromConfig(s.config(*k.AccessKeyId, *k.SecretAccessKey, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL); o.Region = region })
		return res(c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})).must(t).Credentials
	}
	whoami := func(region string, c *ststypes.Credentials) error {
		_, err := s.stsIn(region, c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}

	// A version 1 token of the global endpoint works in Regions enabled by
	// default and not in opt-in ones.
	global := token("us-east-1")
	res(0, whoami("eu-west-1", global)).must(t)
	wantErr(t, whoami("ap-east-1", global), "InvalidClientTokenId", 403)
	// A Regional endpoint's token works everywhere.
	regional := token("eu-west-1")
	res(0, whoami("ap-east-1", regional)).must(t)

	// A user may not change the preference without permission.
	user := s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
	_, err := user.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token})
	wantErr(t, err, "AccessDenied", 403)
	_, err = root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v3Token"})
	wantErr(t, err, "ValidationError", 400)

	res(root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token})).must(t)
	if v := version(); v != 2 {
		t.Fatalf("GlobalEndpointTokenVersion = %d after choosing v2Token", v)
	}
	res(0, whoami("ap-east-1", token("us-east-1"))).must(t)
	// Tokens issued before keep their version.
	wantErr(t, whoami("ap-east-1", global), "InvalidClientTokenId", 403)

	res(root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV1Token})).must(t)
	wantErr(t, whoami("me-south-1", token("us-east-1")), "InvalidClientTokenId", 403)
}

func TestE2EAccountProperties(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	if got := res(root.GetAccountProperties(ctx, &iam.GetAccountPropertiesInput{})).must(t).Properties; len(got) != 0 {
		t.Fatalf("properties of a new account = %v", got)
	}
	res(root.PutAccountProperties(ctx, &iam.PutAccountPropertiesInput{Properties: map[string]string{"RoleManager/Enabled": "true", "RoleManager/Mode": "audit"}})).must(t)
	res(root.PutAccountProperties(ctx, &iam.PutAccountPropertiesInput{Properties: map[string]string{"RoleManager/Mode": "enforce"}})).must(t)
	got := res(root.GetAccountProperties(ctx, &iam.GetAccountPropertiesInput{})).must(t).Properties
	if len(got) != 2 || got["RoleManager/Enabled"] != "true" || got["RoleManager/Mode"] != "enforce" {
		t.Errorf("properties = %v", got)
	}
	for name, props := range map[string]map[string]string{
		"no namespace":   {"Enabled": "true"},
		"two slashes":    {"A/B/C": "x"},
		"two namespaces": {"A/x": "1", "B/y": "2"},
		"trailing slash": {"A/": "1"},
	} {
		_, err := root.PutAccountProperties(ctx, &iam.PutAccountPropertiesInput{Properties: props})
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantErr(t, err, "InvalidInput", 400)
	}
	_, err := root.PutAccountProperties(ctx, &iam.PutAccountPropertiesInput{Properties: map[string]string{"1bad/key": "v"}})
	wantErr(t, err, "ValidationError", 400)
	_, user := userWithKey(t, s, "nosy")
	_, err = user.GetAccountProperties(ctx, &iam.GetAccountPropertiesInput{})
	wantErr(t, err, "AccessDenied", 403)
}

// TestE2ENoOrganization checks the answers of the operations that need AWS
// Organizations or a delegation partner: AWS's errors for an account in no
// organization, never a pretended success.
func TestE2ENoOrganization(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	calls := map[string]func() error{
		"ListOrganizationsFeatures": func() error {
			_, err := root.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
			return err
		},
		"EnableOrganizationsRootCredentialsManagement": func() error {
			_, err := root.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{})
			return err
		},
		"DisableOrganizationsRootCredentialsManagement": func() error {
			_, err := root.DisableOrganizationsRootCredentialsManagement(ctx, &iam.DisableOrganizationsRootCredentialsManagementInput{})
			return err
		},
		"EnableOrganizationsRootSessions": func() error {
			_, err := root.EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{})
			return err
		},
		"DisableOrganizationsRootSessions": func() error {
			_, err := root.DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{})
			return err
		},
		"GenerateOrganizationsAccessReport": func() error {
			_, err := root.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String("o-a1b2c3d4e5/r-f6g7h8i9j0example")})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantErrMessage(t, call(), "OrganizationNotFoundException", 400, "no organization is associated with your account")
		})
	}
	_, err := root.GetOrganizationsAccessReport(ctx, &iam.GetOrganizationsAccessReportInput{JobId: aws.String("examplea-1234-b567-cde8-90fg123abcd4")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String("not-a-path")})
	wantErr(t, err, "ValidationError", 400)

	// STS: root access to member accounts and delegated access tokens.
	k, user := userWithKey(t, s, "operator")
	putUserPolicy(t, root, "operator", "sts", allowDoc("sts:*"))
	userSTS := s.stsClient(*k.AccessKeyId, *k.SecretAccessKey)
	_, err = userSTS.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String("111122223333"),
		TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials")}})
	wantErrMessage(t, err, "AccessDenied", 403, "no organization")
	_, err = userSTS.GetDelegatedAccessToken(ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String("some-token")})
	wantErr(t, err, "ExpiredTradeInTokenException", 400)

	// Delegation requests and role templates that do not exist. A request
	// must name a topic of the requesting account (docs/delegation.md).
	_, err = root.CreateDelegationRequest(ctx, &iam.CreateDelegationRequestInput{Description: aws.String("d"), NotificationChannel: aws.String("arn:aws:sns:us-east-1:111122223333:t"),
		Permissions: &types.DelegationPermission{PolicyTemplateArn: aws.String("arn:aws:iam::aws:delegation-template/x")}, RequestorWorkflowId: aws.String("w"), SessionDuration: aws.Int32(3600)})
	wantErr(t, err, "InvalidInput", 400)
	list := res(root.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{})).must(t)
	if len(list.DelegationRequests) != 0 || list.IsTruncated {
		t.Errorf("ListDelegationRequests = %+v", list)
	}
	for name, call := range map[string]func() error{
		"Get": func() error {
			_, err := root.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String("dr-00000000000000000001")})
			return err
		},
		"SendDelegationToken": func() error {
			_, err := root.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String("dr-00000000000000000001")})
			return err
		},
		"AcquireRole": func() error {
			_, err := root.AcquireRole(ctx, &iam.AcquireRoleInput{TemplateArn: aws.String("arn:aws:iam::aws:role-template/x")})
			return err
		},
		"GetRoleTemplateVersion": func() error {
			_, err := root.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String("arn:aws:iam::aws:role-template/x")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, call(), "NoSuchEntity", 404) })
	}
	// The root user never accepts a delegation (docs/delegation.md), whatever the request.
	_, err = root.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String("dr-00000000000000000001")})
	wantErr(t, err, "AccessDenied", 403)
	sum := res(root.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String(userARN("/", "operator"))})).must(t)
	if sum.SummaryState != types.SummaryStateTypeNotSupported {
		t.Errorf("GetHumanReadableSummary of a user = %s", sum.SummaryState)
	}
	// Without permission, a user is refused before learning anything.
	_, err = user.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	wantErr(t, err, "AccessDenied", 403)
	// A request ID that names nothing is NoSuchEntity to anyone: requests
	// nobody has claimed are visible to every account, so the answer tells
	// nothing a permission would have hidden.
	_, err = user.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String("dr-00000000000000000001")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = user.GetRoleTemplateVersion(ctx, &iam.GetRoleTemplateVersionInput{TemplateArn: aws.String("arn:aws:iam::aws:role-template/warden/CIDeployRoleTemplate:1")})
	wantErr(t, err, "AccessDenied", 403)
}
