package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerStationAPI mounts the stations and bookings API.
func (w *API) registerStationAPI(r gin.IRouter) {
	r.GET("/service-kinds", w.apiServiceKinds)
	r.GET("/stations/:code", w.apiStation)
	r.PUT("/stations/:code", w.apiSaveStation)
	r.GET("/stations/:code/slots", w.apiSlots)
	r.GET("/stations/:code/team", w.apiTeam)
	r.POST("/stations/:code/team", w.apiAddMember)
	r.DELETE("/stations/:code/team/:id", w.apiRemoveMember)
	r.GET("/stations/:code/construction", w.apiConstruction)
	r.POST("/stations/:code/built", w.apiConfirmBuilt)
	r.GET("/stations/:code/bookings", w.apiQueue)
	r.GET("/admin/stations", w.apiOverview)
	r.POST("/bookings", w.apiBook)
	r.GET("/bookings/mine", w.apiMyBookings)
	r.GET("/bookings/:id", w.apiBooking)
	r.POST("/bookings/:id/respond", bookingAction(w, func(ctx context.Context, u model.User, id uint64, r apiRespondRequest) error {
		_, err := w.svc.Stations.Respond(ctx, u, id, station.Response{Action: r.Action, Time: r.Time,
			Place: r.Place, Note: r.Note, Reason: r.Reason, Alternatives: r.Alternatives})
		return err
	}))
	r.POST("/bookings/:id/cancel", bookingAction(w, func(ctx context.Context, u model.User, id uint64, _ noBody) error {
		_, err := w.svc.Stations.Cancel(ctx, u, id)
		return err
	}))
	r.POST("/bookings/:id/accept-proposal", bookingAction(w, func(ctx context.Context, u model.User, id uint64, _ noBody) error {
		_, err := w.svc.Stations.AcceptProposal(ctx, u, id)
		return err
	}))
	r.POST("/bookings/:id/no-show", bookingAction(w, func(ctx context.Context, u model.User, id uint64, _ noBody) error {
		_, err := w.svc.Stations.NoShow(ctx, u, id)
		return err
	}))
	r.POST("/bookings/:id/serve", bookingAction(w, func(ctx context.Context, u model.User, id uint64, r apiServeRequest) error {
		_, err := w.svc.Stations.Serve(ctx, u, id, r.Result, r.FollowUp)
		return err
	}))
	r.POST("/bookings/:id/rate", bookingAction(w, func(ctx context.Context, u model.User, id uint64, r apiRateBookingRequest) error {
		_, err := w.svc.Stations.Rate(ctx, u, id, r.Rating, r.Comment)
		return err
	}))
	r.POST("/bookings/:id/phone", bookingAction(w, func(ctx context.Context, u model.User, id uint64, r apiPhoneRequest) error {
		_, err := w.svc.Stations.SetPhone(ctx, u, id, r.Phone)
		return err
	}))
	r.POST("/questions/:id/referral", w.apiRefer)
}

// apiStationJSON is the public shape of a station.
type apiStationJSON struct {
	ID           uint64             `json:"id"`
	University   universityView     `json:"university"`
	Name         string             `json:"name"`
	Building     string             `json:"building"`
	Room         string             `json:"room"`
	Address      string             `json:"address"`
	Directions   string             `json:"directions"`
	Checklist    map[string]bool    `json:"checklist"`
	Services     []string           `json:"services"`
	Weekly       [7][]station.Range `json:"weekly_hours"`
	Closed       []station.Closure  `json:"closed_dates"`
	SlotMinutes  int                `json:"slot_minutes"`
	SlotCapacity int                `json:"slot_capacity"`
	OpenNow      bool               `json:"open_now"`
	NextOpen     *time.Time         `json:"next_open,omitempty"`
	Built        bool               `json:"built"`
}

func apiViewStation(v station.View) apiStationJSON {
	return apiStationJSON{
		ID: v.ID, University: viewUniversity(v.University), Name: v.Name, Building: v.Building, Room: v.Room,
		Address: v.Address, Directions: v.Directions,
		Checklist: map[string]bool{"office": v.HasOffice, "plaque": v.HasPlaque, "computer": v.HasComputer, "service_post": v.HasServicePost},
		Services:  v.Services, Weekly: v.Calendar.Weekly, Closed: v.Calendar.Closed,
		SlotMinutes: v.SlotMinutes, SlotCapacity: v.SlotCapacity, OpenNow: v.OpenNow, NextOpen: v.NextOpen, Built: v.BuiltAt != nil,
	}
}

