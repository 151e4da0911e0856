package iam

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/warden-iam/warden"
)

// Parsing of the key material clients upload: SSH public keys, X.509
// certificates and their private keys. Every function here reads untrusted
// input and answers bad input with the error AWS gives.

// minSSHKeyBits is the shortest RSA key IAM accepts for SSH.
const minSSHKeyBits = 2048

// sshKey is a parsed SSH public key.
type sshKey struct {
	authorized  string // "ssh-rsa AAAA..."
	pemBody     string // the same key as a PEM "PUBLIC KEY"
	fingerprint string // MD5 of the key blob, colon-separated hex
}

func unrecognizedEncoding() error {
	return warden.Errorf(codeUnrecognizedPublicKeyEncoding, "The request was rejected because the public key encoding format is unsupported or unrecognized.")
}

// parseSSHPublicKey reads an ssh-rsa line or a PEM RSA public key (PKIX or
// PKCS #1), as IAM accepts for CodeCommit.
func parseSSHPublicKey(body string) (*sshKey, error) {
	body = strings.TrimSpace(body)
	var pub *rsa.PublicKey
	if strings.HasPrefix(body, "-----BEGIN") {
		block, rest := pem.Decode([]byte(body))
		if block == nil || len(bytes.TrimSpace(rest)) != 0 {
			return nil, unrecognizedEncoding()
		}
		switch block.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, unrecognizedEncoding()
			}
			rk, ok := k.(*rsa.PublicKey)
			if !ok {
				return nil, unrecognizedEncoding()
			}
			pub = rk
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, unrecognizedEncoding()
			}
			pub = k
		default:
			return nil, unrecognizedEncoding()
		}
	} else {
		k, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(body))
		if err != nil || len(bytes.TrimSpace(rest)) != 0 || k.Type() != ssh.KeyAlgoRSA {
			return nil, unrecognizedEncoding()
		}
		ck, ok := k.(ssh.CryptoPublicKey)
		if !ok {
			return nil, unrecognizedEncoding()
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return nil, unrecognizedEncoding()
		}
		pub = rk
	}
	if pub.N.BitLen() < minSSHKeyBits {
		return nil, warden.Errorf(codeInvalidPublicKey, "The request was rejected because the public key is malformed or otherwise invalid. The key must be at least %d bits long.", minSSHKeyBits)
	}
	sk, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, warden.Errorf(codeInvalidPublicKey, "The request was rejected because the public key is malformed or otherwise invalid.")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, warden.Errorf(codeInvalidPublicKey, "The request was rejected because the public key is malformed or otherwise invalid.")
	}
	return &sshKey{
		authorized:  strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sk))),
		pemBody:     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		fingerprint: ssh.FingerprintLegacyMD5(sk),
	}, nil
}

func malformedCertificate(format string, args ...any) error {
	return warden.Errorf(codeMalformedCertificate, format, args...)
}

// parsePEMCertificates reads one or more PEM CERTIFICATE blocks and nothing
// else.
func parsePEMCertificates(body string) ([]*x509.Certificate, error) {
	rest := []byte(strings.TrimSpace(body))
	var certs []*x509.Certificate
	for len(bytes.TrimSpace(rest)) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, malformedCertificate("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	return certs, nil
}

// parseCertificate reads exactly one PEM certificate valid at now.
func parseCertificate(body string, now time.Time) (*x509.Certificate, error) {
	certs, err := parsePEMCertificates(body)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, malformedCertificate("Unable to parse certificate. The certificate body must contain exactly one certificate.")
	}
	c := certs[0]
	if now.After(c.NotAfter) {
		return nil, malformedCertificate("Certificate is no longer valid. The 'Not After' date restriction on the certificate has passed.")
	}
	if now.Before(c.NotBefore) {
		return nil, malformedCertificate("Certificate is not yet valid. The 'Not Before' date restriction on the certificate has not been reached.")
	}
	return c, nil
}

// certFingerprint identifies a certificate for duplicate detection.
func certFingerprint(c *x509.Certificate) string {
	sum := md5.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// parsePrivateKey reads a PEM private key (PKCS #1, SEC 1 or PKCS #8).
func parsePrivateKey(body string) (crypto.Signer, error) {
	bad := malformedCertificate("Unable to parse the private key. Please ensure the private key is an unencrypted RSA or ECDSA key in PEM format.")
	block, rest := pem.Decode([]byte(strings.TrimSpace(body)))
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, bad
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, bad
	}
	if err != nil {
		return nil, bad
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, bad
}

// checkServerCertificate validates what UploadServerCertificate receives: a
// certificate valid at now, a private key that matches it and, when given,
// a chain that starts with the certificate's issuer and goes up in order.
func checkServerCertificate(body, privateKey, chain string, now time.Time) (*x509.Certificate, error) {
	cert, err := parseCertificate(body, now)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(privateKey)
	if err != nil {
		return nil, err
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, warden.Errorf(codeKeyPairMismatch, "The request was rejected because the public key certificate and the private key do not match.")
	}
	if strings.TrimSpace(chain) != "" {
		certs, err := parsePEMCertificates(chain)
		if err != nil {
			return nil, err
		}
		child := cert
		for i, c := range certs {
			if child.CheckSignatureFrom(c) != nil {
				return nil, malformedCertificate("Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %s", strconv.Itoa(i))
			}
			child = c
		}
	}
	return cert, nil
}
