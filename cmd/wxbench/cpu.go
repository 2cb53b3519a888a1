package main

import (
	"runtime"
	"time"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
)

// CPU accounting per run, from /proc: what the server under test, its
// stores (redis-server, mariadbd) and the load generator used, and what
// everything else on the machine used meanwhile. The per-request CPU of
// server + stores compares the two servers even on a busy machine; the
// "other" share says how busy it was.

type meter struct {
	start             time.Time
	busy, srv         time.Duration
	redis, db         time.Duration
	self              time.Duration
	serverPID         int
	redisPIDs, dbPIDs []int
}

func startMeter(serverPID int, redisPIDs, dbPIDs []int) *meter {
	return &meter{start: time.Now(), busy: benchproc.MachineBusy(), srv: benchproc.ProcCPU(serverPID),
		redis: benchproc.SumCPU(redisPIDs), db: benchproc.SumCPU(dbPIDs),
		self: benchproc.SelfCPU(), serverPID: serverPID, redisPIDs: redisPIDs, dbPIDs: dbPIDs}
}

// usage is one run's CPU.
type usage struct {
	server, redis, db, load, other time.Duration
	wall                           time.Duration
}

// deps is the CPU of the stores.
func (u usage) deps() time.Duration { return u.redis + u.db }

// otherShare is the fraction of the machine used by everything else.
func (u usage) otherShare() float64 {
	return float64(u.other) / (float64(u.wall) * float64(runtime.NumCPU()))
}

// stop ends the measurement; extLoad is the CPU of a load generator run
// as a child process (wrk), already reaped.
func (m *meter) stop(extLoad time.Duration) usage {
	u := usage{
		wall:   time.Since(m.start),
		server: benchproc.ProcCPU(m.serverPID) - m.srv,
		redis:  benchproc.SumCPU(m.redisPIDs) - m.redis,
		db:     benchproc.SumCPU(m.dbPIDs) - m.db,
		load:   benchproc.SelfCPU() - m.self + extLoad,
	}
	u.other = benchproc.MachineBusy() - m.busy - u.server - u.deps() - u.load
	if u.other < 0 {
		u.other = 0
	}
	return u
}
