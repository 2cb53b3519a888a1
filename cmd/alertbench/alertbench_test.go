package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestMetricSum(t *testing.T) {
	text := `# HELP youthvoice_alerts_sent_total Template messages WeChat accepted.
# TYPE youthvoice_alerts_sent_total counter
youthvoice_alerts_sent_total 4987
youthvoice_alerts_sent_total_extra 99
# TYPE youthvoice_alerts_failed_total counter
youthvoice_alerts_failed_total{errcode="-1"} 3
youthvoice_alerts_failed_total{errcode="network"} 2 1700000000000
youthvoice_alerts_failed_total{errcode="a}\"b"} 1
youthvoice_alerts_queue_depth 1.5e+03
`
	cases := []struct {
		name string
		want float64
		ok   bool
	}{
		{"youthvoice_alerts_sent_total", 4987, true},
		{"youthvoice_alerts_failed_total", 6, true}, // all label sets, braces inside quotes
		{"youthvoice_alerts_queue_depth", 1500, true},
		{"youthvoice_alerts", 0, false}, // a prefix of other names is no metric
		{"missing_total", 0, false},
	}
	for _, c := range cases {
		got, ok := metricSum(text, c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("metricSum(%s) = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// The parser reads what client_golang really exposes, as the instances
// serve it on /metrics.
func TestMetricSumOfRealExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	sent := prometheus.NewCounter(prometheus.CounterOpts{Name: "youthvoice_alerts_sent_total", Help: "x"})
	failed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "youthvoice_alerts_failed_total", Help: "x"}, []string{"errcode"})
	reg.MustRegister(sent, failed)
	sent.Add(1234)
	failed.WithLabelValues("45009").Add(2)
	failed.WithLabelValues("network").Inc()

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if v, ok := metricSum(string(b), "youthvoice_alerts_sent_total"); !ok || v != 1234 {
		t.Errorf("sent_total = %v, %v; want 1234", v, ok)
	}
	if v, ok := metricSum(string(b), "youthvoice_alerts_failed_total"); !ok || v != 3 {
		t.Errorf("failed_total = %v, %v; want 3", v, ok)
	}
}

func TestTallyDuplicates(t *testing.T) {
	tl := newTally()
	t0 := time.Unix(1_700_000_000, 0)
	for i, id := range []string{"1", "2", "3", "2", "4", "2", "3"} {
		tl.add(id, t0.Add(time.Duration(i)*time.Millisecond))
	}
	s := tl.snap()
	if s.Sends != 7 || s.Distinct != 4 || s.DupIDs != 2 || s.Extra != 3 || s.Empty != 0 {
		t.Errorf("snap = %+v; want 7 sends, 4 distinct, 2 duplicated ids, 3 extra sends", s)
	}
	if !s.First.Equal(t0) {
		t.Errorf("first = %v, want %v", s.First, t0)
	}
	// The last id seen for the first time was "4", the 5th send.
	if want := t0.Add(4 * time.Millisecond); !s.LastNew.Equal(want) {
		t.Errorf("lastNew = %v, want %v", s.LastNew, want)
	}
	tl.add("", t0)
	if s := tl.snap(); s.Empty != 1 {
		t.Errorf("empty client_msg_id not counted: %+v", s)
	}
}

func TestCompareIDs(t *testing.T) {
	seen := map[string]int{"1": 1, "2": 2, "4": 1, "x": 1}
	missing, foreign := compareIDs(seen, []uint64{1, 2, 3})
	if missing != 1 || foreign != 2 {
		t.Errorf("compareIDs = %d missing, %d foreign; want 1 (3), 2 (4, x)", missing, foreign)
	}
	if m, f := compareIDs(map[string]int{"1": 1}, []uint64{1}); m != 0 || f != 0 {
		t.Errorf("exact match: %d missing, %d foreign", m, f)
	}
}

func TestParseCommandStats(t *testing.T) {
	info := "# Commandstats\r\n" +
		"cmdstat_get:calls=20010,usec=40000,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_set:calls=3,usec=9,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_client|setinfo:calls=4,usec=2,usec_per_call=0.50\r\n"
	c := parseCommandStats(info)
	if c["get"] != 20010 || c["set"] != 3 || c["client|setinfo"] != 4 || len(c) != 3 {
		t.Errorf("parseCommandStats = %v", c)
	}
	d := counters{"get": 30010, "set": 3, "del": 1}.delta(c)
	if d["get"] != 10000 || d["set"] != 0 || d["del"] != 1 {
		t.Errorf("delta = %v", d)
	}
}

func TestResultProblems(t *testing.T) {
	ok := result{
		instances: 2, n: 100, elapsed: 100 * time.Millisecond,
		tally:       tallySnap{Sends: 100, Distinct: 100},
		statuses:    map[string]int{"sent": 100},
		msgIDs:      100,
		perInstance: []float64{60, 40},
	}
	if p := ok.problems(); len(p) != 0 {
		t.Fatalf("clean run has problems: %v", p)
	}
	if got := ok.rate(); got != 1000 {
		t.Errorf("rate = %v, want 1000", got)
	}
	if got := shares(ok.perInstance); got != "60 (60%) / 40 (40%)" {
		t.Errorf("shares = %q", got)
	}

	bad := ok
	bad.tally = tallySnap{Sends: 101, Distinct: 99, DupIDs: 1, Extra: 2}
	bad.missing = 1
	bad.statuses = map[string]int{"sent": 98, "sending": 1, "pending": 1}
	bad.msgIDs = 98
	bad.perInstance = []float64{60, 40}
	p := strings.Join(bad.problems(), "\n")
	for _, want := range []string{
		"1 alerts were sent more than once (2 extra sends)",
		"1 of 100 alerts never reached the fake API",
		"2 of 100 rows are not status 'sent' (pending=1 sending=1 sent=98)",
		"count 100 sends in youthvoice_alerts_sent_total, the fake API accepted 101",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("problems lack %q:\n%s", want, p)
		}
	}

	stopped := ok
	stopped.stopped = 1
	stopped.perInstance = []float64{-1, 40}
	if p := stopped.problems(); len(p) != 0 {
		t.Errorf("a stopped instance's missing counter is no problem: %v", p)
	}
	if got := shares(stopped.perInstance); got != "stopped / 40 (100%)" {
		t.Errorf("shares = %q", got)
	}

	late := ok
	late.timedOut = true
	if p := late.problems(); len(p) != 1 || !strings.Contains(p[0], "timed out") {
		t.Errorf("timed-out run: %v", p)
	}
}

