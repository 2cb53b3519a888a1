package alert_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

const pathTemplate = "/cgi-bin/message/template/send"

// silenceper keeps its HTTP settings globally: one fake per binary, one
// appid per test. FailNext is per path, so these tests do not run in
// parallel.
var (
	fake        *wxfake.Server
	templatesMu sync.Mutex
	templates   []wxfake.TemplateCall
	appSeq      atomic.Int64
)

func TestMain(m *testing.M) {
	fake = wxfake.New()
	fake.OnTemplate = func(tc wxfake.TemplateCall) {
		templatesMu.Lock()
		defer templatesMu.Unlock()
		templates = append(templates, tc)
	}
	srv := httptest.NewServer(fake)
	wxapi.Configure(srv.URL, 5*time.Second)
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// logBuf collects log output for assertions.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	db     *model.DB
	clk    *clock.Fake
	appID  string
	api    *wxapi.Client
	outbox *alert.Outbox
	sender *alert.Sender
	reg    *prometheus.Registry
	logs   *logBuf
}

func setup(t *testing.T, db *model.DB) *env {
	t.Helper()
	n := appSeq.Add(1)
	cred := wxapi.Credentials{AppID: fmt.Sprintf("wxalert%011d", n), Secret: fmt.Sprintf("s-%d", n), Token: "tok"}
	fake.AddApp(cred.AppID, cred.Secret)
	api, err := wxapi.New(cred, kvtest.Memory(t, nil), servicetest.DiscardLog())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clk: clock.NewFake(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)), appID: cred.AppID, api: api}
	e.outbox, err = alert.NewOutbox(db, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	e.sender, e.reg, e.logs = e.newSender(t, "w1")
	return e
}

func (e *env) newSender(t *testing.T, id string) (*alert.Sender, *prometheus.Registry, *logBuf) {
	t.Helper()
	return e.newSenderWith(t, alert.Options{WorkerID: id, Batch: 20})
}

func (e *env) newSenderWith(t *testing.T, o alert.Options) (*alert.Sender, *prometheus.Registry, *logBuf) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &logBuf{}
	s, err := alert.NewSender(e.db, e.api, e.clk, slog.New(slog.NewTextHandler(logs, nil)), reg, o)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg, logs
}

// sentTo lists the template calls the fake accepted for this test's app.
func (e *env) sentTo() []wxfake.TemplateCall {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	var out []wxfake.TemplateCall
	for _, tc := range templates {
		if tc.AppID == e.appID {
			out = append(out, tc)
		}
	}
	return out
}

// rows lists the outbox in id order.
func (e *env) rows(t *testing.T) []model.TemplateMessage {
	t.Helper()
	var rows []model.TemplateMessage
	if err := e.db.Conn(context.Background()).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func (e *env) row(t *testing.T) model.TemplateMessage {
	t.Helper()
	var rows []model.TemplateMessage
	if err := e.db.Conn(context.Background()).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("want 1 outbox row, have %d", len(rows))
	}
	return rows[0]
}

func (e *env) runOnce(t *testing.T) int {
	t.Helper()
	n, err := e.sender.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func sample(openID string) alert.Alert {
	return alert.Alert{
		OpenID: openID, TemplateKey: "reply_notice", TemplateID: "TPL_REPLY", URL: "https://example.org/q/1",
		Data: map[string]string{
			"thing1": "您的提问\r\n已经收到\n回复了，请及时查看详情内容哦谢谢",
			"time2":  "2026-03-01 08:00",
			"first":  "dropped",
			"remark": "dropped",
		},
	}
}

func TestNilDependencies(t *testing.T) {
	if _, err := alert.NewOutbox(nil, clock.Real{}); err == nil {
		t.Error("NewOutbox(nil db) succeeded")
	}
	if _, err := alert.NewSender(nil, nil, nil, nil, nil, alert.Options{}); err == nil {
		t.Error("NewSender(nil...) succeeded")
	}
}

func TestCleanValue(t *testing.T) {
	cases := map[string]string{
		"a\r\nb\nc": "a b c",
		"一二三四五六七八九十一二三四五六七八九十":       "一二三四五六七八九十一二三四五六七八九十",
		"一二三四五六七八九十一二三四五六七八九十一":      "一二三四五六七八九十一二三四五六七八九…",
		"abcdefghijklmnopqrstuvwxyz": "abcdefghijklmnopqrs…",
	}
	for in, want := range cases {
		if got := alert.CleanValue(in); got != want {
			t.Errorf("CleanValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRollbackSendsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		boom := errors.New("boom")
		err := db.WithTx(context.Background(), func(ctx context.Context) error {
			if err := e.outbox.Enqueue(ctx, sample("o_rollback")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx: %v", err)
		}
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d", n)
		}
		if got := e.sentTo(); len(got) != 0 {
			t.Fatalf("fake got %d messages", len(got))
		}
	})
}

func TestEnqueueCommitSendsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		err := db.WithTx(context.Background(), func(ctx context.Context) error {
			return e.outbox.Enqueue(ctx, sample("o_commit"))
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("sent %d, want 1", n)
		}
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("second run sent %d", n)
		}
		got := e.sentTo()
		if len(got) != 1 {
			t.Fatalf("fake got %d messages, want 1", len(got))
		}
		r := e.row(t)
		tc := got[0]
		if tc.ClientMsgID != strconv.FormatUint(r.ID, 10) || tc.ToUser != "o_commit" || tc.TemplateID != "TPL_REPLY" || tc.URL != "https://example.org/q/1" {
			t.Errorf("sent %+v for row %d", tc, r.ID)
		}
		want := map[string]string{"thing1": "您的提问 已经收到 回复了，请及时查看…", "time2": "2026-03-01 08:00"}
		if fmt.Sprint(tc.Data) != fmt.Sprint(want) {
			t.Errorf("data %v, want %v", tc.Data, want)
		}
		if r.Status != model.TemplateSent || r.MsgID != tc.MsgID || r.Attempts != 1 || r.ClaimedBy != "" || r.ClaimedUntil != nil {
			t.Errorf("row after send: %+v", r)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_sent_total", ""); v != 1 {
			t.Errorf("sent_total %v", v)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_queue_depth", ""); v != 0 {
			t.Errorf("queue_depth %v", v)
		}
	})
}

