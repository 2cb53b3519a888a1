// Package service holds what the service packages share: the sentinel
// errors, which services wrap with %w and handlers map to HTTP statuses
// with errors.Is (never by inspecting messages), and the cleaning of text
// users type (text.go).
package service

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrInvalid      = errors.New("invalid")
	ErrConflict     = errors.New("conflict")
	ErrTooMany      = errors.New("too many requests")
	ErrUnavailable  = errors.New("temporarily unavailable")
)

// Error is a rule violation the user can be shown: a sentinel Kind for
// errors.Is, a stable machine Code for the API, a Chinese Message, and
// per-field messages for forms.
type Error struct {
	Kind    error
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

// Invalid reports bad input; fields maps form fields to messages.
func Invalid(code, msg string, fields map[string]string) error {
	return &Error{Kind: ErrInvalid, Code: code, Message: msg, Fields: fields}
}

// Conflict reports a clash with existing data (a taken account …).
func Conflict(code, msg string, fields map[string]string) error {
	return &Error{Kind: ErrConflict, Code: code, Message: msg, Fields: fields}
}

// NotFound reports a missing thing.
func NotFound(code, msg string) error { return &Error{Kind: ErrNotFound, Code: code, Message: msg} }

// Forbidden reports a caller acting outside their rights.
func Forbidden(code, msg string) error { return &Error{Kind: ErrForbidden, Code: code, Message: msg} }

// Unauthorized reports failed or missing authentication.
func Unauthorized(code, msg string, fields map[string]string) error {
	return &Error{Kind: ErrUnauthorized, Code: code, Message: msg, Fields: fields}
}

// TooMany reports throttling.
func TooMany(code, msg string) error { return &Error{Kind: ErrTooMany, Code: code, Message: msg} }

// Wrap adds what the service was doing to an unexpected error (a database
// failure, say) and passes a rule violation (*Error) through unchanged, so
// that its Chinese message reaches the user as written. nil stays nil.
func Wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// InvalidFields reports bad input in several fields at once, so a form
// lists every problem rather than the first: fields maps each field to its
// message; the error's message is that message for one field, or all of
// them (in order, then the rest by field name) for several. nil when
// fields is empty.
func InvalidFields(code string, fields map[string]string, order ...string) error {
	if len(fields) == 0 {
		return nil
	}
	var msgs []string
	seen := map[string]bool{}
	add := func(f string) {
		if m, ok := fields[f]; ok && !seen[f] {
			seen[f] = true
			msgs = append(msgs, m)
		}
	}
	for _, f := range order {
		add(f)
	}
	rest := make([]string, 0, len(fields))
	for f := range fields {
		rest = append(rest, f)
	}
	sort.Strings(rest)
	for _, f := range rest {
		add(f)
	}
	msg := msgs[0]
	if len(msgs) > 1 {
		msg = fmt.Sprintf("有 %d 处需要修改：%s", len(msgs), strings.Join(msgs, "；"))
	}
	return &Error{Kind: ErrInvalid, Code: code, Message: msg, Fields: fields}
}
