package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The benchmarks behind docs/limits.md: the costliest request of each
// operation class, with the response bytes and the process's peak RSS.

// BenchmarkLimitLargestBody is a 1 MiB request (the body bound) of ~9,000
// parameters (Go's net/url refuses more than 10,000 with an error, answered
// MalformedQueryString): what reading, verifying and decoding alone cost.
func BenchmarkLimitLargestBody(b *testing.B) {
	s := startServer(b, nil, nil)
	form := url.Values{"Action": {"GetContextKeysForCustomPolicy"}, "Version": {"2010-05-08"}}
	form.Set("PolicyInputList.member.1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"x"}}}]}`)
	size := len(form.Encode())
	for i := 0; size < 1<<20-256; i++ {
		k := "Junk" + strconv.Itoa(i)
		form.Set(k, strings.Repeat("j", 110))
		size += len(k) + 112
	}
	b.ReportAllocs()
	for b.Loop() {
		rawSimulate(b, s, form)
	}
	b.ReportMetric(float64(len(form.Encode())), "req-B")
	b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
}

// BenchmarkLimitSimulatePageParallel is 16 clients asking for 1,000-pair
// pages at once (the rate limit off): the memory of concurrent pages.
func BenchmarkLimitSimulatePageParallel(b *testing.B) {
	s := startServer(b, []string{"--throttle-rate", "0"}, nil)
	form := url.Values{"Action": {"SimulateCustomPolicy"}, "Version": {"2010-05-08"}}
	in := bigSimulation(1000, 1000)
	form.Set("PolicyInputList.member.1", in.PolicyInputList[0])
	for i, a := range in.ActionNames {
		form.Set("ActionNames.member."+strconv.Itoa(i+1), a)
	}
	for i, r := range in.ResourceArns {
		form.Set("ResourceArns.member."+strconv.Itoa(i+1), r)
	}
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rawSimulate(b, s, form)
		}
	})
	b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
}

// BenchmarkLimitFullAccountPages is a page of ListUsers and of
// GetAccountAuthorizationDetails (MaxItems 1000, the most) in an account
// holding the 5,000 users of its quota, each with an inline policy: list
// operations read the whole account's entities of a kind for every page.
func BenchmarkLimitFullAccountPages(b *testing.B) {
	ctx := context.Background()
	s := startServer(b, []string{"--throttle-rate", "0"}, nil)
	root := s.root()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 5000; i += 4 {
				name := fmt.Sprintf("user%04d", i)
				if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
					errs <- err
					return
				}
				if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
					PolicyDocument: aws.String(allowDoc("s3:GetObject"))}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	for _, op := range []struct {
		name string
		form url.Values
	}{
		{"ListUsers", url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}},
		{"GetAccountAuthorizationDetails", url.Values{"Action": {"GetAccountAuthorizationDetails"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}},
	} {
		b.Run(op.name, func(b *testing.B) {
			var total int64
			b.ReportAllocs()
			for b.Loop() {
				total += int64(len(rawSimulate(b, s, op.form)))
			}
			b.ReportMetric(float64(total)/float64(b.N), "resp-B/page")
			b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
		})
	}
}
