package callback_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/menu"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

const svPublicURL = "https://yv.example.org"

var svEpoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

var svDiscard = servicetest.DiscardLog()

type svInstance struct {
	svc   *callback.Service
	rec   *callback.Recorder
	reg   *prometheus.Registry
	clock *clock.Fake
	menu  *menu.Menu
}

func newSvc(t testing.TB, db *model.DB, store kv.Store, clk *clock.Fake, o callback.Options) *svInstance {
	t.Helper()
	if clk == nil {
		clk = clock.NewFake(svEpoch)
	}
	m, err := menu.Parse(config.DefaultMenu, svPublicURL)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	rec := newRecorder(t, db, svDiscard, reg, callback.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	svc, err := callback.New(db, store, m, clk, rec, svDiscard, reg, o)
	if err != nil {
		t.Fatal(err)
	}
	return &svInstance{svc: svc, rec: rec, reg: reg, clock: clk, menu: m}
}

func svEvent(from string, event message.EventType, key string, created int64) *message.MixMessage {
	m := &message.MixMessage{EventKey: key}
	m.FromUserName, m.ToUserName, m.CreateTime = message.CDATA(from), "gh_0123456789ab", created
	m.MsgType, m.Event = message.MsgTypeEvent, event
	return m
}

func svText(from, content string, msgID, created int64) *message.MixMessage {
	m := &message.MixMessage{Content: content, MsgID: msgID}
	m.FromUserName, m.ToUserName, m.CreateTime = message.CDATA(from), "gh_0123456789ab", created
	m.MsgType = message.MsgTypeText
	return m
}

func svFollower(t testing.TB, db *model.DB, openID string) (model.Follower, bool) {
	t.Helper()
	var fs []model.Follower
	if err := db.Conn(context.Background()).Where("openid = ?", openID).Find(&fs).Error; err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		return model.Follower{}, false
	}
	return fs[0], true
}

func svInteractions(t testing.TB, db *model.DB, openID string) []model.Interaction {
	t.Helper()
	var its []model.Interaction
	if err := db.Conn(context.Background()).Where("openid = ?", openID).Order("id").Find(&its).Error; err != nil {
		t.Fatal(err)
	}
	return its
}

func svEventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a loaded CI machine under -race is slow
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newRecorder starts a recorder stopped when t ends.
func newRecorder(t testing.TB, db *model.DB, log *slog.Logger, reg prometheus.Registerer, o callback.RecorderOptions) *callback.Recorder {
	t.Helper()
	rec, err := callback.NewRecorder(db, log, reg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	return rec
}

func TestNewRecorderRequiresDependencies(t *testing.T) {
	db := dbtest.SQLite(t)
	for name, build := range map[string]func() (*callback.Recorder, error){
		"db": func() (*callback.Recorder, error) {
			return callback.NewRecorder(nil, svDiscard, prometheus.NewRegistry(), callback.RecorderOptions{})
		},
		"log": func() (*callback.Recorder, error) {
			return callback.NewRecorder(db, nil, prometheus.NewRegistry(), callback.RecorderOptions{})
		},
		"registry": func() (*callback.Recorder, error) {
			return callback.NewRecorder(db, svDiscard, nil, callback.RecorderOptions{})
		},
	} {
		if r, err := build(); err == nil || r != nil {
			t.Errorf("NewRecorder without %s: %v, %v; want an error", name, r, err)
		}
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	db := dbtest.SQLite(t)
	store := kvtest.Memory(t, nil)
	m, _ := menu.Parse(config.DefaultMenu, svPublicURL)
	rec := newRecorder(t, db, svDiscard, prometheus.NewRegistry(), callback.RecorderOptions{})
	clk := clock.NewFake(svEpoch)
	reg := prometheus.NewRegistry()
	for name, build := range map[string]func() (*callback.Service, error){
		"db": func() (*callback.Service, error) {
			return callback.New(nil, store, m, clk, rec, svDiscard, reg, callback.Options{})
		},
		"store": func() (*callback.Service, error) {
			return callback.New(db, nil, m, clk, rec, svDiscard, reg, callback.Options{})
		},
		"menu": func() (*callback.Service, error) {
			return callback.New(db, store, nil, clk, rec, svDiscard, reg, callback.Options{})
		},
		"clock": func() (*callback.Service, error) {
			return callback.New(db, store, m, nil, rec, svDiscard, reg, callback.Options{})
		},
		"recorder": func() (*callback.Service, error) {
			return callback.New(db, store, m, clk, nil, svDiscard, reg, callback.Options{})
		},
		"log": func() (*callback.Service, error) {
			return callback.New(db, store, m, clk, rec, nil, reg, callback.Options{})
		},
		"registry": func() (*callback.Service, error) {
			return callback.New(db, store, m, clk, rec, svDiscard, nil, callback.Options{})
		},
	} {
		if s, err := build(); err == nil || s != nil {
			t.Errorf("New without %s: %v, %v; want an error", name, s, err)
		}
	}
}

func TestDedupeKey(t *testing.T) {
	const user = "oKey_user_000000000000000001"
	base := callback.DedupeKey(svEvent(user, message.EventSubscribe, "qrscene_a", 1000))
	tests := []struct {
		name string
		m    *message.MixMessage
		same bool
	}{
		{"the same event again (a retry)", svEvent(user, message.EventSubscribe, "qrscene_a", 1000), true},
		{"another CreateTime", svEvent(user, message.EventSubscribe, "qrscene_a", 1001), false},
		{"another sender", svEvent("oKey_user_000000000000000002", message.EventSubscribe, "qrscene_a", 1000), false},
		{"another event", svEvent(user, message.EventUnsubscribe, "qrscene_a", 1000), false},
		{"another key", svEvent(user, message.EventSubscribe, "qrscene_b", 1000), false},
		{"fields that only collide when concatenated", svEvent(user+"1", message.EventSubscribe, "qrscene_a", 0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := callback.DedupeKey(tc.m) == base; got != tc.same {
				t.Fatalf("same key = %v, want %v", got, tc.same)
			}
		})
	}
	t.Run("messages dedupe by MsgId alone", func(t *testing.T) {
		a := callback.DedupeKey(svText(user, "a", 42, 1000))
		b := callback.DedupeKey(svText("oKey_other_0000000000000000", "b", 42, 2000))
		c := callback.DedupeKey(svText(user, "a", 43, 1000))
		if a != b || a == c {
			t.Fatalf("keys %s %s %s: want equal for one MsgId, distinct for another", a, b, c)
		}
	})
	t.Run("a message without MsgId falls back to sender and time", func(t *testing.T) {
		a := callback.DedupeKey(svText(user, "a", 0, 1000))
		b := callback.DedupeKey(svText(user, "a", 0, 1001))
		if a == b || a == callback.DedupeKey(svText(user, "a", 42, 1000)) {
			t.Fatalf("keys %s %s", a, b)
		}
	})
}

func TestHandleFollowers(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
		ctx := context.Background()
		const user = "oFollow_user_000000000000001"
		created := s.clock.Now().Unix()
		handle := func(t *testing.T, m *message.MixMessage) callback.Reply {
			t.Helper()
			r, err := s.svc.Handle(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		steps := []struct {
			name      string
			advance   time.Duration
			m         func() *message.MixMessage
			want      model.Follower // Subscribed, SceneKey
			subAt     bool           // subscribed_at == now
			unsubAt   bool           // unsubscribed_at == now
			wantReply bool
		}{
			{name: "subscribe via a QR code", m: func() *message.MixMessage { return svEvent(user, message.EventSubscribe, "qrscene_campus_7", created) },
				want: model.Follower{Subscribed: true, SceneKey: "campus_7"}, subAt: true, wantReply: true},
			{name: "unsubscribe keeps the row and the scene", advance: time.Hour, m: func() *message.MixMessage { return svEvent(user, message.EventUnsubscribe, "", created+3600) },
				want: model.Follower{Subscribed: false, SceneKey: "campus_7"}, unsubAt: true},
			{name: "re-subscribe without a scene keeps the old one", advance: time.Hour, m: func() *message.MixMessage { return svEvent(user, message.EventSubscribe, "", created+7200) },
				want: model.Follower{Subscribed: true, SceneKey: "campus_7"}, subAt: true, wantReply: true},
			{name: "re-subscribe via another QR code takes its scene", advance: time.Hour, m: func() *message.MixMessage {
				return svEvent(user, message.EventSubscribe, "qrscene_fair_2026", created+10800)
			}, want: model.Follower{Subscribed: true, SceneKey: "fair_2026"}, subAt: true, wantReply: true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				s.clock.Advance(st.advance)
				r := handle(t, st.m())
				if st.wantReply != (r.Text == s.menu.Welcome()) {
					t.Fatalf("reply %q (welcome expected: %v)", r.Text, st.wantReply)
				}
				f, ok := svFollower(t, b.DB(), user)
				if !ok || f.Subscribed != st.want.Subscribed || f.SceneKey != st.want.SceneKey {
					t.Fatalf("follower %+v (found %v), want subscribed=%v scene=%q", f, ok, st.want.Subscribed, st.want.SceneKey)
				}
				now := s.clock.Now()
				if st.subAt && (f.SubscribedAt == nil || !f.SubscribedAt.Equal(now)) {
					t.Fatalf("subscribed_at %v, want %v", f.SubscribedAt, now)
				}
				if st.unsubAt && (f.UnsubscribedAt == nil || !f.UnsubscribedAt.Equal(now)) {
					t.Fatalf("unsubscribed_at %v, want %v", f.UnsubscribedAt, now)
				}
				if !f.CreatedAt.Equal(svEpoch) || !f.UpdatedAt.Equal(now) {
					t.Fatalf("created_at %v updated_at %v, want %v and %v", f.CreatedAt, f.UpdatedAt, svEpoch, now)
				}
			})
		}
		t.Run("unsubscribe from someone never seen creates an unsubscribed row", func(t *testing.T) {
			const stranger = "oFollow_stranger_00000000001"
			if r := handle(t, svEvent(stranger, message.EventUnsubscribe, "", created)); r.Text != "" {
				t.Fatalf("reply %q, want none", r.Text)
			}
			if f, ok := svFollower(t, b.DB(), stranger); !ok || f.Subscribed {
				t.Fatalf("follower %+v (found %v)", f, ok)
			}
		})
		t.Run("a scene key is cut to the column size", func(t *testing.T) {
			const long = "oFollow_longscene_0000000001"
			handle(t, svEvent(long, message.EventSubscribe, "qrscene_"+strings.Repeat("场", 100), created))
			f, _ := svFollower(t, b.DB(), long)
			if len(f.SceneKey) > 128 || !utf8.ValidString(f.SceneKey) || !strings.HasPrefix(f.SceneKey, "场场") {
				t.Fatalf("scene key %q (%d bytes)", f.SceneKey, len(f.SceneKey))
			}
		})
	})
}

// WeChat does not deliver pushes in order: a subscribe that arrives
// after the user's later unsubscribe (a retry, another instance) must not
// make them a follower again, nor the reverse.
func TestHandleFollowerEventsOutOfOrder(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
		ctx := context.Background()
		created := s.clock.Now().Unix()
		cases := []struct {
			name   string
			events []*message.MixMessage
			want   bool
			scene  string
		}{
			{"a late subscribe after the unsubscribe", []*message.MixMessage{
				svEvent("oOrder_user_0000000000000001", message.EventUnsubscribe, "", created+10),
				svEvent("oOrder_user_0000000000000001", message.EventSubscribe, "qrscene_old", created),
			}, false, ""},
			{"a late unsubscribe after the re-subscribe", []*message.MixMessage{
				svEvent("oOrder_user_0000000000000002", message.EventSubscribe, "qrscene_a", created),
				svEvent("oOrder_user_0000000000000002", message.EventSubscribe, "qrscene_b", created+20),
				svEvent("oOrder_user_0000000000000002", message.EventUnsubscribe, "", created+10),
			}, true, "b"},
			{"in order", []*message.MixMessage{
				svEvent("oOrder_user_0000000000000003", message.EventSubscribe, "qrscene_a", created),
				svEvent("oOrder_user_0000000000000003", message.EventUnsubscribe, "", created+10),
				svEvent("oOrder_user_0000000000000003", message.EventSubscribe, "", created+20),
			}, true, "a"},
			{"the same second: the later delivery wins", []*message.MixMessage{
				svEvent("oOrder_user_0000000000000004", message.EventSubscribe, "", created),
				svEvent("oOrder_user_0000000000000004", message.EventUnsubscribe, "", created),
			}, false, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, m := range tc.events {
					if _, err := s.svc.Handle(ctx, m); err != nil {
						t.Fatal(err)
					}
				}
				f, ok := svFollower(t, b.DB(), string(tc.events[0].FromUserName))
				if !ok || f.Subscribed != tc.want || f.SceneKey != tc.scene {
					t.Fatalf("follower %+v (found %v), want subscribed=%v scene=%q", f, ok, tc.want, tc.scene)
				}
				// Every push is still recorded as an interaction.
				svEventually(t, "interactions recorded", func() bool {
					return len(svInteractions(t, b.DB(), string(tc.events[0].FromUserName))) == len(tc.events)
				})
			})
		}
	})
}

