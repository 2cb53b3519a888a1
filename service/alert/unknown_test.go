package alert_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// killAfterAccept sends through the fake WeChat and, once it accepted
// the message, stops its instance before the result can be stored: the
// run's context is cancelled and the call returns as an abandoned
// request, so nothing is written after the POST and the claim is left to
// expire, as after kill -9.
func (e *env) killAfterAccept(t *testing.T) {
	t.Helper()
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	var accepted atomic.Int32
	api := apiFunc(func(_ context.Context, tpl wxapi.Template) (int64, error) {
		if _, err := e.api.SendTemplate(context.Background(), tpl); err != nil {
			t.Errorf("the fake WeChat refused the first send: %v", err)
		}
		accepted.Add(1)
		kill()
		return 0, context.Canceled
	})
	s, _, _ := e.senderFor(t, api, alert.Options{WorkerID: "killed"})
	if _, err := s.RunOnce(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce of the killed sender: %v", err)
	}
	if accepted.Load() != 1 {
		t.Fatalf("the killed sender posted %d messages, want 1", accepted.Load())
	}
	r := e.row(t)
	if r.Status != alert.StatusSending || r.ClaimedBy != "killed" || r.AttemptStartedAt == nil || r.MsgID != 0 {
		t.Fatalf("row after the kill: %+v; want still claimed by the killed sender, with its attempt's start and no msgid", r)
	}
}

// diedBeforePost leaves the outbox's rows as a sender that claimed them
// until until and died before its POST leaves them (no attempt begun).
func (e *env) diedBeforePost(t *testing.T, until time.Time) {
	t.Helper()
	if err := e.db.Conn(context.Background()).Model(&model.TemplateMessage{}).Where("1 = 1").
		Updates(map[string]any{"status": alert.StatusSending, "claimed_by": "dead", "claimed_until": until}).Error; err != nil {
		t.Fatal(err)
	}
}

// setupWith is setup with alert a queued.
func setupWith(t *testing.T, db *model.DB, a alert.Alert) *env {
	t.Helper()
	e := setup(t, db)
	if err := e.outbox.Enqueue(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return e
}

func answeredAlert(openID string) alert.Alert {
	a := sample(openID)
	a.TemplateKey = alertkind.Answered.Key()
	return a
}

// A sender killed between WeChat accepting a message and storing the
// outcome leaves the message claimed with the time its attempt began.
// Another sender finding the claim expired within the window in which
// WeChat drops a repeat of the same client_msg_id sends it again with
// that client_msg_id (WeChat then delivers it once); finding it later, it
// marks the message 状态未知 and does not POST it again, and the admin
// page can list it.
func TestKilledAfterPost(t *testing.T) {
	t.Run("within the window: resent with the same client_msg_id", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *model.DB) {
			e := setupWith(t, db, answeredAlert("o_killed"))
			e.killAfterAccept(t)
			started := *e.row(t).AttemptStartedAt
			w2, _, _ := e.newSender(t, "w2")
			for e.row(t).Status != model.TemplateSent {
				if e.clk.Now().Sub(started) >= alert.ResendWindow {
					t.Fatalf("not resent within the window: %+v", e.row(t))
				}
				e.clk.Advance(10 * time.Second)
				if _, err := w2.RunOnce(context.Background()); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
			}
			r := e.row(t)
			calls := e.sentTo()
			if len(calls) != 2 || calls[0].ClientMsgID != calls[1].ClientMsgID || calls[1].ClientMsgID != strconv.FormatUint(r.ID, 10) {
				t.Fatalf("calls = %+v; want the first send and one repeat, both with client_msg_id %d", calls, r.ID)
			}
			if r.MsgID == 0 || r.Attempts != 2 {
				t.Errorf("row: %+v; want sent with a msgid after 2 attempts", r)
			}
		})
	})
	t.Run("after the window: 状态未知, not sent again", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *model.DB) {
			e := setupWith(t, db, answeredAlert("o_killed"))
			e.killAfterAccept(t)
			// Every instance was down until the window had passed.
			e.clk.Advance(alert.ResendWindow + time.Second)
			w2, reg, logs := e.newSender(t, "w2")
			for range 3 {
				if _, err := w2.RunOnce(context.Background()); err != nil {
					t.Fatalf("RunOnce: %v", err)
				}
				e.clk.Advance(time.Hour)
			}
			if n := len(e.sentTo()); n != 1 {
				t.Fatalf("WeChat got %d sends, want only the killed sender's", n)
			}
			r := e.row(t)
			if r.Status != model.TemplateUnknown || r.ClaimedBy != "" || r.MsgID != 0 {
				t.Fatalf("row: %+v; want 状态未知", r)
			}
			if v := metric(t, reg, "youthvoice_alerts_unknown_total", ""); v != 1 {
				t.Errorf("unknown_total = %v, want 1", v)
			}
			if v := metric(t, reg, "youthvoice_alerts_queue_depth", ""); v != 0 {
				t.Errorf("queue_depth = %v; a message in 状态未知 waits for nothing", v)
			}
			if l := logs.String(); !strings.Contains(l, "状态未知") || !strings.Contains(l, fmt.Sprintf("id=%d", r.ID)) {
				t.Errorf("no 状态未知 log naming the message: %s", l)
			}
			if got := alert.StatusName(r.Status); got != "状态未知" {
				t.Errorf("StatusName(%q) = %q", r.Status, got)
			}

			admin := servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
			rep, err := e.outbox.UnknownFor(context.Background(), admin)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Count != 1 || len(rep.Messages) != 1 || !servicetest.HasHan(rep.Hint) {
				t.Fatalf("report = %+v; want the one message and an explanation", rep)
			}
			m := rep.Messages[0]
			if m.ID != r.ID || m.StatusName != "状态未知" || m.Name != "提问已答复" || m.URL != r.URL || !m.AttemptStartedAt.Equal(*r.AttemptStartedAt) {
				t.Errorf("listed %+v", m)
			}
			student := servicetest.NewUser(t, db, model.RoleStudent, nil, true)
			_, err = e.outbox.UnknownFor(context.Background(), student)
			servicetest.WantErr(t, "a student listing 状态未知", err, service.ErrForbidden, "not_admin")
		})
	})
	t.Run("killed before the POST: sent whenever it is found", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *model.DB) {
			e := setupWith(t, db, sample("o_early"))
			e.diedBeforePost(t, e.clk.Now().UTC())
			e.clk.Advance(2 * alert.ResendWindow)
			for range 2 {
				e.runOnce(t)
				e.clk.Advance(alert.Backoff(1))
			}
			if r := e.row(t); r.Status != model.TemplateSent || len(e.sentTo()) != 1 {
				t.Fatalf("row: %+v, %d sends; want sent once", r, len(e.sentTo()))
			}
		})
	})
}

