package warden_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/warden-iam/warden"

// deps returns the project packages pkg depends on, directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var ours []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module) && p != module+pkg {
			ours = append(ours, strings.TrimPrefix(p, module))
		}
	}
	return ours
}

// TestRoomsStayHonest enforces the dependency rules of docs/architecture.md
// and DESIGN.md.
func TestRoomsStayHonest(t *testing.T) {
	// The pure rooms import no project package; policy may use arn, itself
	// a pure leaf.
	pure := map[string][]string{"": nil, "/arn": nil, "/sigv4": nil, "/policy": {"/arn"}, "/totp": nil,
		"/servicedata": {"/arn"}, "/validate": {"/arn", "/policy", "/servicedata"}}
	for pkg, allowed := range pure {
		if pkg == "/totp" {
			if err := exec.Command("go", "list", module+pkg).Run(); err != nil {
				continue // not written yet
			}
		}
		for _, d := range deps(t, pkg) {
			ok := false
			for _, a := range allowed {
				ok = ok || d == a
			}
			if !ok {
				t.Errorf("%q must not import %q", module+pkg, d)
			}
		}
	}
	// Operations never reach a front end or a store; only cmd/ picks stores.
	for _, pkg := range []string{"/iam", "/sts", "/authz", "/awsquery", "/trail", "/advisor", "/cloudtrail"} {
		for _, d := range deps(t, pkg) {
			switch d {
			case "/sqlite", "/postgres", "/console":
				t.Errorf("%s must not import %s", pkg, d)
			case "/awsquery", "/cloudtrail":
				if pkg != d {
					t.Errorf("%s must not import the front end %s", pkg, d)
				}
			}
		}
	}
}
