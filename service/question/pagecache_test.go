package question

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPageCache(t *testing.T) {
	ctx := context.Background()
	var c pageCache
	var reads atomic.Int32
	read := func(next string) func(context.Context) (pageRows, error) {
		return func(context.Context) (pageRows, error) {
			reads.Add(1)
			return pageRows{next: next}, nil
		}
	}
	k := pageKey{board: 7, order: listPublic}

	// Within the second, one read serves everybody.
	for range 3 {
		if r, err := c.get(ctx, k, read("a")); err != nil || r.next != "a" {
			t.Fatalf("get = %+v, %v", r, err)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for three gets, want 1", n)
	}
	// Another order or page is another entry; a change starts afresh.
	c.get(ctx, pageKey{board: 7, order: listOpenFirst}, read("b"))
	c.changed()
	if r, _ := c.get(ctx, k, read("c")); r.next != "c" || reads.Load() != 3 {
		t.Fatalf("after a change: %+v, %d reads", r, reads.Load())
	}
	age := func(d time.Duration) {
		c.mu.Lock()
		for _, e := range c.entries {
			e.at = e.at.Add(-d)
		}
		c.mu.Unlock()
	}
	// After the TTL one request reads the page again; meanwhile the
	// others are shown the old rows rather than wait.
	age(pageCacheTTL)
	reading, release := make(chan struct{}), make(chan struct{})
	refreshed := make(chan pageRows)
	go func() {
		r, _ := c.get(ctx, k, func(context.Context) (pageRows, error) {
			close(reading)
			<-release
			return pageRows{next: "d"}, nil
		})
		refreshed <- r
	}()
	<-reading
	if r, _ := c.get(ctx, k, read("not read")); r.next != "c" {
		t.Fatalf("during the refresh: %+v, want the old page", r)
	}
	close(release)
	if r := <-refreshed; r.next != "d" {
		t.Fatalf("the refreshing request got %+v", r)
	}
	if r, _ := c.get(ctx, k, read("not read")); r.next != "d" {
		t.Fatalf("after the refresh: %+v", r)
	}
	// Older than pageCacheStale: read again before anybody is shown it.
	age(pageCacheStale)
	if r, _ := c.get(ctx, k, read("e")); r.next != "e" {
		t.Fatalf("a stale page: %+v", r)
	}

	// A failed read is not kept.
	boom := errors.New("boom")
	k2 := pageKey{board: 8}
	if _, err := c.get(ctx, k2, func(context.Context) (pageRows, error) { return pageRows{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if r, err := c.get(ctx, k2, read("f")); err != nil || r.next != "f" {
		t.Fatalf("after a failed read: %+v, %v", r, err)
	}

	// Concurrent requests for a page being read wait for that read.
	release = make(chan struct{})
	k3 := pageKey{board: 9}
	var slowReads atomic.Int32
	slow := func(context.Context) (pageRows, error) {
		slowReads.Add(1)
		<-release
		return pageRows{next: "slow"}, nil
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if r, err := c.get(ctx, k3, slow); err != nil || r.next != "slow" {
				t.Errorf("concurrent get = %+v, %v", r, err)
			}
		})
	}
	for slowReads.Load() == 0 {
		time.Sleep(time.Millisecond) // until one of them reads
	}
	// A waiter whose request is gone stops waiting.
	gone, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { _, err := c.get(gone, k3, slow); done <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
	wg.Wait()
	if n := slowReads.Load(); n != 1 {
		t.Fatalf("%d reads for 6 concurrent gets, want 1", n)
	}

	// Full: pages read once are not kept, the cache stays bounded.
	for i := range pageCacheEntries + 50 {
		c.get(ctx, pageKey{board: 100, opts: PageOptions{After: string(rune('a'+i%26)) + time.Now().String()}}, read("x"))
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n > pageCacheEntries {
		t.Fatalf("%d entries, bound %d", n, pageCacheEntries)
	}
}
