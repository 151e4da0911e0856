package warden

import "context"

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns a context carrying the request ID that responses,
// logs and audit events name.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
