package iam

import "github.com/warden-iam/warden"

// Short names for the codes of this package's credential operations.
const (
	codeUnrecognizedPublicKeyEncoding = warden.CodeUnrecognizedPublicKeyEncoding
	codeInvalidPublicKey              = warden.CodeInvalidPublicKey
	codeMalformedCertificate          = warden.CodeMalformedCertificate
	codeKeyPairMismatch               = warden.CodeKeyPairMismatch
)
