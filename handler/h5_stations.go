package handler

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerStationPages mounts the station and booking pages under /h5.
func (w *Web) registerStationPages(h gin.IRouter) {
	h.GET("/stations", w.myStationPage)
	h.GET("/stations/:code", w.stationByCodePage)
	h.GET("/bookings/new", w.bookForm)
	h.POST("/bookings/new", w.bookSubmit)
	h.GET("/bookings/mine", w.myBookings)
	h.GET("/bookings/:id", w.bookingPage)
	h.POST("/bookings/:id/respond", w.respondSubmit)
	h.POST("/bookings/:id/cancel", w.cancelSubmit)
	h.POST("/bookings/:id/accept-proposal", w.acceptProposalSubmit)
	h.POST("/bookings/:id/serve", w.serveSubmit)
	h.POST("/bookings/:id/noshow", w.noShowSubmit)
	h.POST("/bookings/:id/rate", w.rateSubmit)
	h.POST("/bookings/:id/phone", w.phoneSubmit)
	h.GET("/station", w.consolePage)
	h.GET("/station/edit", w.profileForm)
	h.POST("/station/edit", w.profileSubmit)
	h.GET("/station/team", w.teamPage)
	h.POST("/station/team", w.teamAdd)
	h.POST("/station/team/:member/remove", w.teamRemove)
	h.GET("/admin/stations", w.overviewPage)
	h.POST("/admin/stations/:code/confirm", w.confirmSubmit)
	h.GET("/questions/:id/refer", w.referForm)
	h.POST("/questions/:id/refer", w.referSubmit)
}

// --- formatting ----------------------------------------------------------------

// inputTime is the value format of <input type="datetime-local"> and of
// the slot options, in Beijing time.
const inputTime = "2006-01-02T15:04"

// bjDay is "05-07 周四" in Beijing time.
func bjDay(t time.Time) string {
	b := t.In(clock.Beijing)
	return b.Format("01-02") + " " + station.WeekdayNames[b.Weekday()]
}

// bjWhen is "05-07 周四 15:04" in Beijing time.
func bjWhen(t time.Time) string { return bjDay(t) + " " + t.In(clock.Beijing).Format("15:04") }

// parseBeijing reads a datetime-local value as Beijing time; "" is nil.
func parseBeijing(s, field string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{inputTime, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, clock.Beijing); err == nil {
			return &t, nil
		}
	}
	return nil, service.Invalid("bad_time", "时间格式无效，请重新选择", map[string]string{field: "时间格式无效"})
}

// mondayFirst is the weekdays in the order a Chinese week is shown.
var mondayFirst = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// dutyNames lists the weekdays of a duty bit set, Monday first.
func dutyNames(bits int) string {
	var out []string
	for _, d := range mondayFirst {
		if station.OnDuty(bits, d) {
			out = append(out, station.WeekdayNames[d])
		}
	}
	switch len(out) {
	case 0:
		return "未设置"
	case 7:
		return "每天"
	}
	return strings.Join(out, "、")
}

// openState is "正在开放" or "休息中，下次开放 …".
func openState(v station.View) string {
	switch {
	case v.OpenNow:
		return "正在开放"
	case v.NextOpen != nil:
		return "休息中，下次开放 " + bjWhen(*v.NextOpen)
	case !v.Calendar.HasHours():
		return "休息中，暂未设置开放时间"
	}
	return "休息中"
}

// uniQuery is the ?uni= of a station page for the province admin.
func uniQuery(c *gin.Context) string {
	if code := c.Query("uni"); code != "" {
		return "?uni=" + url.QueryEscape(code)
	}
	return ""
}

// withFields gives err field errors (field: its message) when it has
// none but its code belongs to a form field, so the message shows there.
func withFields(err error, codes map[string]string) error {
	var se *service.Error
	if errors.As(err, &se) && len(se.Fields) == 0 {
		if f, ok := codes[se.Code]; ok {
			return &service.Error{Kind: se.Kind, Code: se.Code, Message: se.Message, Fields: map[string]string{f: se.Message}}
		}
	}
	return err
}

// --- the public station page ----------------------------------------------------

type dayHours struct {
	Name   string
	Ranges []station.Range
	Today  bool
}

// stationPage is the public page of a station.
type stationPage struct {
	station.View
	State    string
	Days     []dayHours
	Closures []station.Closure // today and later
	Own      bool              // the viewer's own university: they may book
	Manage   bool
}

func newStationPage(v station.View, own bool) stationPage {
	now := v.Now.In(clock.Beijing)
	p := stationPage{View: v, State: openState(v), Own: own}
	for _, d := range mondayFirst {
		p.Days = append(p.Days, dayHours{Name: station.WeekdayNames[d], Ranges: v.Calendar.Weekly[d], Today: d == now.Weekday()})
	}
	today := now.Format("2006-01-02")
	for _, cl := range v.Calendar.Closed {
		if cl.Date >= today {
			p.Closures = append(p.Closures, cl)
		}
	}
	slices.SortFunc(p.Closures, func(a, b station.Closure) int { return strings.Compare(a.Date, b.Date) })
	if len(p.Closures) > 10 {
		p.Closures = p.Closures[:10]
	}
	return p
}

