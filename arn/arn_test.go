package arn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/warden-iam/warden/arn"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want arn.ARN
		err  error
	}{
		{"user", "arn:aws:iam::123456789012:user/alice", arn.ARN{"aws", "iam", "", "123456789012", "user/alice"}, nil},
		{"s3 object", "arn:aws:s3:::bucket/a/b:c", arn.ARN{"aws", "s3", "", "", "bucket/a/b:c"}, nil},
		{"colon resource", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s", arn.ARN{"aws", "logs", "us-east-1", "123456789012", "log-group:g:log-stream:s"}, nil},
		{"session", "arn:aws:sts::123456789012:assumed-role/r/s", arn.ARN{"aws", "sts", "", "123456789012", "assumed-role/r/s"}, nil},
		{"wildcards", "arn:*:*:*:*:*", arn.ARN{"*", "*", "*", "*", "*"}, nil},
		{"no prefix", "aws:iam::1:user/a", arn.ARN{}, arn.ErrPrefix},
		{"upper prefix", "ARN:aws:iam::1:user/a", arn.ARN{}, arn.ErrPrefix},
		{"empty", "", arn.ARN{}, arn.ErrPrefix},
		{"short", "arn:aws:iam::1", arn.ARN{}, arn.ErrSections},
		{"no partition", "arn::iam::1:user/a", arn.ARN{}, arn.ErrPartition},
		{"no service", "arn:aws:::1:user/a", arn.ARN{}, arn.ErrService},
		{"no resource", "arn:aws:s3:::", arn.ARN{}, arn.ErrResource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := arn.Parse(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err == nil && got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "arn:aws:s3:::bucket", true},
		{"*", "anything at all", true},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket/key:with:colons", true},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/k", true},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:user/alice", true},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:role/alice", false},
		{"arn:aws:iam::12345678901?:user/alice", "arn:aws:iam::123456789012:user/alice", true},
		{"arn:aws:iam::12345678901?:user/alice", "arn:aws:iam::1234567890123:user/alice", false},
		// A wildcard in an early section never spans into the next one.
		{"arn:aws:*:user/alice", "arn:aws:iam::1:user/alice", false},
		{"arn:aws:*::1:user/alice", "arn:aws:iam::1:user/alice", true},
		{"arn:aws:iam:*:1:user/alice", "arn:aws:iam::1:user/alice", true},
		{"arn:aws:iam:?:1:user/alice", "arn:aws:iam::1:user/alice", false},
		// Fewer pattern sections: the last one takes the rest of the value.
		{"arn:aws:*", "arn:aws:iam::1:user/alice", true},
		{"arn:aws:s3:*", "arn:aws:iam::1:user/alice", false},
		// Values with too few sections.
		{"arn:aws:s3:::*", "arn:aws:s3", false},
		{"arn:aws:s3:::*", "", false},
		{"", "", true},
		{"arn:aws:logs:*:*:log-group:*:log-stream:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s", true},
		{"arn:aws:logs:*:*:log-group:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.value, func(t *testing.T) {
			if got := arn.Match(tt.pattern, tt.value); got != tt.want {
				t.Fatalf("Match(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
		})
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*", "xxaxxbxx", true},
		{"*a*b*", "xxbxxaxx", false},
		{"?", "", false},
		{"a*b*c*d", "abcabcabcd", true},
		{"A", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := arn.Like(tt.pattern, tt.s); got != tt.want {
				t.Fatalf("Like(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestMatchAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		arn.Match("arn:aws:s3:::bucket/*/x?", "arn:aws:s3:::bucket/a/b/xy")
		_, _ = arn.Parse("arn:aws:iam::123456789012:user/alice")
		_, _ = arn.Parse("not an arn")
	})
	if allocs != 0 {
		t.Fatalf("Match and Parse allocate %v times, want 0", allocs)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:user/alice",
		"arn:aws:s3:::bucket/key",
		"arn:aws:logs:us-east-1:1:log-group:g:log-stream:s",
		"arn:::::",
		"arn:",
		"",
		":::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := arn.Parse(s)
		if err != nil {
			if a != (arn.ARN{}) {
				t.Fatalf("Parse(%q) returned %+v with error %v", s, a, err)
			}
			return
		}
		if got := a.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if !strings.HasPrefix(s, "arn:") || a.Partition == "" || a.Service == "" || a.Resource == "" {
			t.Fatalf("Parse(%q) accepted an invalid ARN: %+v", s, a)
		}
		if strings.Contains(a.Partition+a.Service+a.Region+a.AccountID, ":") {
			t.Fatalf("Parse(%q) left a colon in an early section: %+v", s, a)
		}
		// Without wildcards an ARN matches itself and nothing else is needed.
		if !strings.ContainsAny(s, "*?") && !arn.Match(s, s) {
			t.Fatalf("Match(%q, itself) = false", s)
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("arn:aws:s3:::b/*", "arn:aws:s3:::b/k")
	f.Add("*", "x")
	f.Add("a*?*b", "aXb")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		got := arn.Match(pattern, value)
		// Every literal value matches the pattern "*" and a pattern that is
		// the value itself (when the value has no wildcard characters).
		if !arn.Match("*", value) {
			t.Fatalf("Match(*, %q) = false", value)
		}
		if !strings.ContainsAny(value, "*?") && !arn.Match(value, value) {
			t.Fatalf("Match(%q, itself) = false", value)
		}
		if !strings.ContainsAny(pattern, "*?") && got != (pattern == value) {
			t.Fatalf("Match(%q, %q) = %v for a literal pattern", pattern, value, got)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		arn.Match("arn:aws:s3:::bucket-*/home/*/file?", "arn:aws:s3:::bucket-7/home/alice/file1")
	}
}
