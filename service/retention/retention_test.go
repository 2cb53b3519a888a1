package retention

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

type fixture struct {
	db  *model.DB
	ctx context.Context
	clk *clock.Fake
	st  *stats.Service
	p   *Purger
	reg *prometheus.Registry
}

func newFixture(t *testing.T, db *model.DB, o Options) *fixture {
	t.Helper()
	f := &fixture{db: db, ctx: context.Background(), clk: clock.NewFake(time.Date(2026, 12, 7, 15, 30, 0, 0, clock.Beijing)),
		reg: prometheus.NewRegistry()}
	var err error
	if f.st, err = stats.New(db, f.clk); err != nil {
		t.Fatal(err)
	}
	if f.p, err = New(db, f.st, f.clk, slog.New(slog.NewTextHandler(io.Discard, nil)), f.reg, o); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) count(t *testing.T, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Conn(f.ctx).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// metric reads youthvoice_retention_deleted_total{table} from /metrics's
// registry.
func (f *fixture) metric(t *testing.T, table string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "youthvoice_retention_deleted_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func (f *fixture) ago(days int) time.Time { return f.clk.Now().UTC().AddDate(0, 0, -days) }

func (f *fixture) insert(t *testing.T, rows any) {
	t.Helper()
	if err := f.db.Conn(f.ctx).CreateInBatches(rows, 500).Error; err != nil {
		t.Fatal(err)
	}
}

func interactions(n int, at time.Time) []model.Interaction {
	out := make([]model.Interaction, n)
	for i := range out {
		out[i] = model.Interaction{OpenID: fmt.Sprintf("oRet%05d", i%40), MsgType: "text", Content: "帮助",
			SentAt: at.Add(time.Duration(i) * time.Second), CreatedAt: at.Add(time.Duration(i) * time.Second)}
	}
	return out
}

func templates(n int, at time.Time, status string) []model.TemplateMessage {
	out := make([]model.TemplateMessage, n)
	for i := range out {
		out[i] = model.TemplateMessage{OpenID: "oRet", TemplateKey: "question_answered", TemplateID: "t", Data: `{"title":"图书馆"}`,
			Status: status, NextAttemptAt: at, CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at}
	}
	return out
}

// TestPurge: each table loses exactly its rows past the retention, in
// batches; the interactions only once the statistics roll-ups have
// counted them; a message still waiting to be sent stays.
func TestPurge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := newFixture(t, db, Options{Batch: 40, Pause: time.Millisecond})
		f.insert(t, interactions(130, f.ago(500)))
		f.insert(t, interactions(5, f.ago(399)))
		f.insert(t, templates(90, f.ago(200), model.TemplateSent))
		f.insert(t, templates(3, f.ago(200), model.TemplatePending))
		f.insert(t, templates(4, f.ago(170), model.TemplateFailed))
		var reports []model.TemplateSendReport
		for i := range 45 {
			reports = append(reports, model.TemplateSendReport{MsgID: int64(1000 + i), OpenID: "oRet", Status: "success", ReportedAt: f.ago(190)})
		}
		reports = append(reports, model.TemplateSendReport{MsgID: 9, OpenID: "oRet", Status: "success", ReportedAt: f.ago(10)})
		f.insert(t, reports)
		var msgs []model.Message
		for i := range 41 {
			msgs = append(msgs, model.Message{UserID: 1, Kind: "question_answered", Title: "提问已答复", Fields: "{}", CreatedAt: f.ago(181).Add(time.Duration(i) * time.Second)})
		}
		msgs = append(msgs, model.Message{UserID: 1, Kind: "question_answered", Title: "提问已答复", Fields: "{}", CreatedAt: f.ago(179)})
		f.insert(t, msgs)

		// The roll-ups were never built: the interactions stay.
		res, err := f.p.Once(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, "interactions", "1 = 1"); n != 135 {
			t.Fatalf("%d interactions left before the roll-ups counted them, want all 135", n)
		}
		got := map[string]Table{}
		for _, r := range res {
			got[r.Table] = r
		}
		if r := got["template_messages"]; r.Deleted != 90 || r.Batches != 3 {
			t.Errorf("template_messages: %+v, want 90 deleted in 3 batches of 40", r)
		}
		if n := f.count(t, "template_messages", "status = ?", model.TemplatePending); n != 3 {
			t.Errorf("%d pending messages left, want the 3 still to send", n)
		}
		if n := f.count(t, "template_messages", "1 = 1"); n != 7 {
			t.Errorf("%d template messages left, want 7", n)
		}
		if n := f.count(t, "template_send_reports", "1 = 1"); n != 1 || got["template_send_reports"].Deleted != 45 {
			t.Errorf("%d send reports left (%+v), want 1", n, got["template_send_reports"])
		}
		if n := f.count(t, "messages", "1 = 1"); n != 1 || got["messages"].Deleted != 41 {
			t.Errorf("%d messages left (%+v), want 1", n, got["messages"])
		}

		// Counted by the roll-ups: the days older than 400 go, whole.
		if _, err := f.st.Refresh(f.ctx); err != nil {
			t.Fatal(err)
		}
		res, err = f.p.Once(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, "interactions", "1 = 1"); n != 5 {
			t.Fatalf("%d interactions left, want the 5 of 399 days ago", n)
		}
		for _, r := range res {
			if r.Table == "interactions" {
				b := f.ago(400).In(clock.Beijing)
				if midnight := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing); !r.Before.Equal(midnight) || r.Deleted != 130 || r.Batches != 4 {
					t.Errorf("interactions: %+v, want 130 deleted in 4 batches, before %v", r, midnight)
				}
			}
		}
		for table, want := range map[string]float64{"interactions": 130, "template_messages": 90, "template_send_reports": 45, "messages": 41} {
			if got := f.metric(t, table); got != want {
				t.Errorf("youthvoice_retention_deleted_total{table=%q} = %v, want %v", table, got, want)
			}
		}
		// Nothing left to do: a run deletes nothing.
		res, err = f.p.Once(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Deleted != 0 {
				t.Errorf("second run deleted %+v", r)
			}
		}
	})
}

