package policy

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2020-01-02T03:04:05Z", utc(2020, 1, 2, 3, 4, 5, 0), true},
		{"2020-01-02T03:04:05.123Z", utc(2020, 1, 2, 3, 4, 5, 123000000), true},
		{"2020-01-02T03:04:05.123456789123Z", utc(2020, 1, 2, 3, 4, 5, 123456789), true},
		{"2020-01-02T03:04:05+02:00", utc(2020, 1, 2, 1, 4, 5, 0), true},
		{"2020-01-02T03:04:05-0130", utc(2020, 1, 2, 4, 34, 5, 0), true},
		{"2020-01-02T03:04", utc(2020, 1, 2, 3, 4, 0, 0), true},
		{"2020-01-02T03:04Z", utc(2020, 1, 2, 3, 4, 0, 0), true},
		{"2020-01-02", utc(2020, 1, 2, 0, 0, 0, 0), true},
		{"2020-02", utc(2020, 2, 1, 0, 0, 0, 0), true},
		{"2020", utc(2020, 1, 1, 0, 0, 0, 0), true},
		{"1577836800", utc(2020, 1, 1, 0, 0, 0, 0), true},
		{"1577836800.25", utc(2020, 1, 1, 0, 0, 0, 250000000), true},
		{" 1577836800 ", utc(2020, 1, 1, 0, 0, 0, 0), true},
		{"0", utc(1970, 1, 1, 0, 0, 0, 0), true},
		{"", time.Time{}, false},
		{"1577836800.", time.Time{}, false},
		{"2020-13-01", time.Time{}, false},
		{"2021-02-29", time.Time{}, false},
		{"2020-01-02T24:00:00Z", time.Time{}, false},
		{"2020-01-02T03:04:05ZZ", time.Time{}, false},
		{"2020-01-02T03:04:05+2", time.Time{}, false},
		{"2020-01-02 03:04:05", time.Time{}, false},
		{"2020-1-2", time.Time{}, false},
		{"2020-01-02T03:04:05.Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"-5", time.Time{}, false},
		{"99999999999999999999", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDate(tt.in)
			if ok != tt.ok || ok && !got.Equal(tt.want) {
				t.Fatalf("parseDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	if n := testing.AllocsPerRun(100, func() {
		parseDate("2020-01-02T03:04:05.123+02:00")
		parseDate("1577836800")
		parseDate("not a date")
	}); n != 0 {
		t.Fatalf("parseDate allocates %v times", n)
	}
}

func TestParseNumberAndIP(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "-1.5": true, "1e3": true, " 7 ": true, "": false, "ten": false, "NaN": false, "Inf": false, "0x10": false, "1e": false} {
		if _, ok := parseNumber(in); ok != want {
			t.Errorf("parseNumber(%q) ok = %v, want %v", in, ok, want)
		}
	}
	for in, want := range map[string]string{
		"10.1.2.3/8":          "10.0.0.0/8",
		"192.0.2.7":           "192.0.2.7/32",
		"2001:DB8::/32":       "2001:db8::/32",
		"::1":                 "::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
		"::ffff:10.0.0.1":     "10.0.0.1/32",
		"10.0.0.0/33":         "",
		"::ffff:10.0.0.0/64":  "",
		"host":                "",
	} {
		p, ok := parseIP(in)
		if got := p.String(); ok != (want != "") || ok && got != want {
			t.Errorf("parseIP(%q) = %v, %v; want %q", in, got, ok, want)
		}
	}
}

func TestTemplates(t *testing.T) {
	var ctx Context
	ctx.Set("aws:username", "alice")
	ctx.SetValues("aws:TagKeys", []string{"a", "b"})
	tests := []struct {
		pattern string
		glob    bool
		value   string
		want    bool
	}{
		{"home/${aws:username}/*", true, "home/alice/x", true},
		{"home/${ aws:username }/*", true, "home/alice/x", true},
		{"home/${aws:username}/*", true, "home/bob/x", false},
		{"${aws:missing}", true, "", false},
		{"${aws:missing, ''}", true, "", true},
		{"${aws:missing, 'a,b'}", false, "a,b", true},
		{"${aws:TagKeys, 'multi'}", false, "multi", true},
		{"${aws:TagKeys}", false, "a", false},
		{"*${aws:username}?", true, "xxalice!", true},
		{"*${aws:username}?", true, "xxalice", false},
		{"${*}${?}${$}", false, "*?$", true},
		{"${*}${?}${$}", true, "*?$", true},
		{"${*}", true, "x", false},
		{"a*b", false, "a*b", true},
		{"a*b", false, "axb", false},
	}
	for _, tt := range tests {
		tmpl, err := parseTemplate(tt.pattern, true, tt.glob)
		if err != nil {
			t.Fatalf("parseTemplate(%q): %v", tt.pattern, err)
		}
		var got bool
		if tt.glob {
			got = tmpl.like(&ctx, tt.value)
		} else {
			got = tmpl.equal(&ctx, tt.value, false)
		}
		if got != tt.want {
			t.Errorf("%q (glob %v) against %q = %v, want %v", tt.pattern, tt.glob, tt.value, got, tt.want)
		}
	}
	for _, bad := range []string{"${", "${aws:x", "${}", "${ }", "${a b}", "${a, 'x}", "${a, x}", "${a, 'x'y'}"} {
		if _, err := parseTemplate(bad, true, true); err == nil {
			t.Errorf("parseTemplate(%q) accepted", bad)
		}
	}
	if tmpl, err := parseTemplate("${", false, true); err != nil || tmpl.pieces != nil {
		t.Errorf("2008 template %q: %v %+v", "${", err, tmpl)
	}
}

func TestContext(t *testing.T) {
	var c Context
	c.Set("AWS:UserName", "alice")
	if v, ok := c.Get("aws:username"); !ok || len(v) != 1 || v[0] != "alice" {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	if v, ok := c.Get("AWS:USERNAME"); !ok || v[0] != "alice" {
		t.Fatalf("Get mixed case = %v, %v", v, ok)
	}
	c.Add("aws:username", "bob")
	c.Add("aws:TagKeys", "x")
	if v, _ := c.Get("aws:username"); len(v) != 2 || v[1] != "bob" {
		t.Fatalf("after Add = %v", v)
	}
	c.SetValues("aws:empty", nil)
	if v, ok := c.Get("aws:empty"); !ok || len(v) != 0 {
		t.Fatalf("empty key = %v, %v", v, ok)
	}
	if c.Len() != 3 || len(c.Keys()) != 3 {
		t.Fatalf("Len = %d, Keys = %v", c.Len(), c.Keys())
	}
	c.Delete("AWS:TAGKEYS")
	if _, ok := c.Get("aws:tagkeys"); ok || c.Len() != 2 {
		t.Fatal("Delete did not remove the key")
	}
	c.Set("aws:username", "carol")
	if v, _ := c.Get("aws:username"); len(v) != 1 || v[0] != "carol" {
		t.Fatalf("Set after Add = %v", v)
	}
	c.Reset()
	if c.Len() != 0 {
		t.Fatal("Reset left keys")
	}
	if n := testing.AllocsPerRun(100, func() { c.Get("aws:SourceIp"); c.Get("aws:sourceip") }); n != 0 {
		t.Fatalf("Get allocates %v times", n)
	}
}
