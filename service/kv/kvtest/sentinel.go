package kvtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gdyouth/youthvoice/service/kv"
)

// EnvSentinel, set to 1, makes the Sentinel tests required: they fail
// when redis-server or redis-sentinel is missing instead of skipping. CI
// sets it.
const EnvSentinel = "YV_TEST_REDIS_SENTINEL"

// SentinelMaster is the master name the test Sentinel monitors.
const SentinelMaster = "yvmaster"

// Sentinel is a real Redis Sentinel deployment on this machine: a master,
// a replica and one Sentinel (quorum 1), each its own process on its own
// port and directory, killed when the test ends.
type Sentinel struct {
	// Addr is the Sentinel's address, for YV_REDIS_ADDR.
	Addr string

	t        testing.TB
	mu       sync.Mutex
	procs    map[int]*exec.Cmd // by port
	master   int
	replicas []int
}

// StartSentinel starts the deployment, or skips t when the binaries are
// missing and EnvSentinel is not set.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	server, err1 := exec.LookPath("redis-server")
	sentinel, err2 := exec.LookPath("redis-sentinel")
	if err1 != nil || err2 != nil {
		if os.Getenv(EnvSentinel) == "1" {
			t.Fatalf("%s=1 but redis-server/redis-sentinel are missing (apt-get install redis-server redis-sentinel): %v %v", EnvSentinel, err1, err2)
		}
		t.Skip("redis-server and redis-sentinel are not installed")
	}
	s := &Sentinel{t: t, procs: map[int]*exec.Cmd{}}
	t.Cleanup(s.stop)
	dir := t.TempDir()

	s.master = freePort(t)
	s.start(server, dir, s.master, "--save", "", "--appendonly", "no")
	replica := freePort(t)
	s.start(server, dir, replica, "--save", "", "--appendonly", "no",
		"--replicaof", "127.0.0.1", strconv.Itoa(s.master))
	s.replicas = []int{replica}
	s.waitReplicaInSync(replica)

	sp := freePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	// A short down-after keeps the failover to a few seconds.
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n", sp, dir) +
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\n", SentinelMaster, s.master) +
		fmt.Sprintf("sentinel down-after-milliseconds %s 1000\n", SentinelMaster) +
		fmt.Sprintf("sentinel failover-timeout %s 10000\n", SentinelMaster) +
		fmt.Sprintf("sentinel parallel-syncs %s 1\n", SentinelMaster)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s.spawn(sp, exec.Command(sentinel, conf))
	s.Addr = "127.0.0.1:" + strconv.Itoa(sp)
	s.waitFor("the Sentinel to see the replica", 30*time.Second, func(ctx context.Context) bool {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		defer c.Close()
		rs, err := c.Replicas(ctx, SentinelMaster).Result()
		return err == nil && len(rs) > 0
	})
	return s
}

// Store connects a kv store through the Sentinel under prefix, as an
// instance configured with YV_REDIS_ADDR=Addr and YV_REDIS_MASTER_NAME
// does.
func (s *Sentinel) Store(t testing.TB, prefix string) *kv.Redis {
	t.Helper()
	r, err := kv.NewRedis(context.Background(), kv.RedisOptions{Addr: s.Addr, MasterName: SentinelMaster, Prefix: prefix})
	if err != nil {
		t.Fatalf("connect through the Sentinel: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// MasterPort is the port of the current master, as the Sentinel reports
// it.
func (s *Sentinel) MasterPort(ctx context.Context) (int, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(addr[1])
}

// SyncReplicas waits until the replicas acknowledged every write made so
// far on the master (WAIT), so that a failover loses none of them.
func (s *Sentinel) SyncReplicas(ctx context.Context) {
	s.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.master)})
	defer c.Close()
	n, err := c.Wait(ctx, len(s.replicas), 5*time.Second).Result()
	if err != nil || n < int64(len(s.replicas)) {
		s.t.Fatalf("WAIT for the replicas: %d acknowledged, %v", n, err)
	}
}