// noneView is the page of a university whose station is not open yet.
type noneView struct {
	University *model.University
	Manage     bool
}

func (w *Web) myStationPage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	if u.UniversityID == nil {
		w.render(c, http.StatusOK, "station_none", pageData{Title: "青年之家", Extra: noneView{}})
		return
	}
	w.showStation(c, *u, *u.UniversityID, http.StatusOK)
}

func (w *Web) stationByCodePage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	uni, err := w.accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.fail(c, err)
		return
	}
	w.showStation(c, *u, uni.ID, http.StatusNotFound)
}

// showStation renders a university's station, or the "not open yet" page
// with noneStatus.
func (w *Web) showStation(c *gin.Context, u model.User, uni uint64, noneStatus int) {
	ctx := c.Request.Context()
	own := u.UniversityID != nil && *u.UniversityID == uni
	v, err := w.stations.ByUniversity(ctx, uni)
	if errors.Is(err, service.ErrNotFound) {
		un, uerr := w.accounts.UniversityByID(ctx, uni)
		if uerr != nil {
			w.fail(c, uerr)
			return
		}
		manage := u.Role == model.RoleProvinceAdmin || (u.Role == model.RoleUniversityAdm && own)
		w.render(c, noneStatus, "station_none", pageData{Title: "青年之家", Extra: noneView{University: &un, Manage: manage}})
		return
	}
	if err != nil {
		w.fail(c, err)
		return
	}
	p := newStationPage(v, own)
	p.Manage = u.Role == model.RoleProvinceAdmin || (own && (u.Role == model.RoleUniversityAdm || u.Role == model.RoleStationAdmin))
	w.render(c, http.StatusOK, "station", pageData{Title: v.Name, Extra: p})
}

// --- booking -----------------------------------------------------------------------

type slotOption struct {
	Value, Label   string
	Full, Selected bool
}

type slotDay struct {
	Label string
	Slots []slotOption
}

// bookPage is the booking form's data.
type bookPage struct {
	Station station.View
	State   string
	Days    []slotDay
	Service string
	Slot    string
	// SlotLost: the time the student chose is no longer offered (it
	// filled up): they must choose again rather than fall back silently
	// to "any time".
	SlotLost       bool
	MaxDescription int
}

// slotChooseAgain is the slot value of the "choose again" placeholder.
const slotChooseAgain = "choose"

type bookRequest struct {
	Service     string `form:"service" binding:"max=60"`
	Slot        string `form:"slot" binding:"max=40"`
	Phone       string `form:"phone" binding:"max=40"`
	Description string `form:"description" binding:"max=20000"`
}

func (w *Web) bookForm(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	w.showBookForm(c, *u, http.StatusOK, bookRequest{Service: c.Query("service")}, nil)
}

func (w *Web) showBookForm(c *gin.Context, u model.User, status int, req bookRequest, err error) {
	ctx := c.Request.Context()
	if u.UniversityID == nil {
		w.fail(c, service.Forbidden("no_university", "请先完成激活并选择学校，再预约"))
		return
	}
	v, verr := w.stations.ByUniversity(ctx, *u.UniversityID)
	if errors.Is(verr, service.ErrNotFound) {
		un, uerr := w.accounts.UniversityByID(ctx, *u.UniversityID)
		if uerr != nil {
			w.fail(c, uerr)
			return
		}
		w.render(c, http.StatusOK, "station_none", pageData{Title: "预约服务", Extra: noneView{University: &un,
			Manage: u.Role == model.RoleUniversityAdm || u.Role == model.RoleProvinceAdmin}})
		return
	}
	if verr != nil {
		w.fail(c, verr)
		return
	}
	slots, serr := w.stations.Slots(ctx, *u.UniversityID)
	if serr != nil {
		w.fail(c, serr)
		return
	}
	p := bookPage{Station: v, State: openState(v), Service: req.Service, Slot: req.Slot, MaxDescription: station.MaxDescription}
	kept := false
	for _, s := range slots {
		label := bjDay(s.Start)
		if len(p.Days) == 0 || p.Days[len(p.Days)-1].Label != label {
			p.Days = append(p.Days, slotDay{Label: label})
		}
		o := slotOption{Value: s.Start.In(clock.Beijing).Format(inputTime), Full: s.Left == 0}
		o.Label = s.Start.In(clock.Beijing).Format("15:04") + "–" + s.End.In(clock.Beijing).Format("15:04")
		switch {
		case o.Full:
			o.Label += " 已约满"
		case s.Left > 0:
			o.Label += fmt.Sprintf("（余 %d 个名额）", s.Left)
		}
		o.Selected = o.Value == req.Slot && !o.Full
		day := &p.Days[len(p.Days)-1]
		day.Slots = append(day.Slots, o)
		if o.Selected {
			kept = true
		}
	}
	p.SlotLost = req.Slot != "" && !kept
	d := pageData{Title: "预约服务", Form: map[string]string{"phone": req.Phone, "description": req.Description}, Extra: p}
	if err != nil {
		status = w.formError(c, &d, err)
	}
	w.render(c, status, "booking_new", d)
}

