package console

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestPagesAreCompressed(t *testing.T) {
	s := newStack(t, Config{})
	for _, path := range []string{"/signin/" + testAccount, "/console/static/console.css"} {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: Content-Encoding %q", path, res.Header.Get("Content-Encoding"))
			res.Body.Close()
			continue
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, err := io.ReadAll(zr)
		res.Body.Close()
		if err != nil || !(strings.Contains(string(body), "</html>") || strings.Contains(string(body), "--ink")) {
			t.Errorf("%s: %v, body %.200q", path, err, body)
		}
	}
	// Without Accept-Encoding, plain.
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/signin/"+testAccount, nil)
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("the client asked for nothing, but got gzip")
	}
}