// A send that got no answer from WeChat (a timeout, a reset connection)
// may have delivered the message: it is retried with the same
// client_msg_id within the window of the first such attempt and marked
// 状态未知 after it, not retried until MaxAttempts.
func TestUnansweredSendRetriedOnlyWithinWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setupWith(t, db, sample("o_timeout"))
		start := e.clk.Now()
		var sends []time.Time
		var ids []string
		api := apiFunc(func(_ context.Context, tpl wxapi.Template) (int64, error) {
			sends = append(sends, e.clk.Now())
			ids = append(ids, tpl.ClientMsgID)
			return 0, fmt.Errorf("%w: read tcp: i/o timeout", wxapi.ErrUnanswered)
		})
		s, _, _ := e.senderFor(t, api, alert.Options{WorkerID: "w1"})
		for range 50 {
			if _, err := s.RunOnce(context.Background()); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
			e.clk.Advance(10 * time.Second)
		}
		r := e.row(t)
		if r.Status != model.TemplateUnknown || r.AttemptStartedAt == nil || !r.AttemptStartedAt.Equal(start.UTC()) {
			t.Fatalf("row: %+v; want 状态未知 from the first attempt", r)
		}
		if len(sends) < 2 {
			t.Fatalf("%d sends; want the retries within the window", len(sends))
		}
		for i, at := range sends {
			if at.Sub(start) >= alert.ResendWindow || ids[i] != strconv.FormatUint(r.ID, 10) {
				t.Errorf("send %d at +%v with client_msg_id %s; want within %v, with %d", i, at.Sub(start), ids[i], alert.ResendWindow, r.ID)
			}
		}
	})
}

// A sender slow to store WeChat's answer, whose message another sender
// meanwhile marked 状态未知, stores the msgid when it comes: the state is
// known again.
func TestLateResultResolvesUnknown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		e := setupWith(t, db, sample("o_late"))
		other, _, _ := e.newSender(t, "w2")
		slow := apiFunc(func(ctx context.Context, tpl wxapi.Template) (int64, error) {
			e.clk.Advance(alert.ResendWindow + time.Minute) // stalled past the claim and the window
			if _, err := other.RunOnce(context.Background()); err != nil {
				t.Errorf("other sender: %v", err)
			}
			if r := e.row(t); r.Status != model.TemplateUnknown {
				t.Errorf("row while the first sender stalls: %+v; want 状态未知", r)
			}
			return e.api.SendTemplate(ctx, tpl)
		})
		s, _, _ := e.senderFor(t, slow, alert.Options{WorkerID: "w1"})
		if n, err := s.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("slow sender: %d, %v", n, err)
		}
		if r := e.row(t); r.Status != model.TemplateSent || r.MsgID == 0 {
			t.Fatalf("row: %+v; want sent with WeChat's msgid", r)
		}
		if n := len(e.sentTo()); n != 1 {
			t.Fatalf("%d sends, want 1", n)
		}
	})
}