func TestDeliveryReportBeforeSendResult(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		if err := e.outbox.Enqueue(context.Background(), sample("o_report")); err != nil {
			t.Fatal(err)
		}
		// The fake's msgid is predictable only after the call; store the
		// report from the OnTemplate hook, as an early push would.
		prev := fake.OnTemplate
		fake.OnTemplate = func(tc wxfake.TemplateCall) {
			prev(tc)
			rep := model.TemplateSendReport{MsgID: tc.MsgID, OpenID: tc.ToUser, Status: "success", ReportedAt: e.clk.Now().UTC()}
			if err := db.Conn(context.Background()).Create(&rep).Error; err != nil {
				t.Errorf("store report: %v", err)
			}
		}
		defer func() { fake.OnTemplate = prev }()
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("sent %d", n)
		}
		if r := e.row(t); r.DeliveryStatus != "success" || r.DeliveredAt == nil {
			t.Errorf("delivery not applied: %+v", r)
		}
	})
}

func TestRetryableErrors(t *testing.T) {
	for _, codes := range [][]int{{-1}, {40001, 40001}, {42001, 42001}} { // 45009: TestQuotaWaitsForMidnight
		t.Run(fmt.Sprint(codes[0]), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				e := setup(t, db)
				if err := e.outbox.Enqueue(context.Background(), sample("o_retry")); err != nil {
					t.Fatal(err)
				}
				fake.FailNext(pathTemplate, codes...)
				if n := e.runOnce(t); n != 0 {
					t.Fatalf("sent %d despite errcode", n)
				}
				r := e.row(t)
				if r.Status != model.TemplatePending || r.Attempts != 1 || r.LastErrCode != codes[0] ||
					!r.NextAttemptAt.Equal(e.clk.Now().Add(30*time.Second)) || r.ClaimedBy != "" {
					t.Fatalf("row after %d: %+v", codes[0], r)
				}
				if strings.Contains(r.LastError, "FAKE_") {
					t.Errorf("last_error leaks the token: %s", r.LastError)
				}
				if v := metric(t, e.reg, "youthvoice_alerts_failed_total", strconv.Itoa(codes[0])); v != 1 {
					t.Errorf("failed_total{%d} = %v", codes[0], v)
				}
				if v := metric(t, e.reg, "youthvoice_alerts_queue_depth", ""); v != 1 {
					t.Errorf("queue_depth %v", v)
				}
				// Not due yet.
				e.clk.Advance(29 * time.Second)
				if n := e.runOnce(t); n != 0 {
					t.Fatalf("resent before backoff: %d", n)
				}
				e.clk.Advance(time.Second)
				if v := metric(t, e.reg, "youthvoice_alerts_oldest_pending_age_seconds", ""); v != 29 {
					t.Errorf("oldest age %v, want 29 (as of the last run)", v)
				}
				if n := e.runOnce(t); n != 1 {
					t.Fatalf("retry sent %d", n)
				}
				if r := e.row(t); r.Status != model.TemplateSent || r.Attempts != 2 || r.LastErrCode != 0 {
					t.Errorf("row after retry: %+v", r)
				}
				if got := e.sentTo(); len(got) != 1 {
					t.Errorf("fake accepted %d, want 1", len(got))
				}
			})
		})
	}
}

func TestRetriesGiveUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		if err := e.outbox.Enqueue(context.Background(), sample("o_giveup")); err != nil {
			t.Fatal(err)
		}
		codes := make([]int, alert.MaxAttempts)
		for i := range codes {
			codes[i] = -1 // system busy
		}
		fake.FailNext(pathTemplate, codes...)
		for i := 0; i < alert.MaxAttempts; i++ {
			e.runOnce(t)
			e.clk.Advance(time.Hour)
		}
		r := e.row(t)
		if r.Status != model.TemplateFailed || r.Attempts != alert.MaxAttempts || r.ConfigError {
			t.Fatalf("row: %+v", r)
		}
		if n := e.runOnce(t); n != 0 {
			t.Fatal("failed row was resent")
		}
	})
	if alert.Backoff(1) != 30*time.Second || alert.Backoff(2) != time.Minute || alert.Backoff(8) != time.Hour {
		t.Errorf("backoff: %v %v %v", alert.Backoff(1), alert.Backoff(2), alert.Backoff(8))
	}
}

