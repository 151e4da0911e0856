package sigv4

// Error is a verification failure carrying the AWS error code the client expects.
// Message is written for clients and never contains secret material.
type Error struct {
	Code    string // one of the Code* constants
	Message string // AWS-like message safe to send to clients
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// AWS error codes for authentication failures.
const (
	// CodeMissingAuthenticationToken: the request carries no Authorization header
	// and no X-Amz-Signature, X-Amz-Credential or X-Amz-Algorithm query parameter.
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	// CodeIncompleteSignature: the Authorization header or the presigned query is
	// malformed or lacks a part.
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeSignatureDoesNotMatch: the signature, or the credential scope it was made
	// for, does not match the request.
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	// CodeRequestExpired: the request time is too far from now, or a presigned URL
	// has expired.
	CodeRequestExpired = "RequestExpired"
	// CodeInvalidClientTokenId is never returned by this package; callers use it
	// when the access key ID a request names is unknown.
	CodeInvalidClientTokenId = "InvalidClientTokenId"
)

const msgSignatureDoesNotMatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func incomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg}
}

func mismatch(msg string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: msg}
}
