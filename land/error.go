package land

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrorKind classifies an error for the user: the server maps it to an HTTP
// status and the CLI to an exit code (each in exactly one place).
type ErrorKind string

// The error kinds. KindOf returns Internal for any error that is not a *Error.
const (
	Invalid      ErrorKind = "invalid"
	NotFound     ErrorKind = "not_found"
	Conflict     ErrorKind = "conflict"
	Unauthorized ErrorKind = "unauthorized"
	Forbidden    ErrorKind = "forbidden" // a known caller without the right
	TooLarge     ErrorKind = "too_large"
	Timeout      ErrorKind = "timeout"
	Unavailable  ErrorKind = "unavailable"
	Internal     ErrorKind = "internal"
)

// Error is an error with a kind and a message meant for the user. Message
// names the file, record or parameter at fault; Detail is optional structured
// information (shown to the user as "detail"); Err is the cause, for the log.
type Error struct {
	Kind    ErrorKind
	Message string
	Detail  any
	Err     error
}

// Error implements the error interface: the message, followed by the cause
// when the message does not already spell it out.
func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	case strings.Contains(e.Message, e.Err.Error()):
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a *Error of the given kind with a formatted message. A %w
// verb in format wraps its argument as the cause.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap returns a *Error of the given kind whose user-facing message is msg and
// whose cause (for the log) is err.
func Wrap(kind ErrorKind, err error, msg string) *Error {
	return &Error{Kind: kind, Message: msg, Err: err}
}

// WithDetail returns e with Detail set.
func (e *Error) WithDetail(d any) *Error { e.Detail = d; return e }

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	return Internal
}

// MessageOf returns the user-facing message of err: the Message of the first
// *Error in its chain, or "internal error" for foreign errors.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Message
	}
	return "internal error"
}

// DetailOf returns the Detail of the first *Error in err's chain.
func DetailOf(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return nil
}
