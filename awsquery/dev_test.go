package awsquery

import (
	"net/http"
	"testing"
)

func TestCrossSite(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    bool
	}{
		{"SDK request", nil, false},
		{"same origin", map[string]string{"Origin": "http://localhost:8080", "Sec-Fetch-Site": "same-origin"}, false},
		{"typed address", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"other site", map[string]string{"Origin": "https://evil.example"}, true},
		{"other port", map[string]string{"Origin": "http://localhost:3000"}, true},
		{"null origin", map[string]string{"Origin": "null"}, true},
		{"file origin", map[string]string{"Origin": "file://"}, true},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"garbage origin", map[string]string{"Origin": "::%%"}, true},
	} {
		r, _ := http.NewRequest(http.MethodPost, "http://localhost:8080/", nil)
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		if got := CrossSite(r); got != c.want {
			t.Errorf("%s: CrossSite = %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzCrossSite: any Origin and Sec-Fetch-Site headers get an answer, and an
// origin that is not exactly the server's own is always cross-site.
func FuzzCrossSite(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"http://localhost:8080", "same-origin"}, {"null", ""},
		{"https://evil.example", "cross-site"}, {"http://LOCALHOST:8080", ""}, {"http://localhost:8080/x", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, origin, fetchSite string) {
		r, _ := http.NewRequest(http.MethodPost, "http://localhost:8080/", nil)
		if origin != "" {
			r.Header["Origin"] = []string{origin}
		}
		if fetchSite != "" {
			r.Header["Sec-Fetch-Site"] = []string{fetchSite}
		}
		got := CrossSite(r)
		if fetchSite == "cross-site" && !got {
			t.Errorf("Sec-Fetch-Site cross-site let through")
		}
		if origin != "" && !got && !(len(origin) >= 21 && (origin[:7] == "http://" || origin[:8] == "https://")) {
			t.Errorf("origin %q let through", origin)
		}
	})
}

func TestWellFormedSignature(t *testing.T) {
	good := "3f1c5e2a9b8d7c6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29"
	for s, want := range map[string]bool{good: true, "": false, "abc": false, good[:63] + "G": false,
		good[:63] + "A": false, good + "0": false} {
		if got := wellFormedSignature(s); got != want {
			t.Errorf("wellFormedSignature(%q) = %v, want %v", s, got, want)
		}
	}
}
