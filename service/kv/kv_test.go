package kv_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

func TestStore(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		ctx := context.Background()

		t.Run("get missing key", func(t *testing.T) {
			if _, err := s.Get(ctx, "nope"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("Get(missing) err = %v, want ErrMiss", err)
			}
		})
		t.Run("set then get", func(t *testing.T) {
			if err := s.Set(ctx, "a", "中文值", 0); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Get(ctx, "a"); err != nil || v != "中文值" {
				t.Fatalf("Get = %q, %v", v, err)
			}
			if d, err := s.TTL(ctx, "a"); err != nil || d != 0 {
				t.Fatalf("TTL of persistent key = %v, %v; want 0", d, err)
			}
		})
		t.Run("ttl expires", func(t *testing.T) {
			if err := s.Set(ctx, "short", "x", 80*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			d, err := s.TTL(ctx, "short")
			if err != nil || d <= 0 || d > 80*time.Millisecond {
				t.Fatalf("TTL = %v, %v", d, err)
			}
			time.Sleep(150 * time.Millisecond)
			if _, err := s.Get(ctx, "short"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("expired key still readable: %v", err)
			}
			if _, err := s.TTL(ctx, "short"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("TTL of expired key err = %v", err)
			}
		})
		t.Run("setnx only once", func(t *testing.T) {
			ok, err := s.SetNX(ctx, "nx", "first", time.Minute)
			if err != nil || !ok {
				t.Fatalf("first SetNX = %v, %v", ok, err)
			}
			ok, err = s.SetNX(ctx, "nx", "second", time.Minute)
			if err != nil || ok {
				t.Fatalf("second SetNX = %v, %v; want false", ok, err)
			}
			if v, _ := s.Get(ctx, "nx"); v != "first" {
				t.Fatalf("value = %q, want first", v)
			}
		})
		t.Run("setnx after expiry", func(t *testing.T) {
			if ok, _ := s.SetNX(ctx, "nx2", "a", 50*time.Millisecond); !ok {
				t.Fatal("first SetNX failed")
			}
			time.Sleep(120 * time.Millisecond)
			if ok, err := s.SetNX(ctx, "nx2", "b", time.Minute); err != nil || !ok {
				t.Fatalf("SetNX after expiry = %v, %v; want true", ok, err)
			}
		})
		t.Run("concurrent setnx has one winner", func(t *testing.T) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					ok, err := s.SetNX(ctx, "race", fmt.Sprint(i), time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				}(i)
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d winners, want 1", wins.Load())
			}
		})
		t.Run("concurrent setnx over many keys", func(t *testing.T) {
			// As under a burst of pushes: many keys claimed at once, a few
			// contenders each (the Redis store sends them as pipelines).
			const keys, contenders = 100, 4
			winner := make([]atomic.Int32, keys)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for c := range contenders {
				for k := range keys {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok, err := s.SetNX(ctx, fmt.Sprint("many:", k), fmt.Sprint(c), time.Minute)
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							wins.Add(1)
							winner[k].Store(int32(c))
						}
					}()
				}
			}
			wg.Wait()
			if wins.Load() != keys {
				t.Fatalf("%d winners for %d keys", wins.Load(), keys)
			}
			for k := range keys {
				v, err := s.Get(ctx, fmt.Sprint("many:", k))
				if err != nil || v != fmt.Sprint(winner[k].Load()) {
					t.Fatalf("key %d holds %q (%v), want the winner's %d", k, v, err, winner[k].Load())
				}
			}
			if d, err := s.TTL(ctx, "many:7"); err != nil || d <= 0 || d > time.Minute {
				t.Fatalf("TTL = %v, %v; want the minute given", d, err)
			}
		})
		t.Run("setxx only replaces a live key", func(t *testing.T) {
			if ok, err := s.SetXX(ctx, "xx", "v", time.Minute); err != nil || ok {
				t.Fatalf("SetXX(missing) = %v, %v; want false", ok, err)
			}
			if _, err := s.Get(ctx, "xx"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("SetXX created the key: %v", err)
			}
			_ = s.Set(ctx, "xx", "old", 100*time.Millisecond)
			if ok, err := s.SetXX(ctx, "xx", "new", time.Minute); err != nil || !ok {
				t.Fatalf("SetXX(present) = %v, %v; want true", ok, err)
			}
			if v, err := s.Get(ctx, "xx"); err != nil || v != "new" {
				t.Fatalf("value = %q, %v; want new", v, err)
			}
			if d, err := s.TTL(ctx, "xx"); err != nil || d <= 100*time.Millisecond || d > time.Minute {
				t.Fatalf("TTL after SetXX = %v, %v; want the new minute", d, err)
			}
			// Deleted, it stays deleted.
			_ = s.Del(ctx, "xx")
			if ok, err := s.SetXX(ctx, "xx", "again", time.Minute); err != nil || ok {
				t.Fatalf("SetXX after Del = %v, %v; want false", ok, err)
			}
			if _, err := s.Get(ctx, "xx"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("SetXX revived a deleted key: %v", err)
			}
			// Expired, too.
			_ = s.Set(ctx, "xx2", "v", 50*time.Millisecond)
			time.Sleep(120 * time.Millisecond)
			if ok, err := s.SetXX(ctx, "xx2", "late", time.Minute); err != nil || ok {
				t.Fatalf("SetXX after expiry = %v, %v; want false", ok, err)
			}
			if _, err := s.Get(ctx, "xx2"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("SetXX revived an expired key: %v", err)
			}
		})
		t.Run("getdel is single use", func(t *testing.T) {
			_ = s.Set(ctx, "once", "v", time.Minute)
			if v, err := s.GetDel(ctx, "once"); err != nil || v != "v" {
				t.Fatalf("GetDel = %q, %v", v, err)
			}
			if _, err := s.GetDel(ctx, "once"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("second GetDel err = %v, want ErrMiss", err)
			}
		})
		t.Run("del", func(t *testing.T) {
			_ = s.Set(ctx, "d1", "1", 0)
			_ = s.Set(ctx, "d2", "2", 0)
			if err := s.Del(ctx, "d1", "d2", "never-there"); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"d1", "d2"} {
				if _, err := s.Get(ctx, k); !errors.Is(err, kv.ErrMiss) {
					t.Fatalf("%s survived Del", k)
				}
			}
		})
		t.Run("compare and delete", func(t *testing.T) {
			_ = s.Set(ctx, "tok", "old", time.Minute)
			if ok, err := s.CompareAndDelete(ctx, "tok", "other"); err != nil || ok {
				t.Fatalf("CAD with wrong value = %v, %v", ok, err)
			}
			if v, _ := s.Get(ctx, "tok"); v != "old" {
				t.Fatal("wrong-value CAD deleted the key")
			}
			if ok, err := s.CompareAndDelete(ctx, "tok", "old"); err != nil || !ok {
				t.Fatalf("CAD with right value = %v, %v", ok, err)
			}
			if ok, _ := s.CompareAndDelete(ctx, "tok", "old"); ok {
				t.Fatal("CAD on missing key reported success")
			}
		})
		t.Run("counter with ttl", func(t *testing.T) {
			for want := int64(1); want <= 3; want++ {
				n, err := s.Incr(ctx, "ctr", 100*time.Millisecond)
				if err != nil || n != want {
					t.Fatalf("Incr = %d, %v; want %d", n, err, want)
				}
			}
			time.Sleep(180 * time.Millisecond)
			if n, err := s.Incr(ctx, "ctr", time.Minute); err != nil || n != 1 {
				t.Fatalf("Incr after expiry = %d, %v; want 1 (window restarts)", n, err)
			}
		})
		t.Run("counter on text fails", func(t *testing.T) {
			_ = s.Set(ctx, "txt", "abc", 0)
			if _, err := s.Incr(ctx, "txt", 0); err == nil {
				t.Fatal("Incr on a non-number succeeded")
			}
			if _, err := s.Decr(ctx, "txt"); err == nil {
				t.Fatal("Decr on a non-number succeeded")
			}
		})
		t.Run("decr undoes incr and keeps the ttl", func(t *testing.T) {
			for range 3 {
				if _, err := s.Incr(ctx, "undo", time.Minute); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := s.Decr(ctx, "undo"); err != nil || n != 2 {
				t.Fatalf("Decr = %d, %v; want 2", n, err)
			}
			if v, err := s.Get(ctx, "undo"); err != nil || v != "2" {
				t.Fatalf("value after Decr = %q, %v; want 2", v, err)
			}
			if d, err := s.TTL(ctx, "undo"); err != nil || d <= 0 || d > time.Minute {
				t.Fatalf("TTL after Decr = %v, %v; want the minute of the first Incr", d, err)
			}
			if n, err := s.Incr(ctx, "undo", time.Hour); err != nil || n != 3 {
				t.Fatalf("Incr after Decr = %d, %v; want 3", n, err)
			}
		})
		t.Run("decr of a missing counter leaves it missing", func(t *testing.T) {
			if n, err := s.Decr(ctx, "never-counted"); err != nil || n != 0 {
				t.Fatalf("Decr(missing) = %d, %v; want 0", n, err)
			}
			if _, err := s.Get(ctx, "never-counted"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("Decr created the key: %v", err)
			}
			// Nor does an expired one come back with no expiry.
			if _, err := s.Incr(ctx, "gone", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			time.Sleep(120 * time.Millisecond)
			if n, err := s.Decr(ctx, "gone"); err != nil || n != 0 {
				t.Fatalf("Decr(expired) = %d, %v; want 0", n, err)
			}
			if _, err := s.Get(ctx, "gone"); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("Decr revived an expired key: %v", err)
			}
		})
		t.Run("ping", func(t *testing.T) {
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestRedisPrefixIsolatesInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	kvtest.Each(t, func(t *testing.T, s kv.Store) {
		if s.Backend() != "redis" {
			return
		}
		ctx := context.Background()
		p := kvtest.NewPrefix()
		a, b, other := kvtest.RedisWithPrefix(t, p), kvtest.RedisWithPrefix(t, p), kvtest.Redis(t)
		if ok, _ := a.SetNX(ctx, "k", "a", time.Minute); !ok {
			t.Fatal("a could not claim")
		}
		if ok, _ := b.SetNX(ctx, "k", "b", time.Minute); ok {
			t.Fatal("second instance with the same prefix claimed the same key")
		}
		if ok, _ := other.SetNX(ctx, "k", "c", time.Minute); !ok {
			t.Fatal("a different prefix saw the other deployment's key")
		}
	})
}

// The constructors refuse a missing dependency instead of running on a
// default the caller did not choose.
func TestConstructorsRejectNil(t *testing.T) {
	if m, err := kv.NewMemory(nil); err == nil || m != nil {
		t.Errorf("NewMemory(nil): %v, %v; want an error", m, err)
	}
	//nolint:staticcheck // a nil context is the point
	if r, err := kv.NewRedis(nil, kv.RedisOptions{Addr: "127.0.0.1:1"}); err == nil || r != nil {
		t.Errorf("NewRedis(nil, …): %v, %v; want an error", r, err)
	}
}
