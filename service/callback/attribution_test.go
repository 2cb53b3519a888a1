package callback_test

import (
	"context"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// Universities of the seed.
const (
	svCodeSZU  = "4144010590" // 深圳大学
	svCodeSCUT = "4144010561" // 华南理工大学
)

func svAttribution(t *testing.T, db *model.DB, openid string) (model.QRFollow, string, bool) {
	t.Helper()
	var fs []model.QRFollow
	if err := db.Conn(context.Background()).Where("openid = ?", openid).Find(&fs).Error; err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		return model.QRFollow{}, "", false
	}
	var code string
	if err := db.Conn(context.Background()).Model(&model.University{}).Where("id = ?", fs[0].UniversityID).Pluck("code", &code).Error; err != nil {
		t.Fatal(err)
	}
	return fs[0], code, true
}

// A follow through a university's promotion code (subscribe with
// qrscene_u-<code>) and a scan of one by a follower (SCAN u-<code>)
// attribute the follower to the university; the first attribution wins.
func TestPromotionAttribution(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{})
		ctx := context.Background()
		db := b.DB()
		created := s.clock.Now().Unix()
		handle := func(m *message.MixMessage) callback.Reply {
			t.Helper()
			r, err := s.svc.Handle(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		// A new follower through 深圳大学's code.
		const fresh = "oPromo_fresh_000000000000001"
		if r := handle(svEvent(fresh, message.EventSubscribe, "qrscene_u-"+svCodeSZU, created)); r.Text != s.menu.Welcome() {
			t.Fatalf("subscribe reply %q", r.Text)
		}
		f, code, ok := svAttribution(t, db, fresh)
		if !ok || code != svCodeSZU || f.Source != model.QRSourceSubscribe || !f.FollowedAt.Equal(s.clock.Now()) {
			t.Fatalf("attribution %+v %s (found %v), want 深圳大学 by subscribe at %v", f, code, ok, s.clock.Now())
		}
		if fl, _ := svFollower(t, db, fresh); fl.SceneKey != "u-"+svCodeSZU {
			t.Fatalf("scene key %q", fl.SceneKey)
		}

		// The same follower scans 华南理工大学's code later, and re-follows
		// through it: the first attribution stays.
		s.clock.Advance(time.Hour)
		if r := handle(svEvent(fresh, message.EventScan, "u-"+svCodeSCUT, created+3600)); r.Text != s.menu.Welcome() {
			t.Fatalf("SCAN reply %q, want the activation steps", r.Text)
		}
		handle(svEvent(fresh, message.EventUnsubscribe, "", created+3601))
		handle(svEvent(fresh, message.EventSubscribe, "qrscene_u-"+svCodeSCUT, created+3602))
		if _, code, _ := svAttribution(t, db, fresh); code != svCodeSZU {
			t.Fatalf("attribution moved to %s; the first one wins", code)
		}

		// An existing follower (followed with no scene) scans 华南理工大学's
		// code: attributed there, by scan.
		const old = "oPromo_old_00000000000000001"
		handle(svEvent(old, message.EventSubscribe, "", created))
		if _, _, ok := svAttribution(t, db, old); ok {
			t.Fatal("a follow without a scene was attributed")
		}
		handle(svEvent(old, message.EventScan, "u-"+svCodeSCUT, created+3600))
		f, code, ok = svAttribution(t, db, old)
		if !ok || code != svCodeSCUT || f.Source != model.QRSourceScan {
			t.Fatalf("attribution %+v %s (found %v), want 华南理工大学 by scan", f, code, ok)
		}
		// WeChat's retry of the same SCAN is answered alike and changes nothing.
		if r := handle(svEvent(old, message.EventScan, "u-"+svCodeSCUT, created+3600)); r.Text != s.menu.Welcome() {
			t.Fatalf("retried SCAN reply %q", r.Text)
		}

		// Scenes of no university: another campaign's code, an unknown
		// school, a malformed one.
		for i, key := range []string{"qrscene_campus_7", "qrscene_u-4144099999", "qrscene_u-abc", "qrscene_u-"} {
			oid := "oPromo_other_00000000000000" + string(rune('a'+i))
			handle(svEvent(oid, message.EventSubscribe, key, created))
			if _, code, ok := svAttribution(t, db, oid); ok {
				t.Errorf("scene %q attributed to %s", key, code)
			}
		}
		// A SCAN of another code is stateless and answers nothing.
		if r := handle(svEvent(old, message.EventScan, "campus_7", created+7200)); r.Text != "" {
			t.Errorf("SCAN of another code replied %q", r.Text)
		}
		var n int64
		if err := db.Conn(ctx).Model(&model.QRFollow{}).Count(&n).Error; err != nil || n != 2 {
			t.Fatalf("%d attributions (%v), want 2", n, err)
		}
	})
}
