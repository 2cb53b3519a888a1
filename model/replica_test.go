package model_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
)

// The replica tests run on the replication pair .ci/run starts (two
// mariadbd, the second a binlog replica of the first).

// logBuffer collects a logger's output, safe for the DB's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const (
	warnDown = "只读副本不可用"
	infoUp   = "报表查询使用只读副本"
)

// replicaSetup is a migrated database on the pair, opened with reports on
// the replica.
type replicaSetup struct {
	db       *model.DB
	log      *logBuffer
	replica  *gorm.DB // the database on the replica, directly
	primary  *gorm.DB // the database on the primary, directly
	serverID struct{ primary, replica int64 }
}

// openReplica opens the pair's database with reports on replicaDSN (the
// replica, or a proxy to it).
func openReplica(t *testing.T, primaryDSN, replicaDSN, directReplicaDSN string, o model.Options) *replicaSetup {
	t.Helper()
	s := &replicaSetup{log: &logBuffer{}}
	o.ReplicaDSN = replicaDSN
	o.Log = slog.New(slog.NewTextHandler(s.log, nil))
	s.db = openMySQLWith(t, primaryDSN, o)
	s.primary = direct(t, primaryDSN)
	s.replica = direct(t, directReplicaDSN)
	if err := s.primary.Raw("SELECT @@server_id").Scan(&s.serverID.primary).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.replica.Raw("SELECT @@server_id").Scan(&s.serverID.replica).Error; err != nil {
		t.Fatal(err)
	}
	if s.serverID.primary == s.serverID.replica {
		t.Fatalf("primary and replica have the same server_id %d", s.serverID.primary)
	}
	// The migrations ran on the primary; wait for the replica to have
	// the heartbeat table.
	waitFor(t, 10*time.Second, "the migrations to reach the replica", func() bool {
		var n int64
		s.replica.Raw("SELECT COUNT(*) FROM report_heartbeats").Scan(&n)
		return n == 1
	})
	return s
}

func direct(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	g, err := gorm.Open(gmysql.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := g.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return g
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
	}
}

// reportServer is the server_id Reports reads from (0 when it fails).
func (s *replicaSetup) reportServer(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := s.db.Reports(context.Background()).Raw("SELECT @@server_id").Scan(&id).Error; err != nil {
		return 0
	}
	return id
}

// beatAndWait writes the heartbeat and waits until the replica has it.
func (s *replicaSetup) beatAndWait(t *testing.T) time.Time {
	t.Helper()
	before := time.Now().UTC().Add(-10 * time.Millisecond)
	if err := s.db.BeatReports(context.Background()); err != nil {
		t.Fatal(err)
	}
	var beat time.Time
	waitFor(t, 10*time.Second, "the heartbeat to reach the replica", func() bool {
		s.replica.Raw("SELECT beat_at FROM report_heartbeats WHERE id = 1").Scan(&beat)
		return !beat.Before(before)
	})
	return beat
}

func TestReportsReadTheReplica(t *testing.T) {
	primaryDSN, replicaDSN := dbtest.ReplicaPair(t)
	s := openReplica(t, primaryDSN, replicaDSN, replicaDSN, model.Options{HeartbeatEvery: 100 * time.Millisecond})
	ctx := context.Background()
	beat := s.beatAndWait(t)
	// The next check sees the fresh heartbeat.
	waitFor(t, 5*time.Second, "reports to use the replica", func() bool { return s.reportServer(t) == s.serverID.replica })
	var connServer int64
	if err := s.db.Conn(ctx).Raw("SELECT @@server_id").Scan(&connServer).Error; err != nil || connServer != s.serverID.primary {
		t.Fatalf("Conn reads server %d (%v), want the primary %d", connServer, err, s.serverID.primary)
	}
	// A statement dbresolver would take for a write (it does not start
	// with SELECT) still reads the replica.
	var viaWith int64
	if err := s.db.Reports(ctx).Raw("WITH x AS (SELECT @@server_id AS id) SELECT id FROM x").Scan(&viaWith).Error; err != nil || viaWith != s.serverID.replica {
		t.Fatalf("WITH … read server %d (%v), want the replica %d", viaWith, err, s.serverID.replica)
	}

	t.Run("a write on the primary reaches the reports", func(t *testing.T) {
		u := model.User{Account: "replicated01", AccountKey: "replicated01", PasswordHash: "x", Role: model.RoleStudent,
			CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		if err := s.db.Conn(ctx).Create(&u).Error; err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the new user to reach the replica", func() bool {
			var n int64
			s.db.Reports(ctx).Model(&model.User{}).Where("account = ?", "replicated01").Count(&n)
			return n == 1
		})
	})

	t.Run("a row only the replica has is what reports see", func(t *testing.T) {
		// Written on the replica alone (root may write to a read-only
		// replica); an id the primary will not reach.
		if err := s.replica.Exec("INSERT INTO users (id, account, account_key, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?)",
			uint64(1)<<40, "replicaonly01", "replicaonly01", model.RoleStudent, time.Now().UTC(), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		var onReplica, onPrimary int64
		s.db.Reports(ctx).Model(&model.User{}).Where("account = ?", "replicaonly01").Count(&onReplica)
		s.db.Conn(ctx).Model(&model.User{}).Where("account = ?", "replicaonly01").Count(&onPrimary)
		if onReplica != 1 || onPrimary != 0 {
			t.Fatalf("replica-only row: Reports sees %d, Conn sees %d; want 1 and 0", onReplica, onPrimary)
		}
	})

	t.Run("as of the replica's heartbeat", func(t *testing.T) {
		asOf, err := s.db.ReportsAsOf(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if asOf.Before(beat.Add(-time.Millisecond)) || asOf.After(time.Now()) {
			t.Fatalf("ReportsAsOf = %v, want the heartbeat %v or a later one", asOf, beat)
		}
	})

	t.Run("a cancelled report stops on the replica", func(t *testing.T) {
		marker := newMarker()
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			var n int64
			errc <- s.db.Reports(cctx).Raw("SELECT /* " + marker + " */ SUM(a.seq * b.seq) FROM seq_1_to_100000 a, seq_1_to_100000 b").Scan(&n).Error
		}()
		waitRunning(t, s.replica, marker)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled report: %v", err)
		}
		if !gone(t, s.replica, marker, time.Second) {
			t.Fatalf("the cancelled report is still running on the replica 1 s later; log:\n%s", s.log)
		}
	})

	if n := s.log.count("WARN", warnDown); n != 0 {
		t.Fatalf("%d WARN about the replica while it was up:\n%s", n, s.log)
	}
}

