package iam

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/warden-iam/warden"
)

// SAML provider private keys decrypt encrypted assertions. They are sealed
// under the master key as soon as they arrive and never returned: the
// operations report only each key's ID and upload time.

// maxSAMLPrivateKeys is how many private keys a SAML provider holds at once
// (two: the current one and its successor during a rotation).
const maxSAMLPrivateKeys = 2

// Assertion encryption modes.
const (
	encryptionAllowed  = "Allowed"
	encryptionRequired = "Required"
)

// parseSAMLPrivateKey reads an RSA private key (PKCS#8 or PKCS#1 PEM) of
// 2048 to 8192 bits. The error is InvalidInput and never repeats the key.
func parseSAMLPrivateKey(text string) (*rsa.PrivateKey, error) {
	bad := invalidInput("The private key must be an unencrypted RSA private key (2048 to 8192 bits) in PEM format.")
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, bad
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, bad
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, bad
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, bad
		}
		key = k
	default:
		return nil, bad
	}
	if n := key.N.BitLen(); n < 2048 || n > 8192 {
		return nil, bad
	}
	return key, nil
}

// applyKeyChanges adds (sealed) and removes private keys of prov and sets
// its encryption mode, as CreateSAMLProvider and UpdateSAMLProvider ask.
func (s *Service) applyKeyChanges(prov *warden.SAMLProvider, add, remove, mode string) error {
	if add != "" && remove != "" {
		return invalidInput("Add the new private key and remove the old one in separate requests.")
	}
	if add != "" {
		key, err := parseSAMLPrivateKey(add)
		if err != nil {
			return err
		}
		if len(prov.PrivateKeys) >= maxSAMLPrivateKeys {
			return limitExceeded("Cannot exceed quota for PrivateKeysPerSamlProvider: %d", maxSAMLPrivateKeys)
		}
		id := s.NewID("", 22)
		der := x509.MarshalPKCS1PrivateKey(key)
		prov.PrivateKeys = append(prov.PrivateKeys, warden.SAMLPrivateKey{KeyID: id, Sealed: s.box.Seal(der, prov.SealContext(id)),
			Timestamp: s.now()})
	}
	if remove != "" {
		i := -1
		for j, k := range prov.PrivateKeys {
			if k.KeyID == remove {
				i = j
			}
		}
		if i < 0 {
			return noSuchEntity("The private key %s does not exist for SAML provider %s.", remove, prov.ARN())
		}
		prov.PrivateKeys = append(prov.PrivateKeys[:i:i], prov.PrivateKeys[i+1:]...)
	}
	if mode != "" {
		prov.EncryptionMode = mode
	}
	if prov.EncryptionMode == encryptionRequired && len(prov.PrivateKeys) == 0 {
		return invalidInput("AssertionEncryptionMode Required needs a private key to decrypt assertions: add one.")
	}
	return nil
}

// SAMLDecryptionKeys opens the private keys of prov for AssumeRoleWithSAML.
func (s *Service) SAMLDecryptionKeys(prov *warden.SAMLProvider) ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for _, k := range prov.PrivateKeys {
		der, err := s.box.Open(k.Sealed, prov.SealContext(k.KeyID))
		if err != nil {
			return nil, fmt.Errorf("opening private key %s of %s: %w", k.KeyID, prov.ARN(), err)
		}
		key, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("reading private key %s of %s: %w", k.KeyID, prov.ARN(), err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// wSAMLPrivateKey is a private key as GetSAMLProvider reports it.
type wSAMLPrivateKey struct {
	KeyID     string    `xml:"KeyId"`
	Timestamp time.Time `xml:"Timestamp"`
}

func privateKeysOut(prov *warden.SAMLProvider) list[wSAMLPrivateKey] {
	out := list[wSAMLPrivateKey]{}
	for _, k := range prov.PrivateKeys {
		out = append(out, wSAMLPrivateKey{KeyID: k.KeyID, Timestamp: k.Timestamp})
	}
	return out
}

func encryptionModeOf(prov *warden.SAMLProvider) string {
	if prov.EncryptionMode == "" {
		return encryptionAllowed
	}
	return prov.EncryptionMode
}