func TestHandleRepliesAndRecords(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
		ctx := context.Background()
		const user = "oReply_user_0000000000000001"
		created := s.clock.Now().Unix() - 1
		guide, _ := s.menu.ClickReply("HELP_GUIDE")
		tests := []struct {
			name  string
			m     *message.MixMessage
			reply string
		}{
			{"CLICK HELP_GUIDE", svEvent(user, message.EventClick, "HELP_GUIDE", created), guide},
			{"CLICK unknown key", svEvent(user, message.EventClick, "GONE", created+1), ""},
			{"VIEW", svEvent(user, message.EventView, svPublicURL+"/h5/home", created+2), ""},
			{"SCAN", svEvent(user, message.EventScan, "campus_7", created+3), ""},
			{"keyword", svText(user, "激活", 101, created+4), s.menu.TextReply("激活")},
			{"other text", svText(user, "你好", 102, created+5), s.menu.TextReply("无关的话")},
			{"long text", svText(user, strings.Repeat("青年之声", 100), 103, created+6), s.menu.TextReply("无关的话")},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r, err := s.svc.Handle(ctx, tc.m)
				if err != nil || r.Text != tc.reply {
					t.Fatalf("reply %q, %v; want %q", r.Text, err, tc.reply)
				}
			})
		}
		if guide == "" || s.menu.TextReply("激活") == s.menu.TextReply("无关的话") {
			t.Fatal("config/menu.json lost HELP_GUIDE or the 激活 keyword")
		}
		s.rec.Close()
		its := svInteractions(t, b.DB(), user)
		if len(its) != len(tests) {
			t.Fatalf("%d interactions, want %d", len(its), len(tests))
		}
		for i, it := range its {
			m := tests[i].m
			if it.MsgType != string(m.MsgType) || it.Event != string(m.Event) || it.EventKey != m.EventKey || it.MsgID != m.MsgID ||
				it.SentAt.Unix() != m.CreateTime || !it.CreatedAt.Equal(svEpoch) {
				t.Errorf("interaction %d = %+v, want it to mirror %s", i, it, tests[i].name)
			}
		}
		long := its[len(its)-1].Content
		if len(long) > 200 || !utf8.ValidString(long) || !strings.HasPrefix(long, "青年之声") {
			t.Fatalf("long content stored as %q (%d bytes)", long, len(long))
		}
		if n := servicetest.Metric(t, s.reg, "youthvoice_wechat_callbacks_total", map[string]string{"msg_type": "event", "event": "CLICK"}); n != 2 {
			t.Fatalf("callbacks_total{event=CLICK} = %v, want 2", n)
		}
	})
}

