package kv

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/gdyouth/youthvoice/service/clock"
)

// Memory is the in-process Store of the embedded default.
type Memory struct {
	clock clock.Clock
	mu    sync.Mutex
	items map[string]memItem
	stop  chan struct{}
	once  sync.Once
}

type memItem struct {
	val     string
	expires time.Time // zero: never
}

// NewMemory returns an empty store on clock c (clock.Real{} in service),
// which is required. A background sweep drops expired keys every minute
// until Close.
func NewMemory(c clock.Clock) (*Memory, error) {
	if c == nil {
		return nil, errors.New("kv.NewMemory: nil clock")
	}
	m := &Memory{clock: c, items: map[string]memItem{}, stop: make(chan struct{})}
	go m.sweep(time.Minute)
	return m, nil
}

func (m *Memory) sweep(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweepOnce()
		}
	}
}

// sweepOnce drops every expired key: sessions, OAuth states and dedupe
// keys that are never read again would otherwise stay in memory for good.
func (m *Memory) sweepOnce() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	for k, it := range m.items {
		if it.expired(now) {
			delete(m.items, k)
		}
	}
}

func (it memItem) expired(now time.Time) bool {
	return !it.expires.IsZero() && !now.Before(it.expires)
}

// get returns a live item; the caller holds mu.
func (m *Memory) get(key string) (memItem, bool) {
	it, ok := m.items[key]
	if !ok {
		return memItem{}, false
	}
	if it.expired(m.clock.Now()) {
		delete(m.items, key)
		return memItem{}, false
	}
	return it, true
}

func (m *Memory) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.clock.Now().Add(ttl)
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return "", ErrMiss
	}
	return it.val, nil
}

// Set implements Store.
func (m *Memory) Set(_ context.Context, key, val string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = memItem{val: val, expires: m.expiry(ttl)}
	return nil
}

// SetNX implements Store.
func (m *Memory) SetNX(_ context.Context, key, val string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.get(key); ok {
		return false, nil
	}
	m.items[key] = memItem{val: val, expires: m.expiry(ttl)}
	return true, nil
}

// SetXX implements Store.
func (m *Memory) SetXX(_ context.Context, key, val string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.get(key); !ok {
		return false, nil
	}
	m.items[key] = memItem{val: val, expires: m.expiry(ttl)}
	return true, nil
}

// GetDel implements Store.
func (m *Memory) GetDel(_ context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return "", ErrMiss
	}
	delete(m.items, key)
	return it.val, nil
}

// Del implements Store.
func (m *Memory) Del(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.items, k)
	}
	return nil
}

// CompareAndDelete implements Store.
func (m *Memory) CompareAndDelete(_ context.Context, key, expect string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok || it.val != expect {
		return false, nil
	}
	delete(m.items, key)
	return true, nil
}

// Incr implements Store.
func (m *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		m.items[key] = memItem{val: "1", expires: m.expiry(ttl)}
		return 1, nil
	}
	n, err := strconv.ParseInt(it.val, 10, 64)
	if err != nil {
		return 0, errNotInteger
	}
	n++
	it.val = strconv.FormatInt(n, 10)
	m.items[key] = it
	return n, nil
}

// Decr implements Store.
func (m *Memory) Decr(_ context.Context, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(it.val, 10, 64)
	if err != nil {
		return 0, errNotInteger
	}
	n--
	it.val = strconv.FormatInt(n, 10)
	m.items[key] = it
	return n, nil
}

// TTL implements Store.
func (m *Memory) TTL(_ context.Context, key string) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return 0, ErrMiss
	}
	if it.expires.IsZero() {
		return 0, nil
	}
	return it.expires.Sub(m.clock.Now()), nil
}

// Ping implements Store.
func (m *Memory) Ping(context.Context) error { return nil }

// Close stops the sweeper.
func (m *Memory) Close() error {
	m.once.Do(func() { close(m.stop) })
	return nil
}

// Backend implements Store.
func (m *Memory) Backend() string { return "memory" }
