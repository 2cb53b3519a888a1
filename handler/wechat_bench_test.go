package handler_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// BenchmarkCallbackText measures one plaintext text push through the
// router (signature, dedupe claim, reply, interaction queued) on SQLite
// and the in-process store. Profile with -cpuprofile; compare with the
// wrk figures of `make bench` for the MariaDB + Redis setup.
func BenchmarkCallbackText(b *testing.B) {
	s := newCBStack(b, dbtest.SQLite(b), kvtest.Memory(b, nil), cbStackOpts{})
	q := s.signedQuery().Encode()
	var id atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := id.Add(1)
			req := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q,
				strings.NewReader(cbTextXML("oBench000000000000000000001", "帮助", 7000000000+n, cbEpoch.Unix())))
			w := httptest.NewRecorder()
			s.router.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
			}
		}
	})
}
