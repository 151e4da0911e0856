package warden

import "testing"

func TestSourceIP(t *testing.T) {
	for _, tt := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"127.0.0.1:5000", "", false, "127.0.0.1"},
		{"127.0.0.1:5000", "203.0.113.7, 10.0.0.1", false, "127.0.0.1"},
		{"127.0.0.1:5000", "203.0.113.7, 10.0.0.1", true, "203.0.113.7"},
		{"127.0.0.1:5000", " 2001:db8::1 ", true, "2001:db8::1"},
		{"127.0.0.1:5000", "not-an-ip", true, "127.0.0.1"},
		{"[::1]:80", "", true, "::1"},
		{"pipe", "", false, "pipe"},
	} {
		if got := SourceIP(tt.remote, tt.xff, tt.trust); got != tt.want {
			t.Errorf("SourceIP(%q, %q, %v) = %q, want %q", tt.remote, tt.xff, tt.trust, got, tt.want)
		}
	}
}
