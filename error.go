package warden

import (
	"errors"
	"fmt"
)

// Code is an AWS error code, spelled as AWS clients expect it on the wire.
type Code string

// Error codes used by Warden. The HTTP status and fault type of each live in
// the front end (awsquery), not here.
const (
	CodeValidationError               Code = "ValidationError"
	CodeInvalidInput                  Code = "InvalidInput"
	CodeInvalidParameterValue         Code = "InvalidParameterValue"
	CodeMissingParameter              Code = "MissingParameter"
	CodeMissingAction                 Code = "MissingAction"
	CodeInvalidAction                 Code = "InvalidAction"
	CodeNoSuchEntity                  Code = "NoSuchEntity"
	CodeEntityAlreadyExists           Code = "EntityAlreadyExists"
	CodeDeleteConflict                Code = "DeleteConflict"
	CodeLimitExceeded                 Code = "LimitExceeded"
	CodeMalformedPolicyDocument       Code = "MalformedPolicyDocument"
	CodePasswordPolicyViolation       Code = "PasswordPolicyViolation"
	CodeConcurrentModification        Code = "ConcurrentModification"
	CodeUnmodifiableEntity            Code = "UnmodifiableEntity"
	CodeAccessDenied                  Code = "AccessDenied"
	CodeMissingAuthenticationToken    Code = "MissingAuthenticationToken"
	CodeInvalidClientTokenID          Code = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch         Code = "SignatureDoesNotMatch"
	CodeIncompleteSignature           Code = "IncompleteSignature"
	CodeRequestExpired                Code = "RequestExpired"
	CodeExpiredToken                  Code = "ExpiredToken"
	CodeInvalidQueryParameter         Code = "InvalidQueryParameter"
	CodeMalformedQueryString          Code = "MalformedQueryString"
	CodeServiceFailure                Code = "ServiceFailure"
	CodeInternalFailure               Code = "InternalFailure"
	CodeInvalidAuthenticationCode     Code = "InvalidAuthenticationCode"
	CodeEntityTemporarilyUnmodifiable Code = "EntityTemporarilyUnmodifiable"
	CodeRequestTooLarge               Code = "RequestEntityTooLarge"
	CodeThrottling                    Code = "Throttling"
)

// Error is the one error type operations return. Message is sent to clients;
// Err is for logs only and never leaves the process.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted client message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of err if it is (or wraps) an *Error, or "" otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Sentinels returned by stores; callers test them with errors.Is.
var (
	ErrNotFound      = errors.New("warden: not found")
	ErrAlreadyExists = errors.New("warden: already exists")
	ErrConflict      = errors.New("warden: conflicting concurrent update")
)