func TestHandleTemplateReports(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
		ctx := context.Background()
		const user = "oTpl_user_000000000000000001"
		finish := func(msgID int64, status string, created int64) *message.MixMessage {
			m := svEvent(user, message.EventTemplateSendJobFinish, "", created)
			m.TemplateMsgID, m.Status = msgID, status
			return m
		}
		now := s.clock.Now()
		tm := model.TemplateMessage{OpenID: user, TemplateKey: "k", TemplateID: "t", Data: "{}", Status: model.TemplateSent,
			MsgID: 31337, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := b.DB().Conn(ctx).Create(&tm).Error; err != nil {
			t.Fatal(err)
		}

		t.Run("applies to the sent message", func(t *testing.T) {
			s.clock.Advance(time.Minute)
			if r, err := s.svc.Handle(ctx, finish(31337, "success", now.Unix()+60)); err != nil || r.Text != "" {
				t.Fatalf("%q, %v", r.Text, err)
			}
			var got model.TemplateMessage
			if err := b.DB().Conn(ctx).First(&got, tm.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got.DeliveryStatus != "success" || got.DeliveredAt == nil || !got.DeliveredAt.Equal(s.clock.Now()) || got.Status != model.TemplateSent {
				t.Fatalf("template message %+v", got)
			}
			if st, err := s.svc.DeliveryStatus(ctx, 31337); err != nil || st != "success" {
				t.Fatalf("DeliveryStatus = %q, %v", st, err)
			}
		})
		t.Run("a report before the send result is kept", func(t *testing.T) {
			if _, err := s.svc.Handle(ctx, finish(40001, "failed:system failed", now.Unix()+61)); err != nil {
				t.Fatal(err)
			}
			if st, err := s.svc.DeliveryStatus(ctx, 40001); err != nil || st != "failed:system failed" {
				t.Fatalf("DeliveryStatus = %q, %v", st, err)
			}
		})
		t.Run("a later report for the same MsgID replaces the status", func(t *testing.T) {
			if _, err := s.svc.Handle(ctx, finish(40001, "success", now.Unix()+62)); err != nil {
				t.Fatal(err)
			}
			if st, _ := s.svc.DeliveryStatus(ctx, 40001); st != "success" {
				t.Fatalf("status %q", st)
			}
		})
		t.Run("a report without MsgID stores nothing", func(t *testing.T) {
			if _, err := s.svc.Handle(ctx, finish(0, "success", now.Unix()+63)); err != nil {
				t.Fatal(err)
			}
			var n int64
			b.DB().Conn(ctx).Model(&model.TemplateSendReport{}).Count(&n)
			if n != 2 {
				t.Fatalf("%d reports, want 2", n)
			}
		})
		t.Run("unknown MsgID", func(t *testing.T) {
			if _, err := s.svc.DeliveryStatus(ctx, 999); err == nil {
				t.Fatal("DeliveryStatus of an unknown MsgID succeeded")
			}
		})
	})
}

