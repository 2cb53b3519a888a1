package h5

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerProfilePages mounts the station profile form (opening hours,
// services, the construction checklist).
func (w *Pages) registerProfilePages(h gin.IRouter) {
	h.GET("/station/edit", w.profileForm)
	h.POST("/station/edit", w.profileSubmit)
}

// hoursRow is one weekday of the hours editor: the 开放 switch and
// station.MaxRangesPerDay period rows, every one rendered (blank ones are
// ignored on save, so the form works without script); the script shows
// the filled ones and one more, and adds or removes rows.
type hoursRow struct {
	Day     int
	Name    string
	Field   string // the day's switch and error field: hours_<day>
	Open    bool
	Periods []hoursPeriod
}

// hoursPeriod is one period row: two time pickers.
type hoursPeriod struct {
	N                     int // from 1, as messages count (第N段)
	OpenField, CloseField string
	Spare                 bool // blank and after the last filled one: hidden by the script
}

// profileView is the station profile form's data.
type profileView struct {
	University model.University
	Exists     bool
	Kinds      []string
	Selected   map[string]bool
	Days       []hoursRow
	MaxRanges  int // opening periods per day
	UniQuery   string
}

type profileRequest struct {
	Name           string   `form:"name"`
	Building       string   `form:"building"`
	Room           string   `form:"room"`
	Address        string   `form:"address"`
	Directions     string   `form:"directions"`
	HasOffice      bool     `form:"has_office"`
	HasPlaque      bool     `form:"has_plaque"`
	HasComputer    bool     `form:"has_computer"`
	HasServicePost bool     `form:"has_service_post"`
	Services       []string `form:"services" binding:"max=40,dive,max=60"`
	Closed         string   `form:"closed" binding:"max=20000"`
	SlotMinutes    string   `form:"slot_minutes" binding:"max=10"`
	SlotCapacity   string   `form:"slot_capacity" binding:"max=10"`
	// Hours, read from the form (not bound): open_<weekday> (the 开放
	// switch, "1"), hours_<weekday>_<i>_open and _close ("HH:MM" from
	// the time pickers), i < station.MaxRangesPerDay.
	open  [7]bool
	hours [7][station.MaxRangesPerDay][2]string
}

func openField(day int) string { return fmt.Sprintf("open_%d", day) }

func periodField(day, i int, end string) string { return fmt.Sprintf("hours_%d_%d_%s", day, i, end) }

func checked(b bool) string {
	if b {
		return "1"
	}
	return ""
}

func (r *profileRequest) form() map[string]string {
	f := map[string]string{"name": r.Name, "building": r.Building, "room": r.Room, "address": r.Address,
		"directions": r.Directions, "closed": r.Closed, "slot_minutes": r.SlotMinutes, "slot_capacity": r.SlotCapacity,
		"has_office": checked(r.HasOffice), "has_plaque": checked(r.HasPlaque), "has_computer": checked(r.HasComputer),
		"has_service_post": checked(r.HasServicePost)}
	for d := range 7 {
		f[openField(d)] = checked(r.open[d])
		for i := range station.MaxRangesPerDay {
			f[periodField(d, i, "open")] = r.hours[d][i][0]
			f[periodField(d, i, "close")] = r.hours[d][i][1]
		}
	}
	return f
}

// readHM reads a time picker's "HH:MM" (also "9:00" and a full-width
// colon, typed where the picker is a text box). An end of 00:00 is
// midnight (24:00): a time picker cannot show 24:00.
func readHM(s string, end bool) (string, bool) {
	m := reHM.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	h, _ := strconv.Atoi(m[1])
	v := fmt.Sprintf("%02d:%s", h, m[2])
	if end && v == "00:00" {
		v = "24:00"
	}
	return v, true
}

// pickerHM is a stored time as a time picker shows it (24:00 as 00:00).
func pickerHM(s string) string {
	if s == "24:00" {
		return "00:00"
	}
	return s
}

var reHM = regexp.MustCompile(`^(\d{1,2})[:：](\d{2})$`)

// parseRange reads "08:30–12:00" (also -, ~, 至, 到, full-width colons).
func parseRange(s string) (station.Range, bool) {
	s = strings.Join(strings.Fields(s), "")
	for _, sep := range []string{"–", "—", "－", "~", "～", "至", "到"} {
		s = strings.ReplaceAll(s, sep, "-")
	}
	parts := strings.Split(s, "-")
	if len(parts) != 2 {
		return station.Range{}, false
	}
	var hm [2]string
	for i, p := range parts {
		m := reHM.FindStringSubmatch(p)
		if m == nil {
			return station.Range{}, false
		}
		h, _ := strconv.Atoi(m[1])
		hm[i] = fmt.Sprintf("%02d:%s", h, m[2])
	}
	return station.Range{Open: hm[0], Close: hm[1]}, true
}

// openWord marks a line of the special dates that opens the station.
const openWord = "开放"

// closureLines writes special dates as the form's lines: 「2026-10-01 国庆节」
// (closed) or 「2026-10-10 开放 08:30–12:00 国庆节调休上班」.
func closureLines(cs []station.Closure) string {
	lines := make([]string, 0, len(cs))
	for _, cl := range cs {
		parts := []string{cl.Date}
		if len(cl.Open) > 0 {
			parts = append(parts, openWord)
			for _, r := range cl.Open {
				parts = append(parts, r.Open+"–"+r.Close)
			}
		}
		if cl.Reason != "" {
			parts = append(parts, cl.Reason)
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	return strings.Join(lines, "\n")
}

var closedLayouts = []string{"2006-01-02", "2006-1-2", "2006/01/02", "2006/1/2", "2006.1.2"}

// profile turns the form into a station profile; unreadable inputs are
// field errors.
func (r *profileRequest) profile() (station.Profile, error) {
	p := station.Profile{Name: r.Name, Building: r.Building, Room: r.Room, Address: r.Address, Directions: r.Directions,
		HasOffice: r.HasOffice, HasPlaque: r.HasPlaque, HasComputer: r.HasComputer, HasServicePost: r.HasServicePost,
		Services: r.Services}
	fields := map[string]string{}
	first := ""
	bad := func(field, msg string) {
		if first == "" {
			first = msg
		}
		fields[field] = msg
	}
	// Each day's unreadable periods, all of them, on the day's field;
	// the service then checks order and overlaps the same way.
	var problems []string
	for _, d := range station.MondayFirst {
		if !r.open[d] {
			continue // 休息
		}
		name := station.WeekdayNames[d]
		var day []string
		for i := range station.MaxRangesPerDay {
			o, cl := strings.TrimSpace(r.hours[d][i][0]), strings.TrimSpace(r.hours[d][i][1])
			if o == "" && cl == "" {
				continue
			}
			n := len(p.Weekly[d]) + len(day) + 1
			ov, ok1 := readHM(o, false)
			cv, ok2 := readHM(cl, true)
			switch {
			case o == "" || cl == "":
				day = append(day, fmt.Sprintf("%s 第%d段：请填写开始和结束时间", name, n))
			case !ok1 || !ok2:
				day = append(day, fmt.Sprintf("%s 第%d段：时间格式应为 HH:MM", name, n))
			default:
				p.Weekly[d] = append(p.Weekly[d], station.Range{Open: ov, Close: cv})
			}
		}
		if len(p.Weekly[d]) == 0 && len(day) == 0 {
			day = append(day, name+"：已设为开放，请至少填写一个时段，或改为休息")
		}
		if len(day) > 0 {
			problems = append(problems, day...)
			fields[station.HoursField(d)] = strings.Join(day, "；")
		}
	}
	if len(problems) > 0 {
		first = problems[0]
		if len(problems) > 1 {
			first = fmt.Sprintf("开放时间有 %d 处问题：%s", len(problems), strings.Join(problems, "；"))
		}
	}
	for n, line := range strings.Split(r.Closed, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var date time.Time
		var err error
		for _, l := range closedLayouts {
			if date, err = time.Parse(l, f[0]); err == nil {
				break
			}
		}
		if err != nil {
			bad("closed", fmt.Sprintf("第 %d 行的日期「%s」格式应为 2026-05-01", n+1, f[0]))
			continue
		}
		rest := f[1:]
		// 「日期 开放 08:30–12:00 14:30–17:30 原因」: open for those periods
		// (a make-up workday); otherwise 「日期 原因」: closed.
		var open []station.Range
		if len(rest) > 0 && rest[0] == openWord {
			rest = rest[1:]
			for len(rest) > 0 {
				rg, ok := parseRange(rest[0])
				if !ok {
					break
				}
				open, rest = append(open, rg), rest[1:]
			}
			if len(open) == 0 {
				bad("closed", fmt.Sprintf("第 %d 行「开放」后应写开放时段，如 08:30–12:00", n+1))
				continue
			}
		}
		reason := strings.Join(rest, " ")
		if utf8.RuneCountInString(reason) > station.MaxClosureReason {
			bad("closed", fmt.Sprintf("第 %d 行的原因不能超过 %d 个字", n+1, station.MaxClosureReason))
			continue
		}
		p.Closed = append(p.Closed, station.Closure{Date: date.Format("2006-01-02"), Reason: reason, Open: open})
	}
	num := func(s, field, msg string) int {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad(field, msg)
		}
		return n
	}
	p.SlotMinutes = num(r.SlotMinutes, "slot_minutes", "每个时段的分钟数应为数字")
	p.SlotCapacity = num(r.SlotCapacity, "slot_capacity", "可预约人数应为数字")
	if len(fields) > 0 {
		return p, service.Invalid("bad_form", first, fields)
	}
	return p, nil
}

func (w *Pages) profileForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, manage, ok := w.manageTarget(c, *u)
	if !ok {
		return
	}
	if !manage {
		w.kit.Fail(c, errNotManager)
		return
	}
	req := profileRequest{Name: uni.Name + "青年之家", SlotMinutes: "60", SlotCapacity: "0"}
	v, err := w.svc.Stations.ByUniversity(c.Request.Context(), uni.ID)
	switch {
	case err == nil:
		req = profileRequest{Name: v.Name, Building: v.Building, Room: v.Room, Address: v.Address, Directions: v.Directions,
			HasOffice: v.HasOffice, HasPlaque: v.HasPlaque, HasComputer: v.HasComputer, HasServicePost: v.HasServicePost,
			Services: v.Services, SlotMinutes: strconv.Itoa(v.SlotMinutes), SlotCapacity: strconv.Itoa(v.SlotCapacity)}
		for d := range 7 {
			req.open[d] = len(v.Calendar.Weekly[d]) > 0
			for i, r := range v.Calendar.Weekly[d] {
				if i < station.MaxRangesPerDay { // NewCalendar allows no more
					req.hours[d][i] = [2]string{r.Open, pickerHM(r.Close)}
				}
			}
		}
		closed := v.Calendar.Closed
		if c.Query("holidays") == "1" {
			closed = w.svc.Stations.WithHolidays(closed, v.Calendar.Weekly)
		}
		req.Closed = closureLines(closed)
	case errors.Is(err, service.ErrNotFound):
		// A new station starts with the year's statutory holidays closed;
		// it reopens one by deleting its line.
		req.Closed = closureLines(w.svc.Stations.HolidayPlan([7][]station.Range{}))
	default:
		w.kit.Fail(c, err)
		return
	}
	w.showProfile(c, uni, err == nil, http.StatusOK, &req, nil)
}

// manageTarget resolves the university of a console page and whether the
// user manages its station; it responds itself when ok is false.
func (w *Pages) manageTarget(c *gin.Context, u model.User) (model.University, bool, bool) {
	uni, okUni := w.stationUniversity(c, u)
	if !okUni {
		return uni, false, false
	}
	manage, err := w.canManageStation(c, u, uni.ID)
	if err != nil {
		w.kit.Fail(c, err)
		return uni, false, false
	}
	return uni, manage, true
}

func (w *Pages) showProfile(c *gin.Context, uni model.University, exists bool, status int, req *profileRequest, err error) {
	kinds, kerr := w.svc.Stations.ServiceKinds(c.Request.Context())
	if kerr != nil {
		w.kit.Fail(c, kerr)
		return
	}
	p := profileView{University: uni, Exists: exists, Kinds: kinds, Selected: map[string]bool{}, UniQuery: uniQuery(c),
		MaxRanges: station.MaxRangesPerDay}
	for _, s := range req.Services {
		p.Selected[s] = true
	}
	for _, d := range station.MondayFirst {
		day := int(d)
		row := hoursRow{Day: day, Name: station.WeekdayNames[d], Field: station.HoursField(d), Open: req.open[d]}
		last := 0 // rows shown: the filled ones, at least one
		for i := range station.MaxRangesPerDay {
			if req.hours[d][i] != [2]string{} {
				last = i
			}
		}
		for i := range station.MaxRangesPerDay {
			row.Periods = append(row.Periods, hoursPeriod{N: i + 1, OpenField: periodField(day, i, "open"),
				CloseField: periodField(day, i, "close"), Spare: i > last})
		}
		p.Days = append(p.Days, row)
	}
	d := web.Page{Title: "编辑服务站", Form: req.form(), Extra: p, Scripts: []string{"station-hours.js"}}
	w.pages.RenderForm(c, status, "station_edit", d, withFields(err, map[string]string{"bad_hours": "hours", "bad_closures": "closed", "station_exists": "name"}))
}

func (w *Pages) profileSubmit(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	var req profileRequest
	bindErr := web.Bind(c, &req)
	for d := range 7 {
		req.open[d] = c.PostForm(openField(d)) == "1"
		for i := range station.MaxRangesPerDay {
			for j, end := range []string{"open", "close"} {
				v := c.PostForm(periodField(d, i, end))
				if len(v) > 10 {
					bindErr = web.ErrTooLong
					v = v[:0]
				}
				// A period picked opens its day: without script a user
				// may not think of the switch. With script a day set to
				// 休息 sends no periods (its pickers are disabled).
				if strings.TrimSpace(v) != "" {
					req.open[d] = true
				}
				req.hours[d][i][j] = v
			}
		}
	}
	exists := c.PostForm("exists") == "1"
	if bindErr != nil {
		w.showProfile(c, uni, exists, http.StatusBadRequest, &req, bindErr)
		return
	}
	p, err := req.profile()
	if err != nil {
		w.showProfile(c, uni, exists, 0, &req, err)
		return
	}
	if _, err := w.svc.Stations.SaveProfile(c.Request.Context(), u, uni.ID, p); err != nil {
		w.showProfile(c, uni, exists, 0, &req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery("/h5/station"+uniQuery(c), "notice=saved"))
}