func TestVerdictUsesMeanOfRounds(t *testing.T) {
	mk := func(k int, alerts int, d time.Duration) result {
		return result{instances: k, n: alerts, elapsed: d, tally: tallySnap{Distinct: alerts}}
	}
	rs := []result{mk(1, 1000, time.Second), mk(2, 1000, time.Second), mk(1, 1000, 2*time.Second), mk(2, 3000, time.Second)}
	if got := meanRate(rs, 1); got != 750 {
		t.Errorf("meanRate(1) = %v, want 750", got)
	}
	if got := meanRate(rs, 2); got != 2000 {
		t.Errorf("meanRate(2) = %v, want 2000", got)
	}
	if got := meanRate(rs, 3); got != 0 {
		t.Errorf("meanRate(3) = %v, want 0", got)
	}
}

func TestPercentileAndOtherShare(t *testing.T) {
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if got := percentile(ds, 50); got != 5*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := percentile(ds, 90); got != 9*time.Millisecond {
		t.Errorf("p90 = %v", got)
	}
	if got := percentile(ds, 100); got != 10*time.Millisecond {
		t.Errorf("p100 = %v", got)
	}
	// 2 CPUs for 10 s: 20 s available; 12 s busy of which 7 s ours.
	if got := otherShare(12*time.Second, 7*time.Second, 10*time.Second, 2); got != 0.25 {
		t.Errorf("otherShare = %v, want 0.25", got)
	}
	if got := otherShare(5*time.Second, 7*time.Second, 10*time.Second, 2); got != 0 {
		t.Errorf("otherShare below zero: %v", got)
	}
}

func TestDefaultDSN(t *testing.T) {
	if got := defaultDSN(""); got != "root@tcp(127.0.0.1:3306)/yv_alertbench?parseTime=true" {
		t.Errorf("defaultDSN(\"\") = %q", got)
	}
	// The test database's server and credentials, the bench's own database.
	got := defaultDSN("ci:pw@tcp(db:3307)/yv_test?parseTime=true")
	if !strings.HasPrefix(got, "ci:pw@tcp(db:3307)/yv_alertbench?") || !strings.Contains(got, "parseTime=true") {
		t.Errorf("defaultDSN(test DSN) = %q", got)
	}
}

func TestOpenBenchDBRefusesNonBenchDatabase(t *testing.T) {
	// Refused before any connection is attempted.
	for _, dsn := range []string{"root@tcp(127.0.0.1:1)/youthvoice?parseTime=true", "root@tcp(127.0.0.1:1)/"} {
		if _, err := openBenchDB(context.Background(), dsn); err == nil || strings.Contains(err.Error(), "does not answer") {
			t.Errorf("openBenchDB(%q) = %v, want a refusal", dsn, err)
		}
	}
}

// The fake counts each accepted send by client_msg_id and each TCP
// connection the client opened.
func TestFakeCountsSends(t *testing.T) {
	f, err := startFake("wxtestapp", "s3cret", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	post := func(path, body string) string {
		t.Helper()
		resp, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	tok := post("/cgi-bin/stable_token", `{"grant_type":"client_credential","appid":"wxtestapp","secret":"s3cret"}`)
	i := strings.Index(tok, `"access_token":"`)
	if i < 0 {
		t.Fatalf("no token: %s", tok)
	}
	token := strings.SplitN(tok[i+len(`"access_token":"`):], `"`, 2)[0]
	for _, id := range []string{"7", "8", "7"} {
		out := post("/cgi-bin/message/template/send?access_token="+token,
			`{"touser":"o1","template_id":"T","client_msg_id":"`+id+`","data":{"thing1":{"value":"x"}}}`)
		if !strings.Contains(out, `"errcode":0`) {
			t.Fatalf("send %s: %s", id, out)
		}
	}
	s := f.tally.snap()
	if s.Sends != 3 || s.Distinct != 2 || s.Extra != 1 {
		t.Errorf("tally = %+v; want 3 sends, 2 distinct, 1 extra", s)
	}
	if f.newConns.Load() < 1 {
		t.Error("no connection counted")
	}
}