func (w *Web) bookSubmit(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	var req bookRequest
	if err := c.ShouldBind(&req); err != nil {
		w.showBookForm(c, *u, http.StatusBadRequest, req, bindError(err))
		return
	}
	if req.Slot == slotChooseAgain {
		w.showBookForm(c, *u, 0, req, service.Invalid("slot_required", "请重新选择时间", map[string]string{"slot": "请重新选择时间"}))
		return
	}
	start, err := parseBeijing(req.Slot, "slot")
	if err != nil {
		w.showBookForm(c, *u, 0, req, err)
		return
	}
	b, err := w.stations.Book(c.Request.Context(), *u, station.BookInput{
		Service: req.Service, SlotStart: start, Phone: req.Phone, Description: req.Description,
	})
	if err != nil {
		w.showBookForm(c, *u, 0, req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(b.ID)+"?notice=booked")
}

func bookingURL(id uint64) string { return "/h5/bookings/" + strconv.FormatUint(id, 10) }

func bookingID(c *gin.Context) (uint64, error) {
	return paramID(c, "id", service.NotFound("booking_not_found", "预约不存在"))
}

func (w *Web) myBookings(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	items, err := w.stations.Mine(c.Request.Context(), *u)
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, http.StatusOK, "bookings_mine", pageData{Title: "我的预约", Extra: bookingRows(items)})
}

// bookingRow is a booking in a list.
type bookingRow struct {
	station.BookingView
	StatusName string
	When       string
}

func bookingRows(items []station.BookingView) []bookingRow {
	out := make([]bookingRow, len(items))
	for i, b := range items {
		out[i] = bookingRow{BookingView: b, StatusName: station.StatusName(b.Status), When: bookingWhen(b.Booking)}
	}
	return out
}

// bookingWhen is the booking's time as best known.
func bookingWhen(b model.Booking) string {
	switch {
	case b.ConfirmedAt != nil:
		return bjWhen(*b.ConfirmedAt)
	case b.ProposedAt != nil && b.Status == model.BookingProposed:
		return "建议改到 " + bjWhen(*b.ProposedAt)
	case b.SlotStart != nil:
		return bjWhen(*b.SlotStart)
	}
	return "任意时间，请联系我"
}

// bookingView is the booking page's data.
type bookingView struct {
	station.BookingView
	StatusName string
	When       string
	Back       string
	Action     string // the action whose post failed
	TimeValue  string // accept: the requested slot (datetime-local)
	PlaceValue string // accept, propose: the station's room
	// BookAheadDays: how far ahead a proposed time may be.
	BookAheadDays int
	Stars         []int
	// ResponseRecord: when the station first answered, and whether in time.
	ResponseRecord string
	// What the viewer may do now.
	CanRespond, CanFinish, CanCancel, CanAcceptProposal, CanRate bool
	// CanSetPhone: the student may leave or change the contact phone.
	CanSetPhone bool
}

func (w *Web) bookingPage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	w.showBooking(c, *u, http.StatusOK, "", nil, nil)
}

// showBooking renders a booking; after a failed post, action names the
// form, and form and the field errors are keyed "<action>.<field>".
func (w *Web) showBooking(c *gin.Context, u model.User, status int, action string, form map[string]string, err error) {
	ctx := c.Request.Context()
	id, ierr := bookingID(c)
	if ierr != nil {
		w.fail(c, ierr)
		return
	}
	v, gerr := w.stations.Get(ctx, u, id)
	if gerr != nil {
		w.fail(c, gerr)
		return
	}
	p := bookingView{BookingView: v, StatusName: station.StatusName(v.Status), When: bookingWhen(v.Booking),
		Back: "/h5/bookings/mine", Action: action, Stars: []int{5, 4, 3, 2, 1}, BookAheadDays: station.BookAheadDays}
	switch {
	case v.Access.Student:
	case v.Access.Admin:
		p.Back = "/h5/station"
	case v.QuestionID != nil:
		p.Back = questionURL(*v.QuestionID)
	}
	active := v.Status == model.BookingSubmitted || v.Status == model.BookingAccepted || v.Status == model.BookingProposed
	p.CanRespond = v.Access.Handle && v.Status == model.BookingSubmitted
	p.CanFinish = v.Access.Handle && v.Status == model.BookingAccepted
	p.CanCancel = v.Access.Student && active
	p.CanSetPhone = v.Access.Student && active
	p.CanAcceptProposal = v.Access.Student && v.Status == model.BookingProposed
	p.CanRate = v.Access.Student && v.Status == model.BookingServed && v.Rating == 0
	if v.FirstResponseAt != nil {
		p.ResponseRecord = "首次回复：" + bjWhen(*v.FirstResponseAt)
		if v.PromiseKept != nil && *v.PromiseKept {
			p.ResponseRecord += "，按时回复"
		} else if v.PromiseKept != nil {
			p.ResponseRecord += "，超时回复"
		}
	}
	if p.CanRespond {
		if v.SlotStart != nil {
			p.TimeValue = v.SlotStart.In(clock.Beijing).Format(inputTime)
		}
		sv, serr := w.stations.ByUniversity(ctx, v.UniversityID)
		if serr != nil {
			w.fail(c, serr)
			return
		}
		p.PlaceValue = strings.TrimSpace(sv.Building + " " + sv.Room)
	}
	d := pageData{Title: "预约详情", Notice: bookingNotice(c.Query("notice"), v), Form: form, Extra: p}
	if err != nil {
		s, body := describe(c, w.log, err)
		status, d.Error = s, body.Message
		d.Fields = map[string]string{}
		for k, m := range body.Fields {
			d.Fields[action+"."+k] = m
		}
	}
	w.render(c, status, "booking", d)
}

