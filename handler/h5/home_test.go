package h5_test

import (
	"net/http"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The province admin's 主页 shows their tools, each leading to a page
// that works for them, and not the student tiles (提问, 预约) that end
// in "你的账号还没有选择学校"; a student's 主页 is unchanged.
func TestHomeTilesOfProvinceAdmin(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		home := w.Province.Get("/h5/home")
		webtest.WantStatus(t, home, http.StatusOK)
		tiles := map[string]string{
			"/h5/admin/stats": "考核统计", "/h5/admin/roster": "干部名册", "/h5/admin/onboarding": "上线与正常运营",
			"/h5/admin/notices": "省团委通知", "/h5/admin/stations": "服务站建设", "/h5/admin/promotion": "推广二维码",
			"/h5/stations": "青年之家", "/h5/boards": "版区",
		}
		for href, name := range tiles {
			webtest.WantBody(t, home, `href="`+href+`"`, name)
			webtest.WantStatus(t, w.Province.Get(href), http.StatusOK)
		}
		webtest.WantNoBody(t, home, `href="/h5/ask"`, `href="/h5/bookings/new"`, `href="/h5/questions/mine"`,
			`href="/h5/bookings/mine"`, `href="/h5/cadre/apply"`)

		student := w.Student.Get("/h5/home")
		webtest.WantBody(t, student, `href="/h5/ask"`, `href="/h5/bookings/new"`, `href="/h5/stations"`)
		webtest.WantNoBody(t, student, `href="/h5/admin/stats"`, "推广二维码")
	})
}
