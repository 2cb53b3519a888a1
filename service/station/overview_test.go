package station_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

func codes(rows []station.ListRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.University.Code
	}
	return out
}

// TestStationListFiltersAndScope: the province admin's station list
// searches names, filters by city, batch and status, sorts and pages; a
// university admin sees only their own; nobody else sees it.
func TestStationListFiltersAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		// B's station has no hours (未设置时段); C has none (未建站); a
		// student of A books this week (本周有预约, 有待回复预约).
		noHours := fullProfile("青年之家乙站")
		noHours.Weekly = [7][]station.Range{}
		f.save(t, f.adminB, f.uniB.ID, noHours)
		f.book(t, f.studentA, nil)
		var total int64
		if err := db.Conn(f.ctx).Model(&model.University{}).Count(&total).Error; err != nil {
			t.Fatal(err)
		}

		all, err := f.svc.ListAll(f.ctx, f.province, station.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Rows) != int(total) || all.All != int(total) || all.Total != int(total) {
			t.Fatalf("the province's list: %d rows, all %d, total %d; want %d", len(all.Rows), all.All, all.Total, total)
		}
		row := func(l station.List, code string) station.ListRow {
			t.Helper()
			for _, r := range l.Rows {
				if r.University.Code == code {
					return r
				}
			}
			t.Fatalf("%s not in the list %v", code, codes(l.Rows))
			return station.ListRow{}
		}
		a := row(all, f.uniA.Code)
		if a.Name != "青年之家甲站" || !a.HasHours || a.BookingsWeek != 1 || a.Waiting != 1 || a.TeamSize != 3 || a.WeeklyHours != 42.5 {
			t.Fatalf("A's row: %+v", a)
		}
		if b := row(all, f.uniB.Code); b.HasHours || b.BookingsWeek != 0 || !b.Has(station.StateNoHours) {
			t.Fatalf("B's row: %+v", b)
		}
		if c := row(all, f.uniC.Code); c.StationID != 0 || !c.Has(station.StateNoStation) || c.Status != station.StatusPending {
			t.Fatalf("C's row: %+v", c)
		}
		if all.Counts[station.StateOpen] != 1 || all.Counts[station.StateNoHours] != 1 || all.Counts[station.StateNoStation] != int(total)-2 ||
			all.Counts[station.StateBooked] != 1 || all.Counts[station.StateWaiting] != 1 {
			t.Fatalf("counts %v", all.Counts)
		}
		if !slices.Contains(all.Cities, f.uniA.City) || !slices.IsSorted(all.Cities) {
			t.Fatalf("cities %v", all.Cities)
		}

		list := func(viewer model.User, flt station.ListFilter) []string {
			t.Helper()
			l, err := f.svc.ListAll(f.ctx, viewer, flt)
			if err != nil {
				t.Fatalf("%+v: %v", flt, err)
			}
			return codes(l.Rows)
		}
		for _, c := range []struct {
			status string
			want   []string
		}{
			{station.StateOpen, []string{f.uniA.Code}},
			{station.StateNoHours, []string{f.uniB.Code}},
			{station.StateBooked, []string{f.uniA.Code}},
			{station.StateWaiting, []string{f.uniA.Code}},
		} {
			if got := list(f.province, station.ListFilter{Status: c.status}); !slices.Equal(got, c.want) {
				t.Fatalf("status %s: %v, want %v", c.status, got, c.want)
			}
		}
		if got := list(f.province, station.ListFilter{Status: station.StateNoStation}); len(got) != int(total)-2 ||
			slices.Contains(got, f.uniA.Code) || !slices.Contains(got, f.uniC.Code) {
			t.Fatalf("未建站: %d rows", len(got))
		}

		// Search: part of a station's name, part of a university's name
		// (any case), a whole 学校标识码.
		if got := list(f.province, station.ListFilter{Query: " 甲站 "}); !slices.Equal(got, []string{f.uniA.Code}) {
			t.Fatalf("search 甲站: %v", got)
		}
		part := string([]rune(f.uniC.Name)[1:4])
		if got := list(f.province, station.ListFilter{Query: part}); !slices.Contains(got, f.uniC.Code) {
			t.Fatalf("search %q: %v lacks %s", part, got, f.uniC.Code)
		}
		if got := list(f.province, station.ListFilter{Query: f.uniB.Code}); !slices.Equal(got, []string{f.uniB.Code}) {
			t.Fatalf("search by code: %v", got)
		}
		if got := list(f.province, station.ListFilter{Query: "没有这样的学校"}); len(got) != 0 {
			t.Fatalf("search for nothing: %v", got)
		}

		// City and batch: every row of that city or batch, and all of them.
		var inCity, inBatch int64
		db.Conn(f.ctx).Model(&model.University{}).Where("city = ?", f.uniA.City).Count(&inCity)
		db.Conn(f.ctx).Model(&model.University{}).Where("batch = ?", model.BatchPublicVocational).Count(&inBatch)
		l, err := f.svc.ListAll(f.ctx, f.province, station.ListFilter{City: f.uniA.City})
		if err != nil || len(l.Rows) != int(inCity) || !slices.ContainsFunc(l.Rows, func(r station.ListRow) bool { return r.University.ID == f.uniA.ID }) {
			t.Fatalf("city %s: %d rows, want %d (%v)", f.uniA.City, len(l.Rows), inCity, err)
		}
		for _, r := range l.Rows {
			if r.University.City != f.uniA.City {
				t.Fatalf("city filter lists %s of %s", r.University.Name, r.University.City)
			}
		}
		l, err = f.svc.ListAll(f.ctx, f.province, station.ListFilter{Batch: model.BatchPublicVocational, Sort: "name"})
		if err != nil || len(l.Rows) != int(inBatch) || inBatch == 0 {
			t.Fatalf("batch 2: %d rows, want %d (%v)", len(l.Rows), inBatch, err)
		}
		for i, r := range l.Rows {
			if r.Batch != model.BatchPublicVocational || i > 0 && r.University.Name < l.Rows[i-1].University.Name {
				t.Fatalf("batch 2 by name: row %d %s (batch %d)", i, r.University.Name, r.Batch)
			}
		}
		// Sorted by this week's bookings, A comes first.
		if got := list(f.province, station.ListFilter{Sort: "bookings"}); got[0] != f.uniA.Code {
			t.Fatalf("by bookings: %v first", got[0])
		}

		// Pages of 50, the last page for one beyond it.
		p, err := f.svc.StationList(f.ctx, f.province, station.ListFilter{Page: 2})
		if err != nil || len(p.Rows) != station.ListPageSize || p.Page != 2 || p.Total != int(total) {
			t.Fatalf("page 2: %d rows, page %d of %d (%v)", len(p.Rows), p.Page, p.Pages, err)
		}
		p, err = f.svc.StationList(f.ctx, f.province, station.ListFilter{Page: 999})
		if err != nil || p.Page != p.Pages || len(p.Rows) != int(total)-(p.Pages-1)*station.ListPageSize {
			t.Fatalf("page 999: page %d of %d, %d rows (%v)", p.Page, p.Pages, len(p.Rows), err)
		}

		// A university admin: their own university only, filters applied.
		if got := list(f.adminA, station.ListFilter{}); !slices.Equal(got, []string{f.uniA.Code}) {
			t.Fatalf("A's admin sees %v", got)
		}
		if got := list(f.adminB, station.ListFilter{Status: station.StateBooked}); len(got) != 0 {
			t.Fatalf("B's admin, 本周有预约: %v", got)
		}
		for _, u := range []model.User{f.studentA, f.lead, f.cadreA, f.noUniversity} {
			_, err := f.svc.ListAll(f.ctx, u, station.ListFilter{})
			servicetest.WantErr(t, "the list as "+u.Role, err, service.ErrForbidden, "forbidden")
		}
		_, err = f.svc.ListAll(f.ctx, f.province, station.ListFilter{Status: "everything"})
		servicetest.WantErr(t, "an unknown status", err, service.ErrInvalid, "bad_status")
		_, err = f.svc.ListAll(f.ctx, f.province, station.ListFilter{Query: strings.Repeat("大", station.MaxListQuery+1)})
		servicetest.WantErr(t, "a long search", err, service.ErrInvalid, "too_long")
		_, err = f.svc.StationList(f.ctx, f.province, station.ListFilter{Batch: 9})
		servicetest.WantErr(t, "batch 9", err, service.ErrInvalid, "bad_batch")
	})
}

