package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// Times are stored at millisecond precision so SQLite and MySQL
// (DATETIME(3)) compare them alike.
const timePrecision = time.Millisecond

// Retry policy.
const (
	baseBackoff = 30 * time.Second
	maxBackoff  = time.Hour
	// MaxAttempts is how many sends a retryable error gets before the
	// message is marked failed.
	MaxAttempts = 8
	claimFor    = time.Minute
	// renewBefore: a row is sent only while its claim holds for at least
	// this long; otherwise the claim is renewed first. It covers one send
	// (token fetch, POST, and after a rejected token a fresh token and a
	// second POST: four HTTP timeouts, 20 s with wxapi.Configure's 5 s)
	// and storing its outcome.
	renewBefore = claimFor / 2
	// sendTail is the part of a claim kept for the end of a send: a POST
	// under way (wxapi.Configure's HTTP timeout, 5 s) and storing its
	// outcome. What comes before the POST — waiting for silenceper's
	// process-wide token lock, the token fetch — must end by claim end
	// minus sendTail, or the message is handed back unsent: a send that
	// outlasted its claim could be sent a second time by another sender.
	sendTail = 15 * time.Second
	// gaugeEvery spaces the queue gauges' two queries while Run drains
	// full batches (they scan every pending row).
	gaugeEvery = 10 * time.Second
	// CredentialPause is how long a sender stops sending after WeChat
	// refused to issue an access token for the account's credentials
	// (wxapi.CredentialProblem): every message would fail the same way
	// until the configuration or the IP whitelist is fixed.
	CredentialPause = 2 * time.Minute
	// QuotaResumeAfter is how long after midnight Beijing time a sender
	// paused by 45009 (the day's quota used up) starts sending again: a
	// margin for a clock a little ahead of WeChat's.
	QuotaResumeAfter = 5 * time.Minute
	// QuotaRecheck is the pause after a 45009 met within an hour after
	// midnight, when the quota has just been renewed: WeChat's day may
	// not have turned yet, so the sender tries again soon rather than
	// waiting for the next midnight.
	QuotaRecheck = 10 * time.Minute
	// QuotaProbeEvery: while paused by 45009, one message is tried this
	// often, so a quota reset or raised in the WeChat console ends the
	// pause before midnight.
	QuotaProbeEvery = time.Hour
	// ResendWindow bounds the re-sending of a message whose earlier
	// attempt may have reached WeChat without its outcome being stored
	// (its sender was killed between the POST and storing the msgid, or
	// the POST got no answer): it is sent again, with the same
	// client_msg_id, only while its first such attempt began less than
	// this long ago; later it is marked 状态未知 (model.TemplateUnknown)
	// and not sent. WeChat drops a repeat of a client_msg_id for the same
	// openid: "对于同一个openid + client_msg_id, 只发送一条消息, 10分钟
	// 有效, 超过10分钟不保证效果" (the 发送模板消息 API reference,
	// parameter client_msg_id; subscription messages have no such
	// parameter). Half of those 10 minutes: the window is measured from
	// before the first POST, on the clocks of two instances that may
	// differ, and the repeat's own token fetch and POST take time (no
	// POST begins after the window, see send).
	ResendWindow = 5 * time.Minute
)

// TemplateSender sends one template message; *wxapi.Client is one.
type TemplateSender interface {
	SendTemplate(ctx context.Context, t wxapi.Template) (int64, error)
}

// Options tune a Sender.
type Options struct {
	// WorkerID names this sender in claimed_by; default host-pid-random.
	WorkerID string
	// Batch is how many rows one RunOnce claims; default 50.
	Batch int
	// Workers is how many of a batch are sent concurrently; default 1.
	Workers int
}

// Sender is the outbox worker.
type Sender struct {
	db      *model.DB
	api     TemplateSender
	clk     clock.Clock
	log     *slog.Logger
	worker  string
	batch   int
	workers int

	sentTotal  prometheus.Counter
	unknown    prometheus.Counter
	failed     *prometheus.CounterVec
	queueDepth prometheus.Gauge
	oldestAge  prometheus.Gauge
	paused     prometheus.Gauge
	quotaGauge prometheus.Gauge
	gaugesAt   time.Time // last updateGauges, for Run

	pauseMu      sync.Mutex
	pausedUntil  time.Time // credentials refused; zero when not paused
	quotaUntil   time.Time // 45009: the day's quota is spent until then; zero when not
	quotaProbeAt time.Time // while quotaUntil holds: when one message is tried
	quotaPauses  uint64    // quota pauses begun so far
}

