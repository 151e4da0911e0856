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
	// a pure leaf; throttle only the root's domain types.
	pure := map[string][]string{"": nil, "/arn": nil, "/sigv4": nil, "/policy": {"/arn"}, "/totp": nil,
		"/servicedata": {"/arn"}, "/throttle": {""}, "/validate": {"/arn", "/policy", "/servicedata"}}
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
	// Operations never reach a front end or a store; only cmd/ and the
	// assembly rooms (server, wardentest) pick stores.
	for _, pkg := range []string{"/iam", "/sts", "/authz", "/awsquery", "/trail", "/advisor", "/cloudtrail"} {
		for _, d := range deps(t, pkg) {
			switch d {
			case "/sqlite", "/postgres", "/console", "/server", "/wardentest":
				t.Errorf("%s must not import %s", pkg, d)
			case "/awsquery", "/cloudtrail":
				if pkg != d {
					t.Errorf("%s must not import the front end %s", pkg, d)
				}
			}
		}
	}
}

// TestOnlyAssemblyPicksStores: of the project's packages only cmd/warden,
// server (which assembles a Warden) and wardentest (which runs one in tests)
// import a store; nothing but cmd/warden and wardentest imports server.
func TestOnlyAssemblyPicksStores(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	mayStore := map[string]bool{"/cmd/warden": true, "/server": true, "/wardentest": true}
	mayServer := map[string]bool{"/cmd/warden": true, "/wardentest": true}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		for _, imp := range f[1:] {
			switch strings.TrimPrefix(imp, module) {
			case "/sqlite", "/postgres":
				if !mayStore[pkg] {
					t.Errorf("%s must not import the store %s", pkg, imp)
				}
			case "/server":
				if !mayServer[pkg] {
					t.Errorf("%s must not import %s", pkg, imp)
				}
			}
		}
	}
}
