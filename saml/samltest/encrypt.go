package samltest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"testing"

	"github.com/beevik/etree"

	"github.com/warden-iam/warden/saml"
)

// Encryption makes EncryptedResponse encrypt the assertion for Key, as an
// IdP does for a service provider's certificate.
type Encryption struct {
	Key *rsa.PublicKey
	// Data is the data encryption algorithm (saml.AlgAES256GCM when empty;
	// any of the AES-GCM and AES-CBC ones).
	Data string
	// Transport is the key transport: saml.AlgRSAOAEPMGF1P (default) or
	// saml.AlgRSAOAEP; SHA256 makes RSA-OAEP use SHA-256 for the digest and
	// MGF1 (RSA-OAEP-256).
	Transport string
	SHA256    bool
	// KeyBeside puts the EncryptedKey beside the EncryptedData instead of
	// in its KeyInfo (both are in use).
	KeyBeside bool
}

// EncryptedResponse builds a base64 SAMLResponse whose assertion (signed
// first, when how says so) is encrypted as enc says.
func (idp *IdP) EncryptedResponse(t testing.TB, a Assertion, how Sign, enc Encryption) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(idp.EncryptedResponseElement(t, a, how, enc))
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// EncryptedResponseElement is EncryptedResponse before encoding.
func (idp *IdP) EncryptedResponseElement(t testing.TB, a Assertion, how Sign, enc Encryption) *etree.Element {
	t.Helper()
	signAssertion := SignNothing
	if how == SignAssertion {
		signAssertion = SignAssertion
	}
	resp := idp.ResponseElement(t, a, signAssertion)
	as := resp.SelectElement("saml:Assertion")
	doc := etree.NewDocument()
	doc.SetRoot(as.Copy())
	plain, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	resp.RemoveChild(as)
	resp.AddChild(Encrypt(t, plain, enc))
	if how == SignResponse {
		resp = idp.sign(t, resp)
	}
	return resp
}

// Encrypt returns a saml:EncryptedAssertion holding plain encrypted as enc
// says.
func Encrypt(t testing.TB, plain []byte, enc Encryption) *etree.Element {
	t.Helper()
	if enc.Data == "" {
		enc.Data = saml.AlgAES256GCM
	}
	if enc.Transport == "" {
		enc.Transport = saml.AlgRSAOAEPMGF1P
	}
	if enc.SHA256 && enc.Transport != saml.AlgRSAOAEP {
		t.Fatal("samltest: SHA256 is RSA-OAEP-256, of saml.AlgRSAOAEP (rsa-oaep-mgf1p keeps MGF1 with SHA-1)")
	}
	size, gcm := 32, true
	switch enc.Data {
	case saml.AlgAES128GCM:
		size = 16
	case saml.AlgAES192GCM:
		size = 24
	case saml.AlgAES128CBC:
		size, gcm = 16, false
	case saml.AlgAES192CBC:
		size, gcm = 24, false
	case saml.AlgAES256CBC:
		size, gcm = 32, false
	}
	key := make([]byte, size)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	var ct []byte
	if gcm {
		aead, _ := cipher.NewGCM(block)
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		ct = aead.Seal(nonce, nonce, plain, nil)
	} else {
		pad := aes.BlockSize - len(plain)%aes.BlockSize
		padded := append(append([]byte{}, plain...), make([]byte, pad)...)
		rand.Read(padded[len(plain) : len(padded)-1]) // XML Encryption padding: arbitrary bytes, then the count
		padded[len(padded)-1] = byte(pad)
		iv := make([]byte, aes.BlockSize)
		rand.Read(iv)
		ct = make([]byte, len(padded))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
		ct = append(iv, ct...)
	}
	var h hash.Hash = sha1.New()
	if enc.SHA256 {
		h = sha256.New()
	}
	wrapped, err := rsa.EncryptOAEP(h, rand.Reader, enc.Key, key, nil)
	if err != nil {
		t.Fatal(err)
	}

	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	ed := ea.CreateElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
	ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", enc.Data)
	ek := etree.NewElement("xenc:EncryptedKey")
	ek.CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
	em := ek.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", enc.Transport)
	dm := em.CreateElement("ds:DigestMethod")
	dm.CreateAttr("xmlns:ds", "http://www.w3.org/2000/09/xmldsig#")
	if enc.SHA256 {
		dm.CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256")
		if enc.Transport == saml.AlgRSAOAEP {
			mgf := em.CreateElement("xenc11:MGF")
			mgf.CreateAttr("xmlns:xenc11", "http://www.w3.org/2009/xmlenc11#")
			mgf.CreateAttr("Algorithm", "http://www.w3.org/2009/xmlenc11#mgf1sha256")
		}
	} else {
		dm.CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
	}
	ek.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	if enc.KeyBeside {
		ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(ct))
		ea.AddChild(ek)
	} else {
		ki := ed.CreateElement("ds:KeyInfo")
		ki.CreateAttr("xmlns:ds", "http://www.w3.org/2000/09/xmldsig#")
		ki.AddChild(ek)
		ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(ct))
	}
	return ea
}
