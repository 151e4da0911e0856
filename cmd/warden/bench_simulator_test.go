package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// BenchmarkSimulatePage is one page of SimulateCustomPolicy over loopback,
// asked by a user holding only IAMReadOnlyAccess, walking the markers of the
// request (and starting again at the end). It reports the response bytes of
// a page and the peak RSS of the process (server and client).
func BenchmarkSimulatePage(b *testing.B) {
	for _, size := range []struct{ actions, resources int }{{1000, 1000}, {1000, 10}, {1000, 0}} {
		b.Run(fmt.Sprintf("%dx%d", size.actions, size.resources), func(b *testing.B) {
			ctx := context.Background()
			s := startServer(b, []string{"--throttle-rate", "0"}, nil)
			root := s.root()
			benchReader(b, root, "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
			key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
			if err != nil {
				b.Fatal(err)
			}
			cfg := s.config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")
			ct := &countingTransport{next: cfg.HTTPClient.(*http.Client).Transport}
			cfg.HTTPClient = &http.Client{Transport: ct}
			alice := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
			in := bigSimulation(size.actions, size.resources)
			in.MaxItems = aws.Int32(1000)
			pages := 0
			b.ReportAllocs()
			for b.Loop() {
				out, err := alice.SimulateCustomPolicy(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				pages++
				in.Marker = out.Marker
			}
			b.ReportMetric(float64(ct.total.Load())/float64(pages), "resp-B/page")
			b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
		})
	}
}

// BenchmarkSimulatePageServer is BenchmarkSimulatePage without the SDK's
// decoding of the answer: a raw signed request whose response is read and
// discarded, which is the server's own cost of a page.
func BenchmarkSimulatePageServer(b *testing.B) {
	for _, size := range []struct{ actions, resources int }{{1000, 1000}, {1000, 10}, {1000, 0}} {
		b.Run(fmt.Sprintf("%dx%d", size.actions, size.resources), func(b *testing.B) {
			s := startServer(b, []string{"--throttle-rate", "0"}, nil)
			form := url.Values{"Action": {"SimulateCustomPolicy"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}
			in := bigSimulation(size.actions, size.resources)
			form.Set("PolicyInputList.member.1", in.PolicyInputList[0])
			for i, a := range in.ActionNames {
				form.Set("ActionNames.member."+strconv.Itoa(i+1), a)
			}
			for i, r := range in.ResourceArns {
				form.Set("ResourceArns.member."+strconv.Itoa(i+1), r)
			}
			var total int64
			pages := 0
			b.ReportAllocs()
			for b.Loop() {
				out := rawSimulate(b, s, form)
				total += int64(len(out))
				pages++
				form.Del("Marker")
				if _, rest, ok := strings.Cut(string(out), "<Marker>"); ok {
					m, _, _ := strings.Cut(rest, "</Marker>")
					form.Set("Marker", m)
				}
			}
			b.ReportMetric(float64(total)/float64(pages), "resp-B/page")
			b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
		})
	}
}

// rawSimulate sends form signed by root and returns the response body; the
// status must be 200.
func rawSimulate(b *testing.B, s *server, form url.Values) string {
	b.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %v: %.300s", resp.StatusCode, err, out)
	}
	return string(out)
}

// BenchmarkSimulateWorstPage is the costliest page a request can ask for:
// 1,000 pairs evaluated against as many policy statements as a 1 MiB
// request body holds, none of which matches (so every one is tried).
func BenchmarkSimulateWorstPage(b *testing.B) {
	s := startServer(b, []string{"--throttle-rate", "0"}, nil)
	form := url.Values{"Action": {"SimulateCustomPolicy"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}
	for i := range 1000 {
		form.Set("ActionNames.member."+strconv.Itoa(i+1), fmt.Sprintf("s3:Op%04d", i))
	}
	form.Set("ResourceArns.member.1", "arn:aws:s3:::bucket/key")
	statements := 0
	for doc := 1; ; doc++ {
		var sb strings.Builder
		sb.WriteString(`{"Version":"2012-10-17","Statement":[`)
		for first := true; sb.Len() < 120_000; first = false {
			if !first {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"Effect":"Allow","Action":"s3:Get%d*","Resource":"arn:aws:s3:::b%d/*"}`, statements, statements)
			statements++
		}
		sb.WriteString("]}")
		form.Set("PolicyInputList.member."+strconv.Itoa(doc), sb.String())
		if len(form.Encode()) > 1<<20 {
			form.Del("PolicyInputList.member." + strconv.Itoa(doc))
			statements -= strings.Count(sb.String(), `"Effect"`)
			break
		}
	}
	b.Logf("%d statements in a %d-byte request", statements, len(form.Encode()))
	var total int64
	b.ReportAllocs()
	for b.Loop() {
		total += int64(len(rawSimulate(b, s, form)))
	}
	b.ReportMetric(float64(statements), "statements")
	b.ReportMetric(float64(total)/float64(b.N), "resp-B/page")
	b.ReportMetric(float64(peakRSS())/1e6, "peakRSS-MB")
}