func bookingNotice(key string, v station.BookingView) string {
	switch key {
	case "booked":
		if v.InHours {
			return fmt.Sprintf("预约已提交！现在是服务站工作时间，服务站会在工作时间 1 小时内回复你（最晚 %s），回复后会通过公众号消息通知你。", bjWhen(v.DueAt))
		}
		return fmt.Sprintf("预约已提交！现在不在服务站工作时间，服务站会在 12 小时内回复你（最晚 %s），回复后会通过公众号消息通知你。", bjWhen(v.DueAt))
	case "referred":
		return "已转介到「" + v.StationName + "」，学生会收到公众号消息通知。"
	case "responded":
		return "已回复，学生会收到公众号消息通知。"
	case "cancelled":
		return "预约已取消。"
	case "accepted":
		return "已接受新的时间，请按时到场。"
	case "served":
		return "已记录服务结果，学生会收到评价邀请。"
	case "noshow":
		return "已标记为未到场。"
	case "rated":
		return "感谢你的评价！"
	case "phone":
		return "联系电话已保存，服务站会通过这个号码联系你。"
	}
	return ""
}

// bookingForm is a form posted on the booking page.
type bookingForm interface {
	action() string
	form() map[string]string
}

type respondRequest struct {
	Action       string `form:"action" binding:"max=10"`
	Time         string `form:"time" binding:"max=40"`
	Place        string `form:"place" binding:"max=400"`
	Note         string `form:"note" binding:"max=2000"`
	Reason       string `form:"reason" binding:"max=2000"`
	Alternatives string `form:"alternatives" binding:"max=2000"`
}

func (r *respondRequest) action() string {
	switch r.Action {
	case station.ActionAccept, station.ActionDecline, station.ActionPropose:
		return r.Action
	}
	return "respond"
}

func (r *respondRequest) form() map[string]string {
	a := r.action()
	return map[string]string{a + ".time": r.Time, a + ".place": r.Place, a + ".note": r.Note,
		a + ".reason": r.Reason, a + ".alternatives": r.Alternatives}
}

type phoneRequest struct {
	Phone string `form:"phone" binding:"max=40"`
}

func (r *phoneRequest) action() string { return "phone" }

func (r *phoneRequest) form() map[string]string { return map[string]string{"phone.phone": r.Phone} }

func (w *Web) phoneSubmit(c *gin.Context) {
	var req phoneRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		_, err := w.stations.SetPhone(c.Request.Context(), u, id, req.Phone)
		return "phone", err
	})
}

type serveRequest struct {
	Result   string `form:"result" binding:"max=5000"`
	FollowUp bool   `form:"follow_up"`
}

func (r *serveRequest) action() string { return "serve" }

func (r *serveRequest) form() map[string]string {
	f := map[string]string{"serve.result": r.Result}
	if r.FollowUp {
		f["serve.follow_up"] = "1"
	}
	return f
}

type rateRequest struct {
	Rating  string `form:"rating" binding:"max=5"`
	Comment string `form:"comment" binding:"max=2000"`
}

func (r *rateRequest) action() string { return "rate" }

func (r *rateRequest) form() map[string]string {
	return map[string]string{"rate.rating": r.Rating, "rate.comment": r.Comment}
}

// buttonRequest is a form with nothing but its button.
type buttonRequest struct{ name string }

func (r *buttonRequest) action() string          { return r.name }
func (r *buttonRequest) form() map[string]string { return nil }

// postBooking binds req, runs do and redirects to the booking with the
// notice do returns; errors re-render the booking page.
func (w *Web) postBooking(c *gin.Context, req bookingForm, do func(u model.User, id uint64) (string, error)) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	id, err := bookingID(c)
	if err != nil {
		w.fail(c, err)
		return
	}
	if err := c.ShouldBind(req); err != nil {
		w.showBooking(c, *u, http.StatusBadRequest, req.action(), nil, bindError(err))
		return
	}
	notice, err := do(*u, id)
	if err != nil {
		w.showBooking(c, *u, 0, req.action(), req.form(), err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(id)+"?notice="+notice)
}

func (w *Web) respondSubmit(c *gin.Context) {
	var req respondRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		t, err := parseBeijing(req.Time, "time")
		if err != nil {
			return "", err
		}
		_, err = w.stations.Respond(c.Request.Context(), u, id, station.Response{Action: req.Action, Time: t,
			Place: req.Place, Note: req.Note, Reason: req.Reason, Alternatives: req.Alternatives})
		return "responded", err
	})
}

func (w *Web) cancelSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "cancel"}, func(u model.User, id uint64) (string, error) {
		_, err := w.stations.Cancel(c.Request.Context(), u, id)
		return "cancelled", err
	})
}