func TestHandleDedupe(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()

		t.Run("a retry gets the stored reply and is not processed", func(t *testing.T) {
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
			const user = "oDup_seq_000000000000000001"
			m := svEvent(user, message.EventSubscribe, "qrscene_a", s.clock.Now().Unix())
			first, err := s.svc.Handle(ctx, m)
			if err != nil || first.Text != s.menu.Welcome() {
				t.Fatalf("%q %v", first.Text, err)
			}
			// A retry lands on another instance, after the user unsubscribed.
			other := newSvc(t, b.DB(), b.Peer(t), s.clock, callback.Options{})
			if _, err := s.svc.Handle(ctx, svEvent(user, message.EventUnsubscribe, "", s.clock.Now().Unix()+5)); err != nil {
				t.Fatal(err)
			}
			again, err := other.svc.Handle(ctx, m)
			if err != nil || again != first {
				t.Fatalf("retry got %q %v, want the first reply", again.Text, err)
			}
			if f, _ := svFollower(t, b.DB(), user); f.Subscribed {
				t.Fatal("the retried subscribe was processed again")
			}
			if n := servicetest.Metric(t, other.reg, "youthvoice_wechat_duplicates_total", nil); n != 1 {
				t.Fatalf("duplicates_total = %v", n)
			}
			s.rec.Close()
			other.rec.Close()
			if n := len(svInteractions(t, b.DB(), user)); n != 2 {
				t.Fatalf("%d interactions, want 2 (subscribe, unsubscribe)", n)
			}
		})

		t.Run("a retry waits for the delivery in progress", func(t *testing.T) {
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{WaitFor: 5 * time.Second})
			const user = "oDup_wait_00000000000000001"
			m := svText(user, "帮助", 880001, s.clock.Now().Unix())
			key := callback.DedupeKey(m)
			if won, err := b.KV().SetNX(ctx, key, "p", time.Minute); err != nil || !won {
				t.Fatalf("claim: %v %v", won, err)
			}
			type result struct {
				r   callback.Reply
				err error
			}
			done := make(chan result, 1)
			go func() {
				r, err := s.svc.Handle(ctx, m)
				done <- result{r, err}
			}()
			svEventually(t, "the retry to start waiting", func() bool {
				return servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil) == 1
			})
			select {
			case res := <-done:
				t.Fatalf("returned %+v before the first delivery finished", res)
			default:
			}
			peer := b.Peer(t)
			go func() { _ = peer.Set(ctx, key, "r:the first reply", time.Minute) }()
			select {
			case res := <-done:
				if res.err != nil || res.r.Text != "the first reply" {
					t.Fatalf("got %+v", res)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the retry never returned")
			}
			s.rec.Close()
			if n := len(svInteractions(t, b.DB(), user)); n != 0 {
				t.Fatalf("the waiting retry processed the message (%d interactions)", n)
			}
		})

		t.Run("a retry waits no longer than the budget", func(t *testing.T) {
			// The request's context has no deadline (net/http gives it none):
			// the service's budget ends the wait before WeChat's 5 s do.
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{WaitFor: time.Minute, Budget: 300 * time.Millisecond})
			m := svText("oDup_budget_000000000000001", "帮助", 880002, s.clock.Now().Unix())
			if won, err := b.KV().SetNX(ctx, callback.DedupeKey(m), "p", time.Minute); err != nil || !won {
				t.Fatalf("claim: %v %v", won, err)
			}
			start := time.Now()
			r, err := s.svc.Handle(ctx, m)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %+v, %v; want the budget's context.DeadlineExceeded", r, err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("returned after %s with a 300ms budget", took)
			}
		})

		t.Run("a retry takes over when the first delivery fails", func(t *testing.T) {
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{WaitFor: 5 * time.Second})
			const user = "oDup_takeover_0000000000001"
			m := svEvent(user, message.EventSubscribe, "", s.clock.Now().Unix())
			key := callback.DedupeKey(m)
			if won, err := b.KV().SetNX(ctx, key, "p", time.Minute); err != nil || !won {
				t.Fatalf("claim: %v %v", won, err)
			}
			done := make(chan callback.Reply, 1)
			go func() {
				r, err := s.svc.Handle(ctx, m)
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			svEventually(t, "the retry to start waiting", func() bool {
				return servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil) == 1
			})
			// The first attempt fails and releases its claim.
			if err := b.KV().Del(ctx, key); err != nil {
				t.Fatal(err)
			}
			if r := <-done; r.Text != s.menu.Welcome() {
				t.Fatalf("reply %q, want the welcome", r.Text)
			}
			if f, ok := svFollower(t, b.DB(), user); !ok || !f.Subscribed {
				t.Fatalf("follower %+v (found %v)", f, ok)
			}
			if v, err := b.KV().Get(ctx, key); err != nil || v != "r:"+s.menu.Welcome() {
				t.Fatalf("stored %q %v, want the reply kept for further retries", v, err)
			}
		})

		t.Run("a retry gives up waiting without processing", func(t *testing.T) {
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{WaitFor: 100 * time.Millisecond})
			const user = "oDup_stuck_0000000000000001"
			m := svText(user, "帮助", 880002, s.clock.Now().Unix())
			key := callback.DedupeKey(m)
			if _, err := b.KV().SetNX(ctx, key, "p", time.Minute); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r, err := s.svc.Handle(ctx, m)
			if err != nil || r.Text != "" {
				t.Fatalf("%q %v, want an empty reply", r.Text, err)
			}
			if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
				t.Fatalf("gave up after %v, want about WaitFor", d)
			}
			if v, _ := b.KV().Get(ctx, key); v != "p" {
				t.Fatalf("claim now %q; the stuck delivery's claim must stay", v)
			}
			s.rec.Close()
			if n := len(svInteractions(t, b.DB(), user)); n != 0 {
				t.Fatalf("%d interactions", n)
			}
		})

		t.Run("a waiting retry stops when its request ends", func(t *testing.T) {
			s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{WaitFor: 5 * time.Second})
			m := svText("oDup_cancel_000000000000001", "x", 880003, s.clock.Now().Unix())
			if _, err := b.KV().SetNX(ctx, callback.DedupeKey(m), "p", time.Minute); err != nil {
				t.Fatal(err)
			}
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if _, err := s.svc.Handle(cctx, m); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err %v, want the context's", err)
			}
		})

		t.Run("a failure releases the claim and the retry succeeds", func(t *testing.T) {
			broken := b.NewDB(t)
			if err := broken.Close(); err != nil {
				t.Fatal(err)
			}
			down := newSvc(t, broken, b.KV(), nil, callback.Options{})
			const user = "oDup_failure_00000000000001"
			m := svEvent(user, message.EventSubscribe, "qrscene_r", down.clock.Now().Unix())
			if _, err := down.svc.Handle(ctx, m); err == nil {
				t.Fatal("Handle on a closed database succeeded")
			}
			if _, err := b.KV().Get(ctx, callback.DedupeKey(m)); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("claim still held: %v", err)
			}
			up := newSvc(t, b.DB(), b.Peer(t), nil, callback.Options{})
			r, err := up.svc.Handle(ctx, m)
			if err != nil || r.Text != up.menu.Welcome() {
				t.Fatalf("retry: %q %v", r.Text, err)
			}
			if f, ok := svFollower(t, b.DB(), user); !ok || f.SceneKey != "r" {
				t.Fatalf("follower %+v (found %v)", f, ok)
			}
			down.rec.Close()
			up.rec.Close()
			if n := len(svInteractions(t, b.DB(), user)); n != 1 {
				t.Fatalf("%d interactions, want 1", n)
			}
		})
	})
}

