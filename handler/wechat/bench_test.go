package wechat_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// BenchmarkCallbackText measures one plaintext text push through the
// router (signature, dedupe claim, reply, interaction queued) on SQLite
// and the in-process store. Profile with -cpuprofile; compare with the
// wrk figures of `make bench` for the MariaDB + Redis setup.
func BenchmarkCallbackText(b *testing.B) {
	s := benchStack(b)
	benchPushes(b, s, s.router)
}

// BenchmarkCallbackBaseline is the yardstick of `make bench` in process:
// silenceper's README echo handler on a bare gin engine, answering the
// same request. Compare its ns/op and allocs/op with BenchmarkCallbackText.
func BenchmarkCallbackBaseline(b *testing.B) {
	s := benchStack(b)
	oa := officialaccount.NewOfficialAccount(&offConfig.Config{
		AppID: s.creds.AppID, AppSecret: "test-secret", Token: s.creds.Token, Cache: cache.NewMemory(),
	})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/wechat/callback", func(c *gin.Context) {
		server := oa.GetServer(c.Request, c.Writer)
		server.SetMessageHandler(func(msg *message.MixMessage) *message.Reply {
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(msg.Content)}
		})
		if err := server.Serve(); err != nil {
			return
		}
		_ = server.Send()
	})
	benchPushes(b, s, r)
}

// benchStack is a stack whose clock follows the wall clock, as in
// production, so the reply silenceper stamps is the reply sent.
func benchStack(b *testing.B) *cbStack {
	clk := clock.NewFake(time.Now())
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				clk.Set(time.Now())
			}
		}
	}()
	return newCBStack(b, dbtest.SQLite(b), kvtest.Memory(b, nil), cbStackOpts{clock: clk})
}

// benchPushes sends h a signed text push with a fresh MsgId per op.
func benchPushes(b *testing.B, s *cbStack, h http.Handler) {
	q := s.signedQuery().Encode()
	var id atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := id.Add(1)
			req := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q,
				strings.NewReader(cbTextXML("oBench000000000000000000001", "帮助", 7000000000+n, s.clock.Now().Unix())))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
			}
		}
	})
}