// apiBookingJSON is a booking as the API shows it.
type apiBookingJSON struct {
	ID             uint64     `json:"id"`
	Station        string     `json:"station"`
	Student        string     `json:"student"`
	Service        string     `json:"service"`
	Status         string     `json:"status"`
	StatusName     string     `json:"status_name"`
	SlotStart      *time.Time `json:"slot_start,omitempty"`
	SlotEnd        *time.Time `json:"slot_end,omitempty"`
	ContactPhone   string     `json:"contact_phone,omitempty"`
	Description    string     `json:"description"`
	QuestionID     *uint64    `json:"question_id,omitempty"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	Place          string     `json:"place,omitempty"`
	Note           string     `json:"note,omitempty"`
	DeclineReason  string     `json:"decline_reason,omitempty"`
	Alternatives   string     `json:"alternatives,omitempty"`
	ProposedAt     *time.Time `json:"proposed_at,omitempty"`
	Result         string     `json:"result,omitempty"`
	FollowUp       bool       `json:"follow_up"`
	Rating         int        `json:"rating"`
	RatingComment  string     `json:"rating_comment,omitempty"`
	InHours        bool       `json:"submitted_in_working_hours"`
	DueAt          time.Time  `json:"due_at"`
	FirstResponseS *int64     `json:"first_response_seconds,omitempty"`
	PromiseKept    *bool      `json:"promise_kept,omitempty"`
	Overdue        bool       `json:"overdue"`
	CanAdmin       bool       `json:"can_admin"`
	CreatedAt      time.Time  `json:"created_at"`
}

func apiViewBooking(v station.BookingView) apiBookingJSON {
	b := v.Booking
	return apiBookingJSON{ID: b.ID, Station: v.StationName, Student: v.StudentName, Service: b.Service, Status: b.Status,
		StatusName: station.StatusName(b.Status), SlotStart: b.SlotStart, SlotEnd: b.SlotEnd, ContactPhone: v.ContactPhone,
		Description: b.Description, QuestionID: b.QuestionID, ConfirmedAt: b.ConfirmedAt, Place: b.Place, Note: b.Note,
		DeclineReason: b.DeclineReason, Alternatives: b.Alternatives, ProposedAt: b.ProposedAt, Result: b.Result,
		FollowUp: b.FollowUp, Rating: b.Rating, RatingComment: b.RatingComment, InHours: b.InHours, DueAt: b.DueAt,
		FirstResponseS: b.FirstResponseS, PromiseKept: b.PromiseKept, Overdue: v.Overdue, CanAdmin: v.Access.Handle, CreatedAt: b.CreatedAt}
}

// stationScope is the signed-in user and the university of :code; it
// responds itself and returns false when either is missing.
func (w *API) stationScope(c *gin.Context) (model.User, model.University, bool) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return model.User{}, model.University{}, false
	}
	uni, okUni := w.universityOf(c)
	return *u, uni, okUni
}

// universityOf resolves the :code parameter.
func (w *API) universityOf(c *gin.Context) (model.University, bool) {
	u, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return u, false
	}
	return u, true
}

func (w *API) apiServiceKinds(c *gin.Context) {
	kinds, err := w.svc.Stations.ServiceKinds(c.Request.Context())
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, kinds)
}

func (w *API) apiStation(c *gin.Context) {
	if _, okUser := w.kit.RequireUser(c); !okUser {
		return
	}
	v, err := w.svc.Stations.ByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewStation(v))
}

type apiStationRequest struct {
	Name         string             `json:"name"`
	Building     string             `json:"building"`
	Room         string             `json:"room"`
	Address      string             `json:"address"`
	Directions   string             `json:"directions"`
	Checklist    map[string]bool    `json:"checklist" binding:"max=10"`
	Services     []string           `json:"services" binding:"max=20,dive,max=30"`
	Weekly       [7][]station.Range `json:"weekly_hours"`
	Closed       []station.Closure  `json:"closed_dates" binding:"max=366"`
	SlotMinutes  int                `json:"slot_minutes"`
	SlotCapacity int                `json:"slot_capacity"`
}

func (w *API) apiSaveStation(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	var req apiStationRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	v, err := w.svc.Stations.SaveProfile(c.Request.Context(), u, uni.ID, station.Profile{
		Name: req.Name, Building: req.Building, Room: req.Room, Address: req.Address, Directions: req.Directions,
		HasOffice: req.Checklist["office"], HasPlaque: req.Checklist["plaque"], HasComputer: req.Checklist["computer"],
		HasServicePost: req.Checklist["service_post"], Services: req.Services, Weekly: req.Weekly, Closed: req.Closed,
		SlotMinutes: req.SlotMinutes, SlotCapacity: req.SlotCapacity,
	})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewStation(v))
}

func (w *API) apiSlots(c *gin.Context) {
	if _, okUser := w.kit.RequireUser(c); !okUser {
		return
	}
	uni, okUni := w.universityOf(c)
	if !okUni {
		return
	}
	slots, err := w.svc.Stations.Slots(c.Request.Context(), uni.ID)
	okList(w, c, slots, err, func(s station.SlotView) gin.H {
		return gin.H{"start": s.Start, "end": s.End, "left": s.Left,
			"label": s.Start.In(clock.Beijing).Format("01-02 15:04")}
	})
}

func (w *API) apiTeam(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	team, err := w.svc.Stations.Team(c.Request.Context(), u, uni.ID)
	okList(w, c, team, err, func(m station.TeamMember) gin.H {
		if m.Account == "" {
			// Not one of the station's managers: 类别 and 姓名 only.
			return gin.H{"id": m.ID, "category": m.Category, "real_name": m.RealName}
		}
		var days []int
		for d := time.Sunday; d <= time.Saturday; d++ {
			if station.OnDuty(m.DutyDays, d) {
				days = append(days, int(d))
			}
		}
		return gin.H{"id": m.ID, "account": m.Account, "category": m.Category, "real_name": m.RealName,
			"position": m.Position, "phone": m.Phone, "qq": m.QQ, "wechat_id": m.WeChatID, "duty_days": days}
	})
}

type apiMemberRequest struct {
	Account  string `json:"account" binding:"max=64"`
	Category string `json:"category" binding:"max=10"`
	RealName string `json:"real_name"`
	Position string `json:"position"`
	Phone    string `json:"phone" binding:"max=20"`
	QQ       string `json:"qq" binding:"max=20"`
	WeChatID string `json:"wechat_id"`
	DutyDays []int  `json:"duty_days" binding:"max=7,dive,min=0,max=6"`
}

func (w *API) apiAddMember(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	var req apiMemberRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	days := make([]time.Weekday, len(req.DutyDays))
	for i, d := range req.DutyDays {
		days[i] = time.Weekday(d)
	}
	m, err := w.svc.Stations.AddMember(c.Request.Context(), u, uni.ID, station.Member{Account: req.Account, Category: req.Category,
		RealName: req.RealName, Position: req.Position, Phone: req.Phone, QQ: req.QQ, WeChatID: req.WeChatID, DutyDays: days})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusCreated, gin.H{"id": m.ID, "category": m.Category, "real_name": m.RealName})
}

func (w *API) apiRemoveMember(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	id, err := web.ParamID(c, "id", errBadID)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := w.svc.Stations.RemoveMember(c.Request.Context(), u, uni.ID, id); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (w *API) apiConstruction(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	con, err := w.svc.Stations.ConstructionOf(c.Request.Context(), u, uni.ID)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiConstructionJSON(con))
}

func apiConstructionJSON(con station.Construction) gin.H {
	missing := con.Missing
	if missing == nil {
		missing = []string{}
	}
	return gin.H{"university": viewUniversity(con.University), "batch": con.Batch, "deadline": con.Deadline,
		"status": con.Status, "missing": missing, "built_at": con.BuiltAt}
}

func (w *API) apiConfirmBuilt(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	if err := w.svc.Stations.ConfirmBuilt(c.Request.Context(), u, uni.ID); err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"built": true})
}

// apiListRequest is the station list's filter (query string), as on the
// page /h5/admin/stations.
type apiListRequest struct {
	Q      string `form:"q" binding:"max=200"`
	City   string `form:"city" binding:"max=40"`
	Batch  int    `form:"batch" binding:"min=0,max=3"`
	Status string `form:"status" binding:"max=20"`
	Sort   string `form:"sort" binding:"max=20"`
}

// apiOverview is the station list: every university for the province
// admin, the own for a university admin, filtered and sorted as asked,
// not paged (a few hundred rows at most).
func (w *API) apiOverview(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	var req apiListRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	l, err := w.svc.Stations.ListAll(c.Request.Context(), *u, station.ListFilter{Query: req.Q, City: req.City,
		Batch: req.Batch, Status: req.Status, Sort: req.Sort})
	okList(w, c, l.Rows, err, apiListRowJSON)
}

func apiListRowJSON(r station.ListRow) gin.H {
	h := apiConstructionJSON(r.Construction)
	h["overdue"] = r.Overdue
	h["station_name"] = r.Name
	h["has_hours"] = r.HasHours
	h["open_now"] = r.OpenNow
	h["weekly_hours"] = r.WeeklyHours
	h["team_size"] = r.TeamSize
	h["bookings_this_week"] = r.BookingsWeek
	h["awaiting_response"] = r.Waiting
	var states []string
	for _, st := range station.ListStatuses {
		if r.Has(st.Key) {
			states = append(states, st.Key)
		}
	}
	h["statuses"] = states
	return h
}

func (w *API) apiQueue(c *gin.Context) {
	u, uni, okScope := w.stationScope(c)
	if !okScope {
		return
	}
	list, err := w.svc.Stations.Queue(c.Request.Context(), u, uni.ID)
	okList(w, c, list, err, apiViewBooking)
}

type apiBookRequest struct {
	Service     string     `json:"service" binding:"max=30"`
	SlotStart   *time.Time `json:"slot_start"`
	Phone       string     `json:"phone" binding:"max=20"`
	Description string     `json:"description"`
}

func (w *API) apiBook(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	var req apiBookRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	b, err := w.svc.Stations.Book(c.Request.Context(), *u, station.BookInput{Service: req.Service, SlotStart: req.SlotStart,
		Phone: req.Phone, Description: req.Description})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondBooking(c, *u, b.ID, http.StatusCreated)
}

// respondBooking answers with the booking as u sees it now.
func (w *API) respondBooking(c *gin.Context, u model.User, id uint64, status int) {
	v, err := w.svc.Stations.Get(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, status, apiViewBooking(v))
}

func (w *API) apiMyBookings(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	list, err := w.svc.Stations.Mine(c.Request.Context(), *u)
	okList(w, c, list, err, apiViewBooking)
}

func (w *API) apiBooking(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	w.respondBooking(c, u, id, http.StatusOK)
}

// noBody is the request of a booking action without a body.
type noBody struct{}

// bookingAction runs one booking action for the signed-in user: the id
// from the path, the JSON body bound into Req (none for noBody), then the
// booking as the user now sees it.
func bookingAction[Req any](w *API, do func(ctx context.Context, u model.User, id uint64, req Req) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, id, valid := w.kit.UserAndID(c, "id", errBadID)
		if !valid {
			return
		}
		var req Req
		if _, none := any(req).(noBody); !none {
			if err := web.Bind(c, &req); err != nil {
				w.kit.Fail(c, err)
				return
			}
		}
		if err := do(c.Request.Context(), u, id, req); err != nil {
			w.kit.Fail(c, err)
			return
		}
		w.respondBooking(c, u, id, http.StatusOK)
	}
}

type apiRespondRequest struct {
	Action       string     `json:"action" binding:"max=10"`
	Time         *time.Time `json:"time"`
	Place        string     `json:"place"`
	Note         string     `json:"note"`
	Reason       string     `json:"reason"`
	Alternatives string     `json:"alternatives"`
}

type apiServeRequest struct {
	Result   string `json:"result"`
	FollowUp bool   `json:"follow_up"`
}

type apiPhoneRequest struct {
	Phone string `json:"phone" binding:"max=40"`
}

type apiRateBookingRequest struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

type apiReferRequest struct {
	Service string `json:"service" binding:"max=30"`
	Note    string `json:"note"`
}

func (w *API) apiRefer(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	var req apiReferRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	b, err := w.svc.Stations.Refer(c.Request.Context(), u, id, req.Service, req.Note)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondBooking(c, u, b.ID, http.StatusCreated)
}