// TestHoursProblemsAllListed: saving hours with several mistakes lists
// every one, Monday first, each naming its weekday and period, each day's
// on that day's field; nothing is saved.
func TestHoursProblemsAllListed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		p := fullProfile("青年之家甲站")
		p.Weekly = [7][]station.Range{}
		p.Weekly[time.Wednesday] = []station.Range{rng("09:00", "12:00"), rng("14:00", "13:00")}
		p.Weekly[time.Friday] = []station.Range{rng("09:00", "12:00"), rng("11:00", "13:00"), rng("12:30", "12:45")}
		p.Weekly[time.Monday] = []station.Range{rng("9点", "10:00")}
		p.Weekly[time.Sunday] = []station.Range{rng("10:00", "10:00")}
		_, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p)
		se := servicetest.WantErr(t, "hours with five mistakes", err, service.ErrInvalid, "bad_hours")
		want := []string{
			`周一 第1段：时间 "9点"–"10:00" 格式应为 HH:MM`,
			"周三 第2段：结束时间须晚于开始时间（14:00–13:00）",
			"周五 第1段与第2段时间重叠",
			"周五 第2段与第3段时间重叠",
			"周日 第1段：结束时间须晚于开始时间（10:00–10:00）",
		}
		if se.Message != "开放时间有 5 处问题："+strings.Join(want, "；") {
			t.Fatalf("message %q", se.Message)
		}
		for field, w := range map[string]string{"hours_1": want[0], "hours_3": want[1], "hours_5": want[2] + "；" + want[3], "hours_0": want[4]} {
			if se.Fields[field] != w {
				t.Fatalf("field %s = %q, want %q", field, se.Fields[field], w)
			}
		}
		if len(se.Fields) != 4 {
			t.Fatalf("fields %v", se.Fields)
		}
		v, err := f.svc.ByUniversity(f.ctx, f.uniA.ID)
		if err != nil || len(v.Calendar.Weekly[time.Monday]) != 1 || v.Calendar.Weekly[time.Monday][0] != rng("09:00", "17:30") {
			t.Fatalf("hours changed by a refused save: %v (%v)", v.Calendar.Weekly, err)
		}
	})
}

