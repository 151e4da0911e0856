package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestE2EOperationEdges drives the small behaviours AWS clients notice, each
// as AWS answers it. (ExpiredToken's 403 is in TestE2ETemporaryCredentials,
// the skewed signature in TestE2EAuthErrors.)
func TestE2EOperationEdges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	const doc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`

	t.Run("Tags is an empty, present list in GetPolicy and GetInstanceProfile", func(t *testing.T) {
		p := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("untagged"), PolicyDocument: aws.String(doc),
			Description: aws.String("no tags here")})).must(t).Policy
		// CreatePolicy answers without the Description it stored.
		if p.Description != nil {
			t.Errorf("CreatePolicy Description = %q, want none", aws.ToString(p.Description))
		}
		got := res(root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})).must(t).Policy
		if got.Tags == nil || len(got.Tags) != 0 {
			t.Errorf("GetPolicy Tags = %#v, want an empty list", got.Tags)
		}
		if aws.ToString(got.Description) != "no tags here" {
			t.Errorf("GetPolicy Description = %q", aws.ToString(got.Description))
		}
		res(root.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("bare")})).must(t)
		ip := res(root.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("bare")})).must(t).InstanceProfile
		if ip.Tags == nil || len(ip.Tags) != 0 {
			t.Errorf("GetInstanceProfile Tags = %#v, want an empty list", ip.Tags)
		}
		// Listings leave Tags out.
		list := res(root.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})).must(t)
		for _, lp := range list.Policies {
			if lp.Tags != nil {
				t.Errorf("ListPolicies %s has Tags %#v", aws.ToString(lp.PolicyName), lp.Tags)
			}
		}
	})

	t.Run("service-linked role names", func(t *testing.T) {
		for service, want := range map[string]string{
			"ecs.application-autoscaling.amazonaws.com":      "AWSServiceRoleForApplicationAutoScaling_ECSService",
			"dynamodb.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
			"elasticmapreduce.amazonaws.com":                 "AWSServiceRoleForEMRCleanup",
			"replication.dynamodb.amazonaws.com":             "AWSServiceRoleForDynamoDBReplication",
			"ops.apigateway.amazonaws.com":                   "AWSServiceRoleForAPIGateway",
			"autoscaling.amazonaws.com":                      "AWSServiceRoleForAutoScaling",
		} {
			r := res(root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(service)})).must(t).Role
			if aws.ToString(r.RoleName) != want || aws.ToString(r.Path) != "/aws-service-role/"+service+"/" {
				t.Errorf("%s: role %s%s, want /aws-service-role/%s/%s", service, aws.ToString(r.Path), aws.ToString(r.RoleName), service, want)
			}
		}
		// Some services take a custom suffix, which joins with "_"; others refuse one.
		r := res(root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("lexv2.amazonaws.com"),
			CustomSuffix: aws.String("OrderBot")})).must(t).Role
		if aws.ToString(r.RoleName) != "AWSServiceRoleForLexV2Bots_OrderBot" {
			t.Errorf("lexv2 with suffix: %s", aws.ToString(r.RoleName))
		}
		_, err := root.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("rds.application-autoscaling.amazonaws.com"),
			CustomSuffix: aws.String("x")})
		wantErrMessage(t, err, "InvalidInput", 400, "Custom suffix is not allowed for rds.application-autoscaling.amazonaws.com")
	})

	t.Run("AddUserToGroup looks for the user first", func(t *testing.T) {
		_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("NoGroup"), UserName: aws.String("NoUser")})
		wantErrMessage(t, err, "NoSuchEntity", 404, "The user with name NoUser cannot be found.")
		createUser(t, root, "grouped")
		_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("NoGroup"), UserName: aws.String("grouped")})
		wantErrMessage(t, err, "NoSuchEntity", 404, "The group with name NoGroup cannot be found.")
	})

	t.Run("RemoveUserFromGroup of a non-member succeeds", func(t *testing.T) {
		createUser(t, root, "outsider")
		res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Club")})).must(t)
		res(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Club"), UserName: aws.String("outsider")})).must(t)
		// A missing user or group is still NoSuchEntity.
		_, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Club"), UserName: aws.String("ghost")})
		wantErr(t, err, "NoSuchEntity", 404)
	})

	key, _ := userWithKey(t, s, "edge-caller")
	putUserPolicyDoc(t, root, "edge-caller", "all", stsDoc(stsAllow("*", "sts:*", "iam:ListUsers")))
	callerSTS := func(region string) *sts.Client {
		return sts.NewFromConfig(s.config(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), ""), func(o *sts.Options) {
			o.BaseEndpoint, o.Region = aws.String(s.URL), region
		})
	}
	trust := stsDoc(stsTrust("arn:aws:iam::"+testAccount+":root", []string{"sts:AssumeRole"}, ""))

	t.Run("RoleLastUsed names the region of the AssumeRole request", func(t *testing.T) {
		arn := stsRole(t, root, "Regional", trust, "")
		res(callerSTS("eu-west-3").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("regional")})).must(t)
		r := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Regional")})).must(t).Role
		if r.RoleLastUsed == nil || r.RoleLastUsed.LastUsedDate == nil || aws.ToString(r.RoleLastUsed.Region) != "eu-west-3" {
			t.Errorf("RoleLastUsed = %+v, want a date and region eu-west-3", r.RoleLastUsed)
		}
	})

	t.Run("GetAccessKeyLastUsed reports the most recent use", func(t *testing.T) {
		caller := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
		res(caller.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		first := res(root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId})).must(t).AccessKeyLastUsed
		// Within the same minute, the key signs for STS in another region:
		// the bookkeeping may coalesce writes, but the answer is the latest use.
		res(callerSTS("ap-south-1").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		last := res(root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: key.AccessKeyId})).must(t).AccessKeyLastUsed
		if aws.ToString(last.ServiceName) != "sts" || aws.ToString(last.Region) != "ap-south-1" || last.LastUsedDate == nil ||
			first.LastUsedDate == nil || last.LastUsedDate.Before(*first.LastUsedDate) {
			t.Errorf("after iam then sts: last used %s in %s at %v (first %v)", aws.ToString(last.ServiceName), aws.ToString(last.Region),
				last.LastUsedDate, first.LastUsedDate)
		}
	})

	t.Run("trust policy with an unknown sts action", func(t *testing.T) {
		// IAM refuses an sts: action that is not one of the AssumeRole
		// family (localstack's test_iam_roles snapshot, recorded from AWS:
		// UpdateAssumeRolePolicy with sts:InvalidAction).
		bogus := stsDoc(stsTrust("arn:aws:iam::"+testAccount+":root", []string{"sts:AssumeRoleX"}, ""))
		_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Bogus"), AssumeRolePolicyDocument: aws.String(bogus)})
		wantErrMessage(t, err, "MalformedPolicyDocument", 400, "AssumeRole policy may only specify STS AssumeRole actions.")
		// A role whose trust policy names only a service: the caller may
		// not assume it.
		arn := stsRole(t, root, "ServiceOnly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, "")
		_, err = callerSTS("us-east-1").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("bogus")})
		wantDenied(t, err, assumeDenied(userARN("/", "edge-caller"), arn))
		// AWS STS appends no encoded authorization message to this denial.
		var ae smithy.APIError
		if err != nil && (!errors.As(err, &ae) || ae.ErrorMessage() != assumeDenied(userARN("/", "edge-caller"), arn)) {
			t.Errorf("AssumeRole denial message = %v, want exactly %q", err, assumeDenied(userARN("/", "edge-caller"), arn))
		}
		// A trust policy naming a non-STS action is refused.
		_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("S3Trust"),
			AssumeRolePolicyDocument: aws.String(strings.ReplaceAll(bogus, "sts:AssumeRoleX", "s3:GetObject"))})
		wantErrMessage(t, err, "MalformedPolicyDocument", 400, "AssumeRole policy may only specify STS AssumeRole actions.")
	})
}