// proxy forwards TCP connections to a server and can drop them all, as a
// replica that goes down (or its network) does.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop closes the listener and every connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// dsnVia is dsn with its address replaced.
func dsnVia(t *testing.T, dsn, addr string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = addr
	return cfg.FormatDSN()
}

func TestReportsFallBackWhileTheReplicaIsDown(t *testing.T) {
	primaryDSN, replicaDSN := dbtest.ReplicaPair(t)
	cfg, _ := mysql.ParseDSN(replicaDSN)
	px := newProxy(t, cfg.Addr)
	s := openReplica(t, primaryDSN, dsnVia(t, replicaDSN, px.addr), replicaDSN, model.Options{HeartbeatEvery: 100 * time.Millisecond})
	ctx := context.Background()
	s.beatAndWait(t)
	waitFor(t, 5*time.Second, "reports to use the replica", func() bool { return s.reportServer(t) == s.serverID.replica })
	if n := s.log.count("INFO", infoUp); n != 1 {
		t.Fatalf("%d INFO %q, want 1:\n%s", n, infoUp, s.log)
	}

	px.stop() // the replica goes away
	// At most the statement already on its way fails; from the next
	// check on, reports read the primary.
	waitFor(t, 5*time.Second, "reports to fall back to the primary", func() bool { return s.reportServer(t) == s.serverID.primary })
	for i := range 30 {
		if got := s.reportServer(t); got != s.serverID.primary {
			t.Fatalf("report %d while the replica is down read server %d, want the primary %d", i, got, s.serverID.primary)
		}
		time.Sleep(10 * time.Millisecond) // several checks fall in this loop
	}
	if n := s.log.count("WARN", warnDown); n != 1 {
		t.Fatalf("%d WARN %q while the replica was down, want exactly 1:\n%s", n, warnDown, s.log)
	}
	before := time.Now().Add(-time.Second)
	if asOf, err := s.db.ReportsAsOf(ctx); err != nil || asOf.Before(before) {
		t.Fatalf("ReportsAsOf on the primary = %v, %v; want now", asOf, err)
	}

	px.start(px.addr) // back, at the same address
	waitFor(t, 5*time.Second, "reports to return to the replica", func() bool { return s.reportServer(t) == s.serverID.replica })
	if n := s.log.count("INFO", infoUp); n != 2 {
		t.Fatalf("%d INFO %q, want 2 (start, recovery):\n%s", n, infoUp, s.log)
	}
	if n := s.log.count("WARN", warnDown); n != 1 {
		t.Fatalf("%d WARN %q in all, want 1:\n%s", n, warnDown, s.log)
	}
}

func TestReportsFallBackWhileTheReplicaLags(t *testing.T) {
	primaryDSN, replicaDSN := dbtest.ReplicaPair(t)
	const maxLag = time.Second
	s := openReplica(t, primaryDSN, replicaDSN, replicaDSN, model.Options{HeartbeatEvery: 100 * time.Millisecond, ReplicaMaxLag: maxLag})
	s.beatAndWait(t)
	waitFor(t, 5*time.Second, "reports to use the replica", func() bool { return s.reportServer(t) == s.serverID.replica })
	// No beat for longer than the allowed lag, as when replication has
	// stopped: the replica's data are too old.
	time.Sleep(maxLag + 200*time.Millisecond)
	waitFor(t, 5*time.Second, "reports to fall back to the primary", func() bool { return s.reportServer(t) == s.serverID.primary })
	if n := s.log.count("WARN", "落后主库"); n != 1 {
		t.Fatalf("%d WARN about the lag, want 1:\n%s", n, s.log)
	}
	s.beatAndWait(t)
	waitFor(t, 5*time.Second, "reports to return to the replica", func() bool { return s.reportServer(t) == s.serverID.replica })
}

func TestReplicaDownAtStartUp(t *testing.T) {
	primaryDSN, replicaDSN := dbtest.ReplicaPair(t)
	// Nothing listens there: start-up goes on, reports use the primary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	s := openReplica(t, primaryDSN, dsnVia(t, replicaDSN, dead), replicaDSN, model.Options{})
	if got := s.reportServer(t); got != s.serverID.primary {
		t.Fatalf("reports read server %d with the replica down, want the primary %d", got, s.serverID.primary)
	}
	if n := s.log.count("WARN", warnDown); n != 1 {
		t.Fatalf("%d WARN %q, want 1:\n%s", n, warnDown, s.log)
	}
}