func (w *Web) acceptProposalSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "proposal"}, func(u model.User, id uint64) (string, error) {
		_, err := w.stations.AcceptProposal(c.Request.Context(), u, id)
		return "accepted", err
	})
}

func (w *Web) serveSubmit(c *gin.Context) {
	var req serveRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		_, err := w.stations.Serve(c.Request.Context(), u, id, req.Result, req.FollowUp)
		return "served", err
	})
}

func (w *Web) noShowSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "noshow"}, func(u model.User, id uint64) (string, error) {
		_, err := w.stations.NoShow(c.Request.Context(), u, id)
		return "noshow", err
	})
}

func (w *Web) rateSubmit(c *gin.Context) {
	var req rateRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		stars, _ := strconv.Atoi(req.Rating) // not a number: 0, refused by the service
		_, err := w.stations.Rate(c.Request.Context(), u, id, stars, req.Comment)
		return "rated", err
	})
}

// --- the station admin console ----------------------------------------------------

// stationUniversity is the university a console page is about: ?uni=<code>
// (the province admin; others may only name their own), else the user's.
// It responds itself when ok is false.
func (w *Web) stationUniversity(c *gin.Context, u model.User) (uni model.University, ok bool) {
	ctx := c.Request.Context()
	var err error
	switch code := c.Query("uni"); {
	case code != "":
		uni, err = w.accounts.UniversityByCode(ctx, code)
	case u.UniversityID == nil:
		err = service.Forbidden("no_university", "你的账号没有所属学校，无法管理服务站")
	default:
		uni, err = w.accounts.UniversityByID(ctx, *u.UniversityID)
	}
	if err != nil {
		w.fail(c, err)
		return uni, false
	}
	return uni, true
}

// stationTarget is the signed-in user and the university whose station a
// form acts on; it responds itself when ok is false.
func (w *Web) stationTarget(c *gin.Context) (u model.User, uni model.University, ok bool) {
	user, signedIn := w.requireUser(c)
	if !signedIn {
		return u, uni, false
	}
	uni, ok = w.stationUniversity(c, *user)
	return *user, uni, ok
}

// canManageStation tells the pages whether to offer management links; the
// service enforces the rule on every change.
func (w *Web) canManageStation(c *gin.Context, u model.User, uni uint64) (bool, error) {
	return w.stations.CanManage(c.Request.Context(), u, uni)
}

var errNotManager = service.Forbidden("not_station_manager", "只有本校团委管理员或服务站负责人可以维护服务站")

// constructionRow is a university's construction status as listed.
type constructionRow struct {
	station.Construction
	StatusName string
	BatchName  string
	CanConfirm bool
}

func newConstructionRow(c station.Construction) constructionRow {
	r := constructionRow{Construction: c, StatusName: constructionStatusName(c.Status)}
	if c.Status == station.StatusReady && c.Overdue {
		r.StatusName += "（已逾期）" // still awaiting confirmation, listed under 待确认
	}
	switch c.Batch {
	case model.BatchUndergraduate:
		r.BatchName = "第一批（本科）"
	case model.BatchPublicVocational:
		r.BatchName = "第二批（公办专科）"
	default:
		r.BatchName = "第三批（民办专科）"
	}
	r.CanConfirm = c.Status != station.StatusBuilt && c.StationID != 0 && len(c.Missing) == 0
	return r
}

func constructionStatusName(s string) string {
	switch s {
	case station.StatusBuilt:
		return "已建成"
	case station.StatusReady:
		return "待确认"
	case station.StatusPending:
		return "建设中"
	case station.StatusLate:
		return "已逾期"
	}
	return s
}

// consoleView is the station admin console's data.
type consoleView struct {
	University   model.University
	Station      *station.View
	State        string
	Queue        []bookingRow
	Waiting      int
	Manage       bool
	Construction *constructionRow
	UniQuery     string
}

func (w *Web) consolePage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	if u.Role == model.RoleProvinceAdmin && c.Query("uni") == "" {
		c.Redirect(http.StatusFound, "/h5/admin/stations")
		return
	}
	ctx := c.Request.Context()
	uni, okUni := w.stationUniversity(c, *u)
	if !okUni {
		return
	}
	p := consoleView{University: uni, UniQuery: uniQuery(c)}
	var err error
	if p.Manage, err = w.canManageStation(c, *u, uni.ID); err != nil {
		w.fail(c, err)
		return
	}
	v, err := w.stations.ByUniversity(ctx, uni.ID)
	switch {
	case err == nil:
		p.Station, p.State = &v, openState(v)
		queue, err := w.stations.Queue(ctx, *u, uni.ID)
		if err != nil {
			w.fail(c, err) // refuses everyone but the station's admins
			return
		}
		p.Queue = bookingRows(queue)
		for _, b := range queue {
			if b.Status == model.BookingSubmitted {
				p.Waiting++
			}
		}
	case errors.Is(err, service.ErrNotFound) && p.Manage:
		// Not built yet: the console offers to set it up.
	default:
		w.fail(c, err)
		return
	}
	if p.Manage {
		cons, err := w.stations.ConstructionOf(ctx, *u, uni.ID)
		if err != nil {
			w.fail(c, err)
			return
		}
		row := newConstructionRow(cons)
		p.Construction = &row
	}
	w.render(c, http.StatusOK, "station_console", pageData{Title: "服务站管理", Notice: consoleNotice(c.Query("notice")), Extra: p})
}

