package iam

import "testing"

func TestOIDCResource(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com"},
		{"https://Server.Example.COM/", "server.example.com"},
		{"HTTPS://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
		{"https://127.0.0.1:8443/issuer", "127.0.0.1:8443/issuer"},
		{"https://[::1]:8443", "[::1]:8443"},
	} {
		got, err := OIDCResource(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("OIDCResource(%q) = %q, %v; want %q", tc.url, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "http://example.com", "example.com", "https://", "https://example.com?x=1", "https://example.com/#f",
		"https://user@example.com", "https://example.com:", "https://exa mple.com", "https://*.example.com",
		"https://example.com//a", "ftp://example.com", "https:/example.com",
	} {
		if got, err := OIDCResource(bad); err == nil {
			t.Errorf("OIDCResource(%q) = %q, want InvalidInput", bad, got)
		}
	}
}

func TestCheckThumbprints(t *testing.T) {
	tp := "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280"
	got, err := checkThumbprints([]string{tp, tp})
	if err != nil || len(got) != 1 || got[0] != "9e99a48a9960b14926bb7f3b02e22da2b0ab7280" {
		t.Fatalf("checkThumbprints = %v, %v", got, err)
	}
	if _, err := checkThumbprints([]string{"zz99a48a9960b14926bb7f3b02e22da2b0ab7280"}); err == nil {
		t.Error("a thumbprint that is not hex was accepted")
	}
	six := []string{}
	for _, c := range "abcdef" {
		six = append(six, string(c)+tp[1:])
	}
	if _, err := checkThumbprints(six); err == nil {
		t.Error("six thumbprints were accepted")
	}
}
