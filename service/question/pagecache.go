package question

import (
	"context"
	"sync"
	"time"
)

// pageCache keeps board list pages as read from the database. A board's
// first page is the most read page there is, the same for everybody who
// sees the same order: rather than read it hundreds of times a second,
// one request reads it and the others are shown the same rows (named or
// anonymised for each viewer).
//
// A page is fresh for pageCacheTTL. After that the next request reads it
// again while the others are still shown the old rows, up to
// pageCacheStale: so a hot page never makes everybody wait for a read.
// Any change this instance makes to questions starts afresh at once;
// another instance's change shows within pageCacheStale.
type pageCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every change to questions
	entries map[pageKey]*pageEntry
	swept   time.Time // when expired entries were last dropped
}

const (
	pageCacheTTL   = time.Second
	pageCacheStale = 2 * time.Second
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
	ready      chan struct{} // closed when rows and err are set
	at         time.Time     // when it was read; zero until then
	rows       pageRows
	err        error
	refreshing bool // a request is reading the page again
}

// changed is called after any change to questions: cached pages are
// no longer served.
func (c *pageCache) changed() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// get returns the rows of the page k (of the current generation), from
// the cache or read with read; requests for a page being read for the
// first time wait for it. The read goes on if the request that started it
// goes away (others may be waiting); a waiting request stops waiting when
// its own ctx is done.
func (c *pageCache) get(ctx context.Context, k pageKey, read func(context.Context) (pageRows, error)) (pageRows, error) {
	c.mu.Lock()
	k.gen = c.gen
	e, ok := c.entries[k]
	switch {
	case ok && e.at.IsZero(): // being read: wait
		c.mu.Unlock()
		select {
		case <-e.ready:
			return e.rows, e.err
		case <-ctx.Done():
			return pageRows{}, ctx.Err()
		}
	case ok && time.Since(e.at) < pageCacheTTL:
		c.mu.Unlock()
		return e.rows, nil
	case ok && time.Since(e.at) < pageCacheStale && e.refreshing:
		c.mu.Unlock()
		return e.rows, nil
	case ok && time.Since(e.at) < pageCacheStale:
		// This request reads the page again; the others keep the old rows.
		e.refreshing = true
		c.mu.Unlock()
		rows, err := read(context.WithoutCancel(ctx))
		c.mu.Lock()
		if err == nil {
			c.entries[k] = &pageEntry{ready: e.ready, at: time.Now(), rows: rows}
		} else {
			e.refreshing = false // the next request tries again
		}
		c.mu.Unlock()
		if err != nil {
			return e.rows, nil // a second more of the old page beats an error
		}
		return rows, nil
	}
	if c.entries == nil {
		c.entries = map[pageKey]*pageEntry{}
	}
	if time.Since(c.swept) >= pageCacheTTL {
		for key, old := range c.entries {
			if !old.at.IsZero() && time.Since(old.at) >= pageCacheStale {
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

	rows, err := read(context.WithoutCancel(ctx))
	c.mu.Lock()
	e.rows, e.err, e.at = rows, err, time.Now()
	if err != nil {
		delete(c.entries, k) // the next request tries again
	}
	c.mu.Unlock()
	close(e.ready)
	return rows, err
}