// TestQuotaWaitsForMidnight: 45009 (today's quota used up) does not burn
// the retries, which would fail the message within the hour. Every other
// message would meet 45009 too, so the sender stops posting until just
// after midnight Beijing time, trying one message an hour meanwhile: one
// WARN, a gauge and a notice for the admins, whatever is queued; after
// midnight everything goes out.
func TestQuotaWaitsForMidnight(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db) // 16:00 Beijing time
		ctx := context.Background()
		for _, o := range []string{"o_quota_1", "o_quota_2", "o_quota_3"} {
			if err := e.outbox.Enqueue(ctx, sample(o)); err != nil {
				t.Fatal(err)
			}
		}
		posts := func() int { return len(fake.CallsTo(pathTemplate)) }
		before := posts()
		resume := time.Date(2026, 3, 2, 0, 0, 0, 0, clock.Beijing).Add(alert.QuotaResumeAfter)
		fake.FailNext(pathTemplate, 45009)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d with the quota spent", n)
		}
		if got := posts() - before; got != 1 {
			t.Fatalf("%d posts to WeChat, want 1: the rest of the batch would meet 45009 too", got)
		}
		rows := e.rows(t)
		for i, r := range rows {
			met := i == 0 // the message that met 45009
			if r.Status != model.TemplatePending || r.Attempts != 0 || r.ClaimedBy != "" ||
				(met && (r.LastErrCode != 45009 || !r.NextAttemptAt.Equal(resume))) ||
				(!met && r.LastErrCode != 0) {
				t.Fatalf("row %d after 45009: %+v, want pending, unclaimed, no attempt spent", i, r)
			}
		}
		if v := metric(t, e.reg, "youthvoice_alerts_quota_exhausted", ""); v != 1 {
			t.Fatalf("youthvoice_alerts_quota_exhausted = %v", v)
		}
		probs, err := e.outbox.ConfigProblems(ctx, e.clk.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(probs) != 1 || !probs[0].Quota || probs[0].Credentials || probs[0].LastErrCode != 45009 ||
			probs[0].Count != 3 || probs[0].Until == nil || !probs[0].Until.Equal(resume) {
			t.Fatalf("ConfigProblems = %+v, want the quota alone, 3 waiting until %v", probs, resume)
		}

		// Queued during the evening: waits too, without asking WeChat,
		// and nothing is claimed meanwhile.
		if err := e.outbox.Enqueue(ctx, sample("o_quota_4")); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(alert.QuotaProbeEvery - time.Minute)
		if n := e.runOnce(t); n != 0 || posts()-before != 1 {
			t.Fatalf("sent %d, %d posts in all, before the hour's try", n, posts()-before)
		}
		for i, r := range e.rows(t) {
			if r.Status != model.TemplatePending || r.ClaimedBy != "" {
				t.Fatalf("row %d claimed while paused: %+v", i, r)
			}
		}
		if v := metric(t, e.reg, "youthvoice_alerts_queue_depth", ""); v != 4 {
			t.Fatalf("youthvoice_alerts_queue_depth = %v while paused, want 4", v)
		}
		// After an hour, one message is tried: still 45009.
		e.clk.Advance(time.Minute)
		fake.FailNext(pathTemplate, 45009)
		if n := e.runOnce(t); n != 0 || posts()-before != 2 {
			t.Fatalf("the hour's try: sent %d, %d posts in all, want 0 and 2", n, posts()-before)
		}
		if n := e.runOnce(t); n != 0 || posts()-before != 2 {
			t.Fatalf("a second try within the hour: sent %d, %d posts", n, posts()-before)
		}
		if logs := e.logs.String(); strings.Count(logs, "level=WARN") != 1 || !strings.Contains(logs, "45009") ||
			!strings.Contains(logs, "template message quota") {
			t.Fatalf("want one WARN naming 45009 and the template quota for the whole evening, logs:\n%s", logs)
		}

		// Midnight has passed, and a margin for a clock ahead of WeChat's
		// (no hourly try came in between: it would have ended the pause).
		e.clk.Set(resume)
		if n := e.runOnce(t); n != 4 {
			t.Fatalf("sent %d after midnight, want 4", n)
		}
		for i, r := range e.rows(t) {
			if r.Status != model.TemplateSent || r.Attempts != 1 {
				t.Fatalf("row %d after midnight: %+v", i, r)
			}
		}
		if v := metric(t, e.reg, "youthvoice_alerts_quota_exhausted", ""); v != 0 {
			t.Fatalf("youthvoice_alerts_quota_exhausted = %v after midnight", v)
		}
		if !strings.Contains(e.logs.String(), "sending resumed") {
			t.Fatalf("no log line for the resumption, logs:\n%s", e.logs)
		}
		if probs, err := e.outbox.ConfigProblems(ctx, e.clk.Now().Add(-time.Hour)); err != nil || len(probs) != 0 {
			t.Fatalf("ConfigProblems after midnight = %+v, %v", probs, err)
		}
	})
}

// With several workers, a send that was under way when another met 45009
// and was accepted (WeChat counted it before the quota ran out) does not
// end the pause: the rest of the batch is handed back unsent.
func TestQuotaPauseSurvivesASendUnderWay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for _, o := range []string{"o_race_1", "o_race_2", "o_race_3", "o_race_4"} {
			if err := e.outbox.Enqueue(ctx, sample(o)); err != nil {
				t.Fatal(err)
			}
		}
		var (
			reg    *prometheus.Registry
			regSet = make(chan struct{})
			posts  atomic.Int32
		)
		api := apiFunc(func(sctx context.Context, tpl wxapi.Template) (int64, error) {
			posts.Add(1)
			switch tpl.ToUser {
			case "o_race_1": // under way until the pause has begun
				<-regSet
				for deadline := time.Now().Add(5 * time.Second); metric(t, reg, "youthvoice_alerts_quota_exhausted", "") != 1; {
					if time.Now().After(deadline) {
						return 0, errors.New("no pause within 5 s")
					}
					time.Sleep(time.Millisecond)
				}
				return 1001, nil
			case "o_race_2":
				return 0, &wxapi.Error{API: "message/template/send", Code: 45009, Msg: "reach max api daily quota limit"}
			}
			return 1002, nil
		})
		var s *alert.Sender
		var logs *logBuf
		s, reg, logs = e.senderFor(t, api, alert.Options{WorkerID: "w-race", Batch: 20, Workers: 2})
		defer func() { t.Log(logs.String()) }()
		close(regSet)
		n, err := s.RunOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v; want the one under way sent", n, err)
		}
		if got := posts.Load(); got != 2 {
			t.Fatalf("%d posts, want 2: the rest of the batch waits for the quota", got)
		}
		if v := metric(t, reg, "youthvoice_alerts_quota_exhausted", ""); v != 1 {
			t.Fatalf("youthvoice_alerts_quota_exhausted = %v: the send under way ended the pause", v)
		}
		for _, r := range e.rows(t)[2:] {
			if r.Status != model.TemplatePending || r.ClaimedBy != "" || r.Attempts != 0 {
				t.Fatalf("row %d after the batch: %+v, want pending and unclaimed", r.ID, r)
			}
		}
	})
}

