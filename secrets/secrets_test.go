package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBoxRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("wJalrXUtnFEMI/K7MDENG"), "AKIAEXAMPLE")
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := b.Open(sealed, "AKIAEXAMPLE")
	if err != nil || string(got) != "wJalrXUtnFEMI/K7MDENG" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "AKIAOTHER"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open with other context: %v, want ErrDecrypt", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, "AKIAEXAMPLE"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open tampered: %v, want ErrDecrypt", err)
	}
	if _, err := b.Open([]byte{1, 2}, "x"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open short: %v, want ErrDecrypt", err)
	}
	other, _ := NewBox(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(b.Seal([]byte("x"), "c"), "c"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Open under other key: %v", err)
	}
	if _, err := NewBox([]byte("short")); err == nil {
		t.Fatal("NewBox accepted a short key")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("master.key mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
}

func TestParseKey(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	if k, err := ParseKey(hex); err != nil || k[0] != 0xab {
		t.Fatalf("hex: %v %v", k, err)
	}
	if _, err := ParseKey("AAAA"); err == nil {
		t.Fatal("accepted a short key")
	}
	if _, err := ParseKey(strings.Repeat("zz", 32)); err == nil {
		t.Fatal("accepted non-hex non-base64")
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if !CheckPassword(h, "correct horse") {
		t.Fatal("right password rejected")
	}
	if CheckPassword(h, "correct horsf") {
		t.Fatal("wrong password accepted")
	}
	if HashPassword("correct horse") == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA"} {
		if CheckPassword(bad, "x") {
			t.Fatalf("malformed hash %q matched", bad)
		}
	}
}

func TestGenerators(t *testing.T) {
	id := NewID("AKIA", 20)
	if len(id) != 20 || !strings.HasPrefix(id, "AKIA") || strings.ToUpper(id) != id {
		t.Fatalf("NewID = %q", id)
	}
	if s := NewSecretAccessKey(); len(s) != 40 {
		t.Fatalf("secret %q", s)
	}
	if NewSecretAccessKey() == NewSecretAccessKey() {
		t.Fatal("two secrets equal")
	}
	if p := NewPassword(20); len(p) != 20 {
		t.Fatalf("password %q", p)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		HashPassword("correct horse battery staple")
	}
}

func TestDerive(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, KeySize)
	b1, _ := NewBox(k1)
	b1again, _ := NewBox(k1)
	b2, _ := NewBox(k2)
	a := b1.Derive("console/v1")
	if len(a) != 32 {
		t.Fatalf("derived key has %d bytes, want 32", len(a))
	}
	if !bytes.Equal(a, b1again.Derive("console/v1")) {
		t.Error("the same master key and purpose derive different keys")
	}
	if bytes.Equal(a, b1.Derive("console/v2")) {
		t.Error("two purposes derive the same key")
	}
	if bytes.Equal(a, b2.Derive("console/v1")) {
		t.Error("two master keys derive the same key")
	}
	if bytes.Equal(a, k1) || bytes.Contains(a, k1[:8]) {
		t.Error("the derived key shows the master key")
	}
}

func TestLoadOrCreateKeyNarrowsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := os.WriteFile(path, []byte(strings.Repeat("ab", KeySize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("master.key has mode %#o after loading, want 0600", m)
	}
}