// NewSender builds a worker and registers its metrics on reg. All
// dependencies are required.
func NewSender(db *model.DB, api TemplateSender, clk clock.Clock, log *slog.Logger, reg prometheus.Registerer, o Options) (*Sender, error) {
	if db == nil || api == nil || clk == nil || log == nil || reg == nil {
		return nil, errors.New("alert.NewSender: nil dependency")
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.WorkerID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if len(o.WorkerID) > 64 {
		o.WorkerID = o.WorkerID[:64]
	}
	s := &Sender{
		db: db, api: api, clk: clk, log: log, worker: o.WorkerID, batch: o.Batch, workers: o.Workers,
		sentTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "youthvoice_alerts_sent_total",
			Help: "Template messages WeChat accepted.",
		}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "youthvoice_alerts_unknown_total",
			Help: "Template messages marked 状态未知: an attempt may have reached WeChat but its outcome was never stored, and a repeat would no longer be dropped by WeChat, so they were not sent again.",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "youthvoice_alerts_failed_total",
			Help: "Failed template message send attempts (retried or not), by WeChat errcode (\"network\" when there was none, \"claim_expired\" when the sender's claim expired before it stored an outcome).",
		}, []string{"errcode"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "youthvoice_alerts_queue_depth",
			Help: "Template messages pending or being sent.",
		}),
		oldestAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "youthvoice_alerts_oldest_pending_age_seconds",
			Help: "Age of the oldest template message pending or being sent (0 when none).",
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "youthvoice_alerts_paused",
			Help: "1 while this instance sends no template messages because WeChat refused the account's AppID, AppSecret or IP address at the access-token fetch (see the log).",
		}),
		quotaGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "youthvoice_alerts_quota_exhausted",
			Help: "1 while this instance sends no template messages because WeChat answered 45009 (the account's daily quota is used up); sending resumes at midnight Beijing time.",
		}),
	}
	reg.MustRegister(s.sentTotal, s.unknown, s.failed, s.queueDepth, s.oldestAge, s.paused, s.quotaGauge)
	return s, nil
}

// Run calls RunOnce until ctx is done: again at once while batches come
// back full, otherwise every interval.
func (s *Sender) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.runOnce(ctx, false)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "template outbox run failed", "err", err)
		}
		if err == nil && n == s.batch && ctx.Err() == nil {
			continue // more are probably due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims up to Batch due messages, sends them and records the
// outcomes. It returns how many WeChat accepted.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	sent, _, err := s.run(ctx, true)
	return sent, err
}

// runOnce is RunOnce reporting how many rows were claimed; the gauges are
// refreshed after a batch that was not full, or gaugeEvery at the latest.
func (s *Sender) runOnce(ctx context.Context, gauges bool) (int, error) {
	_, claimed, err := s.run(ctx, gauges)
	return claimed, err
}

