package kv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// countHook counts the SET commands that reach a connection, alone or in
// pipelines (a new connection's handshake also goes through hooks).
type countHook struct{ singles, pipelines, piped atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "set" {
			h.singles.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := 0
		for _, c := range cmds {
			if c.Name() == "set" {
				n++
			}
		}
		if n > 0 {
			h.pipelines.Add(1)
			h.piped.Add(int64(n))
		}
		return next(ctx, cmds)
	}
}

func testRedisClient(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("YV_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("YV_TEST_REDIS_ADDR is not set: the batching test needs Redis (CI sets it)")
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSetNXBatcherBatchesABurst(t *testing.T) {
	c := testRedisClient(t)
	// Open the connection first: its handshake is not the batcher's.
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	hook := &countHook{}
	c.AddHook(hook)
	prefix := fmt.Sprintf("yvtest:batch:%d:", time.Now().UnixNano())
	t.Cleanup(func() {
		keys, _ := c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			_ = c.Del(context.Background(), keys...).Err()
		}
	})
	b := newSetNXBatcher(c, func(k string) string { return prefix + k }, 1, 64, 3*time.Second)
	defer b.close()

	const calls = 400
	var wg sync.WaitGroup
	var won atomic.Int32
	start := make(chan struct{})
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := b.setNX(context.Background(), fmt.Sprint("k", i%200), "v", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won.Load() != 200 {
		t.Fatalf("%d claims won for 200 keys claimed twice each", won.Load())
	}
	sent := hook.singles.Load() + hook.pipelines.Load()
	t.Logf("%d calls: %d single commands, %d pipelines carrying %d", calls, hook.singles.Load(), hook.pipelines.Load(), hook.piped.Load())
	if hook.singles.Load()+hook.piped.Load() != calls {
		t.Fatalf("%d commands reached Redis for %d calls", hook.singles.Load()+hook.piped.Load(), calls)
	}
	if sent >= calls/2 {
		t.Fatalf("%d round trips for %d simultaneous calls: not batched", sent, calls)
	}
}

func TestSetNXBatcherCallerGivesUp(t *testing.T) {
	c := testRedisClient(t)
	prefix := fmt.Sprintf("yvtest:batch:%d:", time.Now().UnixNano())
	b := newSetNXBatcher(c, func(k string) string { return prefix + k }, 1, 64, 3*time.Second)
	defer b.close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.setNX(ctx, "gone", "v", time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n, _ := c.Exists(context.Background(), prefix+"gone").Result(); n != 0 {
		t.Fatal("a call whose caller had gone claimed its key")
	}
}

// Without Redis: a dead server fails every queued call, none hangs, and
// calls after close are refused.
func TestSetNXBatcherServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer func() { _ = c.Close() }()
	b := newSetNXBatcher(c, func(k string) string { return k }, 1, 16, time.Second)

	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.setNX(context.Background(), fmt.Sprint("k", i), "v", time.Minute)
			if err != nil && !ok {
				failed.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("calls still waiting 10 s after the server was found down")
	}
	if failed.Load() != 50 {
		t.Fatalf("%d of 50 calls failed against a dead server", failed.Load())
	}
	b.close()
	if _, err := b.setNX(context.Background(), "late", "v", time.Minute); !errors.Is(err, errClosed) {
		t.Fatalf("after close: err = %v, want errClosed", err)
	}
}

// Without Redis: a server that accepts connections and never answers.
// Callers whose context has no deadline (a WeChat push's has none) are
// still answered within about the batcher's timeout: those queued behind a
// stuck pipeline, and those that found the queue full.
func TestSetNXBatcherStuckServerBoundsEveryCall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, conn) }() // reads, never answers
		}
	}()
	const timeout = 300 * time.Millisecond
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: timeout, MaxRetries: -1, PoolSize: 1})
	defer func() { _ = c.Close() }()
	// One flusher, one call per pipeline: a queue of four.
	b := newSetNXBatcher(c, func(k string) string { return k }, 1, 1, timeout)
	defer b.close()

	const calls = 30
	var (
		wg       sync.WaitGroup
		failed   atomic.Int32
		deadline atomic.Int32
	)
	start := time.Now()
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.setNX(context.Background(), fmt.Sprint("k", i), "v", time.Minute)
			if err != nil && !ok {
				failed.Add(1)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				deadline.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if failed.Load() != calls {
		t.Fatalf("%d of %d calls failed against a server that never answers", failed.Load(), calls)
	}
	// Sent one by one, the calls would take calls × timeout (9 s); the
	// queue holds four, so about five timeouts at most.
	if took > 12*timeout {
		t.Fatalf("the calls took %s with a %s timeout", took, timeout)
	}
	if deadline.Load() == 0 {
		t.Fatal("no call was turned away from the full queue")
	}
	t.Logf("%d calls answered in %s, %d turned away from the full queue", calls, took, deadline.Load())
}