// A quota reset or raised in the WeChat console ends the pause at the
// next hourly try, not at midnight; the message that met 45009 goes too.
func TestQuotaResetEndsThePauseEarly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db) // 16:00 Beijing time
		ctx := context.Background()
		for _, o := range []string{"o_reset_1", "o_reset_2", "o_reset_3"} {
			if err := e.outbox.Enqueue(ctx, sample(o)); err != nil {
				t.Fatal(err)
			}
		}
		fake.FailNext(pathTemplate, 45009)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d with the quota spent", n)
		}
		e.clk.Advance(alert.QuotaProbeEvery) // the admin reset the quota meanwhile
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("the hour's try sent %d, want 1", n)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_quota_exhausted", ""); v != 0 {
			t.Fatalf("youthvoice_alerts_quota_exhausted = %v after the quota came back", v)
		}
		if probs, err := e.outbox.ConfigProblems(ctx, e.clk.Now().Add(-time.Hour)); err != nil || len(probs) != 0 {
			t.Fatalf("ConfigProblems after the reset = %+v, %v", probs, err)
		}
		if n := e.runOnce(t); n != 2 {
			t.Fatalf("next run sent %d, want the other 2 (the one that met 45009 included)", n)
		}
		if !strings.Contains(e.logs.String(), "quota reset or raised") {
			t.Fatalf("no log line for the early resumption, logs:\n%s", e.logs)
		}
	})
}

// A 45009 just after midnight (a clock ahead of WeChat's, a day that has
// not turned at WeChat yet) pauses for minutes, not for another day.
func TestQuotaJustAfterMidnightRetriesSoon(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		ctx := context.Background()
		e.clk.Set(time.Date(2026, 3, 2, 0, 0, 30, 0, clock.Beijing))
		if err := e.outbox.Enqueue(ctx, sample("o_early")); err != nil {
			t.Fatal(err)
		}
		fake.FailNext(pathTemplate, 45009)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d", n)
		}
		if r := e.row(t); !r.NextAttemptAt.Equal(e.clk.Now().Add(alert.QuotaRecheck)) {
			t.Fatalf("after a 45009 at 00:00:30: due %v, want %v later", r.NextAttemptAt, alert.QuotaRecheck)
		}
		e.clk.Advance(alert.QuotaRecheck)
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("sent %d %v after the 45009, want 1", n, alert.QuotaRecheck)
		}
	})
}

// 45009 from the access-token fetch is that endpoint's own daily quota:
// the pause is the same, the log says which quota.
func TestTokenQuotaPausesToo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for _, o := range []string{"o_tokq_1", "o_tokq_2"} {
			if err := e.outbox.Enqueue(ctx, sample(o)); err != nil {
				t.Fatal(err)
			}
		}
		fake.FailNext("/cgi-bin/stable_token", 45009)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d without a token", n)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_quota_exhausted", ""); v != 1 {
			t.Fatalf("youthvoice_alerts_quota_exhausted = %v", v)
		}
		if logs := e.logs.String(); !strings.Contains(logs, "access-token quota") || strings.Count(logs, "level=WARN") != 1 {
			t.Fatalf("want one WARN naming the access-token quota, logs:\n%s", logs)
		}
		if got := len(e.sentTo()); got != 0 {
			t.Fatalf("%d sent", got)
		}
	})
}

func TestFinalErrors(t *testing.T) {
	cases := []struct {
		code   int
		status string
		config bool
	}{
		{43004, model.TemplateUndeliverable, false},
		{40003, model.TemplateUndeliverable, false},
		{43101, model.TemplateUndeliverable, false}, // the user refuses the account's messages
		{40037, model.TemplateFailed, true},
		{47003, model.TemplateFailed, true},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				e := setup(t, db)
				if err := e.outbox.Enqueue(context.Background(), sample("o_final")); err != nil {
					t.Fatal(err)
				}
				fake.FailNext(pathTemplate, c.code)
				if n := e.runOnce(t); n != 0 {
					t.Fatalf("sent %d", n)
				}
				r := e.row(t)
				if r.Status != c.status || r.ConfigError != c.config || r.LastErrCode != c.code || r.Attempts != 1 {
					t.Fatalf("row: %+v", r)
				}
				e.clk.Advance(24 * time.Hour)
				if n := e.runOnce(t); n != 0 {
					t.Fatal("resent a final failure")
				}
				if got := len(fake.CallsTo(pathTemplate)); got == 0 {
					t.Fatal("no template calls recorded")
				}
				if got := e.sentTo(); len(got) != 0 {
					t.Errorf("fake accepted %d", len(got))
				}
				logs := e.logs.String()
				if c.config && (!strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "template_key=reply_notice")) {
					t.Errorf("no ERROR log naming the template key: %s", logs)
				}
				if !c.config && strings.Contains(logs, "level=ERROR") {
					t.Errorf("unexpected ERROR log: %s", logs)
				}
				// The admin view lists configuration errors, and only those.
				probs, err := e.outbox.ConfigProblems(context.Background(), e.clk.Now().Add(-48*time.Hour))
				if err != nil {
					t.Fatalf("ConfigProblems: %v", err)
				}
				if c.config && (len(probs) != 1 || probs[0].TemplateKey != "reply_notice" || probs[0].TemplateID != "TPL_REPLY" ||
					probs[0].LastErrCode != c.code || probs[0].Count != 1) {
					t.Errorf("ConfigProblems = %+v", probs)
				}
				if !c.config && len(probs) != 0 {
					t.Errorf("ConfigProblems lists a delivery failure: %+v", probs)
				}
			})
		})
	}
}

