// Package secrets protects Warden's secrets at rest: envelope encryption of
// secret access keys and MFA seeds under a master key (AES-256-GCM), argon2id
// password hashing, and generation of secret values.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key in bytes.
const KeySize = 32

// ErrDecrypt is returned by Open when a sealed value cannot be opened: it was
// sealed under another key, or tampered with.
var ErrDecrypt = errors.New("secrets: cannot decrypt sealed value")

// Box seals and opens values under one master key. It is safe for concurrent use.
type Box struct {
	aead   cipher.AEAD
	derive []byte // HMAC key from which Derive makes subkeys
}

// NewBox returns a Box for a 32-byte master key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("warden/secrets/derive/v1"))
	return &Box{aead: aead, derive: m.Sum(nil)}, nil
}

// Derive returns a 32-byte key for purpose, derived from the master key
// (HMAC-SHA256), so that other parts can sign values (the console's device
// cookies and CSRF tokens) under keys every node shares without holding the
// master key itself. Different purposes give independent keys.
func (b *Box) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, b.derive)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Seal encrypts plaintext, binding it to context (for example the access key
// ID it belongs to) so a sealed value cannot be moved to another record.
func (b *Box) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secrets: no randomness: " + err.Error())
	}
	return b.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts a value sealed with the same context, or returns ErrDecrypt.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// ParseKey decodes a master key given as 64 hex digits or standard base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		key := make([]byte, KeySize)
		if _, err := fmt.Sscanf(s, "%x", &key); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) != KeySize {
		return nil, errors.New("secrets: master key must be 32 bytes as 64 hex digits or base64")
	}
	return key, nil
}

// LoadOrCreateKey reads the master key file in dir, creating it with a new
// random key and mode 0600 when it does not exist, and narrowing it to 0600
// when it is readable by others.
func LoadOrCreateKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "master.key")
	data, err := os.ReadFile(path)
	if err == nil {
		// A key file copied in with a wider mode is narrowed: it opens
		// every secret.
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, err
			}
		}
		return ParseKey(string(data))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process won the race
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return ParseKey(string(data))
	}
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(f, "%x\n", key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
