package saml

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // OAEP digests the algorithms name
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/beevik/etree"
)

// XML Encryption (xmlenc) of SAML assertions: the IdP encrypts the
// assertion with a fresh AES key (GCM, or CBC for older IdPs) and that key
// with the service provider's RSA public key (RSA-OAEP). Only these
// algorithms are accepted; RSA PKCS#1 v1.5 key transport is refused, as it
// invites padding-oracle attacks. Every failure to decrypt gives the same
// answer, so that the reason cannot be probed.

// Algorithm identifiers of XML Encryption 1.0 and 1.1.
const (
	nsXMLEnc = "http://www.w3.org/2001/04/xmlenc#"

	AlgRSAOAEPMGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	AlgRSAOAEP      = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	AlgAES128CBC    = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	AlgAES192CBC    = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
	AlgAES256CBC    = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	AlgAES128GCM    = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	AlgAES192GCM    = "http://www.w3.org/2009/xmlenc11#aes192-gcm"
	AlgAES256GCM    = "http://www.w3.org/2009/xmlenc11#aes256-gcm"

	algSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	algSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	algSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	mgfSHA1   = "http://www.w3.org/2009/xmlenc11#mgf1sha1"
	mgfSHA256 = "http://www.w3.org/2009/xmlenc11#mgf1sha256"
	mgfSHA512 = "http://www.w3.org/2009/xmlenc11#mgf1sha512"
)

// maxCipherValue bounds a base64 CipherValue (the response is bounded too).
const maxCipherValue = maxResponse * 2

// errUndecryptable is the one answer to an assertion that cannot be
// decrypted with the provider's keys, whatever the reason.
var errUndecryptable = refuse("The encrypted SAML assertion could not be decrypted with the SAML provider's private keys.")

func dataKeySize(alg string) (size int, gcm bool, ok bool) {
	switch alg {
	case AlgAES128CBC:
		return 16, false, true
	case AlgAES192CBC:
		return 24, false, true
	case AlgAES256CBC:
		return 32, false, true
	case AlgAES128GCM:
		return 16, true, true
	case AlgAES192GCM:
		return 24, true, true
	case AlgAES256GCM:
		return 32, true, true
	}
	return 0, false, false
}

