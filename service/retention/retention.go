// Package retention removes the records kept only for a while (issue 24
// item 3):
//
//   - raw WeChat interactions older than InteractionDays (default 400, a
//     year's assessment and a margin), and only the days the statistics
//     roll-ups have already counted: stats.AllowInteractionPurge says how
//     far, and the reports read those days' kept counts (see
//     service/stats/purge.go), so figures for old periods stay exact;
//   - template messages (the alert outbox, payloads included) and
//     WeChat's send reports older than MessageDays (default 180); a
//     message still waiting to be sent is kept;
//   - 我的消息 (messages) older than MessageDays.
//
// Sessions, dedupe keys and throttles live in the kv store with a TTL:
// Redis expires them, the in-process store sweeps them every minute
// (service/kv); none is kept in SQL.
//
// Rows go in small batches, oldest first, each a short indexed SELECT of
// ids then a DELETE by primary key, with a pause between batches, so no
// statement holds locks for more than a moment and replicas keep up.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// Bounds of the configuration (config checks them with these).
const (
	// MinInteractionDays: the assessment compares a year with the one
	// before, so a year of raw pushes at least.
	MinInteractionDays     = 366
	DefaultInteractionDays = 400
	MinMessageDays         = 30
	DefaultMessageDays     = 180
	MaxDays                = 3650
)

// Options tune the purge.
type Options struct {
	InteractionDays int // default DefaultInteractionDays
	MessageDays     int // default DefaultMessageDays
	// Batch is the rows per DELETE (default 1000); Pause the wait between
	// batches (default 100ms); MaxBatches the batches per table per run
	// (default 300), so a first run over years of rows is spread over
	// several timer ticks.
	Batch      int
	Pause      time.Duration
	MaxBatches int
}

func (o Options) withDefaults() Options {
	if o.InteractionDays == 0 {
		o.InteractionDays = DefaultInteractionDays
	}
	if o.MessageDays == 0 {
		o.MessageDays = DefaultMessageDays
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Pause == 0 {
		o.Pause = 100 * time.Millisecond
	}
	if o.MaxBatches <= 0 {
		o.MaxBatches = 300
	}
	return o
}

// Purger deletes what is past its retention.
type Purger struct {
	db      *model.DB
	stats   *stats.Service
	clk     clock.Clock
	log     *slog.Logger
	o       Options
	deleted *prometheus.CounterVec
	batch   prometheus.Histogram
}

// New builds a purger; reg receives its metrics. All dependencies are
// required.
func New(db *model.DB, st *stats.Service, clk clock.Clock, log *slog.Logger, reg prometheus.Registerer, o Options) (*Purger, error) {
	if db == nil || st == nil || clk == nil || log == nil || reg == nil {
		return nil, errors.New("retention.New: nil dependency")
	}
	o = o.withDefaults()
	if o.InteractionDays < MinInteractionDays || o.MessageDays < MinMessageDays {
		return nil, fmt.Errorf("retention.New: interactions %d days (min %d), messages %d days (min %d)",
			o.InteractionDays, MinInteractionDays, o.MessageDays, MinMessageDays)
	}
	p := &Purger{db: db, stats: st, clk: clk, log: log, o: o,
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "youthvoice_retention_deleted_total", Help: "Rows deleted past their retention, by table.",
		}, []string{"table"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "youthvoice_retention_batch_seconds", Help: "Duration of one retention batch (SELECT of ids and DELETE).",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	if err := reg.Register(p.deleted); err != nil {
		return nil, err
	}
	if err := reg.Register(p.batch); err != nil {
		return nil, err
	}
	return p, nil
}

// Table is what one run did to a table.
type Table struct {
	Table   string        `json:"table"`
	Before  time.Time     `json:"before"` // the cutoff (zero: nothing may go yet)
	Deleted int64         `json:"deleted"`
	Batches int           `json:"batches"`
	Longest time.Duration `json:"longest"` // the slowest batch
	More    bool          `json:"more"`    // stopped at MaxBatches
}

// target is a table and how its old rows are found: key is the primary
// key, at the indexed time column, extra a further condition.
type target struct {
	table, key, at, extra string
	args                  []any
}

func (t target) selectSQL() string {
	return "SELECT " + t.key + " FROM " + t.table + " WHERE " + t.at + " < ?" + t.extra + " ORDER BY " + t.at + " LIMIT ?"
}

func (p *Purger) targets() []target {
	return []target{
		{table: "interactions", key: "id", at: "created_at"},
		// A message still to be sent stays, however old.
		{table: "template_messages", key: "id", at: "created_at", extra: " AND status <> ?", args: []any{model.TemplatePending}},
		{table: "template_send_reports", key: "msg_id", at: "reported_at"},
		{table: "messages", key: "id", at: "created_at"},
	}
}

// Once runs one purge of every table.
func (p *Purger) Once(ctx context.Context) ([]Table, error) {
	now := p.clk.Now().UTC()
	msgCut := now.AddDate(0, 0, -p.o.MessageDays)
	var out []Table
	var errs []error
	for _, t := range p.targets() {
		cut := msgCut
		if t.table == "interactions" {
			var err error
			cut, err = p.stats.AllowInteractionPurge(ctx, now.AddDate(0, 0, -p.o.InteractionDays))
			if errors.Is(err, stats.ErrBusy) {
				out = append(out, Table{Table: t.table})
				continue // the roll-up builder is at work: next run
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("interactions: %w", err))
				continue
			}
		}
		res, err := p.purge(ctx, t, cut)
		out = append(out, res)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.table, err))
		}
	}
	return out, errors.Join(errs...)
}

// purge deletes t's rows older than cut, batch by batch.
func (p *Purger) purge(ctx context.Context, t target, cut time.Time) (Table, error) {
	res := Table{Table: t.table, Before: cut}
	if cut.IsZero() {
		return res, nil
	}
	q := t.selectSQL()
	for res.Batches < p.o.MaxBatches {
		if res.Batches > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(p.o.Pause):
			}
		}
		start := time.Now()
		var ids []uint64
		args := append(append([]any{cut}, t.args...), p.o.Batch)
		if err := p.db.Conn(ctx).Raw(q, args...).Scan(&ids).Error; err != nil {
			return res, err
		}
		if len(ids) == 0 {
			return res, nil
		}
		r := p.db.Conn(ctx).Exec("DELETE FROM "+t.table+" WHERE "+t.key+" IN ?", ids)
		if r.Error != nil {
			return res, r.Error
		}
		took := time.Since(start)
		p.batch.Observe(took.Seconds())
		p.deleted.WithLabelValues(t.table).Add(float64(r.RowsAffected))
		res.Deleted += r.RowsAffected
		res.Batches++
		res.Longest = max(res.Longest, took)
		if len(ids) < p.o.Batch {
			return res, nil
		}
	}
	res.More = true
	return res, nil
}

// Run purges every interval until ctx is done, logging what went.
func (p *Purger) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := p.Once(ctx)
		for _, r := range res {
			if r.Deleted > 0 {
				p.log.Info("retention: deleted old rows", "table", r.Table, "rows", r.Deleted, "before", r.Before,
					"batches", r.Batches, "longest_batch", r.Longest, "more", r.More)
			}
		}
		if err != nil && ctx.Err() == nil {
			p.log.Error("retention purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
