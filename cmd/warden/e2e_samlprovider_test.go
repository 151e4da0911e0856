package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/warden-iam/warden/saml/samltest"
)

func TestE2ESAMLProviders(t *testing.T) {
	s := startServer(t, nil, nil)
	c := s.root()
	ctx := context.Background()
	idp := samltest.New(t, "https://idp.example.com/metadata")
	until := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)

	out := res(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"),
		SAMLMetadataDocument: aws.String(idp.Metadata(until)), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("it")}}})).must(t)
	arn := "arn:aws:iam::" + testAccount + ":saml-provider/Corp"
	if aws.ToString(out.SAMLProviderArn) != arn {
		t.Fatalf("ARN = %s, want %s", aws.ToString(out.SAMLProviderArn), arn)
	}
	_, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(idp.Metadata(until))})
	wantErr(t, err, "EntityAlreadyExists", 409)
	expired := idp.Metadata(time.Now().Add(-time.Hour))
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Old"), SAMLMetadataDocument: aws.String(expired)})
	wantErr(t, err, "InvalidInput", 400)
	noCert := strings.Replace(idp.Metadata(until), `use="signing"`, `use="encryption"`, 1)
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("NoCert"), SAMLMetadataDocument: aws.String(noCert)})
	wantErr(t, err, "InvalidInput", 400)
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Short"), SAMLMetadataDocument: aws.String("<x/>")})
	wantErr(t, err, "ValidationError", 400)

	got := res(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})).must(t)
	if aws.ToString(got.SAMLMetadataDocument) != idp.Metadata(until) || got.ValidUntil == nil || !got.ValidUntil.Equal(until) ||
		aws.ToString(got.SAMLProviderUUID) == "" || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Errorf("GetSAMLProvider = %+v", got)
	}

	// Update with metadata without validUntil: valid for a hundred years.
	other := samltest.New(t, "https://idp.example.com/metadata")
	upd := res(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(other.Metadata(time.Time{}))})).must(t)
	if aws.ToString(upd.SAMLProviderArn) != arn {
		t.Errorf("UpdateSAMLProvider ARN = %s", aws.ToString(upd.SAMLProviderArn))
	}
	list := res(c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})).must(t)
	if len(list.SAMLProviderList) != 1 || aws.ToString(list.SAMLProviderList[0].Arn) != arn ||
		list.SAMLProviderList[0].ValidUntil.Before(time.Now().AddDate(99, 0, 0)) {
		t.Errorf("ListSAMLProviders = %+v", list.SAMLProviderList)
	}

	res(c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})).must(t)
	res(c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: aws.String(arn), TagKeys: []string{"owner"}})).must(t)
	tags := res(c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(arn)})).must(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	missing := "arn:aws:iam::" + testAccount + ":saml-provider/Nobody"
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(missing)})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::123456789012:user/alice")})
	wantErr(t, err, "InvalidInput", 400)

	summary := res(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).must(t)
	if summary.SummaryMap["Providers"] != 1 {
		t.Errorf("summary Providers = %d, want 1", summary.SummaryMap["Providers"])
	}
	res(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})).must(t)
	_, err = c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
}
