package totp

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSeed is the SHA-1 seed of RFC 6238 Appendix B.
var rfcSeed = []byte("12345678901234567890")

func TestCodeRFC6238(t *testing.T) {
	// Appendix B gives eight digits; six-digit codes are their last six.
	for _, tc := range []struct {
		unix  int64
		eight string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		t.Run(tc.eight, func(t *testing.T) {
			want := tc.eight[2:]
			if got := Code(rfcSeed, time.Unix(tc.unix, 0)); got != want {
				t.Errorf("Code(t=%d) = %s, want %s", tc.unix, got, want)
			}
			if _, ok := Verify(rfcSeed, want, time.Unix(tc.unix, 0), 0); !ok {
				t.Errorf("Verify(%s, t=%d) refused its own code", want, tc.unix)
			}
		})
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		unix int64
		want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {-1, -1}, {-30, -1}, {-31, -2},
	} {
		if got := Step(time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("Step(%d) = %d, want %d", tc.unix, got, tc.want)
		}
	}
}

func TestVerifyWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	n := Step(now)
	for _, tc := range []struct {
		name string
		step int64
		ok   bool
	}{
		{"two steps late", n - 2, false},
		{"one step late", n - 1, true},
		{"current", n, true},
		{"one step early", n + 1, true},
		{"two steps early", n + 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Verify(rfcSeed, CodeAt(rfcSeed, tc.step), now, 0)
			if ok != tc.ok || (ok && got != tc.step) {
				t.Errorf("Verify(step %+d) = %d, %v; want %d, %v", tc.step-n, got, ok, tc.step, tc.ok)
			}
		})
	}
	// The first and last second of a step see the same window.
	start := time.Unix(n*30, 0)
	end := start.Add(29 * time.Second)
	for _, at := range []time.Time{start, end} {
		if _, ok := Verify(rfcSeed, CodeAt(rfcSeed, n-1), at, 0); !ok {
			t.Errorf("at %v the previous step's code was refused", at)
		}
	}
	if _, ok := Verify(rfcSeed, CodeAt(rfcSeed, n-1), end.Add(time.Second), 0); ok {
		t.Error("a code two steps old was accepted at the start of the next step")
	}
}

func TestVerifyReplay(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	n := Step(now)
	code := CodeAt(rfcSeed, n)
	step, ok := Verify(rfcSeed, code, now, 0)
	if !ok || step != n {
		t.Fatalf("first use: %d, %v", step, ok)
	}
	if _, ok := Verify(rfcSeed, code, now, step); ok {
		t.Error("the same code was accepted twice")
	}
	if _, ok := Verify(rfcSeed, CodeAt(rfcSeed, n-1), now, step); ok {
		t.Error("an older code was accepted after a newer one")
	}
	if got, ok := Verify(rfcSeed, CodeAt(rfcSeed, n+1), now, step); !ok || got != n+1 {
		t.Errorf("the next step's code: %d, %v", got, ok)
	}
	// Still refused half a minute later, when it is the previous step's.
	if _, ok := Verify(rfcSeed, code, now.Add(Period), step); ok {
		t.Error("the used code was accepted in the next step")
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	code := Code(rfcSeed, now)
	for _, bad := range []string{"", code[:5], code + "0", " " + code[1:], "+" + code[1:], "-" + code[1:],
		"12345a", "１２３４５６", "\x00\x00\x00\x00\x00\x00"} {
		if _, ok := Verify(rfcSeed, bad, now, 0); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
	if _, ok := Verify([]byte("another seed........"), code, now, 0); ok {
		t.Error("a code of another seed was accepted")
	}
}

func TestVerifyConsecutive(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	n := Step(now)
	pair := func(s int64) (string, string) { return CodeAt(rfcSeed, s-1), CodeAt(rfcSeed, s) }
	for _, tc := range []struct {
		name   string
		second int64
		ok     bool
	}{
		{"second is two steps late", n - 2, false},
		{"second is one step late", n - 1, true},
		{"second is current", n, true},
		{"second is one step early", n + 1, true},
		{"second is two steps early", n + 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c1, c2 := pair(tc.second)
			got, ok := VerifyConsecutive(rfcSeed, c1, c2, now)
			if ok != tc.ok || (ok && got != tc.second) {
				t.Errorf("got %d, %v; want %d, %v", got, ok, tc.second, tc.ok)
			}
		})
	}
	c1, c2 := pair(n)
	for name, codes := range map[string][2]string{
		"swapped":      {c2, c1},
		"same twice":   {c2, c2},
		"not adjacent": {CodeAt(rfcSeed, n-2), c2},
		"malformed":    {"12345", c2},
	} {
		if _, ok := VerifyConsecutive(rfcSeed, codes[0], codes[1], now); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSecretAndURI(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != SecretSize || string(a) == string(b) {
		t.Fatalf("NewSecret: %x, %x", a, b)
	}
	if got := Base32([]byte("12345678901234567890")); got != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Errorf("Base32 = %s", got)
	}
	if got := Base32([]byte{0xff}); got != "74" {
		t.Errorf("Base32 pads: %s", got)
	}
	uri := URI("Warden", "my device@123456789012", rfcSeed)
	want := "otpauth://totp/Warden:my%20device%40123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Warden&algorithm=SHA1&digits=6&period=30"
	if uri != want {
		t.Errorf("URI =\n %s\nwant\n %s", uri, want)
	}
	u, err := url.Parse(URI("Acme Co: Prod&Test", "a:b", rfcSeed))
	if err != nil {
		t.Fatal(err)
	}
	label := strings.SplitN(strings.TrimPrefix(u.EscapedPath(), "/"), ":", 2)
	if u.Scheme != "otpauth" || u.Host != "totp" || len(label) != 2 {
		t.Fatalf("URI parts: %q %q %q", u.Scheme, u.Host, u.EscapedPath())
	}
	if iss, _ := url.PathUnescape(label[0]); iss != "Acme Co: Prod&Test" {
		t.Errorf("label issuer = %q", iss)
	}
	if acct, _ := url.PathUnescape(label[1]); acct != "a:b" {
		t.Errorf("label account = %q", acct)
	}
	q := u.Query()
	if q.Get("issuer") != "Acme Co: Prod&Test" || q.Get("secret") != Base32(rfcSeed) || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI query = %v", q)
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	for _, s := range []string{Code(rfcSeed, now), "000000", "", "12345", "1234567", "-12345", "+12345", " 12345", "١٢٣٤٥٦"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, code string, last int64) {
		step, ok := Verify(rfcSeed, code, now, last)
		if !ok {
			return
		}
		if step <= last || step < Step(now)-Skew || step > Step(now)+Skew {
			t.Fatalf("Verify(%q, last=%d) accepted step %d", code, last, step)
		}
		if CodeAt(rfcSeed, step) != code {
			t.Fatalf("Verify(%q) accepted step %d whose code is %s", code, step, CodeAt(rfcSeed, step))
		}
		if _, again := Verify(rfcSeed, code, now, step); again {
			t.Fatalf("Verify(%q) accepted it again after step %d", code, step)
		}
	})
}

func BenchmarkCode(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		Code(rfcSeed, now)
	}
}

func BenchmarkVerify(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	code := Code(rfcSeed, now)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Verify(rfcSeed, code, now, 0); !ok {
			b.Fatal("refused")
		}
	}
}
