package h5

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerBookingPages mounts booking a station's service and following
// a booking (the student's and the station team's side).
func (w *Pages) registerBookingPages(h gin.IRouter) {
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
}

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
	SlotLost bool
}

// slotChooseAgain is the slot value of the "choose again" placeholder.
const slotChooseAgain = "choose"

type bookRequest struct {
	Service     string `form:"service" binding:"max=60"`
	Slot        string `form:"slot" binding:"max=40"`
	Phone       string `form:"phone" binding:"max=40"`
	Description string `form:"description"`
}

func (w *Pages) bookForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	// A failed booking comes back here (POST-redirect-GET) with the
	// service and time chosen.
	w.showBookForm(c, *u, http.StatusOK, bookRequest{Service: c.Query("service"), Slot: c.Query("slot")}, nil)
}

func (w *Pages) showBookForm(c *gin.Context, u model.User, status int, req bookRequest, err error) {
	ctx := c.Request.Context()
	if u.UniversityID == nil {
		w.kit.Fail(c, service.Forbidden("no_university", "请先完成激活并选择学校，再预约"))
		return
	}
	v, verr := w.svc.Stations.ByUniversity(ctx, *u.UniversityID)
	if errors.Is(verr, service.ErrNotFound) {
		un, uerr := w.svc.Accounts.UniversityByID(ctx, *u.UniversityID)
		if uerr != nil {
			w.kit.Fail(c, uerr)
			return
		}
		w.pages.Render(c, http.StatusOK, "station_none", web.Page{Title: "预约服务", Extra: noneView{University: &un,
			Manage: u.HasAny(model.RoleUniversityAdm, model.RoleProvinceAdmin)}})
		return
	}
	if verr != nil {
		w.kit.Fail(c, verr)
		return
	}
	slots, serr := w.svc.Stations.Slots(ctx, *u.UniversityID)
	if serr != nil {
		w.kit.Fail(c, serr)
		return
	}
	p := bookPage{Station: v, State: openState(v), Service: req.Service, Slot: req.Slot}
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
	back := url.Values{"service": {req.Service}, "slot": {req.Slot}}
	d := web.Page{Title: "预约服务", Form: map[string]string{"phone": req.Phone, "description": req.Description},
		FormURL: "/h5/bookings/new?" + back.Encode(), Extra: p}
	w.pages.RenderForm(c, status, "booking_new", d, err)
}

func (w *Pages) bookSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req bookRequest
	if err := web.Bind(c, &req); err != nil {
		w.showBookForm(c, *u, http.StatusBadRequest, req, err)
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
	b, err := w.svc.Stations.Book(c.Request.Context(), *u, station.BookInput{
		Service: req.Service, SlotStart: start, Phone: req.Phone, Description: req.Description,
	})
	if err != nil {
		w.showBookForm(c, *u, 0, req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(b.ID)+"?notice=booked")
}

func bookingURL(id uint64) string { return "/h5/bookings/" + strconv.FormatUint(id, 10) }

// errNoBooking answers an :id that names no booking.
var errNoBooking = service.NotFound("booking_not_found", "预约不存在")

func bookingID(c *gin.Context) (uint64, error) {
	return web.ParamID(c, "id", errNoBooking)
}

func (w *Pages) myBookings(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	items, err := w.svc.Stations.Mine(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "bookings_mine", web.Page{Title: "我的预约", Extra: bookingRows(items)})
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

func (w *Pages) bookingPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showBooking(c, *u, http.StatusOK, "", nil, nil)
}

// showBooking renders a booking; after a failed post, action names the
// form, and form and the field errors are keyed "<action>.<field>".
func (w *Pages) showBooking(c *gin.Context, u model.User, status int, action string, form map[string]string, err error) {
	ctx := c.Request.Context()
	id, ierr := bookingID(c)
	if ierr != nil {
		w.kit.Fail(c, ierr)
		return
	}
	v, gerr := w.svc.Stations.Get(ctx, u, id)
	if gerr != nil {
		w.kit.Fail(c, gerr)
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
		sv, serr := w.svc.Stations.ByUniversity(ctx, v.UniversityID)
		if serr != nil {
			w.kit.Fail(c, serr)
			return
		}
		p.PlaceValue = strings.TrimSpace(sv.Building + " " + sv.Room)
	}
	d := web.Page{Title: "预约详情", Notice: bookingNotice(c.Query("notice"), v), Form: form, Extra: p}
	if err != nil {
		s, body := w.kit.Describe(c, err)
		status, d.Error = s, body.Message
		d.Fields = map[string]string{}
		for k, m := range body.Fields {
			d.Fields[action+"."+k] = m
		}
	}
	w.pages.Render(c, status, "booking", d)
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
	Place        string `form:"place"`
	Note         string `form:"note"`
	Reason       string `form:"reason"`
	Alternatives string `form:"alternatives"`
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

func (w *Pages) phoneSubmit(c *gin.Context) {
	var req phoneRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		_, err := w.svc.Stations.SetPhone(c.Request.Context(), u, id, req.Phone)
		return "phone", err
	})
}

type serveRequest struct {
	Result   string `form:"result"`
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
	Comment string `form:"comment"`
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
func (w *Pages) postBooking(c *gin.Context, req bookingForm, do func(u model.User, id uint64) (string, error)) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoBooking)
	if !ok {
		return
	}
	if err := web.Bind(c, req); err != nil {
		w.showBooking(c, u, http.StatusBadRequest, req.action(), nil, err)
		return
	}
	notice, err := do(u, id)
	if err != nil {
		w.showBooking(c, u, 0, req.action(), req.form(), err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(id)+"?notice="+notice)
}

func (w *Pages) respondSubmit(c *gin.Context) {
	var req respondRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		t, err := parseBeijing(req.Time, "time")
		if err != nil {
			return "", err
		}
		_, err = w.svc.Stations.Respond(c.Request.Context(), u, id, station.Response{Action: req.Action, Time: t,
			Place: req.Place, Note: req.Note, Reason: req.Reason, Alternatives: req.Alternatives})
		return "responded", err
	})
}

func (w *Pages) cancelSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "cancel"}, func(u model.User, id uint64) (string, error) {
		_, err := w.svc.Stations.Cancel(c.Request.Context(), u, id)
		return "cancelled", err
	})
}

func (w *Pages) acceptProposalSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "proposal"}, func(u model.User, id uint64) (string, error) {
		_, err := w.svc.Stations.AcceptProposal(c.Request.Context(), u, id)
		return "accepted", err
	})
}

func (w *Pages) serveSubmit(c *gin.Context) {
	var req serveRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		_, err := w.svc.Stations.Serve(c.Request.Context(), u, id, req.Result, req.FollowUp)
		return "served", err
	})
}

func (w *Pages) noShowSubmit(c *gin.Context) {
	w.postBooking(c, &buttonRequest{name: "noshow"}, func(u model.User, id uint64) (string, error) {
		_, err := w.svc.Stations.NoShow(c.Request.Context(), u, id)
		return "noshow", err
	})
}

func (w *Pages) rateSubmit(c *gin.Context) {
	var req rateRequest
	w.postBooking(c, &req, func(u model.User, id uint64) (string, error) {
		stars, _ := strconv.Atoi(req.Rating) // not a number: 0, refused by the service
		_, err := w.svc.Stations.Rate(c.Request.Context(), u, id, stars, req.Comment)
		return "rated", err
	})
}