func consoleNotice(key string) string {
	switch key {
	case "saved":
		return "服务站信息已保存。"
	case "added":
		return "已添加到服务站团队。"
	case "removed":
		return "已从服务站团队移除。"
	}
	return ""
}

// --- the station profile -------------------------------------------------------------

type hoursRow struct {
	Day    int
	Name   string
	Inputs []hoursInput
}

// hoursInput is the input of one opening period of a day.
type hoursInput struct {
	Field       string // hours_<day>_<i>
	Label       string
	Placeholder string
}

var hoursPlaceholders = [station.MaxRangesPerDay]string{"08:30–12:00", "14:30–17:30", "19:00–21:00", "21:00–22:00"}

// hoursInputs is how many period inputs a day shows: every period filled
// in plus an empty one to add another, at least two, at most what the
// calendar allows, so saving the form never drops a period.
func hoursInputs(day [station.MaxRangesPerDay]string) int {
	n := 0
	for i, v := range day {
		if strings.TrimSpace(v) != "" {
			n = i + 1
		}
	}
	return min(max(n+1, 2), station.MaxRangesPerDay)
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
	Name           string   `form:"name" binding:"max=200"`
	Building       string   `form:"building" binding:"max=200"`
	Room           string   `form:"room" binding:"max=200"`
	Address        string   `form:"address" binding:"max=400"`
	Directions     string   `form:"directions" binding:"max=1000"`
	HasOffice      bool     `form:"has_office"`
	HasPlaque      bool     `form:"has_plaque"`
	HasComputer    bool     `form:"has_computer"`
	HasServicePost bool     `form:"has_service_post"`
	Services       []string `form:"services" binding:"max=40,dive,max=60"`
	Closed         string   `form:"closed" binding:"max=20000"`
	SlotMinutes    string   `form:"slot_minutes" binding:"max=10"`
	SlotCapacity   string   `form:"slot_capacity" binding:"max=10"`
	// Hours: hours_<weekday>_<i>, i < station.MaxRangesPerDay, read from
	// the form (not bound).
	hours [7][station.MaxRangesPerDay]string
}

