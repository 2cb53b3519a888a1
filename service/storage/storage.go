// Package storage keeps the service's files (photos) behind one small
// interface: a directory under YV_DATA_DIR for a single instance, or
// S3-compatible object storage that several instances share.
package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by Get for a key that holds nothing.
var ErrNotFound = errors.New("storage: object not found")

// Object is a stored file and its content type.
type Object struct {
	Data        []byte
	ContentType string
}

// Store puts, gets and deletes objects by key. Keys are slash-separated
// paths of [a-z0-9._-] segments (CheckKey), chosen by the service, never
// by a user.
type Store interface {
	Put(ctx context.Context, key, contentType string, data []byte) error
	// Get returns ErrNotFound (wrapped) for a missing key.
	Get(ctx context.Context, key string) (Object, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Name says which store this is, for the startup log.
	Name() string
}

// CheckKey refuses keys that could leave the store's directory or
// bucket prefix: empty, absolute, with "..", or other characters than
// lower-case letters, digits, ".", "_", "-" and "/".
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || len(key) > 200 {
		return fmt.Errorf("storage: bad key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("storage: bad key %q", key)
		}
	}
	for _, r := range key {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '.' && r != '_' && r != '-' && r != '/' {
			return fmt.Errorf("storage: bad key %q", key)
		}
	}
	return nil
}