// KillMaster kills the master process (SIGKILL, as a crashed machine) and
// waits until the Sentinel promoted the replica and it accepts writes. It
// returns the time the failover took.
func (s *Sentinel) KillMaster() time.Duration {
	s.t.Helper()
	old := s.master
	s.mu.Lock()
	cmd := s.procs[old]
	delete(s.procs, old)
	s.mu.Unlock()
	start := time.Now()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	var promoted int
	s.waitFor("the Sentinel to promote the replica", 60*time.Second, func(ctx context.Context) bool {
		p, err := s.MasterPort(ctx)
		if err != nil || p == old {
			return false
		}
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p)})
		defer c.Close()
		role, err := c.Do(ctx, "ROLE").Slice()
		if err != nil || len(role) == 0 || role[0] != "master" {
			return false
		}
		promoted = p
		return true
	})
	s.master, s.replicas = promoted, nil
	return time.Since(start)
}

func (s *Sentinel) start(bin, dir string, port int, args ...string) {
	s.t.Helper()
	args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--dbfilename", "dump-" + strconv.Itoa(port) + ".rdb", "--daemonize", "no"}, args...)
	s.spawn(port, exec.Command(bin, args...))
}

// spawn runs cmd and waits until its port answers PING.
func (s *Sentinel) spawn(port int, cmd *exec.Cmd) {
	s.t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", cmd.Path, err)
	}
	s.mu.Lock()
	s.procs[port] = cmd
	s.mu.Unlock()
	// Keep the last lines for a failure message; the pipe must be drained.
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if testing.Verbose() && strings.Contains(sc.Text(), "+switch-master") {
				s.t.Logf("redis %d: %s", port, sc.Text())
			}
		}
	}()
	s.waitFor(fmt.Sprintf("port %d to answer", port), 20*time.Second, func(ctx context.Context) bool {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
		defer c.Close()
		return c.Ping(ctx).Err() == nil
	})
}

func (s *Sentinel) waitReplicaInSync(port int) {
	s.t.Helper()
	s.waitFor("the replica to sync", 30*time.Second, func(ctx context.Context) bool {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
		defer c.Close()
		info, err := c.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
}

func (s *Sentinel) waitFor(what string, limit time.Duration, cond func(ctx context.Context) bool) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Sentinel) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for port, cmd := range s.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(s.procs, port)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartCluster starts a three-master Redis Cluster (no replicas) on free
// ports, killed when the test ends, and returns its seed addresses
// joined by commas, for YV_REDIS_ADDR. It skips as StartSentinel does.
func StartCluster(t testing.TB) string {
	t.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		if os.Getenv(EnvSentinel) == "1" {
			t.Fatalf("%s=1 but redis-server/redis-cli are missing: %v %v", EnvSentinel, err1, err2)
		}
		t.Skip("redis-server and redis-cli are not installed")
	}
	s := &Sentinel{t: t, procs: map[int]*exec.Cmd{}}
	t.Cleanup(s.stop)
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		p := freePort(t)
		s.start(server, dir, p, "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(p)+".conf"), "--cluster-node-timeout", "2000")
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		s.waitFor("the cluster to be ok at "+a, 30*time.Second, func(ctx context.Context) bool {
			c := redis.NewClient(&redis.Options{Addr: a})
			defer c.Close()
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	return strings.Join(addrs, ",")
}

// ClusterStore connects a kv store to a cluster started by StartCluster.
func ClusterStore(t testing.TB, addrs, prefix string) *kv.Redis {
	t.Helper()
	r, err := kv.NewRedis(context.Background(), kv.RedisOptions{Addr: addrs, Prefix: prefix})
	if err != nil {
		t.Fatalf("connect to the cluster: %v", err)
	}
	if r.Mode() != kv.RedisCluster {
		t.Fatalf("mode %q, want cluster", r.Mode())
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}