// TestPurgeUsesIndexes: every batch's SELECT reads an index range (no
// table scan), and one batch of 1000 takes a moment (logged).
func TestPurgeUsesIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := newFixture(t, db, Options{Pause: time.Millisecond})
		for _, tg := range f.p.targets() {
			args := append(append([]any{f.ago(100)}, tg.args...), 1000)
			if db.Dialect() == model.MySQL {
				var plan []map[string]any
				if err := db.Conn(f.ctx).Raw("EXPLAIN "+tg.selectSQL(), args...).Scan(&plan).Error; err != nil {
					t.Fatal(err)
				}
				for _, row := range plan {
					key := fmt.Sprint(row["key"])
					if typ := fmt.Sprint(row["type"]); typ == "ALL" || key == "" || key == "<nil>" {
						t.Errorf("%s: EXPLAIN %v: a table scan", tg.table, row)
					}
					t.Logf("%s: type %v, key %s, extra %v", tg.table, row["type"], key, row["Extra"])
				}
				continue
			}
			var plan []struct{ Detail string }
			if err := db.Conn(f.ctx).Raw("EXPLAIN QUERY PLAN "+tg.selectSQL(), args...).Scan(&plan).Error; err != nil {
				t.Fatal(err)
			}
			var details []string
			for _, p := range plan {
				details = append(details, p.Detail)
			}
			d := strings.Join(details, "; ")
			if !strings.Contains(d, "INDEX") || strings.Contains(d, "TEMP B-TREE") {
				t.Errorf("%s: plan %q: want an index range in time order", tg.table, d)
			}
			t.Logf("%s: %s", tg.table, d)
		}

		// One batch of 1000 interactions among 5000 old ones.
		f.insert(t, interactions(5000, f.ago(500)))
		if _, err := f.st.Refresh(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.p.o.MaxBatches = 1
		res, err := f.p.Once(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Table == "interactions" {
				if r.Deleted != 1000 || !r.More {
					t.Fatalf("one batch: %+v, want 1000 deleted and more to do", r)
				}
				t.Logf("%s: one batch of 1000 rows (SELECT of ids, DELETE by primary key) took %s", db.Dialect(), r.Longest)
			}
		}
	})
}

func TestNewRefusesShortRetention(t *testing.T) {
	db := dbtest.SQLite(t)
	st, _ := stats.New(db, clock.Real{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := New(db, st, clock.Real{}, log, prometheus.NewRegistry(), Options{InteractionDays: 365}); err == nil {
		t.Fatal("365 days of interactions accepted")
	}
	if _, err := New(nil, st, clock.Real{}, log, prometheus.NewRegistry(), Options{}); err == nil {
		t.Fatal("nil database accepted")
	}
}