func TestExpiredClaimIsResent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		if err := e.outbox.Enqueue(context.Background(), sample("o_crash")); err != nil {
			t.Fatal(err)
		}
		// A sender claimed the row and was killed before sending.
		e.diedBeforePost(t, e.clk.Now().UTC().Add(time.Minute))
		e.sender, e.reg, e.logs = e.newSender(t, "restarted")
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("stole a live claim: sent %d", n)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_queue_depth", ""); v != 1 {
			t.Errorf("queue_depth %v", v)
		}
		// The expired claim counts as a failed attempt: the row waits the
		// first backoff (its sender may only have been slow to store an
		// outcome), then is sent.
		e.clk.Advance(time.Minute)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d as soon as the claim expired", n)
		}
		if r := e.row(t); r.Status != model.TemplatePending || r.Attempts != 1 || r.ClaimedBy != "" ||
			!r.NextAttemptAt.Equal(e.clk.Now().Add(alert.Backoff(1))) || !strings.Contains(r.LastError, "claim of dead expired") {
			t.Fatalf("row after the claim expired: %+v", r)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_failed_total", "claim_expired"); v != 1 {
			t.Errorf("failed_total{claim_expired} = %v", v)
		}
		e.clk.Advance(alert.Backoff(1))
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("sent %d after the backoff", n)
		}
		if r := e.row(t); r.Status != model.TemplateSent || r.ClaimedBy != "" || r.Attempts != 2 {
			t.Errorf("row: %+v", r)
		}
		if got := e.sentTo(); len(got) != 1 {
			t.Errorf("fake accepted %d", len(got))
		}
	})
}

// A message that hangs its sender every time (the sender is stopped or
// dies mid-request and never stores an outcome) is not retried forever.
// Once its POST has begun, each expired claim counts as an attempt and
// the message is sent again, with the same client_msg_id, only while
// WeChat would drop the repeat (alert.ResendWindow); then it is marked
// 状态未知, with a log line and a metric. A sender that dies every time
// before its POST leaves a message that certainly never reached WeChat:
// it fails after MaxAttempts like any other.
func TestHangingMessageGivesUp(t *testing.T) {
	t.Run("mid-request", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *model.DB) {
			e := setupWith(t, db, sample("o_hang"))
			var ids []string
			posted := make(chan struct{}, 1)
			hang := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
				ids = append(ids, tpl.ClientMsgID)
				posted <- struct{}{}
				<-ctx.Done() // until the instance is stopped
				return 0, ctx.Err()
			})
			s, reg, logs := e.senderFor(t, hang, alert.Options{WorkerID: "hangs"})
			for range 4 * alert.MaxAttempts {
				// The instance is stopped once its POST has begun (not
				// after a fixed time, which a loaded machine may spend
				// before the claim): every round that sends hangs mid-request.
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { _, err := s.RunOnce(ctx); done <- err }()
				var err error
				select {
				case <-posted:
					cancel()
					err = <-done
				case err = <-done: // nothing left to send
				case <-time.After(30 * time.Second):
					cancel()
					t.Fatal("RunOnce neither sent nor returned")
				}
				cancel()
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Fatalf("RunOnce: %v", err)
				}
				e.clk.Advance(time.Minute + time.Second) // past the claim
			}
			r := e.row(t)
			if r.Status != model.TemplateUnknown || r.ClaimedBy != "" || r.AttemptStartedAt == nil {
				t.Fatalf("row: %+v; want 状态未知", r)
			}
			if len(ids) < 2 || len(ids) > int(alert.ResendWindow/time.Minute) {
				t.Errorf("%d sends, want a few, all within the %v window", len(ids), alert.ResendWindow)
			}
			for _, id := range ids {
				if id != strconv.FormatUint(r.ID, 10) {
					t.Errorf("sent with client_msg_id %s, want %d every time", id, r.ID)
				}
			}
			if v := metric(t, reg, "youthvoice_alerts_unknown_total", ""); v != 1 {
				t.Errorf("unknown_total = %v, want 1", v)
			}
			if l := logs.String(); !strings.Contains(l, "状态未知") {
				t.Errorf("no 状态未知 log: %s", l)
			}
		})
	})
	t.Run("before the request", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *model.DB) {
			e := setupWith(t, db, sample("o_die"))
			var calls atomic.Int32
			api := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
				calls.Add(1)
				return e.api.SendTemplate(ctx, tpl)
			})
			s, reg, logs := e.senderFor(t, api, alert.Options{WorkerID: "restarted"})
			for range alert.MaxAttempts {
				e.diedBeforePost(t, e.clk.Now().UTC())
				e.clk.Advance(time.Second)
				if _, err := s.RunOnce(context.Background()); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			r := e.row(t)
			if r.Status != model.TemplateFailed || r.Attempts != alert.MaxAttempts || r.ClaimedBy != "" || r.ConfigError || r.AttemptStartedAt != nil {
				t.Fatalf("row: %+v; want failed after %d attempts", r, alert.MaxAttempts)
			}
			if calls.Load() != 0 {
				t.Errorf("%d sends, want none (each waited its backoff)", calls.Load())
			}
			if v := metric(t, reg, "youthvoice_alerts_failed_total", "claim_expired"); v != alert.MaxAttempts {
				t.Errorf("failed_total{claim_expired} = %v, want %d", v, alert.MaxAttempts)
			}
			if l := logs.String(); !strings.Contains(l, "template message failed after retries") || !strings.Contains(l, "errcode=claim_expired") {
				t.Errorf("no give-up log: %s", l)
			}
		})
	})
}