func hoursField(day, i int) string { return fmt.Sprintf("hours_%d_%d", day, i) }

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
		for i := range station.MaxRangesPerDay {
			f[hoursField(d, i)] = r.hours[d][i]
		}
	}
	return f
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
	for d := range 7 {
		for i := range station.MaxRangesPerDay {
			v := strings.TrimSpace(r.hours[d][i])
			if v == "" {
				continue
			}
			rg, ok := parseRange(v)
			if !ok {
				bad(hoursField(d, i), station.WeekdayNames[d]+"的时段格式应为 08:30–12:00")
				continue
			}
			p.Weekly[d] = append(p.Weekly[d], rg)
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
		reason := strings.Join(f[1:], " ")
		if utf8.RuneCountInString(reason) > 30 {
			bad("closed", fmt.Sprintf("第 %d 行的原因不能超过 30 个字", n+1))
			continue
		}
		p.Closed = append(p.Closed, station.Closure{Date: date.Format("2006-01-02"), Reason: reason})
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

func (w *Web) profileForm(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	uni, manage, ok := w.manageTarget(c, *u)
	if !ok {
		return
	}
	if !manage {
		w.fail(c, errNotManager)
		return
	}
	req := profileRequest{Name: uni.Name + "青年之家", SlotMinutes: "60", SlotCapacity: "0"}
	v, err := w.stations.ByUniversity(c.Request.Context(), uni.ID)
	switch {
	case err == nil:
		req = profileRequest{Name: v.Name, Building: v.Building, Room: v.Room, Address: v.Address, Directions: v.Directions,
			HasOffice: v.HasOffice, HasPlaque: v.HasPlaque, HasComputer: v.HasComputer, HasServicePost: v.HasServicePost,
			Services: v.Services, SlotMinutes: strconv.Itoa(v.SlotMinutes), SlotCapacity: strconv.Itoa(v.SlotCapacity)}
		for d := range 7 {
			for i, r := range v.Calendar.Weekly[d] {
				if i < station.MaxRangesPerDay { // NewCalendar allows no more
					req.hours[d][i] = r.Open + "–" + r.Close
				}
			}
		}
		var lines []string
		for _, cl := range v.Calendar.Closed {
			lines = append(lines, strings.TrimSpace(cl.Date+" "+cl.Reason))
		}
		req.Closed = strings.Join(lines, "\n")
	case !errors.Is(err, service.ErrNotFound):
		w.fail(c, err)
		return
	}
	w.showProfile(c, uni, err == nil, http.StatusOK, &req, nil)
}

// manageTarget resolves the university of a console page and whether the
// user manages its station; it responds itself when ok is false.
func (w *Web) manageTarget(c *gin.Context, u model.User) (model.University, bool, bool) {
	uni, okUni := w.stationUniversity(c, u)
	if !okUni {
		return uni, false, false
	}
	manage, err := w.canManageStation(c, u, uni.ID)
	if err != nil {
		w.fail(c, err)
		return uni, false, false
	}
	return uni, manage, true
}

func (w *Web) showProfile(c *gin.Context, uni model.University, exists bool, status int, req *profileRequest, err error) {
	kinds, kerr := w.stations.ServiceKinds(c.Request.Context())
	if kerr != nil {
		w.fail(c, kerr)
		return
	}
	p := profileView{University: uni, Exists: exists, Kinds: kinds, Selected: map[string]bool{}, UniQuery: uniQuery(c),
		MaxRanges: station.MaxRangesPerDay}
	for _, s := range req.Services {
		p.Selected[s] = true
	}
	for _, d := range mondayFirst {
		row := hoursRow{Day: int(d), Name: station.WeekdayNames[d]}
		for i := range hoursInputs(req.hours[d]) {
			row.Inputs = append(row.Inputs, hoursInput{Field: hoursField(int(d), i),
				Label: fmt.Sprintf("%s第 %d 个时段", row.Name, i+1), Placeholder: hoursPlaceholders[i]})
		}
		p.Days = append(p.Days, row)
	}
	d := pageData{Title: "编辑服务站", Form: req.form(), Extra: p}
	if err != nil {
		err = withFields(err, map[string]string{"bad_hours": "hours", "bad_closures": "closed", "station_exists": "name"})
		status = w.formError(c, &d, err)
	}
	w.render(c, status, "station_edit", d)
}

func (w *Web) profileSubmit(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	var req profileRequest
	bindErr := c.ShouldBind(&req)
	for d := range 7 {
		for i := range station.MaxRangesPerDay {
			v := c.PostForm(hoursField(d, i))
			if len(v) > 40 {
				bindErr = errTooLong
				v = v[:0]
			}
			req.hours[d][i] = v
		}
	}
	exists := c.PostForm("exists") == "1"
	if bindErr != nil {
		w.showProfile(c, uni, exists, http.StatusBadRequest, &req, bindError(bindErr))
		return
	}
	p, err := req.profile()
	if err != nil {
		w.showProfile(c, uni, exists, 0, &req, err)
		return
	}
	if _, err := w.stations.SaveProfile(c.Request.Context(), u, uni.ID, p); err != nil {
		w.showProfile(c, uni, exists, 0, &req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery("/h5/station"+uniQuery(c), "notice=saved"))
}

// --- the station team -------------------------------------------------------------------

type weekdayOption struct {
	Value int
	Name  string
}

// teamView is the team page's data.
type teamView struct {
	University model.University
	Members    []station.TeamMember
	Weekdays   []weekdayOption
	Duty       map[int]bool
	Category   string
	UniQuery   string
}

type memberRequest struct {
	Account  string   `form:"account" binding:"max=64"`
	Category string   `form:"category" binding:"max=20"`
	RealName string   `form:"real_name" binding:"max=200"`
	Position string   `form:"position" binding:"max=200"`
	Phone    string   `form:"phone" binding:"max=50"`
	QQ       string   `form:"qq" binding:"max=50"`
	WeChatID string   `form:"wechat_id" binding:"max=100"`
	Duty     []string `form:"duty" binding:"max=7,dive,max=2"`
}

func (r *memberRequest) form() map[string]string {
	return map[string]string{"account": r.Account, "real_name": r.RealName, "position": r.Position,
		"phone": r.Phone, "qq": r.QQ, "wechat_id": r.WeChatID}
}

func (r *memberRequest) days() ([]time.Weekday, error) {
	var out []time.Weekday
	for _, s := range r.Duty {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 6 {
			return nil, service.Invalid("bad_duty", "值班日无效", map[string]string{"duty_days": "值班日无效"})
		}
		out = append(out, time.Weekday(n))
	}
	return out, nil
}

func (w *Web) teamPage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	w.showTeam(c, *u, http.StatusOK, &memberRequest{Category: model.CategoryAdmin}, nil)
}

func (w *Web) showTeam(c *gin.Context, u model.User, status int, req *memberRequest, err error) {
	uni, manage, ok := w.manageTarget(c, u)
	if !ok {
		return
	}
	if !manage {
		w.fail(c, errNotManager)
		return
	}
	members, terr := w.stations.Team(c.Request.Context(), u, uni.ID)
	if terr != nil {
		w.fail(c, terr)
		return
	}
	p := teamView{University: uni, Members: members, Duty: map[int]bool{}, Category: req.Category, UniQuery: uniQuery(c)}
	for _, d := range mondayFirst {
		p.Weekdays = append(p.Weekdays, weekdayOption{Value: int(d), Name: station.WeekdayNames[d]})
	}
	for _, s := range req.Duty {
		if n, err := strconv.Atoi(s); err == nil {
			p.Duty[n] = true
		}
	}
	d := pageData{Title: "服务站团队", Form: req.form(), Notice: consoleNotice(c.Query("notice")), Extra: p}
	if err != nil {
		err = withFields(err, map[string]string{"user_not_found": "account", "lead_exists": "category"})
		status = w.formError(c, &d, err)
	}
	w.render(c, status, "station_team", d)
}

func (w *Web) teamAdd(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	var req memberRequest
	if err := c.ShouldBind(&req); err != nil {
		w.showTeam(c, u, http.StatusBadRequest, &req, bindError(err))
		return
	}
	days, err := req.days()
	if err != nil {
		w.showTeam(c, u, 0, &req, err)
		return
	}
	if _, err := w.stations.AddMember(c.Request.Context(), u, uni.ID, station.Member{
		Account: req.Account, Category: req.Category, RealName: req.RealName, Position: req.Position,
		Phone: req.Phone, QQ: req.QQ, WeChatID: req.WeChatID, DutyDays: days,
	}); err != nil {
		w.showTeam(c, u, 0, &req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery("/h5/station/team"+uniQuery(c), "notice=added"))
}

func (w *Web) teamRemove(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	back := "/h5/station/team" + uniQuery(c)
	id, err := paramID(c, "member", service.NotFound("member_not_found", "该成员不在本站团队中"))
	if err != nil {
		w.fail(c, err)
		return
	}
	if err := w.stations.RemoveMember(c.Request.Context(), u, uni.ID, id); err != nil {
		status, body := describe(c, w.log, err)
		w.render(c, status, "error", pageData{Title: "移除失败", Error: body.Message, Retry: back})
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery(back, "notice=removed"))
}

// --- the province overview --------------------------------------------------------------

type statusCount struct {
	Key, Name string
	Count     int
}

// overviewView is the province overview's data.
type overviewView struct {
	Rows   []constructionRow
	Counts []statusCount
	Total  int
	Filter string
}

func (w *Web) overviewPage(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	w.showOverview(c, *u, http.StatusOK, nil)
}

func (w *Web) showOverview(c *gin.Context, u model.User, status int, err error) {
	all, oerr := w.stations.Overview(c.Request.Context(), u)
	if oerr != nil {
		w.fail(c, oerr) // refuses everyone but the province admin
		return
	}
	p := overviewView{Total: len(all), Filter: c.Query("status")}
	counts := map[string]int{}
	for _, cons := range all {
		counts[cons.Status]++
		if p.Filter == "" || p.Filter == cons.Status {
			p.Rows = append(p.Rows, newConstructionRow(cons))
		}
	}
	for _, k := range []string{station.StatusBuilt, station.StatusReady, station.StatusPending, station.StatusLate} {
		p.Counts = append(p.Counts, statusCount{Key: k, Name: constructionStatusName(k), Count: counts[k]})
	}
	d := pageData{Title: "服务站建设", Extra: p}
	if c.Query("notice") == "confirmed" {
		d.Notice = "已确认建成。"
	}
	if err != nil {
		s, body := describe(c, w.log, err)
		status, d.Error = s, body.Message
	}
	w.render(c, status, "stations_overview", d)
}

func (w *Web) confirmSubmit(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	uni, err := w.accounts.UniversityByCode(ctx, c.Param("code"))
	if err == nil {
		err = w.stations.ConfirmBuilt(ctx, *u, uni.ID)
	}
	if err != nil {
		w.showOverview(c, *u, 0, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin/stations?notice=confirmed")
}

// --- referral (转介) ------------------------------------------------------------------------

// referView is the referral form's data.
type referView struct {
	Question question.View
	Station  *station.View
	Service  string
}

type referRequest struct {
	Service string `form:"service" binding:"max=60"`
	Note    string `form:"note" binding:"max=5000"`
}

func (w *Web) referForm(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	w.showRefer(c, *u, http.StatusOK, referRequest{}, nil)
}

func (w *Web) showRefer(c *gin.Context, u model.User, status int, req referRequest, err error) {
	ctx := c.Request.Context()
	id, ierr := questionID(c)
	if ierr != nil {
		w.fail(c, ierr)
		return
	}
	q, qerr := w.questions.Get(ctx, u, id)
	if qerr != nil {
		w.fail(c, qerr)
		return
	}
	if !q.CanAnswer {
		w.fail(c, service.Forbidden("not_cadre", "只有本校团学干部可以转介"))
		return
	}
	p := referView{Question: q, Service: req.Service}
	v, serr := w.stations.ByUniversity(ctx, q.Question.UniversityID)
	switch {
	case serr == nil:
		p.Station = &v
	case !errors.Is(serr, service.ErrNotFound):
		w.fail(c, serr)
		return
	}
	d := pageData{Title: "转介到青年之家", Form: map[string]string{"note": req.Note}, Extra: p}
	if err != nil {
		status = w.formError(c, &d, err)
	}
	w.render(c, status, "booking_refer", d)
}

func (w *Web) referSubmit(c *gin.Context) {
	u, ok := w.requireUser(c)
	if !ok {
		return
	}
	id, err := questionID(c)
	if err != nil {
		w.fail(c, err)
		return
	}
	var req referRequest
	if err := c.ShouldBind(&req); err != nil {
		w.showRefer(c, *u, http.StatusBadRequest, req, bindError(err))
		return
	}
	b, err := w.stations.Refer(c.Request.Context(), *u, id, req.Service, req.Note)
	if err != nil {
		w.showRefer(c, *u, 0, req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(b.ID)+"?notice=referred")
}
