package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// curlRequest is what curl 7.88.1 (Debian 12) sent for
//
//	curl --aws-sigv4 aws:amz:us-east-1:sns --user AKIAIOSFODNN7EXAMPLE:$testSecret \
//	  "http://127.0.0.1:18932/warden/delegation-notices?TopicArn=arn:aws:sns:us-east-1:210987654321:onboarding"
//
// captured by a listener on 2026-12-04. Its query value holds unencoded
// colons, which the URI-encoding of the canonical query string turns into
// %3A ("URI-encode each parameter name and value", AWS's "Create a
// canonical request").
const curlRequest = "GET /warden/delegation-notices?TopicArn=arn:aws:sns:us-east-1:210987654321:onboarding HTTP/1.1\r\n" +
	"Host: 127.0.0.1:18932\r\n" +
	"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261204/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=1549b008b03698264fcec3214d44ee14f3270fbd29aef32405df602acda7c656\r\n" +
	"X-Amz-Date: 20261204T201602Z\r\n" +
	"User-Agent: curl/7.88.1\r\n" +
	"Accept: */*\r\n\r\n"

// signCanonical is the SigV4 signature of a canonical request given whole,
// written out independently of the package's canonicalizer.
func signCanonical(canonical, amzDate, region, service, secret string) string {
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	sum := sha256.Sum256([]byte(canonical))
	scope := amzDate[:8] + "/" + region + "/" + service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := mac([]byte("AWS4"+secret), amzDate[:8])
	key = mac(key, region)
	key = mac(key, service)
	key = mac(key, "aws4_request")
	return hex.EncodeToString(mac(key, toSign))
}

// curl 7.88.1 signs the query as typed; the canonical form SigV4 defines
// (and Warden and the AWS SDKs compute) encodes the colons, so its
// signature does not match. Typing the query already encoded, with
// upper-case hex, makes the two the same (docs/delegation.md).
func TestCurlSignsTheQueryAsTyped(t *testing.T) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(curlRequest)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	const headers = "host:127.0.0.1:18932\nx-amz-date:20261204T201602Z\n\nhost;x-amz-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // SHA-256 of the empty body
	asTyped := "GET\n/warden/delegation-notices\nTopicArn=arn:aws:sns:us-east-1:210987654321:onboarding\n" + headers
	canonical := "GET\n/warden/delegation-notices\nTopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A210987654321%3Aonboarding\n" + headers
	if got := signCanonical(asTyped, "20261204T201602Z", "us-east-1", "sns", testSecret); got != s.Signature {
		t.Fatalf("curl's signature is not over the query as typed: %s vs %s", got, s.Signature)
	}
	wantCode(t, s.Verify(r, nil, testSecret, nil), CodeSignatureDoesNotMatch)

	// The same request signed over the canonical query verifies, whether
	// the query on the wire is encoded or not.
	for _, raw := range []string{"TopicArn=arn:aws:sns:us-east-1:210987654321:onboarding", "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A210987654321%3Aonboarding",
		"TopicArn=arn%3aaws%3asns%3aus-east-1%3a210987654321%3aonboarding"} {
		c := *s
		c.Signature = signCanonical(canonical, "20261204T201602Z", "us-east-1", "sns", testSecret)
		r.URL.RawQuery = raw
		if err := c.Verify(r, nil, testSecret, nil); err != nil {
			t.Errorf("canonical signature with the query %s on the wire: %v", raw, err)
		}
	}
	if Sign(r, nil, "AKIAIOSFODNN7EXAMPLE", testSecret, "", "us-east-1", "sns", time.Date(2026, 12, 4, 20, 16, 2, 0, time.UTC)) != nil ||
		!strings.HasSuffix(r.Header.Get("Authorization"), "Signature="+signCanonical(canonical, "20261204T201602Z", "us-east-1", "sns", testSecret)) {
		t.Errorf("Sign disagrees with the canonical form: %s", r.Header.Get("Authorization"))
	}
}