func TestConcurrentSenders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		const total = 200
		for i := 0; i < total; i++ {
			if err := e.outbox.Enqueue(context.Background(), sample(fmt.Sprintf("o_%03d", i))); err != nil {
				t.Fatal(err)
			}
		}
		// The second sender sends each batch with 4 workers at once.
		s2, _, _ := e.newSenderWith(t, alert.Options{WorkerID: "w2", Batch: 20, Workers: 4})
		var wg sync.WaitGroup
		var sent atomic.Int64
		for _, s := range []*alert.Sender{e.sender, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					n, err := s.RunOnce(context.Background())
					if err != nil {
						t.Errorf("RunOnce: %v", err)
						return
					}
					sent.Add(int64(n))
					if sent.Load() >= total {
						return
					}
				}
			}()
		}
		wg.Wait()
		if sent.Load() != total {
			t.Fatalf("senders report %d sent, want %d", sent.Load(), total)
		}
		per := map[string]int{}
		for _, tc := range e.sentTo() {
			per[tc.ClientMsgID]++
		}
		if len(per) != total {
			t.Errorf("%d distinct client_msg_ids, want %d", len(per), total)
		}
		for id, n := range per {
			if n != 1 {
				t.Errorf("client_msg_id %s sent %d times", id, n)
			}
		}
		var left int64
		if err := db.Conn(context.Background()).Model(&model.TemplateMessage{}).Where("status <> ?", model.TemplateSent).Count(&left).Error; err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d rows not sent", left)
		}
	})
}

// metric reads one sample from reg (label value for the only label, or "").
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

func TestRunLoopsUntilCancelled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		if err := e.outbox.Enqueue(context.Background(), sample("o_run")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); e.sender.Run(ctx, 10*time.Millisecond) }()
		deadline := time.Now().Add(5 * time.Second)
		for len(e.sentTo()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
		if got := e.sentTo(); len(got) != 1 {
			t.Fatalf("fake accepted %d", len(got))
		}
	})
}

// cancelAfter cancels a context after n sends WeChat accepted.
type cancelAfter struct {
	api    alert.TemplateSender
	n      int
	cancel context.CancelFunc
	mu     sync.Mutex
	sent   int
}

func (c *cancelAfter) SendTemplate(ctx context.Context, t wxapi.Template) (int64, error) {
	id, err := c.api.SendTemplate(ctx, t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.sent++
		if c.sent == c.n {
			c.cancel()
		}
	}
	return id, err
}

// A sender stopped mid-batch (graceful shutdown) stores what it sent and
// hands the rest back at once: nothing is sent twice and nothing waits for
// a claim to expire.
func TestShutdownMidBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		const total = 20
		for i := range total {
			if err := e.outbox.Enqueue(context.Background(), sample(fmt.Sprintf("o_stop_%02d", i))); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stopper := &cancelAfter{api: e.api, n: 3, cancel: cancel}
		s, err := alert.NewSender(db, stopper, e.clk, servicetest.DiscardLog(), prometheus.NewRegistry(),
			alert.Options{WorkerID: "stopping", Batch: total, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		// Only the queue gauges may fail for the cancelled context.
		if _, err := s.RunOnce(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("RunOnce while stopping: %v", err)
		}
		var rows []model.TemplateMessage
		if err := db.Conn(context.Background()).Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, r := range rows {
			switch r.Status {
			case model.TemplateSent:
				sent++
			case model.TemplatePending:
				if r.ClaimedBy != "" {
					t.Errorf("row %d pending but still claimed by %q", r.ID, r.ClaimedBy)
				}
			default:
				t.Errorf("row %d left %q after the stop", r.ID, r.Status)
			}
		}
		if sent != stopper.sent || sent < 3 || sent == total {
			t.Fatalf("%d rows stored as sent, %d accepted by WeChat; want them equal, at least 3 and fewer than %d", sent, stopper.sent, total)
		}
		// Another instance (no clock advance: nothing waits for a claim to
		// expire) sends the rest, each once.
		if n := e.runOnce(t); n != total-sent {
			t.Fatalf("restart sent %d, want %d", n, total-sent)
		}
		per := map[string]int{}
		for _, tc := range e.sentTo() {
			per[tc.ClientMsgID]++
		}
		if len(per) != total {
			t.Fatalf("%d distinct messages reached WeChat, want %d", len(per), total)
		}
		for id, n := range per {
			if n != 1 {
				t.Errorf("client_msg_id %s sent %d times", id, n)
			}
		}
	})
}

// apiFunc is a TemplateSender made of a function.
type apiFunc func(ctx context.Context, t wxapi.Template) (int64, error)

func (f apiFunc) SendTemplate(ctx context.Context, t wxapi.Template) (int64, error) { return f(ctx, t) }

func (e *env) senderFor(t *testing.T, api alert.TemplateSender, o alert.Options) (*alert.Sender, *prometheus.Registry, *logBuf) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &logBuf{}
	s, err := alert.NewSender(e.db, api, e.clk, slog.New(slog.NewTextHandler(logs, nil)), reg, o)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg, logs
}

