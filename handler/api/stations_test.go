package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

type apiBooking struct {
	ID          uint64     `json:"id"`
	Status      string     `json:"status"`
	Service     string     `json:"service"`
	SlotStart   *time.Time `json:"slot_start"`
	ConfirmedAt *time.Time `json:"confirmed_at"`
	Place       string     `json:"place"`
	InHours     bool       `json:"submitted_in_working_hours"`
	DueAt       time.Time  `json:"due_at"`
	PromiseKept *bool      `json:"promise_kept"`
	Rating      int        `json:"rating"`
	CanAdmin    bool       `json:"can_admin"`
	Phone       string     `json:"contact_phone"`
}

func TestAPIStationsAndBookings(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		// Wednesday 2026-11-25 10:00 in Beijing.
		clk := clock.NewFake(time.Date(2026, 11, 25, 10, 0, 0, 0, clock.Beijing))
		s := webtest.New(t, db, store, webtest.Opts{Clock: clk})
		admin := s.Member("adm", webtest.CodeSZU, model.RoleUniversityAdm)
		otherAdmin := s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm)
		keeper := s.Member("keep", webtest.CodeSZU, model.RoleStudent)
		student := s.Member("stu", webtest.CodeSZU, model.RoleStudent)
		other := s.Member("oth", webtest.CodeSZU, model.RoleStudent)
		a, o := s.Phone(admin), s.Phone(otherAdmin)

		var kinds struct{ Data []string }
		a.API(http.MethodGet, "/api/v1/service-kinds", nil).Decode(t, &kinds)
		if len(kinds.Data) != 6 || kinds.Data[0] != "心理咨询" {
			t.Fatalf("service kinds %v", kinds.Data)
		}
		weekday := []map[string]string{{"open": "09:00", "close": "12:00"}, {"open": "14:00", "close": "17:30"}}
		profile := map[string]any{
			"name": "深圳大学青年之家", "building": "学生活动中心", "room": "201", "address": "南山区南海大道3688号",
			"checklist":    map[string]bool{"office": true, "plaque": true, "computer": true, "service_post": true},
			"services":     []string{"心理咨询", "学业辅导"},
			"weekly_hours": []any{[]any{}, weekday, weekday, weekday, weekday, weekday, []any{}},
			"closed_dates": []map[string]string{{"date": "2026-12-01", "reason": "校庆"}},
			"slot_minutes": 60, "slot_capacity": 1,
		}
		// Another university's admin cannot set up this station; bad hours are refused.
		webtest.WantAPIError(t, o.API(http.MethodPut, "/api/v1/stations/"+webtest.CodeSZU, profile), http.StatusForbidden, "not_station_manager", "")
		bad := map[string]any{"name": "x", "weekly_hours": []any{[]any{}, []map[string]string{{"open": "18:00", "close": "09:00"}}, []any{}, []any{}, []any{}, []any{}, []any{}}}
		webtest.WantAPIError(t, a.API(http.MethodPut, "/api/v1/stations/"+webtest.CodeSZU, bad), http.StatusBadRequest, "bad_hours", "")
		r := a.API(http.MethodPut, "/api/v1/stations/"+webtest.CodeSZU, profile)
		webtest.WantStatus(t, r, http.StatusOK)
		var st struct {
			Data struct {
				Name    string `json:"name"`
				OpenNow bool   `json:"open_now"`
			}
		}
		r.Decode(t, &st)
		if st.Data.Name != "深圳大学青年之家" || !st.Data.OpenNow {
			t.Fatalf("station %+v (Wednesday 10:00 must be open)", st.Data)
		}

		// Team: a lead on duty on Wednesdays.
		r = a.API(http.MethodPost, "/api/v1/stations/"+webtest.CodeSZU+"/team", map[string]any{"account": keeper.User.Account,
			"category": "负责人", "real_name": "陈站长", "phone": "13900001111", "duty_days": []int{3}})
		webtest.WantStatus(t, r, http.StatusCreated)
		webtest.WantAPIError(t, a.API(http.MethodPost, "/api/v1/stations/"+webtest.CodeSZU+"/team", map[string]any{"account": otherAdmin.User.Account,
			"category": "管理员", "real_name": "外校人", "phone": "13900002222"}), http.StatusBadRequest, "other_university", "account")
		// Only the station's managers see its members' accounts and
		// contacts; a student sees 类别 and 姓名.
		for who, c := range map[string]*webtest.Client{"admin": a, "student": s.Phone(student)} {
			var team struct{ Data []map[string]any }
			r := c.API(http.MethodGet, "/api/v1/stations/"+webtest.CodeSZU+"/team", nil)
			webtest.WantStatus(t, r, http.StatusOK)
			r.Decode(t, &team)
			if len(team.Data) != 1 || team.Data[0]["real_name"] != "陈站长" || team.Data[0]["category"] != "负责人" {
				t.Fatalf("%s sees the team as %v", who, team.Data)
			}
			_, hasAccount := team.Data[0]["account"]
			_, hasPhone := team.Data[0]["phone"]
			if who == "admin" && (team.Data[0]["account"] != keeper.User.Account || team.Data[0]["phone"] != "13900001111") {
				t.Fatalf("the admin sees %v", team.Data[0])
			}
			if who == "student" && (hasAccount || hasPhone || len(team.Data[0]) != 3) {
				t.Fatalf("a student sees %v; want id, 类别 and 姓名 only", team.Data[0])
			}
		}

		// The student books the 11:00 slot; the lead on duty is alerted.
		slot := time.Date(2026, 11, 25, 11, 0, 0, 0, clock.Beijing)
		sp := s.Phone(student)
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings", map[string]any{"service": "心理咨询", "phone": "123"}),
			http.StatusBadRequest, "bad_phone", "phone")
		r = sp.API(http.MethodPost, "/api/v1/bookings", map[string]any{"service": "心理咨询", "slot_start": slot, "phone": "13800138000", "description": "考前焦虑"})
		webtest.WantStatus(t, r, http.StatusCreated)
		var bk struct{ Data apiBooking }
		r.Decode(t, &bk)
		if bk.Data.Status != "submitted" || !bk.Data.InHours || !bk.Data.DueAt.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("booking %+v: want submitted in hours, due in 1 hour", bk.Data)
		}
		// The slot holds one: the next student gets a clear conflict.
		webtest.WantAPIError(t, s.Phone(other).API(http.MethodPost, "/api/v1/bookings", map[string]any{"service": "学业辅导", "slot_start": slot, "phone": "13800138001"}),
			http.StatusConflict, "slot_full", "slot")
		s.Deliver()
		if n := len(webtest.WithTemplate(webtest.Inbox(t, keeper.OpenID), "sandbox-booking_new")); n != 1 {
			t.Fatalf("lead on duty got %d new-booking alerts", n)
		}
		id := itoa(bk.Data.ID)

		// Scoping: the other student and the other university's admin see nothing.
		webtest.WantAPIError(t, s.Phone(other).API(http.MethodGet, "/api/v1/bookings/"+id, nil), http.StatusNotFound, "booking_not_found", "")
		webtest.WantAPIError(t, o.API(http.MethodGet, "/api/v1/bookings/"+id, nil), http.StatusNotFound, "booking_not_found", "")
		webtest.WantAPIError(t, o.API(http.MethodGet, "/api/v1/stations/"+webtest.CodeSZU+"/bookings", nil), http.StatusForbidden, "not_station_admin", "")
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings/"+id+"/respond", map[string]any{"action": "accept", "place": "201"}),
			http.StatusForbidden, "not_station_admin", "")

		// The lead accepts 20 minutes later: promise kept; the student is told.
		clk.Advance(20 * time.Minute)
		kp := s.Phone(keeper)
		webtest.WantAPIError(t, kp.API(http.MethodPost, "/api/v1/bookings/"+id+"/respond", map[string]any{"action": "accept"}),
			http.StatusBadRequest, "place_required", "place")
		r = kp.API(http.MethodPost, "/api/v1/bookings/"+id+"/respond", map[string]any{"action": "accept", "place": "学生活动中心201"})
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &bk)
		if bk.Data.Status != "accepted" || bk.Data.ConfirmedAt == nil || !bk.Data.ConfirmedAt.Equal(slot) || bk.Data.PromiseKept == nil || !*bk.Data.PromiseKept {
			t.Fatalf("accepted booking %+v", bk.Data)
		}
		s.Deliver()
		if m := webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-booking_reply"); len(m) != 1 || m[0].Data["phrase2"].Value != "已确认" {
			t.Fatalf("student's reply alerts %+v", m)
		}

		// Served → the student rates once.
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings/"+id+"/rate", map[string]any{"rating": 5}), http.StatusConflict, "not_served", "")
		webtest.WantAPIError(t, kp.API(http.MethodPost, "/api/v1/bookings/"+id+"/serve", map[string]any{"result": "已进行一次咨询"}),
			http.StatusConflict, "not_started", "")
		clk.Set(slot)
		webtest.WantStatus(t, kp.API(http.MethodPost, "/api/v1/bookings/"+id+"/serve", map[string]any{"result": "已进行一次咨询", "follow_up": true}), http.StatusOK)
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings/"+id+"/rate", map[string]any{"rating": 6}), http.StatusBadRequest, "bad_rating", "rating")
		r = sp.API(http.MethodPost, "/api/v1/bookings/"+id+"/rate", map[string]any{"rating": 5, "comment": "很有帮助"})
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &bk)
		if bk.Data.Rating != 5 {
			t.Fatalf("rating %d", bk.Data.Rating)
		}
		webtest.WantAPIError(t, sp.API(http.MethodPost, "/api/v1/bookings/"+id+"/rate", map[string]any{"rating": 4}), http.StatusConflict, "already_rated", "")
		s.Deliver()
		if n := len(webtest.WithTemplate(webtest.Inbox(t, student.OpenID), "sandbox-booking_served")); n != 1 {
			t.Fatalf("student got %d served alerts", n)
		}

		// Construction: missing an admin besides the lead; the province overview lists 166.
		var con struct {
			Data struct {
				Status  string   `json:"status"`
				Missing []string `json:"missing"`
			}
		}
		a.API(http.MethodGet, "/api/v1/stations/"+webtest.CodeSZU+"/construction", nil).Decode(t, &con)
		if len(con.Data.Missing) != 1 || con.Data.Missing[0] != "至少一名管理员" {
			t.Fatalf("construction %+v", con.Data)
		}
		var own struct{ Data []map[string]any }
		a.API(http.MethodGet, "/api/v1/admin/stations", nil).Decode(t, &own)
		if len(own.Data) != 1 || own.Data[0]["station_name"] == "" {
			t.Fatalf("a university admin's station list: %v", own.Data)
		}
		prov := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		var all struct{ Data []map[string]any }
		prov.API(http.MethodGet, "/api/v1/admin/stations", nil).Decode(t, &all)
		if len(all.Data) != 166 {
			t.Fatalf("overview has %d universities", len(all.Data))
		}
		webtest.WantAPIError(t, prov.API(http.MethodPost, "/api/v1/stations/"+webtest.CodeSZU+"/built", nil), http.StatusConflict, "requirements_unmet", "")
		webtest.WantAPIError(t, a.API(http.MethodGet, "/api/v1/bookings/abc", nil), http.StatusBadRequest, "bad_id", "")
	})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
