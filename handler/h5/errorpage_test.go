package h5_test

import (
	"net/http"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// A student following a dead link (a question that is gone, a page that
// does not exist) is offered 返回, not a 重试 that fails the same way.
func TestNotFoundPageOffersBack(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		for _, path := range []string{"/h5/questions/999999", "/h5/no-such-page", "/h5/stations/0000000000"} {
			r := w.Student.Do(http.MethodGet, path, nil, http.Header{"Referer": {w.Student.Stack.URL + "/h5/boards"}})
			webtest.WantStatus(t, r, http.StatusNotFound)
			webtest.WantBody(t, r, `id="error-back"`, `href="/h5/boards"`, ">返回</a>", "返回主页")
			webtest.WantNoBody(t, r, "重试")
		}
	})
}
