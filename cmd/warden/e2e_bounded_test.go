package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// countingTransport counts the response bytes it reads, and keeps the
// largest response seen.
type countingTransport struct {
	next    http.RoundTripper
	total   atomic.Int64
	largest atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	n := int64(len(body))
	c.total.Add(n)
	for {
		cur := c.largest.Load()
		if n <= cur || c.largest.CompareAndSwap(cur, n) {
			break
		}
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp, nil
}

// readOnlyUser creates a user holding only IAMReadOnlyAccess and returns an
// IAM client signing as it, whose response bytes ct counts.
func readOnlyUser(t *testing.T, s *server, name string, ct *countingTransport) *iam.Client {
	t.Helper()
	ctx := context.Background()
	key, _ := userWithKey(t, s, name)
	res(s.root().AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})).must(t)
	cfg := s.config(*key.AccessKeyId, *key.SecretAccessKey, "")
	ct.next = cfg.HTTPClient.(*http.Client).Transport
	cfg.HTTPClient = &http.Client{Timeout: cfg.HTTPClient.(*http.Client).Timeout, Transport: ct}
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// bigSimulation is the request of issue 10: 1,000 actions × 1,000 resources.
func bigSimulation(nActions, nResources int) *iam.SimulateCustomPolicyInput {
	in := &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"},
{"Effect":"Deny","Action":"s3:Op0007","Resource":"arn:aws:s3:::bucket/key000*"}]}`}}
	for i := range nActions {
		in.ActionNames = append(in.ActionNames, fmt.Sprintf("s3:Op%04d", i))
	}
	for i := range nResources {
		in.ResourceArns = append(in.ResourceArns, fmt.Sprintf("arn:aws:s3:::bucket/key%04d", i))
	}
	return in
}

// peakRSS is the process's peak resident set (VmHWM), in bytes; 0 when
// /proc does not tell.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// TestE2ESimulatorBoundedPage drives the request that once took gigabytes
// (1,000 actions × 1,000 resources from a user holding only
// IAMReadOnlyAccess) and checks that each answer is one bounded page, that
// markers walk the actions in order, and that forged or foreign markers and
// requests over the hard bound get AWS's ValidationError.
func TestE2ESimulatorBoundedPage(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, []string{"--throttle-rate", "0"}, nil)
	ct := &countingTransport{}
	c := readOnlyUser(t, s, "auditor", ct)

	in := bigSimulation(1000, 1000)
	var actions []string
	const pages = 5
	for page := 1; page <= pages; page++ {
		before := ct.total.Load()
		out := res(c.SimulateCustomPolicy(ctx, in)).must(t)
		bytes := ct.total.Load() - before
		if !out.IsTruncated || out.Marker == nil || len(*out.Marker) > 320 {
			t.Fatalf("page %d: truncated %v, marker %v", page, out.IsTruncated, out.Marker)
		}
		if len(out.EvaluationResults) != 1 {
			t.Fatalf("page %d: %d results, want 1 (1,000 resources fill the pair budget)", page, len(out.EvaluationResults))
		}
		r := out.EvaluationResults[0]
		if len(r.ResourceSpecificResults) != 1000 {
			t.Fatalf("page %d: %d resource results", page, len(r.ResourceSpecificResults))
		}
		if bytes > 1<<20 {
			t.Errorf("page %d: %d response bytes, bound 1 MiB", page, bytes)
		}
		actions = append(actions, *r.EvalActionName)
		t.Logf("page %d: %s, %d response bytes", page, *r.EvalActionName, bytes)
		in.Marker = out.Marker
	}
	if strings.Join(actions, ",") != "s3:Op0000,s3:Op0001,s3:Op0002,s3:Op0003,s3:Op0004" {
		t.Errorf("pages walked %v", actions)
	}
	t.Logf("peak RSS of the test process (server and client): %.1f MB; largest response %d bytes",
		float64(peakRSS())/1e6, ct.largest.Load())

	// SimulatePrincipalPolicy pages the same way.
	big := bigSimulation(1000, 1000)
	pin := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN("/", "auditor")),
		ActionNames: big.ActionNames, ResourceArns: big.ResourceArns, MaxItems: aws.Int32(1000)}
	for page := 1; page <= 2; page++ {
		out := res(c.SimulatePrincipalPolicy(ctx, pin)).must(t)
		if len(out.EvaluationResults) != 1 || !out.IsTruncated || len(out.EvaluationResults[0].ResourceSpecificResults) != 1000 ||
			*out.EvaluationResults[0].EvalActionName != fmt.Sprintf("s3:Op%04d", page-1) {
			t.Fatalf("SimulatePrincipalPolicy page %d: %d results, truncated %v", page, len(out.EvaluationResults), out.IsTruncated)
		}
		pin.Marker = out.Marker
	}

	// A larger MaxItems does not enlarge the page; fewer resources let more
	// actions share it.
	small := bigSimulation(1000, 10)
	small.MaxItems = aws.Int32(1000)
	out := res(c.SimulateCustomPolicy(ctx, small)).must(t)
	if len(out.EvaluationResults) != 100 || !out.IsTruncated {
		t.Errorf("10 resources, MaxItems 1000: %d results (want 100 = 1,000 pairs), truncated %v", len(out.EvaluationResults), out.IsTruncated)
	}
	small.MaxItems = aws.Int32(7)
	if out := res(c.SimulateCustomPolicy(ctx, small)).must(t); len(out.EvaluationResults) != 7 {
		t.Errorf("MaxItems 7: %d results", len(out.EvaluationResults))
	}

	// A marker is bound to its request: another request's marker, a forged
	// one and garbage are refused.
	small.MaxItems, small.Marker = nil, in.Marker
	_, err := c.SimulateCustomPolicy(ctx, small)
	wantErrMessage(t, err, "ValidationError", 400, "Invalid Marker.")
	for _, m := range []string{"AAAA", "not base64!", "czEAAAAAAAAAAAAAAAAA", strings.Repeat("A", 320)} {
		big := bigSimulation(3, 3)
		big.Marker = aws.String(m)
		_, err := c.SimulateCustomPolicy(ctx, big)
		wantErrMessage(t, err, "ValidationError", 400, "Invalid Marker.")
	}

	// Over the hard bound: AWS's ValidationError, before any work.
	_, err = c.SimulateCustomPolicy(ctx, bigSimulation(1, 1001))
	wantErrMessage(t, err, "ValidationError", 400, "Member must have length less than or equal to 1000")
	_, err = c.SimulateCustomPolicy(ctx, bigSimulation(1001, 1))
	wantErrMessage(t, err, "ValidationError", 400, "Member must have length less than or equal to 1000")
}

// TestE2EThrottling: expensive operations are rate-limited per principal
// with AWS's Throttling error; other operations and other principals go on.
func TestE2EThrottling(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, []string{"--throttle-rate", "0.001", "--throttle-burst", "2"}, nil)
	ct := &countingTransport{}
	c := readOnlyUser(t, s, "auditor", ct)
	in := bigSimulation(2, 2)
	for i := range 2 {
		res(c.SimulateCustomPolicy(ctx, in)).must(t)
		_ = i
	}
	_, err := c.SimulateCustomPolicy(ctx, in)
	wantErrMessage(t, err, "Throttling", 400, "Rate exceeded")
	_, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantErrMessage(t, err, "Throttling", 400, "Rate exceeded")
	// Cheap operations are not limited.
	res(c.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	// Another principal has its own bucket.
	other := readOnlyUser(t, s, "other", &countingTransport{})
	res(other.SimulateCustomPolicy(ctx, in)).must(t)
	// Root too is limited, by its own bucket.
	for range 2 {
		res(s.root().GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})).must(t)
	}
	_, err = s.root().GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantErr(t, err, "Throttling", 400)
}
