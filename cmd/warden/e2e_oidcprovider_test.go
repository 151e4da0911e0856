package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestE2EOIDCProviders(t *testing.T) {
	s := startServer(t, nil, nil)
	c := s.root()
	ctx := context.Background()
	const tp = "6938fd4d98bab03faadb97b34396831e3780aea1"

	created := res(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://Token.Actions.GithubUserContent.com/"),
		ClientIDList:   []string{"sts.amazonaws.com"},
		ThumbprintList: []string{tp},
		Tags:           []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("ci")}},
	})).must(t)
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/token.actions.githubusercontent.com"
	if aws.ToString(created.OpenIDConnectProviderArn) != arn {
		t.Fatalf("ARN = %s, want %s", aws.ToString(created.OpenIDConnectProviderArn), arn)
	}
	if len(created.Tags) != 1 {
		t.Errorf("create answered tags %v", created.Tags)
	}

	_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com")})
	wantErr(t, err, "EntityAlreadyExists", 409)
	for _, bad := range []string{"http://example.com", "https://example.com?a=b", "https://example.com#x", "example.com"} {
		_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(bad)})
		wantErr(t, err, "InvalidInput", 400)
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com"), ThumbprintList: []string{"short"}})
	wantErr(t, err, "ValidationError", 400)

	// Without thumbprints and with a port and a path, as the current model allows.
	k8s := res(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://127.0.0.1:6443/clusters/a")})).must(t)
	if want := "arn:aws:iam::" + testAccount + ":oidc-provider/127.0.0.1:6443/clusters/a"; aws.ToString(k8s.OpenIDConnectProviderArn) != want {
		t.Errorf("ARN = %s, want %s", aws.ToString(k8s.OpenIDConnectProviderArn), want)
	}

	got := res(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})).must(t)
	if aws.ToString(got.Url) != "token.actions.githubusercontent.com" || !slices.Equal(got.ClientIDList, []string{"sts.amazonaws.com"}) ||
		!slices.Equal(got.ThumbprintList, []string{tp}) || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Errorf("GetOpenIDConnectProvider = %+v", got)
	}

	list := res(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})).must(t)
	if len(list.OpenIDConnectProviderList) != 2 {
		t.Errorf("listed %d providers, want 2", len(list.OpenIDConnectProviderList))
	}

	// Client IDs: adding twice keeps one; removing an absent one succeeds.
	for range 2 {
		res(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("app-2")})).must(t)
	}
	res(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")})).must(t)
	res(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("never")})).must(t)
	got = res(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})).must(t)
	if !slices.Equal(got.ClientIDList, []string{"app-2"}) {
		t.Errorf("client IDs = %v, want [app-2]", got.ClientIDList)
	}
	for i := range 99 {
		res(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(fmt.Sprint("id-", i))})).must(t)
	}
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("one-too-many")})
	wantErr(t, err, "LimitExceeded", 409)

	// Thumbprints: replaced, at most five.
	tps := []string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
	res(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: tps})).must(t)
	got = res(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})).must(t)
	if !slices.Equal(got.ThumbprintList, tps) {
		t.Errorf("thumbprints = %v, want %v", got.ThumbprintList, tps)
	}
	six := []string{}
	for _, ch := range "abcdef" {
		six = append(six, fmt.Sprintf("%040s", string(ch)))
	}
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: six})
	wantErr(t, err, "LimitExceeded", 409)

	// Tags.
	res(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})).must(t)
	res(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"team"}})).must(t)
	tags := res(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})).must(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v, want env only", tags.Tags)
	}

	// Missing and malformed ARNs.
	missing := "arn:aws:iam::" + testAccount + ":oidc-provider/nobody.example.com"
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(missing)})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::123456789012:role/x-not-oidc")})
	wantErr(t, err, "InvalidInput", 400)

	// A user without permissions is refused; with them, acts.
	res(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")})).must(t)
	key := res(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})).must(t).AccessKey
	dev := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	_, err = dev.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	wantErr(t, err, "AccessDenied", 403)
	_, err = dev.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantErr(t, err, "AccessDenied", 403)

	res(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})).must(t)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
}
