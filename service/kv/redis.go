package kv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errNotInteger mirrors Redis's answer to INCR on a non-number.
var errNotInteger = errors.New("kv: value is not an integer")

// Redis is the production Store: one server, a Sentinel-managed master
// or a Cluster, through go-redis's universal client. Prefix namespaces
// every key so that several deployments (or test runs) can share one
// server.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	nx      *setNXBatcher
	mode    string
	cluster bool
}

// RedisOptions configures NewRedis.
type RedisOptions struct {
	// Addr is one address, or several separated by commas: the Sentinels
	// when MasterName is set, else the Cluster's seed nodes.
	Addr string
	// MasterName selects Sentinel: the name the Sentinels monitor.
	MasterName string
	// Cluster selects Cluster mode with a single seed address (several
	// addresses without MasterName select it anyway).
	Cluster  bool
	Password string
	// SentinelPassword authenticates to the Sentinels (their own
	// requirepass), when they have one.
	SentinelPassword string
	DB               int
	Prefix           string
}

// Redis deployment modes, as Mode reports them.
const (
	RedisSingle   = "single"
	RedisSentinel = "sentinel"
	RedisCluster  = "cluster"
)

// Addrs splits a comma-separated address list, dropping blanks.
func (o RedisOptions) Addrs() []string {
	var out []string
	for _, a := range strings.Split(o.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Mode is the deployment the options select, as go-redis's
// NewUniversalClient chooses it.
func (o RedisOptions) Mode() string {
	switch {
	case o.MasterName != "":
		return RedisSentinel
	case o.Cluster || len(o.Addrs()) > 1:
		return RedisCluster
	default:
		return RedisSingle
	}
}

// NewRedis connects and checks that the server answers.
func NewRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	if ctx == nil {
		return nil, errors.New("kv.NewRedis: nil context")
	}
	addrs := o.Addrs()
	if len(addrs) == 0 {
		return nil, errors.New("kv.NewRedis: no address")
	}
	mode := o.Mode()
	if mode == RedisCluster && o.DB != 0 {
		return nil, fmt.Errorf("集群模式的 Redis 只有 0 号库，YV_REDIS_DB 必须为 0（当前 %d）", o.DB)
	}
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:            addrs,
		MasterName:       o.MasterName,
		IsClusterMode:    mode == RedisCluster,
		Password:         o.Password,
		SentinelPassword: o.SentinelPassword,
		DB:               o.DB,
		DialTimeout:      3 * time.Second,
		ReadTimeout:      2 * time.Second,
		WriteTimeout:     2 * time.Second,
		PoolSize:         64,
	})
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("Redis（%s，%s）无法连接（YV_REDIS_ADDR / YV_REDIS_MASTER_NAME / YV_REDIS_PASSWORD / YV_REDIS_DB）: %w", mode, o.Addr, err)
	}
	r := &Redis{client: c, prefix: o.Prefix, mode: mode, cluster: mode == RedisCluster}
	r.nx = newSetNXBatcher(c, r.k, setNXFlushers, setNXMaxBatch, 3*time.Second)
	return r, nil
}

// Mode reports the deployment: RedisSingle, RedisSentinel or RedisCluster.
func (r *Redis) Mode() string { return r.mode }

// SetNX batching: flushers running at once and calls per pipeline.
const (
	setNXFlushers = 1
	setNXMaxBatch = 128
)

func (r *Redis) k(key string) string { return r.prefix + key }

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) (string, error) {
	v, err := r.client.Get(ctx, r.k(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrMiss
	}
	return v, err
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key, val string, ttl time.Duration) error {
	return r.client.Set(ctx, r.k(key), val, ttl).Err()
}

// SetNX implements Store. Calls made at the same time share one pipeline
// (see setNXBatcher).
func (r *Redis) SetNX(ctx context.Context, key, val string, ttl time.Duration) (bool, error) {
	return r.nx.setNX(ctx, key, val, ttl)
}

// SetXX implements Store.
func (r *Redis) SetXX(ctx context.Context, key, val string, ttl time.Duration) (bool, error) {
	return r.client.SetXX(ctx, r.k(key), val, ttl).Result()
}

// GetDel implements Store.
func (r *Redis) GetDel(ctx context.Context, key string) (string, error) {
	v, err := r.client.GetDel(ctx, r.k(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrMiss
	}
	return v, err
}

// Del implements Store.
func (r *Redis) Del(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if r.cluster && len(keys) > 1 {
		// A Cluster refuses a DEL whose keys hash to different slots
		// (CROSSSLOT); one DEL per key in a pipeline goes to each key's
		// node.
		_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, r.k(k))
			}
			return nil
		})
		return err
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.k(k)
	}
	return r.client.Del(ctx, full...).Err()
}

var compareAndDelete = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)

// CompareAndDelete implements Store.
func (r *Redis) CompareAndDelete(ctx context.Context, key, expect string) (bool, error) {
	n, err := compareAndDelete.Run(ctx, r.client, []string{r.k(key)}, expect).Int()
	return n == 1, err
}

var incrWithTTL = redis.NewScript(`
local n = redis.call("INCR", KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
end
return n`)

// Incr implements Store.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	n, err := incrWithTTL.Run(ctx, r.client, []string{r.k(key)}, ttl.Milliseconds()).Int64()
	if err != nil && isNotInteger(err) {
		return 0, errNotInteger
	}
	return n, err
}

var decrIfExists = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
  return redis.call("DECR", KEYS[1])
end
return 0`)

// Decr implements Store.
func (r *Redis) Decr(ctx context.Context, key string) (int64, error) {
	n, err := decrIfExists.Run(ctx, r.client, []string{r.k(key)}).Int64()
	if err != nil && isNotInteger(err) {
		return 0, errNotInteger
	}
	return n, err
}

func isNotInteger(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(re.Error(), "not an integer")
}

// TTL implements Store.
func (r *Redis) TTL(ctx context.Context, key string) (time.Duration, error) {
	d, err := r.client.PTTL(ctx, r.k(key)).Result()
	if err != nil {
		return 0, err
	}
	switch {
	case d == -2*time.Nanosecond || d == -2*time.Millisecond:
		return 0, ErrMiss
	case d < 0:
		return 0, nil
	}
	return d, nil
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close implements Store.
func (r *Redis) Close() error {
	r.nx.close()
	return r.client.Close()
}

// Backend implements Store.
func (r *Redis) Backend() string { return "redis" }

// slogPrinter passes go-redis's own log lines (Sentinel master switches,
// lost connections) to the service's structured log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}

// LogRedisTo sends go-redis's log lines to log instead of the standard
// logger. go-redis keeps one logger per process, so this is called once,
// by main.
func LogRedisTo(log *slog.Logger) {
	if log != nil {
		redis.SetLogger(slogPrinter{log: log})
	}
}
