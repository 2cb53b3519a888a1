package kv

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// errClosed is returned by calls made after Close.
var errClosed = errors.New("kv: store closed")

// setNXBatcher sends SET NX calls made at the same moment by different
// requests to Redis as one pipeline: one write and one read for the whole
// batch instead of a round trip each. Every WeChat push claims its dedupe
// key this way, so under load most of the Redis cost of the callback was
// the system calls of those round trips, on both sides.
//
// A few flushers take requests from one queue. When the load is light a
// request finds an idle flusher and goes out alone at once; when all
// flushers are busy, requests wait in the queue and the next free flusher
// takes everything waiting (up to maxBatch) in one pipeline. Nothing waits
// on a timer, so batching never adds latency of its own.
type setNXBatcher struct {
	client   redis.UniversalClient
	key      func(string) string
	queue    chan *setNXCall
	maxBatch int
	timeout  time.Duration

	mu     sync.RWMutex // held shared while enqueuing, exclusively by close
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

type setNXCall struct {
	ctx  context.Context
	key  string
	val  string
	ttl  time.Duration
	won  bool
	err  error
	done chan struct{} // receives once, when won and err are set
}

// setNXCalls recycles calls (and their channels): every WeChat push makes
// one. A call goes back only after its answer was received, when the
// batcher no longer touches it.
var setNXCalls = sync.Pool{New: func() any { return &setNXCall{done: make(chan struct{}, 1)} }}

// answer hands the result to the waiting caller.
func (c *setNXCall) answer(won bool, err error) {
	c.won, c.err = won, err
	c.done <- struct{}{}
}

func newSetNXBatcher(client redis.UniversalClient, key func(string) string, flushers, maxBatch int, timeout time.Duration) *setNXBatcher {
	b := &setNXBatcher{
		client:   client,
		key:      key,
		queue:    make(chan *setNXCall, 4*maxBatch*flushers),
		maxBatch: maxBatch,
		timeout:  timeout,
		stop:     make(chan struct{}),
	}
	b.wg.Add(flushers)
	for range flushers {
		go b.run()
	}
	return b
}

// setNX queues one call and waits for its answer. Waiting for room in a
// full queue ends with ctx or after the batcher's timeout; a queued call is
// answered within the timeout.
func (b *setNXBatcher) setNX(ctx context.Context, key, val string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c := setNXCalls.Get().(*setNXCall) //nolint:errcheck // the pool holds nothing else
	c.ctx, c.key, c.val, c.ttl = ctx, key, val, ttl
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		setNXCalls.Put(c.reset())
		return false, errClosed
	}
	// Room in the queue is the usual case, and needs neither ctx.Done
	// (which makes the request's context allocate its channel) nor a timer.
	select {
	case b.queue <- c:
		b.mu.RUnlock()
	default:
		err := b.enqueueWait(ctx, c)
		b.mu.RUnlock()
		if err != nil {
			setNXCalls.Put(c.reset())
			return false, err
		}
	}
	// Once queued, the call is answered within the batcher's timeout. It
	// is waited for even if ctx ends meanwhile: a key claimed for a caller
	// that had stopped listening would be held with nobody processing it.
	// A call whose ctx has ended before it is sent is not sent at all.
	<-c.done
	won, err := c.won, c.err
	setNXCalls.Put(c.reset())
	return won, err
}

// reset clears a call for reuse; its channel is empty.
func (c *setNXCall) reset() *setNXCall {
	c.ctx, c.key, c.val, c.won, c.err = nil, "", "", false, nil
	return c
}

// enqueueWait waits for room in the queue, for ctx or for the timeout.
func (b *setNXBatcher) enqueueWait(ctx context.Context, c *setNXCall) error {
	t := time.NewTimer(b.timeout)
	defer t.Stop()
	select {
	case b.queue <- c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("kv: Redis SET NX queue still full after %s: %w", b.timeout, context.DeadlineExceeded)
	}
}

func (b *setNXBatcher) run() {
	defer b.wg.Done()
	batch := make([]*setNXCall, 0, b.maxBatch)
	for {
		select {
		case c := <-b.queue:
			batch = append(batch[:0], c)
		case <-b.stop:
			// close has stopped the enqueuing; answer what is left.
			for {
				select {
				case c := <-b.queue:
					b.exec([]*setNXCall{c})
				default:
					return
				}
			}
		}
		if len(b.queue) < b.maxBatch {
			// Let the requests already running reach their claim first: one
			// yield, no timer. With nothing else runnable it returns at
			// once; under load it made pipelines longer and cut
			// redis-server's CPU per push by about a third (6 to 4 µs in
			// `make bench`).
			runtime.Gosched()
		}
	fill:
		for len(batch) < b.maxBatch {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.exec(batch)
		clear(batch)
	}
}

// exec sends the live calls of batch as one pipeline and answers each.
func (b *setNXBatcher) exec(batch []*setNXCall) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			// Its caller has gone: do not claim a key nobody will process.
			c.answer(false, err)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	// The pipeline outlives any one caller: a caller that gives up does not
	// fail the others' claims. The client's own read and write timeouts
	// bound it too.
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	if len(live) == 1 {
		c := live[0]
		c.answer(setNXResult(b.client.SetArgs(ctx, b.key(c.key), c.val, redis.SetArgs{Mode: "NX", TTL: c.ttl})))
		return
	}
	pipe := b.client.Pipeline()
	cmds := make([]*redis.StatusCmd, len(live))
	for i, c := range live {
		cmds[i] = pipe.SetArgs(ctx, b.key(c.key), c.val, redis.SetArgs{Mode: "NX", TTL: c.ttl})
	}
	// Exec's error is the first command's; each command carries its own.
	_, _ = pipe.Exec(ctx)
	for i, c := range live {
		c.answer(setNXResult(cmds[i]))
	}
}

func setNXResult(cmd *redis.StatusCmd) (bool, error) {
	res, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return res == "OK", nil
}

// close refuses new calls, answers the queued ones and stops the flushers.
func (b *setNXBatcher) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	b.wg.Wait()
}
