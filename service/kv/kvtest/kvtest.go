// Package kvtest gives tests a kv.Store on every backend the run has: the
// in-process store always, Redis when YV_TEST_REDIS_ADDR is set. Each test
// gets its own key prefix, removed at cleanup.
package kvtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// EnvRedis names the variable holding the test Redis address.
const EnvRedis = "YV_TEST_REDIS_ADDR"

// Each runs fn as a subtest per backend ("memory", "redis", and
// "sentinel" and "cluster" when EnvSentinel is 1).
func Each(t *testing.T, fn func(t *testing.T, s kv.Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) { fn(t, Memory(t, nil)) })
	if os.Getenv(EnvRedis) != "" {
		t.Run("redis", func(t *testing.T) { fn(t, Redis(t)) })
	}
	if os.Getenv(EnvSentinel) == "1" {
		// The same suite through a real Sentinel deployment of its own, as
		// an instance with YV_REDIS_MASTER_NAME reaches Redis.
		t.Run("sentinel", func(t *testing.T) { fn(t, StartSentinel(t).Store(t, NewPrefix())) })
		// And through a Cluster, whose keys live on different nodes.
		t.Run("cluster", func(t *testing.T) { fn(t, ClusterStore(t, StartCluster(t), NewPrefix())) })
	}
}

// Memory returns an in-process store on clk (nil: the real clock).
func Memory(t testing.TB, clk clock.Clock) *kv.Memory {
	t.Helper()
	if clk == nil {
		clk = clock.Real{}
	}
	m, err := kv.NewMemory(clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// Redis returns a store on YV_TEST_REDIS_ADDR under a fresh prefix.
func Redis(t testing.TB) *kv.Redis {
	t.Helper()
	return RedisWithPrefix(t, NewPrefix())
}

// NewPrefix returns a unique key prefix; two stores built with the same
// prefix share keys, as two service instances sharing one Redis do.
func NewPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "yvtest:" + hex.EncodeToString(b) + ":"
}

// RedisWithPrefix returns a store on YV_TEST_REDIS_ADDR under prefix and
// deletes the prefix's keys at cleanup.
func RedisWithPrefix(t testing.TB, prefix string) *kv.Redis {
	t.Helper()
	addr := os.Getenv(EnvRedis)
	if addr == "" {
		t.Fatalf("%s is not set", EnvRedis)
	}
	ctx := context.Background()
	s, err := kv.NewRedis(ctx, kv.RedisOptions{Addr: addr, Prefix: prefix})
	if err != nil {
		t.Fatalf("connect %s: %v", EnvRedis, err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return s
}
