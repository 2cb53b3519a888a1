package h5_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/station"
)

// 附近站点 (the menu's /h5/stations) lists the stations near the user:
// their own university's first, then the others in the same city, then
// the rest by city, each with its university, whether it is open now and
// a link to its page.
func TestStationsNearby(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, _ := stationStack(t, db, store) // a Wednesday, 10:00 Beijing time
		province := s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin)
		const sustech, stu = "4144014325", "4144010560" // 南方科技大学 (深圳市), 汕头大学 (汕头市)
		open := func(code, name string, weekly [7][]station.Range) {
			t.Helper()
			uni, err := s.Accounts.UniversityByCode(context.Background(), code)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stations.SaveProfile(context.Background(), province.User, uni.ID, station.Profile{
				Name: name, Building: "学生活动中心", Room: "101", Services: []string{"心理咨询"}, Weekly: weekly, SlotMinutes: 60,
			}); err != nil {
				t.Fatalf("SaveProfile %s: %v", name, err)
			}
		}
		// Opened out of order: the list orders them.
		open(stu, "汕头大学青年之家", weekdayHours())
		open(webtest.CodeSCUT, "华南理工大学青年之家", [7][]station.Range{})
		open(sustech, "南科大青年之家", weekdayHours())
		open(webtest.CodeSZU, "深圳大学青年之家", weekdayHours())

		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))
		r := student.Get("/h5/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "附近站点", "全省 4 个青年之家服务站", `<h2 class="section-title" id="own">本校</h2>`,
			`<h2 class="section-title" id="same-city">同城 · 深圳市</h2>`, "南方科技大学 · ", "正在开放",
			"暂未设置开放时间", `id="city-links"`, `>广州市 1</a>`, `>汕头市 1</a>`)
		var order []string
		for _, m := range regexp.MustCompile(`data-code="(\d+)"`).FindAllStringSubmatch(r.Body, -1) {
			order = append(order, m[1])
		}
		if len(order) != 4 || order[0] != webtest.CodeSZU || order[1] != sustech {
			t.Fatalf("stations in the order %v, want 深圳大学 (own), 南方科技大学 (same city), then the other cities", order)
		}
		// Each line leads to the station's page.
		webtest.WantBody(t, r, `href="/h5/stations/`+stu+`"`)
		webtest.WantBody(t, student.Get("/h5/stations/"+stu), "汕头大学青年之家", "仅限本校同学预约")

		// A student of a university without a station: told so first,
		// then the stations of their city (广州市) before the others.
		scnu := s.Phone(s.Member("scnu", "4144010574", model.RoleStudent)) // 华南师范大学, 广州市
		r = scnu.Get("/h5/stations")
		webtest.WantBody(t, r, `id="own-missing"`, "华南师范大学青年之家尚未开通", "同城 · 广州市")
		webtest.WantNoBody(t, r, `id="setup-link"`, `id="own">本校`)
		if i, j := strings.Index(r.Body, `data-code="`+webtest.CodeSCUT+`"`), strings.Index(r.Body, `data-code="`+webtest.CodeSZU+`"`); i < 0 || j < 0 || i > j {
			t.Fatalf("华南理工大学 (same city) is not listed before 深圳大学")
		}
	})
}
