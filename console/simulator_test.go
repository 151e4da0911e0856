package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSimulatorPage(t *testing.T) {
	s := newStack(t, Config{})
	s.user("reader", "", `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)
	b := s.signedIn()
	page := b.get("/console/simulator")
	if !strings.Contains(page.body, "User: reader") {
		t.Fatalf("the simulator does not offer the user: %s", excerpt(page.body))
	}
	q := url.Values{"source": {"arn:aws:iam::" + testAccount + ":user/reader"}, "actions": {"iam:ListUsers\niam:CreateUser"}}
	page = b.get("/console/simulator?" + q.Encode())
	if page.status != http.StatusOK {
		t.Fatalf("simulation: %d %s", page.status, excerpt(page.body))
	}
	res := page.body[strings.Index(page.body, `id="results"`):]
	list, create := strings.Index(res, "iam:ListUsers"), strings.Index(res, "iam:CreateUser")
	if list < 0 || create < 0 || !strings.Contains(res[list:create], "allowed") || !strings.Contains(res[create:], "implicitDeny") ||
		!strings.Contains(res, "line") {
		t.Errorf("results: %s", res)
	}
	q.Set("source", "arn:aws:iam::"+testAccount+":user/nobody")
	if page = b.get("/console/simulator?" + q.Encode()); page.status == http.StatusOK {
		t.Errorf("an unknown principal simulated: %d", page.status)
	}
}
