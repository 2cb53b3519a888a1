// Package service holds the sentinel errors shared by the service packages.
// Services wrap them with %w; handlers map them to HTTP statuses with
// errors.Is, never by inspecting messages.
package service

import "errors"

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
