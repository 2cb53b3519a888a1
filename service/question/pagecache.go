package question

import (
	"context"
	"sync"
	"time"
)

// pageCache keeps board list pages as read from the database for
// pageCacheTTL. A board's first page is the most read page there is, the
// same for everybody who sees the same order: rather than read it
// hundreds of times a second, one request reads it and the others in
// that second are shown the same rows (named or anonymised for each
// viewer). Any change this instance makes to questions starts afresh;
// another instance's change shows within pageCacheTTL.
type pageCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every change to questions
	entries map[pageKey]*pageEntry
	swept   time.Time // when expired entries were last dropped
}

const (
	pageCacheTTL = time.Second
	// pageCacheEntries bounds the cache (a page is about 20 KB): pages
	// read once, deep in a board, are not kept when it is full. The hot
	// ones, read again within the second, are.
	pageCacheEntries = 256
)

type pageKey struct {
	gen   uint64
	board uint64
	order int // listPublic, listOpenFirst, listUnanswered
	opts  PageOptions
}

type pageEntry struct {
	ready chan struct{} // closed when rows and err are set
	at    time.Time
	rows  pageRows
	err   error
}

// changed is called after any change to questions: cached pages are
// no longer served.
func (c *pageCache) changed() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// get returns the cached rows of the page k (of the current generation)
// or reads them with read; requests for a page being read wait for it.
// The read goes on if the request that started it goes away (the others
// wait for it); a waiting request stops waiting when its own ctx is done.
func (c *pageCache) get(ctx context.Context, k pageKey, read func(context.Context) (pageRows, error)) (pageRows, error) {
	c.mu.Lock()
	k.gen = c.gen
	e, ok := c.entries[k]
	if ok && (e.at.IsZero() || time.Since(e.at) < pageCacheTTL) {
		c.mu.Unlock()
		select {
		case <-e.ready:
			return e.rows, e.err
		case <-ctx.Done():
			return pageRows{}, ctx.Err()
		}
	}
	if c.entries == nil {
		c.entries = map[pageKey]*pageEntry{}
	}
	if time.Since(c.swept) >= pageCacheTTL {
		for key, old := range c.entries {
			if !old.at.IsZero() && time.Since(old.at) >= pageCacheTTL {
				delete(c.entries, key)
			}
		}
		c.swept = time.Now()
	}
	if len(c.entries) >= pageCacheEntries && !ok {
		c.mu.Unlock()
		return read(ctx)
	}
	e = &pageEntry{ready: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	e.rows, e.err = read(context.WithoutCancel(ctx))
	c.mu.Lock()
	e.at = time.Now()
	if e.err != nil {
		delete(c.entries, k) // the next request tries again
	}
	c.mu.Unlock()
	close(e.ready)
	return e.rows, e.err
}