// TestCopyHoursToWeekdays: Monday's periods copied to every weekday (复制
// to 所有工作日) are saved as Tuesday to Friday's, the weekend untouched,
// and bookable on a Thursday; the copy to the weekend likewise.
func TestCopyHoursToWeekdays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		var w [7][]station.Range
		w[time.Monday] = []station.Range{rng("09:00", "12:00"), rng("14:00", "17:30")}
		w[time.Saturday] = []station.Range{rng("10:00", "11:00")}
		got := station.CopyHours(w, time.Monday, station.Weekdays...)
		for d := time.Tuesday; d <= time.Friday; d++ {
			if !slices.Equal(got[d], w[time.Monday]) {
				t.Fatalf("%s after the copy: %v", station.WeekdayNames[d], got[d])
			}
		}
		if !slices.Equal(got[time.Saturday], w[time.Saturday]) || got[time.Sunday] != nil {
			t.Fatalf("the weekend changed: %v %v", got[time.Saturday], got[time.Sunday])
		}
		got[time.Tuesday][0] = rng("08:00", "12:00") // a copy, not Monday's own
		if w[time.Monday][0] != rng("09:00", "12:00") {
			t.Fatal("changing Tuesday changed Monday")
		}
		got[time.Tuesday][0] = rng("09:00", "12:00")
		p := fullProfile("青年之家甲站")
		p.Weekly = got
		v := f.save(t, f.adminA, f.uniA.ID, p)
		for d := time.Monday; d <= time.Friday; d++ {
			if !slices.Equal(v.Calendar.Weekly[d], w[time.Monday]) {
				t.Fatalf("saved %s: %v", station.WeekdayNames[d], v.Calendar.Weekly[d])
			}
		}
		// Thursday 5 March: slots from 09:00 and 14:00, none at 12:00.
		var starts []string
		for _, s := range v.Calendar.Slots(bj(5, 0, 0), 1, 60) {
			starts = append(starts, s.Start.In(bj(5, 0, 0).Location()).Format("15:04"))
		}
		if !slices.Equal(starts, []string{"09:00", "10:00", "11:00", "14:00", "15:00", "16:00"}) {
			t.Fatalf("Thursday's slots %v", starts)
		}
		end := station.CopyHours(got, time.Monday, station.Weekend...)
		if !slices.Equal(end[time.Saturday], w[time.Monday]) || !slices.Equal(end[time.Sunday], w[time.Monday]) {
			t.Fatalf("copied to the weekend: %v %v", end[time.Saturday], end[time.Sunday])
		}
	})
}

// TestStationListCountsUseIndexes: the list's two counts of bookings per
// station read an index (created_at for the week's, status for those
// awaiting a response) on MariaDB, not the whole bookings table: 16,384
// bookings over a year, almost all served, as the optimizer sees them.
func TestStationListCountsUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		if db.Dialect() != model.MySQL {
			return
		}
		f := setup(t, db)
		f.book(t, f.studentA, nil)
		c := db.Conn(f.ctx)
		for range 14 {
			if err := c.Exec(`INSERT INTO bookings (station_id, university_id, student_id, service, contact_phone, status, in_hours,
  due_at, remind_at, created_at, updated_at)
SELECT station_id, university_id, student_id, service, contact_phone, 'served', in_hours, due_at, remind_at,
  DATE_SUB(created_at, INTERVAL 7 + FLOOR(RAND() * 358) DAY), updated_at FROM bookings`).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Exec("ANALYZE TABLE bookings").Error; err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{
			"SELECT station_id, COUNT(*) AS n FROM bookings WHERE created_at >= '2026-03-02 00:00:00' GROUP BY station_id",
			"SELECT station_id, COUNT(*) AS n FROM bookings WHERE status = 'submitted' GROUP BY station_id",
		} {
			var plan []map[string]any
			if err := c.Raw("EXPLAIN " + query).Scan(&plan).Error; err != nil {
				t.Fatal(err)
			}
			t.Logf("EXPLAIN %s: %v", query, plan)
			if len(plan) != 1 {
				t.Fatalf("EXPLAIN %s: %v", query, plan)
			}
			if rows, _ := strconv.Atoi(fmt.Sprint(plan[0]["rows"])); (plan[0]["type"] != "range" && plan[0]["type"] != "ref") || rows > 1000 {
				t.Errorf("EXPLAIN %s: %v, want a range or ref on an index reading a few rows", query, plan)
			}
		}
	})
}
