package sigv4_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/warden-iam/warden/sigv4"
)

var benchBody = []byte("Action=ListUsers&Version=2010-05-08&PathPrefix=%2F&MaxItems=100")

// benchRequest is an IAM Query-protocol POST signed by the AWS SDK, as Go's
// server hands it to a handler: Host in r.Host, Content-Length in the header.
func benchRequest(b *testing.B) (*http.Request, *sigv4.Signature) {
	b.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/", strings.NewReader(string(benchBody)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Amz-Sdk-Invocation-Id", "8a5b2d2c-9a1f-4a3e-9a0e-2f1b5c6d7e8f")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/iam#1.65.0")
	creds := aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, bodyHash(benchBody), "iam", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Length", "63")
	s, err := sigv4.Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Verify(r, benchBody, sdkSecret, nil); err != nil {
		b.Fatal(err)
	}
	return r, s
}

func BenchmarkVerify(b *testing.B) {
	r, s := benchRequest(b)
	cache := sigv4.NewKeyCache(1024)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Verify(r, benchBody, sdkSecret, cache); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyColdKey(b *testing.B) {
	r, s := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Verify(r, benchBody, sdkSecret, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	r, s := benchRequest(b)
	cache := sigv4.NewKeyCache(1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Verify(r, benchBody, sdkSecret, cache); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	r, _ := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sigv4.Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "https://sts.example.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	u, err := sigv4.Presign(r, sdkKeyID, sdkSecret, "", "us-east-1", "sts", time.Now(), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	r = httptest.NewRequest(http.MethodGet, u, nil)
	s, err := sigv4.Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	cache := sigv4.NewKeyCache(1024)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Verify(r, nil, sdkSecret, cache); err != nil {
			b.Fatal(err)
		}
	}
}