// An instance that dies while holding a claim must not swallow the push:
// once the short claim TTL passes, WeChat's next retry processes it.
func TestHandleStaleClaimIsTakenOver(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		// A claim of a second, not less: on a loaded machine (CI, -race)
		// a shorter one could expire before the first retry is handled.
		const ttl = time.Second
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{ClaimTTL: ttl, WaitFor: 50 * time.Millisecond})
		const user = "oStale_claim_0000000000000001"
		m := svEvent(user, message.EventSubscribe, "", s.clock.Now().Unix())
		// The crashed instance's claim, as it would have written it.
		if ok, err := b.KV().SetNX(ctx, callback.DedupeKey(m), "p", ttl); err != nil || !ok {
			t.Fatalf("seeding claim: %v %v", ok, err)
		}
		// A retry while the claim is fresh waits, then answers empty.
		if r, err := s.svc.Handle(ctx, m); err != nil || r.Text != "" {
			t.Fatalf("retry during claim: %q, %v", r.Text, err)
		}
		if _, ok := svFollower(t, b.DB(), user); ok {
			t.Fatal("push processed while another instance held the claim")
		}
		time.Sleep(ttl + 100*time.Millisecond)
		r, err := s.svc.Handle(ctx, m)
		if err != nil || r.Text != s.menu.Welcome() {
			t.Fatalf("retry after the claim expired: %q, %v; want the welcome", r.Text, err)
		}
		if f, ok := svFollower(t, b.DB(), user); !ok || !f.Subscribed {
			t.Fatal("follower not stored after takeover")
		}
		// The reply is now kept for the full dedupe TTL.
		time.Sleep(ttl + 100*time.Millisecond)
		if r2, err := s.svc.Handle(ctx, m); err != nil || r2.Text != r.Text {
			t.Fatalf("later retry: %q, %v; want the stored reply", r2.Text, err)
		}
	})
}