// A sender stopped just before a send (the worker already had the row)
// sends nothing and hands the row back at once, without counting an
// attempt: the WeChat client reports it was not sent.
func TestShutdownBeforeSendHandsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		if err := e.outbox.Enqueue(context.Background(), sample("o_stop_before")); err != nil {
			t.Fatal(err)
		}
		// With a cached token nothing stands between the call and the POST.
		if _, err := e.api.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		api := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
			cancel() // SIGTERM arrives as the worker starts the send
			return e.api.SendTemplate(ctx, tpl)
		})
		s, _, _ := e.senderFor(t, api, alert.Options{WorkerID: "stopping", Batch: 20})
		if n, err := s.RunOnce(ctx); n != 0 || (err != nil && !errors.Is(err, context.Canceled)) {
			t.Fatalf("RunOnce while stopping = %d, %v", n, err)
		}
		if got := e.sentTo(); len(got) != 0 {
			t.Fatalf("fake accepted %d messages after the stop", len(got))
		}
		r := e.row(t)
		if r.Status != model.TemplatePending || r.ClaimedBy != "" || r.Attempts != 0 {
			t.Fatalf("row after the stop: %+v; want pending, unclaimed, no attempt", r)
		}
		if n := e.runOnce(t); n != 1 {
			t.Fatalf("restart sent %d, want 1", n)
		}
		if got := e.sentTo(); len(got) != 1 {
			t.Fatalf("fake accepted %d messages, want 1", len(got))
		}
	})
}

// enqueueN queues n sample alerts.
func (e *env) enqueueN(t *testing.T, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := e.outbox.Enqueue(context.Background(), sample(fmt.Sprintf("%s_%02d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// sentOnce checks that WeChat got each of the n rows exactly once and
// that every row is stored as sent.
func (e *env) sentOnce(t *testing.T, n int) {
	t.Helper()
	per := map[string]int{}
	for _, tc := range e.sentTo() {
		per[tc.ClientMsgID]++
	}
	if len(per) != n {
		t.Errorf("%d distinct messages reached WeChat, want %d", len(per), n)
	}
	for id, k := range per {
		if k != 1 {
			t.Errorf("client_msg_id %s sent %d times", id, k)
		}
	}
	var left int64
	if err := e.db.Conn(context.Background()).Model(&model.TemplateMessage{}).Where("status <> ?", model.TemplateSent).Count(&left).Error; err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d rows not stored as sent", left)
	}
}

// The reviewer's scenario: a batch outlasts its claim (here its first send
// takes longer than the claim), and another instance runs meanwhile. The
// other instance settles the expired claims instead of sending them, the
// slow sender sends no row it no longer holds and still stores the one it
// did send, and in the end every message reached WeChat exactly once.
func TestSlowBatchSendsEachOnce(t *testing.T) {
	for _, sendFirst := range []bool{false, true} {
		name := "stall-then-send"
		if sendFirst {
			name = "send-then-stall"
		}
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *model.DB) {
				e := setup(t, db)
				const total = 5
				e.enqueueN(t, "o_slow", total)
				other, _, _ := e.newSender(t, "w2")
				var stalled atomic.Bool
				slow := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
					var (
						id  int64
						err error
					)
					if sendFirst {
						id, err = e.api.SendTemplate(ctx, tpl)
					}
					if stalled.CompareAndSwap(false, true) {
						e.clk.Advance(time.Minute + time.Second) // past the claim
						if _, err := other.RunOnce(context.Background()); err != nil {
							t.Errorf("other sender: %v", err)
						}
					}
					if !sendFirst {
						id, err = e.api.SendTemplate(ctx, tpl)
					}
					return id, err
				})
				s, _, _ := e.senderFor(t, slow, alert.Options{WorkerID: "w1", Batch: total, Workers: 1})
				if _, err := s.RunOnce(context.Background()); err != nil {
					t.Fatalf("slow sender: %v", err)
				}
				if got := len(e.sentTo()); got != 1 {
					t.Errorf("the slow batch sent %d messages, want only the one in flight when its claim expired", got)
				}
				for range 5 {
					e.clk.Advance(time.Hour) // past any backoff
					for _, s := range []*alert.Sender{other, s} {
						if _, err := s.RunOnce(context.Background()); err != nil {
							t.Fatalf("RunOnce: %v", err)
						}
					}
				}
				e.sentOnce(t, total)
			})
		})
	}
}

// A batch that takes longer than the claim keeps its rows: each send
// renews the claims when they run short, so another instance polling all
// along takes none of them, and each accepted message is stored while the
// batch is still running (not only at its end).
func TestLongBatchKeepsItsClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		const total = 6
		e.enqueueN(t, "o_long", total)
		other, _, otherLogs := e.newSender(t, "w2")
		var calls int
		slow := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
			// The previous sends are stored before this one starts.
			deadline := time.Now().Add(5 * time.Second)
			for {
				var sent int64
				if err := db.Conn(context.Background()).Model(&model.TemplateMessage{}).
					Where("status = ?", model.TemplateSent).Count(&sent).Error; err != nil {
					t.Error(err)
				}
				if int(sent) == calls {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("send %d: %d earlier sends stored, want %d", calls+1, sent, calls)
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			calls++
			e.clk.Advance(25 * time.Second) // a slow send
			if n, err := other.RunOnce(context.Background()); n != 0 || err != nil {
				t.Errorf("other sender during send %d: %d, %v", calls, n, err)
			}
			return e.api.SendTemplate(ctx, tpl)
		})
		s, _, _ := e.senderFor(t, slow, alert.Options{WorkerID: "w1", Batch: total, Workers: 1})
		if n, err := s.RunOnce(context.Background()); n != total || err != nil {
			t.Fatalf("RunOnce = %d, %v; want all %d sent", n, err, total)
		}
		e.sentOnce(t, total)
		var rows []model.TemplateMessage
		if err := db.Conn(context.Background()).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Attempts != 1 {
				t.Errorf("row %d: %d attempts, want 1", r.ID, r.Attempts)
			}
		}
		if l := otherLogs.String(); strings.Contains(l, "expired") {
			t.Errorf("the other sender saw expired claims: %s", l)
		}
	})
}