func (s *Sender) run(ctx context.Context, gauges bool) (sent, claimed int, err error) {
	limit := s.batch
	probe := false
	if s.isPaused(ctx) {
		if probe = s.quotaProbe(); !probe {
			// Nothing is claimed; the gauges still show the queue growing.
			if gauges || s.clk.Now().Sub(s.gaugesAt) >= gaugeEvery {
				err = s.updateGauges(ctx)
				s.gaugesAt = s.clk.Now()
			}
			return 0, 0, err
		}
		limit = 1 // is the quota back?
	}
	rows, err := s.claim(ctx, limit)
	if err != nil {
		return 0, 0, err
	}
	held := s.held(rows)
	st := s.startStoring(ctx, len(rows))
	// The rows are handed out in order; the worker that gets the first
	// one not yet marked records the attempts of it and the next
	// workers-1 rows in one statement before its POST (a statement per
	// message cost a commit each), so at most that many are recorded
	// ahead of their POSTs.
	started := make([]time.Time, len(rows)) // markAttempts' times
	var (
		markMu   sync.Mutex
		markedTo int
		markErr  error
	)
	marked := func(i int) error {
		markMu.Lock()
		defer markMu.Unlock()
		if markErr == nil && i >= markedTo {
			end := min(i+s.workers, len(rows))
			if markErr = s.markAttempts(ctx, rows[i:end], started[i:end]); markErr == nil {
				markedTo = end
			}
		}
		return markErr
	}
	var (
		mu     sync.Mutex
		errs   []error
		unsent []*model.TemplateMessage // claimed but certainly not sent: hand back
		lost   int                      // claims another sender settled before we got to them
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	for range min(s.workers, len(rows)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m := &rows[i]
				ours, until, err := held.check(ctx, m.ID)
				var (
					ok      *sentRow
					notSent = err != nil // nothing sent without a claim
				)
				if ours {
					paused, quotaPauses := s.pauseState(ctx)
					if paused && !probe {
						// Another message of the batch found the
						// credentials refused or the day's quota spent:
						// this one would fail the same way.
						notSent = true
					} else if err = marked(i); err != nil {
						notSent = true
					} else {
						ok, notSent, err = s.send(ctx, m, until, quotaPauses, started[i])
					}
				}
				if ok != nil {
					st.add(*ok)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				if notSent {
					unsent = append(unsent, m)
				}
				if !ours && err == nil {
					lost++
				}
				mu.Unlock()
			}
		}()
	}
	// On shutdown, send no more of the batch and hand the rest back at
	// once (rather than when the claim expires).
feed:
	for i := range rows {
		select {
		case next <- i:
		case <-ctx.Done():
			mu.Lock()
			for j := range rows[i:] {
				unsent = append(unsent, &rows[i+j])
			}
			mu.Unlock()
			break feed
		}
	}
	close(next)
	wg.Wait()
	sent, serr := st.close()
	if serr != nil {
		errs = append(errs, serr)
	}
	if probe && sent > 0 {
		// The quota is back before midnight: the messages that met
		// 45009 need not wait for it either.
		if err := s.releaseQuotaHeld(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.release(ctx, unsent); err != nil {
		errs = append(errs, err)
	}
	if lost > 0 {
		s.log.WarnContext(ctx, "template message claims expired and were settled by another sender before they were sent; skipped them", "lost", lost, "claimed", len(rows))
	}
	if gauges || len(rows) < s.batch || s.clk.Now().Sub(s.gaugesAt) >= gaugeEvery {
		if err := s.updateGauges(ctx); err != nil {
			errs = append(errs, err)
		}
		s.gaugesAt = s.clk.Now()
	}
	return sent, len(rows), errors.Join(errs...)
}

// heldClaims are the claims of one batch that this sender still holds.
// until is the claimed_until this sender last wrote for all of them:
// other senders take only rows whose claim has expired, so while until is
// more than renewBefore away a row is sent without asking the database;
// after that, the claims are renewed first, and a row is sent only if the
// database still shows it claimed by us.
type heldClaims struct {
	s     *Sender
	mu    sync.Mutex
	until time.Time
	ids   map[uint64]struct{}
}

func (s *Sender) held(rows []model.TemplateMessage) *heldClaims {
	h := &heldClaims{s: s, ids: make(map[uint64]struct{}, len(rows))}
	for i := range rows {
		h.ids[rows[i].ID] = struct{}{}
		if rows[i].ClaimedUntil != nil {
			h.until = *rows[i].ClaimedUntil
		}
	}
	return h
}

// check reports whether row id may be sent now: it is still claimed by
// us, for at least renewBefore more, until the time it returns.
func (h *heldClaims) check(ctx context.Context, id uint64) (bool, time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.ids[id]; !ok {
		return false, time.Time{}, nil
	}
	now := h.s.now()
	if h.until.Sub(now) >= renewBefore {
		return true, h.until, nil
	}
	if err := h.renew(ctx, now); err != nil {
		return false, time.Time{}, err
	}
	_, ok := h.ids[id]
	return ok, h.until, nil
}

// renew extends, in one statement, the claims of the batch's rows that
// are still ours: status sending and claimed_by us. That holds even for a
// claim past its claimed_until as long as no other sender has settled it
// (claim changes both, under the same row lock), so renewing it is as
// safe as claiming it anew. Rows sent and awaiting storeSent are renewed
// too; finished rows drop out.
func (h *heldClaims) renew(ctx context.Context, now time.Time) error {
	ids := make([]uint64, 0, len(h.ids))
	for id := range h.ids {
		ids = append(ids, id)
	}
	until := now.Add(claimFor)
	var kept []uint64
	err := h.s.db.WithTx(ctx, func(ctx context.Context) error {
		mine := func(q *gorm.DB) *gorm.DB {
			return q.Model(&model.TemplateMessage{}).Where("id IN ? AND status = ? AND claimed_by = ?", ids, StatusSending, h.s.worker)
		}
		if err := mine(h.s.db.Conn(ctx)).Updates(map[string]any{"claimed_until": until, "updated_at": now}).Error; err != nil {
			return err
		}
		return mine(h.s.db.ForUpdate(ctx)).Pluck("id", &kept).Error
	})
	if err != nil {
		return fmt.Errorf("延长模板消息的认领失败: %w", err)
	}
	h.ids = make(map[uint64]struct{}, len(kept))
	for _, id := range kept {
		h.ids[id] = struct{}{}
	}
	h.until = until
	return nil
}

// storeLinger is how long the storer collects accepted messages before it
// stores them as one group (one commit); the batch's end stores the rest
// at once.
const storeLinger = 10 * time.Millisecond

// storer stores accepted messages as they come, in groups: those accepted
// within storeLinger of each other, and while one group is being stored,
// the next accumulates. A sent row is thus stored within about storeLinger
// and one commit, rather than when the whole batch is done.
type storer struct {
	s      *Sender
	ctx    context.Context
	in     chan sentRow
	done   chan struct{}
	stored int
	errs   []error
}

func (s *Sender) startStoring(ctx context.Context, n int) *storer {
	st := &storer{s: s, ctx: ctx, in: make(chan sentRow, n), done: make(chan struct{})}
	go st.loop()
	return st
}

// add queues r for storing; it never blocks (in holds a whole batch).
func (st *storer) add(r sentRow) { st.in <- r }

func (st *storer) loop() {
	defer close(st.done)
	for r := range st.in {
		group := []sentRow{r}
		linger := time.NewTimer(storeLinger)
	more:
		for {
			select {
			case r, ok := <-st.in:
				if !ok {
					break more
				}
				group = append(group, r)
			case <-linger.C:
				break more
			}
		}
		linger.Stop()
		if err := st.s.storeSent(st.ctx, group); err != nil {
			st.errs = append(st.errs, err)
		} else {
			st.stored += len(group)
		}
	}
}

// close waits for everything added to be stored and reports how many were.
func (st *storer) close() (int, error) {
	close(st.in)
	<-st.done
	return st.stored, errors.Join(st.errs...)
}

func (s *Sender) now() time.Time { return s.clk.Now().UTC().Truncate(timePrecision) }

// claimExpiredCode labels youthvoice_alerts_failed_total for attempts
// whose claim expired before their outcome was stored.
const claimExpiredCode = "claim_expired"

// claim marks due pending rows as ours. On MySQL, SKIP LOCKED keeps
// concurrent senders apart; SQLite's single connection serialises the
// transaction. Due rows are read in the order of idx_template_status_next
// (status, next_attempt_at, id), so the scan stops after Batch rows
// instead of walking every row ever sent.
//
// First, rows whose claim expired (status sending, claimed_until passed:
// their sender died, hung or stopped mid-request) are settled as an
// attempt, so a message that kills or hangs every sender is not retried
// forever: attempts goes up and the row waits its backoff, so a sender
// that is merely slow gets to store its result before anyone sends the
// message again. One that was never POSTed (no attempt_started_at) fails
// after MaxAttempts. One whose POST may have reached WeChat is sent again
// after its backoff only if that is still within its ResendWindow (the
// repeat, with the same client_msg_id, is then dropped by WeChat if the
// first arrived); otherwise, or after MaxAttempts, it is marked 状态未知.
func (s *Sender) claim(ctx context.Context, limit int) ([]model.TemplateMessage, error) {
	now := s.now()
	var rows, expired []model.TemplateMessage
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		lock := func(q *gorm.DB) *gorm.DB {
			if s.db.Dialect() == model.MySQL {
				return q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
			}
			return q
		}
		// Look for expired claims without locks first: there rarely are
		// any, and a locking scan would lock (until commit) the live
		// claims of other senders it passes on the way.
		expired = expired[:0]
		var stale []uint64
		if err := s.db.Conn(ctx).Model(&model.TemplateMessage{}).Where("status = ? AND claimed_until <= ?", StatusSending, now).
			Order("id").Limit(limit).Pluck("id", &stale).Error; err != nil {
			return err
		}
		if len(stale) > 0 {
			q := s.db.Conn(ctx).Where("id IN ? AND status = ? AND claimed_until <= ?", stale, StatusSending, now).Order("id")
			if err := lock(q).Find(&expired).Error; err != nil {
				return err
			}
		}
		for i := range expired {
			m := &expired[i]
			m.Attempts++
			upd := map[string]any{
				"attempts": m.Attempts, "last_err_code": 0,
				"last_error": clip(fmt.Sprintf("claim of %s expired before a result was stored", m.ClaimedBy), 500),
				"claimed_by": "", "claimed_until": nil, "updated_at": now,
			}
			next := now.Add(Backoff(m.Attempts))
			switch {
			case m.AttemptStartedAt != nil && (!inWindow(m, next) || m.Attempts >= MaxAttempts):
				m.Status = model.TemplateUnknown
				upd["last_error"] = clip(unknownReason(m), 500)
			case m.AttemptStartedAt != nil:
				m.Status = model.TemplatePending
				upd["next_attempt_at"] = next
			case m.Attempts >= MaxAttempts:
				m.Status = model.TemplateFailed
			default:
				m.Status = model.TemplatePending
				upd["next_attempt_at"] = next
			}
			upd["status"] = m.Status
			if err := s.db.Conn(ctx).Model(&model.TemplateMessage{}).
				Where("id = ? AND status = ? AND claimed_until <= ?", m.ID, StatusSending, now).Updates(upd).Error; err != nil {
				return err
			}
		}
		q := s.db.Conn(ctx).Where("status = ? AND next_attempt_at <= ?", model.TemplatePending, now).
			Order("next_attempt_at").Order("id").Limit(limit)
		if err := lock(q).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]uint64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		until := now.Add(claimFor)
		for i := range rows {
			rows[i].Status, rows[i].ClaimedBy, rows[i].ClaimedUntil = StatusSending, s.worker, &until
		}
		return s.db.Conn(ctx).Model(&model.TemplateMessage{}).Where("id IN ?", ids).
			Updates(map[string]any{"status": StatusSending, "claimed_by": s.worker, "claimed_until": until, "updated_at": now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("领取待发送的模板消息失败: %w", err)
	}
	for _, m := range expired {
		s.failed.WithLabelValues(claimExpiredCode).Inc()
		switch {
		case m.Status == model.TemplateUnknown:
			s.markedUnknown(ctx, &m)
		case m.Status == model.TemplateFailed:
			s.log.WarnContext(ctx, "template message failed after retries",
				"id", m.ID, "template_key", m.TemplateKey, "attempts", m.Attempts, "errcode", claimExpiredCode)
		case m.AttemptStartedAt != nil:
			s.log.WarnContext(ctx, "template message claim expired after its POST began (the sender died before storing the outcome?); sending it again after the backoff, with the same client_msg_id, which WeChat drops if the first arrived",
				"id", m.ID, "template_key", m.TemplateKey, "claimed_by", m.ClaimedBy, "attempt_started_at", *m.AttemptStartedAt, "attempts", m.Attempts)
		default:
			s.log.WarnContext(ctx, "template message claim expired before its result was stored; retrying later",
				"id", m.ID, "template_key", m.TemplateKey, "claimed_by", m.ClaimedBy, "attempts", m.Attempts)
		}
	}
	return rows, nil
}

// outcome classes for an errcode.
type outcome int

const (
	retry outcome = iota
	undeliverable
	configError
	// quotaSpent: the account's daily quota (45009) is used up until
	// midnight Beijing time.
	quotaSpent
)

func classify(code int, hasCode bool) outcome {
	if !hasCode {
		return retry
	}
	switch code {
	case wxapi.CodeNotFollowing, wxapi.CodeInvalidOpenID, wxapi.CodeUserRefused:
		return undeliverable
	case wxapi.CodeInvalidTemplate, wxapi.CodeInvalidArgs:
		return configError
	case wxapi.CodeQuotaExceeded:
		return quotaSpent
	}
	// -1, a token error left after the client's own retry, and
	// anything unknown: try again later, a bounded number of times.
	return retry
}

// quotaResumeAt is when sending resumes after a 45009 met at t: shortly
// after the next midnight Beijing time, when WeChat renews the daily
// quotas, or, within the hour after a midnight, QuotaRecheck later (see
// there). It is stored in UTC like every time: SQLite compares the text.
func quotaResumeAt(t time.Time) time.Time {
	b := t.In(clock.Beijing)
	midnight := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing)
	if t.Sub(midnight) < time.Hour {
		return t.Add(QuotaRecheck).UTC()
	}
	return midnight.AddDate(0, 0, 1).Add(QuotaResumeAfter).UTC()
}

// Backoff is the wait after the n-th failed attempt (n from 1).
func Backoff(n int) time.Duration {
	d := baseBackoff
	for i := 1; i < n; i++ {
		d *= 2
		if d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

// sentRow is a message WeChat accepted, to be stored by storeSent.
type sentRow struct {
	id    uint64
	msgID int64
}

// send sends one row claimed until claimedUntil; quotaPauses is what
// pauseState said before it (see resume). When WeChat accepts it,
// it returns the row for storeSent; when the message was certainly not
// sent, because ctx is done or the claim ran short first (see sendTail),
// notSent, for release; any other outcome it stores itself. err is a
// database error.
//
// The claim recorded when the attempt began (attempt_started_at), unless
// an earlier attempt that may have reached WeChat did: a sender
// killed between the POST and storing the outcome leaves it behind, and
// the next one re-sends the message only within ResendWindow of it (see
// claim); past the window, here or there, the message is marked 状态未知
// instead of being sent. It is cleared again when this attempt certainly
// delivered nothing (WeChat answered an errcode, or nothing was posted).
func (s *Sender) send(ctx context.Context, m *model.TemplateMessage, claimedUntil time.Time, quotaPauses uint64, started time.Time) (ok *sentRow, notSent bool, err error) {
	var data map[string]string
	if err := json.Unmarshal([]byte(m.Data), &data); err != nil {
		// Cannot happen for rows Enqueue wrote; do not retry it forever.
		return nil, false, s.finish(ctx, m, map[string]any{
			"status": model.TemplateFailed, "attempts": m.Attempts, "last_err_code": 0,
			"last_error": clip("invalid data JSON: "+err.Error(), 500), "config_error": true,
		})
	}
	now := s.now()
	earlier := m.AttemptStartedAt // an earlier attempt that may have reached WeChat
	if earlier != nil && !inWindow(m, now) {
		return nil, false, s.finishUnknown(ctx, m)
	}
	// markAttempts recorded this attempt's start, unless an earlier
	// attempt's was kept.
	if earlier != nil {
		started = *earlier
	}
	// The claim is on the service's clock, the context on the machine's.
	// No POST begins past the claim's tail, nor past the window of the
	// earliest attempt that may have reached WeChat.
	deadline := claimedUntil.Add(-sendTail)
	if end := started.Add(ResendWindow); end.Before(deadline) {
		deadline = end
	}
	sctx, cancel := context.WithDeadline(ctx, time.Now().Add(deadline.Sub(now)))
	msgID, sendErr := s.api.SendTemplate(sctx, wxapi.Template{
		ToUser:      m.OpenID,
		TemplateID:  m.TemplateID,
		URL:         m.URL,
		Data:        data,
		ClientMsgID: strconv.FormatUint(m.ID, 10),
	})
	cancel()
	attempts := m.Attempts + 1
	if sendErr == nil {
		s.sentTotal.Inc()
		s.resume(ctx, quotaPauses)
		return &sentRow{id: m.ID, msgID: msgID}, false, nil
	}
	if errors.Is(sendErr, wxapi.ErrNotSent) {
		// Stopped before anything could reach WeChat: hand it back.
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "template message not sent before its claim ran short (slow access-token fetch?); handed back",
				"id", m.ID, "template_key", m.TemplateKey, "err", sendErr)
		}
		return nil, true, nil // release clears the attempt's start
	}
	if ctx.Err() != nil && (errors.Is(sendErr, context.Canceled) || errors.Is(sendErr, context.DeadlineExceeded)) {
		// A request abandoned on shutdown may or may not have reached
		// WeChat: neither store it as sent nor hand it back for an
		// immediate resend; the claim expires (see claim).
		return nil, false, nil
	}
	unanswered := errors.Is(sendErr, wxapi.ErrUnanswered)
	code, hasCode := wxapi.ErrCode(sendErr)
	label := "network"
	if hasCode {
		label = strconv.Itoa(code)
	}
	s.failed.WithLabelValues(label).Inc()
	upd := map[string]any{
		"attempts": attempts, "last_err_code": code, "last_error": clip(redact(sendErr.Error()), 500), "config_error": false,
	}
	if !unanswered {
		// WeChat answered, or nothing was posted: this attempt delivered
		// nothing, whatever an earlier one may have.
		upd["attempt_started_at"] = earlier
	}
	if code, ok := wxapi.CredentialProblem(sendErr); ok {
		// Nothing was posted (no token): wait out the pause without
		// spending an attempt, flagged for the admin page meanwhile.
		s.pause(ctx, code)
		upd["status"] = model.TemplatePending
		upd["attempts"] = m.Attempts
		upd["next_attempt_at"] = s.now().Add(CredentialPause)
		upd["config_error"] = true
		return nil, false, s.finish(ctx, m, upd)
	}
	switch classify(code, hasCode) {
	case undeliverable:
		upd["status"] = model.TemplateUndeliverable
		s.log.InfoContext(ctx, "template message undeliverable", "id", m.ID, "template_key", m.TemplateKey, "errcode", code)
	case configError:
		upd["status"] = model.TemplateFailed
		upd["config_error"] = true
		s.log.ErrorContext(ctx, "template message rejected: check the template id and its fields",
			"template_key", m.TemplateKey, "template_id", m.TemplateID, "id", m.ID, "errcode", code)
	case quotaSpent:
		// Retrying by backoff would fail every message within the hour
		// while the quota stays spent until midnight, and so would
		// every other message: this one waits for midnight without
		// spending an attempt, and the sender stops claiming until then.
		upd["status"] = model.TemplatePending
		upd["attempts"] = m.Attempts
		upd["next_attempt_at"] = s.pauseForQuota(ctx, wxapi.TokenQuota(sendErr))
	default:
		switch {
		case attempts >= MaxAttempts && (unanswered || earlier != nil):
			// It may have been delivered: not "failed".
			m.Attempts, m.AttemptStartedAt = attempts, &started
			return nil, false, s.finishUnknown(ctx, m)
		case attempts >= MaxAttempts:
			upd["status"] = model.TemplateFailed
			s.log.WarnContext(ctx, "template message failed after retries",
				"id", m.ID, "template_key", m.TemplateKey, "attempts", attempts, "errcode", label)
		default:
			// A retry of an unanswered attempt past its window is marked
			// 状态未知 instead of being sent (see above).
			upd["status"] = model.TemplatePending
			upd["next_attempt_at"] = s.now().Add(Backoff(attempts))
		}
	}
	return nil, false, s.finish(ctx, m, upd)
}

// inWindow reports whether m, whose earlier attempt may have reached
// WeChat, may still be sent again at now (see ResendWindow).
func inWindow(m *model.TemplateMessage, now time.Time) bool {
	return m.AttemptStartedAt != nil && now.Before(m.AttemptStartedAt.Add(ResendWindow))
}

// unknownReason is the last_error of a message marked 状态未知.
func unknownReason(m *model.TemplateMessage) string {
	return fmt.Sprintf("状态未知: the attempt that began at %s may have reached WeChat, but its outcome was never stored; past the %s in which WeChat drops a repeat of its client_msg_id, so it is not sent again",
		m.AttemptStartedAt.UTC().Format(time.RFC3339), ResendWindow)
}

// finishUnknown marks the claimed message m 状态未知 without sending it.
func (s *Sender) finishUnknown(ctx context.Context, m *model.TemplateMessage) error {
	err := s.finish(ctx, m, map[string]any{
		"status": model.TemplateUnknown, "attempts": m.Attempts, "last_error": clip(unknownReason(m), 500),
	})
	if err == nil {
		s.markedUnknown(ctx, m)
	}
	return err
}

// markedUnknown counts and logs a message marked 状态未知.
func (s *Sender) markedUnknown(ctx context.Context, m *model.TemplateMessage) {
	s.unknown.Inc()
	s.log.WarnContext(ctx, "template message marked 状态未知 (unknown) and not sent again: an attempt may have reached WeChat, its outcome was never stored, and WeChat would no longer drop a repeat",
		"id", m.ID, "template_key", m.TemplateKey, "attempt_started_at", *m.AttemptStartedAt, "resend_window", ResendWindow)
}

// isPaused reports whether sending is paused after a credential problem
// or because the day's quota is spent.
func (s *Sender) isPaused(ctx context.Context) bool {
	paused, _ := s.pauseState(ctx)
	return paused
}

// pauseState is isPaused, and how many quota pauses have begun so far: a
// send that was checked before the latest pause began says nothing, when
// it succeeds, about the quota since (see resume). The first call after
// the quota pause's end ends it and says so.
func (s *Sender) pauseState(ctx context.Context) (bool, uint64) {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := s.clk.Now()
	if !s.quotaUntil.IsZero() && !now.Before(s.quotaUntil) {
		s.endQuotaPause(ctx, "the quota pause is over (the day's quota renewed); sending resumed")
	}
	return now.Before(s.pausedUntil) || now.Before(s.quotaUntil), s.quotaPauses // never for the zero time
}

// quotaProbe reports whether a run paused by the quota alone may try one
// message now (see QuotaProbeEvery); it grants one try per period.
func (s *Sender) quotaProbe() bool {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := s.clk.Now()
	if s.quotaUntil.IsZero() || now.Before(s.pausedUntil) || now.Before(s.quotaProbeAt) {
		return false
	}
	s.quotaProbeAt = now.Add(QuotaProbeEvery)
	return true
}

// pauseForQuota stops sending until quotaResumeAt and returns that
// instant; said once per pause. tokenAPI: it was the access-token fetch's
// own quota. Other instances find out from their own next send (one 45009
// each).
func (s *Sender) pauseForQuota(ctx context.Context, tokenAPI bool) time.Time {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := s.clk.Now()
	until := quotaResumeAt(s.now())
	s.quotaProbeAt = now.Add(QuotaProbeEvery)
	if now.Before(s.quotaUntil) {
		return until // a probe, or another worker of the same batch
	}
	s.quotaUntil = until
	s.quotaPauses++
	s.quotaGauge.Set(1)
	which := "today's template message quota (message/template/send)"
	if tokenAPI {
		which = "today's access-token quota (stable_token)"
	}
	s.log.WarnContext(ctx, "WeChat answered 45009: "+which+" is used up; template messages paused until the quota is renewed at midnight Beijing time (one is tried every hour meanwhile, in case the quota is reset in the WeChat console); queued messages wait and go out then",
		"until", until)
	return until
}

// endQuotaPause ends a quota pause; pauseMu is held.
func (s *Sender) endQuotaPause(ctx context.Context, msg string) {
	s.quotaUntil, s.quotaProbeAt = time.Time{}, time.Time{}
	s.quotaGauge.Set(0)
	s.log.InfoContext(ctx, msg)
}

// pause stops sending for CredentialPause; said once per pause.
func (s *Sender) pause(ctx context.Context, code int) {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := s.clk.Now()
	already := now.Before(s.pausedUntil)
	s.pausedUntil = now.Add(CredentialPause)
	s.paused.Set(1)
	if already {
		return
	}
	hint, _ := wxapi.CredentialHint(code)
	s.log.ErrorContext(ctx, "WeChat refused the account's credentials at the access-token fetch; template messages paused: check YV_WECHAT_APPID, YV_WECHAT_SECRET and the IP whitelist in the WeChat console",
		"errcode", code, "hint", hint, "retry_in", CredentialPause)
}

// resume ends a pause once a message went out; a quota pause only when
// the message was checked after it began (quotaPauses, see pauseState),
// not by a worker whose send was under way when another met 45009.
func (s *Sender) resume(ctx context.Context, quotaPauses uint64) {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if !s.quotaUntil.IsZero() && quotaPauses == s.quotaPauses {
		s.endQuotaPause(ctx, "WeChat accepted a template message before the quota pause ended (quota reset or raised); sending resumed")
	}
	if s.pausedUntil.IsZero() {
		return
	}
	s.pausedUntil = time.Time{}
	s.paused.Set(0)
	s.log.InfoContext(ctx, "WeChat accepted a template message again; sending resumed")
}

// storeSent stores the msgids of a group of accepted messages in one
// transaction and applies delivery reports that arrived before them. The
// report rows are read with a lock first, so a report the callback stores
// concurrently either is seen here or finds our msgid. A row is stored
// while we still claim it, or when our claim expired and was settled back
// to pending (see claim) but nobody has claimed it since: nobody else is
// sending it, and storing it now keeps it from being sent again; or when
// it was marked 状态未知 meanwhile: now its state is known. A row
// another sender has claimed or sent since is left alone (and logged: it
// has been or will be sent twice). It runs even when ctx is cancelled:
// the messages were sent.
func (s *Sender) storeSent(ctx context.Context, done []sentRow) error {
	if len(done) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := s.now()
	ids := make([]uint64, len(done))
	msgIDs := make([]int64, len(done))
	var cases strings.Builder
	args := make([]any, 0, 2*len(done))
	cases.WriteString("CASE id")
	for i, d := range done {
		ids[i], msgIDs[i] = d.id, d.msgID
		cases.WriteString(" WHEN ? THEN ?")
		args = append(args, d.id, d.msgID)
	}
	cases.WriteString(" END")
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		var reps []model.TemplateSendReport
		if err := s.db.ForUpdate(ctx).Where("msg_id IN ?", msgIDs).Find(&reps).Error; err != nil {
			return fmt.Errorf("读取模板消息送达结果失败: %w", err)
		}
		res := conn.Model(&model.TemplateMessage{}).
			Where("id IN ? AND ((status = ? AND claimed_by = ?) OR (status = ? AND claimed_by = ?) OR status = ?)",
				ids, StatusSending, s.worker, model.TemplatePending, "", model.TemplateUnknown).
			Updates(map[string]any{
				"status": model.TemplateSent, "msg_id": gorm.Expr(cases.String(), args...),
				"attempts": gorm.Expr("attempts + 1"), "last_err_code": 0, "last_error": "", "config_error": false,
				"claimed_by": "", "claimed_until": nil, "updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if n := int(res.RowsAffected); n < len(done) {
			s.log.WarnContext(ctx, "template messages sent after another sender claimed them; not stored", "lost", len(done)-n, "sent", len(done))
		}
		for _, r := range reps {
			if err := conn.Model(&model.TemplateMessage{}).Where("msg_id = ? AND status = ?", r.MsgID, model.TemplateSent).
				Updates(map[string]any{"delivery_status": r.Status, "delivered_at": r.ReportedAt}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("保存 %d 条模板消息的发送结果失败: %w", len(done), err)
	}
	return nil
}

// releaseQuotaHeld makes the messages waiting for midnight after a 45009
// due now.
func (s *Sender) releaseQuotaHeld(ctx context.Context) error {
	now := s.now()
	err := quotaHeld(s.db.Conn(ctx).Model(&model.TemplateMessage{}), now).
		Updates(map[string]any{"next_attempt_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("恢复因额度用完而暂缓的模板消息失败: %w", err)
	}
	return nil
}

// markAttempts records, before their POSTs, that the attempts of rows
// begin now (attempt_started_at), in one statement: a sender killed
// after a POST leaves the time behind, and the next sender then re-sends
// the message only within ResendWindow of it (see claim). Rows whose
// earlier attempt may have reached WeChat keep that attempt's time. At
// most a chunk of messages is recorded ahead of its POSTs: a sender
// killed in between leaves those looking possibly sent, which only
// matters if no sender gets to them within the window.
func (s *Sender) markAttempts(ctx context.Context, rows []model.TemplateMessage, started []time.Time) error {
	now := s.now()
	var ids []uint64
	for i := range rows {
		if rows[i].AttemptStartedAt == nil {
			ids = append(ids, rows[i].ID)
			started[i] = now
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.db.Conn(context.WithoutCancel(ctx)).Model(&model.TemplateMessage{}).
		Where("id IN ? AND status = ? AND claimed_by = ? AND attempt_started_at IS NULL", ids, StatusSending, s.worker).
		Update("attempt_started_at", now).Error
	if err != nil {
		return fmt.Errorf("记录模板消息的发送开始时间失败: %w", err)
	}
	return nil
}

// release hands claimed rows that were not sent back to the queue. The
// start the claim recorded is cleared for the rows that had no earlier
// attempt (nothing of theirs was posted); the others keep their earlier
// attempt's.
func (s *Sender) release(ctx context.Context, rows []*model.TemplateMessage) error {
	var fresh, earlier []uint64
	for _, m := range rows {
		if m.AttemptStartedAt == nil {
			fresh = append(fresh, m.ID)
		} else {
			earlier = append(earlier, m.ID)
		}
	}
	for _, g := range []struct {
		ids   []uint64
		clear bool
	}{{fresh, true}, {earlier, false}} {
		if len(g.ids) == 0 {
			continue
		}
		upd := map[string]any{"status": model.TemplatePending, "claimed_by": "", "claimed_until": nil, "updated_at": s.now()}
		if g.clear {
			upd["attempt_started_at"] = nil
		}
		err := s.db.Conn(context.WithoutCancel(ctx)).Model(&model.TemplateMessage{}).
			Where("id IN ? AND status = ? AND claimed_by = ?", g.ids, StatusSending, s.worker).Updates(upd).Error
		if err != nil {
			return fmt.Errorf("交还未发送的模板消息失败: %w", err)
		}
	}
	return nil
}

// finish writes upd and releases our claim, unless the claim was lost. It
// runs even when ctx is cancelled: the outcome is WeChat's answer.
func (s *Sender) finish(ctx context.Context, m *model.TemplateMessage, upd map[string]any) error {
	ctx = context.WithoutCancel(ctx)
	upd["claimed_by"] = ""
	upd["claimed_until"] = nil
	upd["updated_at"] = s.now()
	res := s.db.Conn(ctx).Model(&model.TemplateMessage{}).
		Where("id = ? AND status = ? AND claimed_by = ?", m.ID, StatusSending, s.worker).
		Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("保存模板消息 %d 的发送结果失败: %w", m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		s.log.WarnContext(ctx, "template message claim lost before its result was stored", "id", m.ID)
	}
	return nil
}

func (s *Sender) updateGauges(ctx context.Context) error {
	conn := s.db.Conn(ctx)
	var depth int64
	if err := conn.Model(&model.TemplateMessage{}).
		Where("status IN ?", []string{model.TemplatePending, StatusSending}).Count(&depth).Error; err != nil {
		return fmt.Errorf("统计模板消息队列失败: %w", err)
	}
	s.queueDepth.Set(float64(depth))
	var oldest model.TemplateMessage
	err := conn.Select("id", "created_at").
		Where("status IN ?", []string{model.TemplatePending, StatusSending}).
		Order("created_at").Order("id").Take(&oldest).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		s.oldestAge.Set(0)
	case err != nil:
		return fmt.Errorf("统计模板消息队列失败: %w", err)
	default:
		age := s.clk.Now().Sub(oldest.CreatedAt).Seconds()
		if age < 0 {
			age = 0
		}
		s.oldestAge.Set(age)
	}
	return nil
}

// secretRE matches credentials that may appear in URLs inside errors.
var secretRE = regexp.MustCompile(`(?i)\b(access_token|secret|appsecret|code)=[^&\s"']*`)

func redact(s string) string { return secretRE.ReplaceAllString(s, "$1=REDACTED") }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
