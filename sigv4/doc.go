// Package sigv4 verifies AWS Signature Version 4 requests, signed either in the
// Authorization header or presigned in the query string, the way AWS IAM and STS
// check them.
//
// It knows nothing of users or keys. A front end calls Parse to learn which access
// key a request claims, looks up that key's secret itself, and then calls
// CheckTime and Verify. Every failure is an *Error carrying the AWS error code a
// client expects. Sign and Presign produce signed requests for tests and for
// internal clients.
package sigv4