// A wrong AppSecret or a server missing from the IP whitelist fails the
// token fetch for every message: the sender spends no attempts on it,
// pauses, tells the admin page, and sends everything once WeChat issues a
// token again.
func TestCredentialsRefusedPauseSending(t *testing.T) {
	const pathStable = "/cgi-bin/stable_token"
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for _, o := range []string{"o_cred_1", "o_cred_2", "o_cred_3"} {
			if err := e.outbox.Enqueue(ctx, sample(o)); err != nil {
				t.Fatal(err)
			}
		}
		fetches := len(fake.CallsTo(pathStable))
		fake.FailNext(pathStable, 40164)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d without a token", n)
		}
		var rows []model.TemplateMessage
		if err := db.Conn(ctx).Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			flagged := i == 0 // the message that met the refusal
			if r.Status != model.TemplatePending || r.Attempts != 0 || r.ClaimedBy != "" || r.ConfigError != flagged ||
				(flagged && (r.LastErrCode != 40164 || !r.NextAttemptAt.Equal(e.clk.Now().Add(alert.CredentialPause)))) {
				t.Fatalf("row %d after the refusal: %+v", i, r)
			}
		}
		if got := len(fake.CallsTo(pathStable)) - fetches; got != 1 {
			t.Fatalf("%d token fetches for one batch, want 1: the others were held back", got)
		}
		if logs := e.logs.String(); strings.Count(logs, "level=ERROR") != 1 || !strings.Contains(logs, "errcode=40164") {
			t.Fatalf("want one ERROR naming errcode 40164, logs:\n%s", logs)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_paused", ""); v != 1 {
			t.Fatalf("youthvoice_alerts_paused = %v", v)
		}
		probs, err := e.outbox.ConfigProblems(ctx, e.clk.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(probs) != 1 || !probs[0].Credentials || probs[0].LastErrCode != 40164 ||
			!strings.Contains(probs[0].Hint, "IP 白名单") || probs[0].TemplateKey != "" {
			t.Fatalf("ConfigProblems = %+v, want the credential problem alone", probs)
		}

		// Paused: nothing is claimed, WeChat is not asked.
		e.clk.Advance(alert.CredentialPause - time.Second)
		if n := e.runOnce(t); n != 0 {
			t.Fatalf("sent %d while paused", n)
		}
		if got := len(fake.CallsTo(pathStable)) - fetches; got != 1 {
			t.Fatalf("%d token fetches while paused", got)
		}

		// Fixed: everything goes out, once, and the admin page clears.
		e.clk.Advance(time.Second)
		if n := e.runOnce(t); n != 3 {
			t.Fatalf("sent %d after the pause, want 3", n)
		}
		if err := db.Conn(ctx).Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if r.Status != model.TemplateSent || r.Attempts != 1 || r.ConfigError {
				t.Fatalf("row %d after the pause: %+v", i, r)
			}
		}
		if got := len(e.sentTo()); got != 3 {
			t.Fatalf("fake accepted %d, want 3", got)
		}
		if v := metric(t, e.reg, "youthvoice_alerts_paused", ""); v != 0 {
			t.Fatalf("youthvoice_alerts_paused = %v after a send", v)
		}
		if probs, err := e.outbox.ConfigProblems(ctx, e.clk.Now().Add(-time.Hour)); err != nil || len(probs) != 0 {
			t.Fatalf("ConfigProblems after the fix = %+v, %v", probs, err)
		}
	})
}

// Each send must reach its POST while its claim still has 15 s to run
// (the POST and storing its outcome). When the token fetch is slow (a
// hanging stable_token endpoint, eight workers queued on silenceper's
// token lock), the message is handed back unsent instead of being sent
// after its claim expired, when another sender may send it too.
func TestSendStopsBeforeItsClaimRunsShort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setup(t, db)
		ctx := context.Background()
		if err := e.outbox.Enqueue(ctx, sample("o_claim_short")); err != nil {
			t.Fatal(err)
		}
		var left time.Duration // of the send's context, less the claim's
		api := apiFunc(func(sctx context.Context, tpl wxapi.Template) (int64, error) {
			dl, ok := sctx.Deadline()
			if !ok {
				t.Error("the send's context has no deadline")
				return 0, errors.New("no deadline")
			}
			var r model.TemplateMessage
			if err := db.Conn(ctx).Where("openid = ?", "o_claim_short").Take(&r).Error; err != nil || r.ClaimedUntil == nil {
				t.Errorf("row during the send: %+v, %v", r, err)
				return 0, errors.New("no claim")
			}
			left = time.Until(dl) - r.ClaimedUntil.Sub(e.clk.Now())
			// The token lock is held until that deadline has passed (not
			// waited for here: it is 45 s away).
			late, cancel := context.WithDeadline(sctx, time.Now())
			defer cancel()
			return e.api.SendTemplate(late, tpl)
		})
		s, _, logs := e.senderFor(t, api, alert.Options{WorkerID: "slow-token", Batch: 20})
		n, err := s.RunOnce(ctx)
		if n != 0 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if left > 0 || left < -sendTailForTest-time.Second {
			t.Fatalf("send deadline is %s off the claim's end, want about -%s", left, sendTailForTest)
		}
		r := e.row(t)
		if r.Status != model.TemplatePending || r.ClaimedBy != "" || r.Attempts != 0 {
			t.Fatalf("row after the slow token fetch: %+v; want pending, unclaimed, no attempt", r)
		}
		if !strings.Contains(logs.String(), "claim ran short") {
			t.Fatalf("no warning, logs:\n%s", logs)
		}
		if n := e.runOnce(t); n != 1 || len(e.sentTo()) != 1 {
			t.Fatalf("next run sent %d (fake has %d), want 1", n, len(e.sentTo()))
		}
	})
}

// sendTailForTest is the sender's sendTail.
const sendTailForTest = 15 * time.Second
