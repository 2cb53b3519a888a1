// Package servicetest is what the tests of the services (and of the
// handlers) share: the backend matrix, every database × kv store pair the
// run has, and fixtures (users, a notifier, the outbox rows, error
// checks). It is an ordinary package so that tests of any package can use
// it; nothing else imports it.
package servicetest

import (
	"os"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// Backend is one database and kv store pair of the matrix. Its database
// and store are made on first use, fresh for the subtest, and removed at
// its end; a test that needs only one of them pays for that one.
type Backend struct {
	// Name is the subtest's name: "sqlite+memory", "mysql+redis" …
	Name string

	t            testing.TB
	mysql, redis bool
	db           *model.DB
	store        kv.Store
	prefix       string // the Redis store's key prefix
}

// Each runs fn as a subtest per backend: SQLite with the in-process store
// always, and, when YV_TEST_MYSQL_DSN or YV_TEST_REDIS_ADDR is set, the
// configured servers (MariaDB/MySQL, Redis), each paired with the other
// kind's server or, without it, SQLite or the in-process store. A
// configured server that does not answer fails the test; it is never
// skipped.
func Each(t *testing.T, fn func(t *testing.T, b *Backend)) {
	t.Helper()
	for _, b := range matrix() {
		t.Run(b.Name, func(t *testing.T) {
			b.t = t
			fn(t, b)
		})
	}
}

// matrix lists the pairs this run has.
func matrix() []*Backend {
	out := []*Backend{{Name: "sqlite+memory"}}
	mysql, redis := os.Getenv(dbtest.EnvMySQL) != "", os.Getenv(kvtest.EnvRedis) != ""
	if !mysql && !redis {
		return out
	}
	b := &Backend{Name: "sqlite", mysql: mysql, redis: redis}
	if mysql {
		b.Name = "mysql"
	}
	if redis {
		b.Name += "+redis"
	} else {
		b.Name += "+memory"
	}
	return append(out, b)
}

// MySQL reports whether the database is MariaDB/MySQL (else SQLite).
func (b *Backend) MySQL() bool { return b.mysql }

// Redis reports whether the store is Redis (else the in-process one).
func (b *Backend) Redis() bool { return b.redis }

// DB is the backend's database, migrated.
func (b *Backend) DB() *model.DB {
	if b.db == nil {
		b.db = b.NewDB(b.t)
	}
	return b.db
}

// NewDB returns another fresh, migrated database on the same engine (a
// second deployment), removed when t ends.
func (b *Backend) NewDB(t testing.TB) *model.DB {
	t.Helper()
	if b.mysql {
		return dbtest.MySQL(t)
	}
	return dbtest.SQLite(t)
}

// KV is the backend's store; the in-process one runs on the real clock.
func (b *Backend) KV() kv.Store { return b.KVOn(nil) }

// KVOn is KV with the in-process store on clk (nil: the real clock), for
// tests that move time on; Redis keeps its own time. The clock of the
// first call holds: the store is made once.
func (b *Backend) KVOn(clk clock.Clock) kv.Store {
	if b.store != nil {
		return b.store
	}
	if b.redis {
		b.prefix = kvtest.NewPrefix()
		b.store = kvtest.RedisWithPrefix(b.t, b.prefix)
	} else {
		b.store = kvtest.Memory(b.t, clk)
	}
	return b.store
}

// Peer is another handle on KV's keys, as a second instance of the
// service sharing the store has: the same in-process store, or a second
// Redis client on the same prefix (closed when t ends).
func (b *Backend) Peer(t testing.TB) kv.Store {
	t.Helper()
	store := b.KV()
	if !b.redis {
		return store
	}
	return kvtest.RedisWithPrefix(t, b.prefix)
}
