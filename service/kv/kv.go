// Package kv is the shared key-value store: Redis in production, an
// in-process map with the same semantics (TTL, set-if-absent, counters) in
// the embedded default. Every instance of the service that shares a Redis
// shares dedupe keys, sessions, throttles and the WeChat access token.
package kv

import (
	"context"
	"errors"
	"time"
)

// ErrMiss is returned when a key does not exist (or has expired).
var ErrMiss = errors.New("kv: key not found")

// Store is implemented by Redis and Memory.
type Store interface {
	// Get returns the value of key, or ErrMiss.
	Get(ctx context.Context, key string) (string, error)
	// Set stores val under key; ttl 0 means no expiry.
	Set(ctx context.Context, key, val string, ttl time.Duration) error
	// SetNX stores val only when key is absent and reports whether it did.
	// It returns within a few seconds even when ctx has no deadline.
	SetNX(ctx context.Context, key, val string, ttl time.Duration) (bool, error)
	// SetXX replaces the value of key only while key exists (and has not
	// expired), with the new ttl, and reports whether it did: a key
	// deleted meanwhile stays deleted.
	SetXX(ctx context.Context, key, val string, ttl time.Duration) (bool, error)
	// GetDel returns the value and deletes the key atomically, or ErrMiss.
	GetDel(ctx context.Context, key string) (string, error)
	// Del removes keys; missing keys are not an error.
	Del(ctx context.Context, keys ...string) error
	// CompareAndDelete removes key only while it still holds expect.
	CompareAndDelete(ctx context.Context, key, expect string) (bool, error)
	// Incr adds one to the counter at key and returns the new value. A
	// counter created by this call expires after ttl (0: never).
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Decr takes one back from the counter at key, keeping its expiry,
	// and returns the new value. A missing (or expired) key stays missing
	// and gives 0: an Incr undone after its window ended is a no-op.
	Decr(ctx context.Context, key string) (int64, error)
	// TTL returns the remaining time to live; ErrMiss for a missing key,
	// and 0 for a key without expiry.
	TTL(ctx context.Context, key string) (time.Duration, error)
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
	// Backend names the implementation for logs ("redis", "memory").
	Backend() string
}