func digestOf(alg string, def crypto.Hash) (crypto.Hash, bool) {
	switch alg {
	case "":
		return def, true
	case algSHA1:
		return crypto.SHA1, true
	case algSHA256:
		return crypto.SHA256, true
	case algSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

func mgfOf(alg string) (crypto.Hash, bool) {
	switch alg {
	case "", mgfSHA1:
		return crypto.SHA1, true
	case mgfSHA256:
		return crypto.SHA256, true
	case mgfSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// childNS is el's first child element named tag in namespace ns.
func childNS(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// cipherValue decodes the CipherData/CipherValue of el.
func cipherValue(el *etree.Element) ([]byte, bool) {
	cv := childNS(childNS(el, nsXMLEnc, "CipherData"), nsXMLEnc, "CipherValue")
	if cv == nil {
		return nil, false
	}
	text := cv.Text()
	if len(text) > maxCipherValue {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	return b, err == nil && len(b) > 0
}

// unwrapKey decrypts an EncryptedKey with priv (RSA-OAEP only).
func unwrapKey(ek *etree.Element, priv *rsa.PrivateKey) ([]byte, bool) {
	method := childNS(ek, nsXMLEnc, "EncryptionMethod")
	if method == nil {
		return nil, false
	}
	alg := method.SelectAttrValue("Algorithm", "")
	digestAlg := ""
	if dm := childNS(method, nsDSig, "DigestMethod"); dm != nil {
		digestAlg = dm.SelectAttrValue("Algorithm", "")
	}
	opts := &rsa.OAEPOptions{}
	var ok bool
	switch alg {
	case AlgRSAOAEPMGF1P: // MGF1 with SHA-1 always
		opts.MGFHash = crypto.SHA1
	case AlgRSAOAEP:
		mgfAlg := ""
		for _, c := range method.ChildElements() {
			if c.Tag == "MGF" {
				mgfAlg = c.SelectAttrValue("Algorithm", "")
			}
		}
		if opts.MGFHash, ok = mgfOf(mgfAlg); !ok {
			return nil, false
		}
	default:
		return nil, false // rsa-1_5 and anything else
	}
	if opts.Hash, ok = digestOf(digestAlg, crypto.SHA1); !ok {
		return nil, false
	}
	if p := childNS(method, nsXMLEnc, "OAEPparams"); p != nil {
		if opts.Label, ok = decodeText(p.Text()); !ok {
			return nil, false
		}
	}
	ct, ok := cipherValue(ek)
	if !ok || len(ct) != priv.Size() {
		return nil, false
	}
	key, err := priv.Decrypt(rand.Reader, ct, opts)
	return key, err == nil
}

func decodeText(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	return b, err == nil
}

// decryptData decrypts the ciphertext of an EncryptedData with key.
func decryptData(alg string, key, ct []byte) ([]byte, bool) {
	size, gcm, ok := dataKeySize(alg)
	if !ok || len(key) != size {
		return nil, false
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, false
	}
	if gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil || len(ct) < aead.NonceSize()+aead.Overhead() {
			return nil, false
		}
		pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
		return pt, err == nil
	}
	bs := block.BlockSize()
	if len(ct) < 2*bs || len(ct)%bs != 0 {
		return nil, false
	}
	pt := make([]byte, len(ct)-bs)
	cipher.NewCBCDecrypter(block, ct[:bs]).CryptBlocks(pt, ct[bs:])
	// XML Encryption padding: the last byte says how many bytes to drop
	// (the others are arbitrary, unlike PKCS#7).
	pad := int(pt[len(pt)-1])
	valid := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, bs)
	if valid != 1 {
		return nil, false
	}
	return pt[:len(pt)-pad], true
}

// encryptedKeys are the EncryptedKey elements an EncryptedData may be
// encrypted for: in its KeyInfo, or beside it in the EncryptedAssertion.
func encryptedKeys(encAssertion, data *etree.Element) []*etree.Element {
	var out []*etree.Element
	if ki := childNS(data, nsDSig, "KeyInfo"); ki != nil {
		for _, c := range ki.ChildElements() {
			if c.Tag == "EncryptedKey" && c.NamespaceURI() == nsXMLEnc {
				out = append(out, c)
			}
		}
	}
	for _, c := range encAssertion.ChildElements() {
		if c.Tag == "EncryptedKey" && c.NamespaceURI() == nsXMLEnc {
			out = append(out, c)
		}
	}
	if len(out) > 4 {
		out = out[:4] // an IdP encrypts for a key or two, not for a crowd
	}
	return out
}

// decryptAssertion decrypts an EncryptedAssertion with one of keys and
// returns the Assertion element, read in the namespace context of the
// element it replaces so that its signature verifies as the IdP made it.
func decryptAssertion(encAssertion *etree.Element, keys []*rsa.PrivateKey) (*etree.Element, error) {
	data := childNS(encAssertion, nsXMLEnc, "EncryptedData")
	if data == nil {
		return nil, errUndecryptable
	}
	method := childNS(data, nsXMLEnc, "EncryptionMethod")
	ct, ok := cipherValue(data)
	if method == nil || !ok {
		return nil, errUndecryptable
	}
	alg := method.SelectAttrValue("Algorithm", "")
	var plain []byte
	found := false
	for _, ek := range encryptedKeys(encAssertion, data) {
		for _, k := range keys {
			if cek, ok := unwrapKey(ek, k); ok {
				if plain, found = decryptData(alg, cek, ct); found {
					break
				}
			}
		}
		if found {
			break
		}
	}
	if !found {
		return nil, errUndecryptable
	}
	text := string(plain)
	if strings.Contains(text, "<!DOCTYPE") || strings.Contains(text, "<!ENTITY") || strings.Contains(text, "<?xml-stylesheet") {
		return nil, errUndecryptable
	}
	// The namespace declarations in scope where the EncryptedAssertion
	// stood, on a wrapper around the plaintext.
	var decls strings.Builder
	seen := map[string]bool{}
	for el := encAssertion; el != nil; el = el.Parent() {
		for _, a := range el.Attr {
			name := a.FullKey()
			if (a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")) && !seen[name] {
				seen[name] = true
				decls.WriteString(" " + name + `="` + xmlAttrEscape(a.Value) + `"`)
			}
		}
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<wrapper" + decls.String() + ">" + strings.TrimPrefix(strings.TrimSpace(stripXMLDecl(text)), "\ufeff") + "</wrapper>"); err != nil {
		return nil, errUndecryptable
	}
	els := doc.Root().ChildElements()
	if len(els) != 1 || els[0].Tag != "Assertion" || els[0].NamespaceURI() != nsAssertion {
		return nil, refuse("The encrypted SAML assertion does not hold one Assertion.")
	}
	return els[0], nil
}

// stripXMLDecl drops a leading <?xml ...?> declaration of a plaintext.
func stripXMLDecl(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "<?xml") {
		if i := strings.Index(t, "?>"); i >= 0 {
			return t[i+2:]
		}
	}
	return t
}

func xmlAttrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s)
}
