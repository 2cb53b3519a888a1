package callback_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// loginScans plays scanlogin.Service: it answers every login scene and
// counts the calls.
type loginScans struct {
	mu    sync.Mutex
	calls []string
}

func (l *loginScans) Scan(_ context.Context, openid, eventKey string) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, openid+" "+eventKey)
	return "请点击确认登录", true, nil
}

func (l *loginScans) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// A login code's SCAN (follower) and subscribe (new follower) reach the
// login service once each, even when WeChat retries, and its reply is
// the answer; the ticket token is kept neither as the follower's scene
// nor in the interactions, and no university is attributed.
func TestLoginScanPushes(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		logins := &loginScans{}
		s := newSvc(t, b.DB(), b.KV(), nil, callback.Options{Logins: logins})
		ctx := context.Background()
		const (
			follower = "oLogin_follower_000000000001"
			newcomer = "oLogin_newcomer_000000000001"
			token    = "tok-abcdefghijklmnopqrstuvwxyz0123456789ABC"
		)
		created := s.clock.Now().Unix()
		scan := svEvent(follower, message.EventScan, "login:"+token, created)
		for range 2 { // the push and WeChat's retry of it
			r, err := s.svc.Handle(ctx, scan)
			if err != nil || r.Text != "请点击确认登录" {
				t.Fatalf("SCAN: %q %v", r.Text, err)
			}
		}
		if n := logins.count(); n != 1 {
			t.Fatalf("the login service saw the SCAN %d times, want once", n)
		}
		r, err := s.svc.Handle(ctx, svEvent(newcomer, message.EventSubscribe, "qrscene_login:"+token, created))
		if err != nil || r.Text != "请点击确认登录" {
			t.Fatalf("subscribe: %q %v", r.Text, err)
		}
		if f, ok := svFollower(t, b.DB(), newcomer); !ok || !f.Subscribed || f.SceneKey != "" {
			t.Fatalf("follower %+v (found %v): want subscribed without the login scene", f, ok)
		}
		for _, openid := range []string{follower, newcomer} {
			if _, _, attributed := svAttribution(t, b.DB(), openid); attributed {
				t.Fatalf("%s attributed to a university", openid)
			}
			var its []model.Interaction
			svEventually(t, "the interaction of "+openid, func() bool { its = svInteractions(t, b.DB(), openid); return len(its) == 1 })
			if strings.Contains(its[0].EventKey, token) || !strings.HasSuffix(its[0].EventKey, "login:") {
				t.Fatalf("interaction event key %q", its[0].EventKey)
			}
		}
		// A promotion code's scan still goes its own way.
		if _, err := s.svc.Handle(ctx, svEvent(follower, message.EventScan, "u-"+svCodeSZU, created+1)); err != nil {
			t.Fatal(err)
		}
		if _, code, ok := svAttribution(t, b.DB(), follower); !ok || code != svCodeSZU || logins.count() != 2 {
			t.Fatalf("promotion scan: attributed %v to %s; login service calls %d", ok, code, logins.count())
		}
	})
}
