package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// advisorJob runs GenerateServiceLastAccessedDetails and returns the report.
func advisorJob(t *testing.T, c *iam.Client, arn string, g types.AccessAdvisorUsageGranularityType) (string, map[string]types.ServiceLastAccessed) {
	t.Helper()
	ctx := context.Background()
	job := res(c.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn), Granularity: g})).must(t)
	out := res(c.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})).must(t)
	if out.JobStatus != types.JobStatusTypeCompleted || out.JobCreationDate == nil || out.JobCompletionDate == nil {
		t.Fatalf("job %s: status %s", arn, out.JobStatus)
	}
	if g != "" && out.JobType != g {
		t.Errorf("JobType = %s, want %s", out.JobType, g)
	}
	byNS := map[string]types.ServiceLastAccessed{}
	for _, s := range out.ServicesLastAccessed {
		byNS[aws.ToString(s.ServiceNamespace)] = s
	}
	return aws.ToString(job.JobId), byNS
}

// TestE2EAccessAdvisor uses services as a user (through its own and its
// group's policies) and as a role, then checks the access advisor's reports
// of the user, the group, the role and a managed policy.
func TestE2EAccessAdvisor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	adaKey, ada := userWithKey(t, s, "ada")
	createUser(t, root, "bo")
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})).must(t)
	for _, u := range []string{"ada", "bo"} {
		res(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String(u)})).must(t)
	}
	res(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("get"),
		PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:GetUser")))})).must(t)
	putUserPolicyDoc(t, root, "ada", "own", stsDoc(stsAllow("*", "iam:ListUsers", "sts:AssumeRole", "s3:GetObject")))
	pol := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ro"),
		PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:ListRoles")))})).must(t).Policy
	roleARN := stsRole(t, root, "reader", stsDoc(stsTrust(userARN("/", "ada"), []string{"sts:AssumeRole"}, "")), "")
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: pol.Arn})).must(t)

	res(ada.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ada")})).must(t)
	res(ada.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	creds := res(s.stsClient(*adaKey.AccessKeyId, *adaKey.SecretAccessKey).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("adv")})).must(t).Credentials
	res(s.iamAs(creds).ListRoles(ctx, &iam.ListRolesInput{})).must(t)

	t.Run("user", func(t *testing.T) {
		_, svcs := advisorJob(t, root, userARN("/", "ada"), types.AccessAdvisorUsageGranularityTypeActionLevel)
		for _, ns := range []string{"iam", "sts"} {
			svc, ok := svcs[ns]
			if !ok || svc.LastAuthenticated == nil || aws.ToString(svc.LastAuthenticatedEntity) != userARN("/", "ada") ||
				aws.ToInt32(svc.TotalAuthenticatedEntities) != 1 || aws.ToString(svc.LastAuthenticatedRegion) != "us-east-1" {
				t.Errorf("%s: %+v", ns, svc)
			}
		}
		s3, ok := svcs["s3"]
		if !ok || s3.LastAuthenticated != nil || aws.ToString(s3.ServiceName) == "" || s3.TrackedActionsLastAccessed == nil {
			t.Errorf("s3 (granted, not used): %+v", s3)
		}
		if _, ok := svcs["ec2"]; ok {
			t.Error("ec2 is listed though no policy grants it")
		}
		var actions []string
		for _, a := range svcs["iam"].TrackedActionsLastAccessed {
			if a.LastAccessedTime == nil || aws.ToString(a.LastAccessedEntity) != userARN("/", "ada") {
				t.Errorf("tracked action %+v", a)
			}
			actions = append(actions, aws.ToString(a.ActionName))
		}
		if len(actions) != 2 || actions[0] != "GetUser" || actions[1] != "ListUsers" {
			t.Errorf("tracked IAM actions = %v, want GetUser and ListUsers (ListRoles was the role's)", actions)
		}
	})
	t.Run("service level has no actions", func(t *testing.T) {
		_, svcs := advisorJob(t, root, userARN("/", "ada"), "")
		if svcs["iam"].TrackedActionsLastAccessed != nil {
			t.Errorf("SERVICE_LEVEL report has tracked actions: %+v", svcs["iam"].TrackedActionsLastAccessed)
		}
	})
	t.Run("group counts use through its policies", func(t *testing.T) {
		job, svcs := advisorJob(t, root, "arn:aws:iam::"+testAccount+":group/devs", types.AccessAdvisorUsageGranularityTypeServiceLevel)
		if svc := svcs["iam"]; svc.LastAuthenticated == nil || aws.ToInt32(svc.TotalAuthenticatedEntities) != 1 {
			t.Errorf("iam: %+v", svc)
		}
		if _, ok := svcs["sts"]; ok {
			t.Error("sts is listed for the group, whose policies do not grant it")
		}
		ents := res(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{
			JobId: aws.String(job), ServiceNamespace: aws.String("iam")})).must(t)
		got := map[string]bool{}
		for _, e := range ents.EntityDetailsList {
			got[aws.ToString(e.EntityInfo.Name)] = e.LastAuthenticated != nil
			if e.EntityInfo.Type != types.PolicyOwnerEntityTypeUser || aws.ToString(e.EntityInfo.Id) == "" {
				t.Errorf("entity %+v", e.EntityInfo)
			}
		}
		if len(got) != 2 || !got["ada"] || got["bo"] {
			t.Errorf("entities used iam: %v, want ada yes, bo no", got)
		}
	})
	t.Run("role and policy", func(t *testing.T) {
		_, svcs := advisorJob(t, root, roleARN, "")
		if svc := svcs["iam"]; svc.LastAuthenticated == nil || aws.ToString(svc.LastAuthenticatedEntity) != roleARN {
			t.Errorf("role iam: %+v", svc)
		}
		job, svcs := advisorJob(t, root, aws.ToString(pol.Arn), "")
		if svc := svcs["iam"]; svc.LastAuthenticated == nil || aws.ToString(svc.LastAuthenticatedEntity) != roleARN {
			t.Errorf("policy iam: %+v", svc)
		}
		ents := res(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iam.GetServiceLastAccessedDetailsWithEntitiesInput{
			JobId: aws.String(job), ServiceNamespace: aws.String("iam")})).must(t)
		if len(ents.EntityDetailsList) != 1 || ents.EntityDetailsList[0].EntityInfo.Type != types.PolicyOwnerEntityTypeRole ||
			ents.EntityDetailsList[0].LastAuthenticated == nil {
			t.Errorf("policy entities: %+v", ents.EntityDetailsList)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := root.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String("00000000-0000-4000-8000-000000000000")})
		wantErr(t, err, "NoSuchEntity", 404)
		_, err = root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + testAccount + ":thing/x")})
		wantErr(t, err, "InvalidInput", 400)
		_, err = root.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN("/", "nobody"))})
		wantErr(t, err, "NoSuchEntity", 404)
		_, err = ada.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(userARN("/", "ada"))})
		wantErr(t, err, "AccessDenied", 403)
	})
}
