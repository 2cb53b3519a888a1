package station

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
)

// Access is what a viewer may do with a booking.
type Access struct {
	Student bool `json:"student"` // the booking is theirs
	Admin   bool `json:"admin"`   // station team, university admin or province admin
	// Referrer: the cadre who referred the question may follow the booking.
	Referrer bool `json:"referrer"`
	// Handle: may respond to it and record its outcome — an admin, but not
	// for their own booking (its response time and service count in the
	// station's assessment).
	Handle bool `json:"handle"`
}

// BookingView is a booking as a viewer sees it.
type BookingView struct {
	model.Booking
	StationName string `json:"station_name"`
	StudentName string `json:"student_name"`
	Access      Access `json:"access"`
	Overdue     bool   `json:"overdue"`
}

// access decides what u may do with b; neither means NotFound.
func (s *Service) access(ctx context.Context, u model.User, b model.Booking) (Access, error) {
	a := Access{Student: b.StudentID == u.ID, Referrer: b.ReferredBy != nil && *b.ReferredBy == u.ID}
	switch {
	case u.Has(model.RoleProvinceAdmin):
		a.Admin = true
	case u.Has(model.RoleUniversityAdm) && u.UniversityID != nil && *u.UniversityID == b.UniversityID:
		a.Admin = true
	default:
		member, _, err := s.isTeam(ctx, u, b.StationID)
		if err != nil {
			return a, err
		}
		a.Admin = member
	}
	a.Handle = a.Admin && !a.Student
	return a, nil
}

// errOwnBooking refuses an admin handling their own booking.
var errOwnBooking = service.Forbidden("own_booking", "不能处理自己的预约，请由本站其他管理员处理")

// load reads a booking for u (locked for update inside a transaction on
// MySQL); bookings u may not see are NotFound.
func (s *Service) load(ctx context.Context, u model.User, id uint64, lock bool) (model.Booking, Access, error) {
	var b model.Booking
	q := s.db.Conn(ctx)
	if lock {
		q = s.db.ForUpdate(ctx)
	}
	err := q.Take(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, Access{}, service.NotFound("booking_not_found", "预约不存在")
	}
	if err != nil {
		return b, Access{}, err
	}
	a, err := s.access(ctx, u, b)
	if err != nil {
		return b, a, err
	}
	if !a.Student && !a.Admin && !a.Referrer {
		return b, a, service.NotFound("booking_not_found", "预约不存在")
	}
	return b, a, nil
}

func (s *Service) describe(ctx context.Context, b model.Booking, a Access) (BookingView, error) {
	vs, err := s.describeAll(ctx, []model.Booking{b}, a)
	if err != nil {
		return BookingView{}, err
	}
	return vs[0], nil
}

// describeAll adds station and student names to bookings the viewer sees
// with access a, in two queries whatever the number of bookings.
func (s *Service) describeAll(ctx context.Context, rows []model.Booking, a Access) ([]BookingView, error) {
	out := make([]BookingView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	stationIDs, studentIDs := make([]uint64, 0, len(rows)), make([]uint64, 0, len(rows))
	for _, b := range rows {
		stationIDs, studentIDs = append(stationIDs, b.StationID), append(studentIDs, b.StudentID)
	}
	var stations []model.Station
	if err := s.db.Conn(ctx).Select("id", "name").Where("id IN ?", stationIDs).Find(&stations).Error; err != nil {
		return nil, err
	}
	var students []model.User
	if err := s.db.Conn(ctx).Select(model.NameColumns).Where("id IN ?", studentIDs).Find(&students).Error; err != nil {
		return nil, err
	}
	names := map[uint64]string{}
	for _, st := range stations {
		names[st.ID] = st.Name
	}
	who := map[uint64]string{}
	for _, u := range students {
		who[u.ID] = u.PublicName()
	}
	now := s.now()
	for _, b := range rows {
		v := BookingView{Booking: b, Access: a, StationName: names[b.StationID], StudentName: who[b.StudentID],
			Overdue: b.Status == model.BookingSubmitted && now.After(b.DueAt)}
		if !a.Admin && !a.Student {
			v.ContactPhone = ""
		}
		out = append(out, v)
	}
	return out, nil
}

// Get shows a booking to its student or the station's admins.
func (s *Service) Get(ctx context.Context, u model.User, id uint64) (BookingView, error) {
	b, a, err := s.load(ctx, u, id, false)
	if err != nil {
		return BookingView{}, service.Wrap("读取预约", err)
	}
	v, err := s.describe(ctx, b, a)
	return v, service.Wrap("读取预约", err)
}

// Response is an admin's first (or later) answer to a booking.
type Response struct {
	Action       string     // accept, decline, propose
	Time         *time.Time // accept: the confirmed time (default: the slot); propose: the new time
	Place        string
	Note         string
	Reason       string // decline
	Alternatives string // decline: other options
}

// Response actions.
const (
	ActionAccept  = "accept"
	ActionDecline = "decline"
	ActionPropose = "propose"
)

func limit(v string, n int, field, label string) (string, error) {
	v = service.CleanText(v)
	if utf8.RuneCountInString(v) > n {
		msg := fmt.Sprintf("%s不能超过 %d 个字", label, n)
		return v, service.Invalid("too_long", msg, map[string]string{field: msg})
	}
	return v, nil
}

// Respond accepts, declines or proposes another time for a submitted
// booking. The first response records the response time and whether the
// promise was kept; the student is alerted.
func (s *Service) Respond(ctx context.Context, admin model.User, id uint64, r Response) (model.Booking, error) {
	var err error
	if r.Place, err = limit(r.Place, MaxPlace, "place", "地点"); err != nil {
		return model.Booking{}, err
	}
	if r.Note, err = limit(r.Note, MaxNote, "note", "备注"); err != nil {
		return model.Booking{}, err
	}
	if r.Reason, err = limit(r.Reason, MaxDeclineReason, "reason", "原因"); err != nil {
		return model.Booking{}, err
	}
	if r.Alternatives, err = limit(r.Alternatives, MaxAlternatives, "alternatives", "替代建议"); err != nil {
		return model.Booking{}, err
	}
	var b model.Booking
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var a Access
		var err error
		if b, a, err = s.load(ctx, admin, id, true); err != nil {
			return err
		}
		if !a.Admin {
			return service.Forbidden("not_station_admin", "只有服务站管理员可以处理预约")
		}
		if !a.Handle {
			return errOwnBooking
		}
		if b.Status != model.BookingSubmitted {
			return service.Conflict("already_handled", "该预约已处理（"+StatusName(b.Status)+"）", nil)
		}
		now := s.now()
		upd := map[string]any{"handled_by": admin.ID, "updated_at": now, "note": r.Note}
		var result, detail string
		switch r.Action {
		case ActionAccept:
			at := b.SlotStart
			if r.Time != nil {
				t := r.Time.UTC().Truncate(time.Minute)
				at = &t
			}
			if at == nil {
				return service.Invalid("time_required", "请填写确认的服务时间", map[string]string{"time": "请填写时间"})
			}
			if !at.After(now) {
				return service.Invalid("time_past", "确认的时间须晚于现在", map[string]string{"time": "时间须晚于现在"})
			}
			if r.Place == "" {
				return service.Invalid("place_required", "请填写服务地点", map[string]string{"place": "请填写地点"})
			}
			if b.SlotStart == nil || !at.Equal(*b.SlotStart) {
				// Accepted at another time: the booking gives up the
				// requested slot and holds the one it was moved to, if the
				// time is one of the station's slots, or none.
				start, end, err := s.moveSlot(ctx, b, *at, "确认的时段已约满，请选择其他时间", "该同学在这个时段已有预约，请选择其他时间")
				if err != nil {
					return err
				}
				upd["slot_start"], upd["slot_end"] = start, end
				b.SlotStart, b.SlotEnd = start, end
			}
			upd["status"], upd["confirmed_at"], upd["place"] = model.BookingAccepted, *at, r.Place
			b.Status, b.ConfirmedAt, b.Place = model.BookingAccepted, at, r.Place
			result, detail = "已确认", at.In(clock.Beijing).Format("01-02 15:04")+" "+r.Place
		case ActionDecline:
			if r.Reason == "" {
				return service.Invalid("reason_required", "请填写无法安排的原因", map[string]string{"reason": "请填写原因"})
			}
			upd["status"], upd["decline_reason"], upd["alternatives"] = model.BookingDeclined, r.Reason, r.Alternatives
			b.Status = model.BookingDeclined
			result, detail = "未能安排", r.Reason
		case ActionPropose:
			if r.Time == nil {
				return service.Invalid("time_required", "请填写建议的新时间", map[string]string{"time": "请填写新时间"})
			}
			t := r.Time.UTC().Truncate(time.Minute)
			if err := s.checkProposal(ctx, b, t); err != nil {
				return err
			}
			if r.Place == "" {
				return service.Invalid("place_required", "请填写服务地点", map[string]string{"place": "请填写地点"})
			}
			upd["status"], upd["proposed_at"], upd["place"] = model.BookingProposed, t, r.Place
			b.Status, b.ProposedAt, b.Place = model.BookingProposed, &t, r.Place
			result, detail = "建议改期", "新时间 "+t.In(clock.Beijing).Format("01-02 15:04")
		default:
			return service.Invalid("bad_action", "未知的操作", nil)
		}
		if b.FirstResponseAt == nil {
			secs := int64(now.Sub(b.CreatedAt).Seconds())
			kept := !now.After(b.DueAt)
			upd["first_response_at"], upd["first_response_seconds"], upd["promise_kept"] = now, secs, kept
			b.FirstResponseAt, b.FirstResponseS, b.PromiseKept = &now, &secs, &kept
		}
		res := s.db.Conn(ctx).Model(&model.Booking{}).Where("id = ? AND status = ?", b.ID, model.BookingSubmitted).Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return service.Conflict("already_handled", "该预约刚被其他管理员处理", nil)
		}
		if err := recordBooking(ctx, s.db, admin, b, audit.ActionBookingRespond, result+"："+detail); err != nil {
			return err
		}
		return s.tellStudent(ctx, b, result, detail)
	})
	if err != nil {
		return model.Booking{}, service.Wrap("处理预约", err)
	}
	return b, nil
}

// checkProposal checks a time proposed for booking b: later than now,
// within the next BookAheadDays days, and the start of one of the
// station's slots (inside its opening hours, not on a closed day) — a slot
// a student could book, so that once accepted the booking holds that slot
// (see AcceptProposal). A slot already full is refused here too; the
// binding check is when the student accepts.
func (s *Service) checkProposal(ctx context.Context, b model.Booking, t time.Time) error {
	now := s.now()
	field := func(msg string) map[string]string { return map[string]string{"time": msg} }
	if !t.After(now) {
		return service.Invalid("time_past", "建议的时间须晚于现在", field("时间须晚于现在"))
	}
	if t.After(now.Add(BookAheadDays * 24 * time.Hour)) {
		msg := fmt.Sprintf("建议的时间须在今后 %d 天内", BookAheadDays)
		return service.Invalid("bad_time", msg, field(msg))
	}
	var st model.Station
	if err := s.db.Conn(ctx).Take(&st, b.StationID).Error; err != nil {
		return err
	}
	cal, err := ParseCalendar(st.Hours, st.ClosedDates)
	if err != nil {
		return err
	}
	if !cal.IsSlot(t, st.SlotMinutes) {
		msg := fmt.Sprintf("建议的时间须在服务站开放时间内，并且是某个预约时段（每段 %d 分钟）的开始时间", st.SlotMinutes)
		return service.Invalid("bad_time", msg, field("不是服务站的预约时段"))
	}
	full, err := s.slotFull(ctx, st, t, b.ID)
	if err != nil {
		return err
	}
	if full {
		return service.Conflict("slot_full", "该时段已约满，请建议其他时间", field("该时段已约满"))
	}
	return nil
}

// moveSlot is the slot booking b holds once it is moved to time at: the
// station's slot starting at at, or none (nil, nil) when at is not a slot
// start (an appointment arranged outside the booking grid holds no slot).
// Moving into a slot is refused when it is full or when the student holds
// it with another booking (fullMsg, mineMsg). The station lock (MySQL)
// serialises this with Book's capacity check, so a slot never overfills.
func (s *Service) moveSlot(ctx context.Context, b model.Booking, at time.Time, fullMsg, mineMsg string) (start, end *time.Time, err error) {
	var st model.Station
	if err := s.db.ForUpdate(ctx).Take(&st, b.StationID).Error; err != nil {
		return nil, nil, err
	}
	cal, err := ParseCalendar(st.Hours, st.ClosedDates)
	if err != nil {
		return nil, nil, err
	}
	at = at.UTC()
	if !cal.IsSlot(at, st.SlotMinutes) {
		return nil, nil, nil
	}
	var mine int64
	// Locking reads (MySQL): they see what is committed now. A plain read
	// would see the transaction's snapshot, taken at its first plain read
	// (access checks run before the station lock), and miss a booking
	// committed while this waited for the lock.
	if err := s.db.ForUpdate(ctx).Model(&model.Booking{}).
		Where("station_id = ? AND student_id = ? AND slot_start = ? AND status IN ? AND id <> ?", st.ID, b.StudentID, at, activeStatuses, b.ID).
		Count(&mine).Error; err != nil {
		return nil, nil, err
	}
	field := map[string]string{"time": "请选择其他时间"}
	if mine > 0 {
		return nil, nil, service.Conflict("already_booked", mineMsg, field)
	}
	full, err := s.slotFull(ctx, st, at, b.ID)
	if err != nil {
		return nil, nil, err
	}
	if full {
		return nil, nil, service.Conflict("slot_full", fullMsg, field)
	}
	e := at.Add(time.Duration(st.SlotMinutes) * time.Minute)
	return &at, &e, nil
}

// slotFull reports whether the slot starting at start has no place left
// for booking id: the other active bookings holding it fill the station's
// capacity (0: no limit). It counts with a locking read, which sees every
// committed booking whatever the transaction read before.
func (s *Service) slotFull(ctx context.Context, st model.Station, start time.Time, id uint64) (bool, error) {
	if st.SlotCapacity <= 0 {
		return false, nil
	}
	var n int64
	err := s.db.ForUpdate(ctx).Model(&model.Booking{}).
		Where("station_id = ? AND slot_start = ? AND status IN ? AND id <> ?", st.ID, start.UTC(), activeStatuses, id).Count(&n).Error
	return n >= int64(st.SlotCapacity), err
}

func (s *Service) tellStudent(ctx context.Context, b model.Booking, result, detail string) error {
	var st model.User
	if err := s.db.Conn(ctx).Take(&st, b.StudentID).Error; err != nil {
		return err
	}
	return s.notify.Send(ctx, alertkind.BookingReply, []model.User{st}, bookingPath(b.ID), map[string]string{
		"service": b.Service, "result": result, "detail": detail,
	})
}

// tellStation alerts the station of a change the student made: the admin
// who handled the booking, when they still may act on it; otherwise those
// who were alerted of the new booking (whoever was on duty when it came).
func (s *Service) tellStation(ctx context.Context, b model.Booking, result, detail string) error {
	var to []model.User
	if b.HandledBy != nil {
		var h model.User
		err := s.db.Conn(ctx).Take(&h, *b.HandledBy).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err == nil {
			a, err := s.access(ctx, h, b)
			if err != nil {
				return err
			}
			if a.Admin {
				to = []model.User{h}
			}
		}
	}
	if len(to) == 0 {
		var err error
		if to, err = s.onDutyAt(ctx, b.StationID, b.CreatedAt); err != nil {
			return err
		}
	}
	return s.notify.Send(ctx, alertkind.BookingChanged, to, bookingPath(b.ID), map[string]string{
		"service": b.Service, "result": result, "detail": detail,
	})
}

// SetPhone lets the student leave or change the contact phone of an
// active booking: a booking referred by a cadre starts without one, and
// the station has no other way to call the student. The station team
// (whoever handles it, or the on-duty admins if nobody has yet) is told.
func (s *Service) SetPhone(ctx context.Context, student model.User, id uint64, phone string) (model.Booking, error) {
	phone = strings.TrimSpace(phone)
	if !phoneRE.MatchString(phone) {
		return model.Booking{}, service.Invalid("bad_phone", "请填写 11 位中国大陆手机号，方便站点联系你", map[string]string{"phone": "请填写 11 位手机号"})
	}
	var b model.Booking
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if b, err = s.loadFor(ctx, student, id, studentOnly); err != nil {
			return err
		}
		if !slices.Contains(activeStatuses, b.Status) {
			return service.Conflict("bad_state", "预约当前状态为「"+StatusName(b.Status)+"」，不能修改联系电话", nil)
		}
		if b.ContactPhone == phone {
			return nil
		}
		if err := s.db.Conn(ctx).Model(&model.Booking{}).Where("id = ?", b.ID).
			Updates(map[string]any{"contact_phone": phone, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		b.ContactPhone = phone
		return s.tellStation(ctx, b, "留下电话", "请在预约详情中查看")
	})
	if err != nil {
		return model.Booking{}, service.Wrap("修改联系电话", err)
	}
	return b, nil
}

// loadFor reads booking id locked (inside a transaction) for u, and runs
// check (studentOnly, adminOnly, …) on it.
func (s *Service) loadFor(ctx context.Context, u model.User, id uint64, check func(ctx context.Context, b *model.Booking, a Access) error) (model.Booking, error) {
	b, a, err := s.load(ctx, u, id, true)
	if err != nil {
		return b, err
	}
	return b, check(ctx, &b, a)
}

// transition moves a booking the actor may act on from one of from to
// status `to` with extra updates; check runs on the loaded booking.
func (s *Service) transition(ctx context.Context, u model.User, id uint64, from []string, to string,
	check func(ctx context.Context, b *model.Booking, a Access) error, extra map[string]any, after func(ctx context.Context, b model.Booking) error) (model.Booking, error) {
	var b model.Booking
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if b, err = s.loadFor(ctx, u, id, check); err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || b.Status == f
		}
		if !ok {
			return service.Conflict("bad_state", "预约当前状态为「"+StatusName(b.Status)+"」，不能进行此操作", nil)
		}
		upd := map[string]any{"status": to, "updated_at": s.now()}
		for k, v := range extra {
			upd[k] = v
		}
		res := s.db.Conn(ctx).Model(&model.Booking{}).Where("id = ? AND status = ?", b.ID, b.Status).Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return service.Conflict("bad_state", "预约状态刚刚发生了变化，请刷新", nil)
		}
		b.Status = to
		if after != nil {
			return after(ctx, b)
		}
		return nil
	})
	return b, err
}

func studentOnly(_ context.Context, _ *model.Booking, a Access) error {
	if !a.Student {
		return service.Forbidden("not_yours", "只能操作自己的预约")
	}
	return nil
}

func adminOnly(_ context.Context, _ *model.Booking, a Access) error {
	if !a.Admin {
		return service.Forbidden("not_station_admin", "只有服务站管理员可以进行此操作")
	}
	if !a.Handle {
		return errOwnBooking
	}
	return nil
}

// Cancel cancels the student's booking before it is served.
func (s *Service) Cancel(ctx context.Context, student model.User, id uint64) (model.Booking, error) {
	b, err := s.transition(ctx, student, id, activeStatuses, model.BookingCancelled, studentOnly, nil,
		func(ctx context.Context, b model.Booking) error {
			detail := "原定 " + slotText(b)
			if b.ConfirmedAt == nil && b.SlotStart == nil {
				detail = "未指定时段"
			}
			return s.tellStation(ctx, b, "学生已取消", detail)
		})
	return b, service.Wrap("取消预约", err)
}

// AcceptProposal takes the time the station proposed. The booking then
// holds the proposed slot instead of the one first requested: slot_start
// and slot_end move with confirmed_at, so capacity (Book, Slots) counts it
// where it will take place. The proposed slot may have filled up since it
// was proposed, or the student may hold it with another booking; both are
// refused.
func (s *Service) AcceptProposal(ctx context.Context, student model.User, id uint64) (model.Booking, error) {
	// confirmed_at is set in the same update as the status, so an accepted
	// booking never lacks its time.
	extra := map[string]any{}
	b, err := s.transition(ctx, student, id, []string{model.BookingProposed}, model.BookingAccepted,
		func(ctx context.Context, b *model.Booking, a Access) error {
			if err := studentOnly(ctx, b, a); err != nil {
				return err
			}
			if b.ProposedAt == nil || !b.ProposedAt.After(s.now()) {
				return service.Conflict("proposal_expired", "建议的时间已过，请取消后重新预约", nil)
			}
			at := b.ProposedAt.UTC()
			start, end, err := s.moveSlot(ctx, *b, at, "建议的时段已约满，请取消后重新预约", "你已预约该时段，可在「我的预约」中查看")
			if err != nil {
				return err
			}
			extra["confirmed_at"], extra["slot_start"], extra["slot_end"] = at, start, end
			b.ConfirmedAt, b.SlotStart, b.SlotEnd = &at, start, end
			return nil
		}, extra,
		func(ctx context.Context, b model.Booking) error {
			detail := b.ProposedAt.In(clock.Beijing).Format("01-02 15:04")
			if b.Place != "" {
				detail += " " + b.Place
			}
			return s.tellStation(ctx, b, "接受新时间", detail)
		})
	if err != nil {
		return b, service.Wrap("接受新时间", err)
	}
	return b, nil
}

// started refuses to record how an accepted booking went (served, no-show)
// before its appointment starts: the confirmed time, or the requested slot
// if there were none. Respond and AcceptProposal set the confirmed time
// with the accepted status, so every accepted booking has one; a booking
// with neither time has no appointment to wait for and is not refused.
func (s *Service) started(b *model.Booking, what string) error {
	if b.Status != model.BookingAccepted {
		return nil // transition refuses the other states
	}
	start := b.ConfirmedAt
	if start == nil {
		start = b.SlotStart
	}
	if start != nil && s.now().Before(*start) {
		return service.Conflict("not_started", fmt.Sprintf("预约时间 %s 还没到，不能%s", start.In(clock.Beijing).Format("01-02 15:04"), what), nil)
	}
	return nil
}

// Serve records what was done, once the appointment has started; the
// student is asked to rate.
func (s *Service) Serve(ctx context.Context, admin model.User, id uint64, result string, followUp bool) (model.Booking, error) {
	result = service.CleanText(result)
	if result == "" {
		return model.Booking{}, service.Invalid("result_required", "请填写服务结果", map[string]string{"result": "请填写服务结果"})
	}
	if utf8.RuneCountInString(result) > MaxResult {
		msg := fmt.Sprintf("服务结果不能超过 %d 个字", MaxResult)
		return model.Booking{}, service.Invalid("too_long", msg, map[string]string{"result": msg})
	}
	b, err := s.transition(ctx, admin, id, []string{model.BookingAccepted}, model.BookingServed,
		func(ctx context.Context, b *model.Booking, a Access) error {
			if err := adminOnly(ctx, b, a); err != nil {
				return err
			}
			return s.started(b, "记录服务结果")
		},
		map[string]any{"result": result, "follow_up": followUp, "served_at": s.now()},
		func(ctx context.Context, b model.Booking) error {
			if err := recordBooking(ctx, s.db, admin, b, audit.ActionBookingServe, "记录服务结果"); err != nil {
				return err
			}
			var st model.User
			if err := s.db.Conn(ctx).Take(&st, b.StudentID).Error; err != nil {
				return err
			}
			return s.notify.Send(ctx, alertkind.BookingServed, []model.User{st}, bookingPath(b.ID), map[string]string{
				"service": b.Service, "result": result,
			})
		})
	return b, service.Wrap("记录服务结果", err)
}

// NoShow marks an accepted booking whose student did not come, once the
// appointment has started.
func (s *Service) NoShow(ctx context.Context, admin model.User, id uint64) (model.Booking, error) {
	b, err := s.transition(ctx, admin, id, []string{model.BookingAccepted}, model.BookingNoShow,
		func(ctx context.Context, b *model.Booking, a Access) error {
			if err := adminOnly(ctx, b, a); err != nil {
				return err
			}
			return s.started(b, "标记未到场")
		}, nil, func(ctx context.Context, b model.Booking) error {
			return recordBooking(ctx, s.db, admin, b, audit.ActionBookingNoShow, "标记学生未到场")
		})
	return b, service.Wrap("标记未到", err)
}

// Rate records the student's satisfaction with a served booking.
func (s *Service) Rate(ctx context.Context, student model.User, id uint64, stars int, comment string) (model.Booking, error) {
	if stars < 1 || stars > 5 {
		return model.Booking{}, service.Invalid("bad_rating", "请选择 1–5 星", map[string]string{"rating": "请选择 1–5 星"})
	}
	comment = strings.Join(strings.Fields(comment), " ")
	if utf8.RuneCountInString(comment) > MaxRatingComment {
		msg := fmt.Sprintf("评价不能超过 %d 个字", MaxRatingComment)
		return model.Booking{}, service.Invalid("too_long", msg, map[string]string{"comment": msg})
	}
	var b model.Booking
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var a Access
		var err error
		if b, a, err = s.load(ctx, student, id, true); err != nil {
			return err
		}
		if !a.Student {
			return service.Forbidden("not_yours", "只能评价自己的预约")
		}
		if b.Status != model.BookingServed {
			return service.Conflict("not_served", "服务完成后才能评价", nil)
		}
		if b.Rating != 0 {
			return service.Conflict("already_rated", "你已评价过这次服务", nil)
		}
		res := s.db.Conn(ctx).Model(&model.Booking{}).Where("id = ? AND rating = 0", b.ID).
			Updates(map[string]any{"rating": stars, "rating_comment": comment, "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return service.Conflict("already_rated", "你已评价过这次服务", nil)
		}
		b.Rating, b.RatingComment = stars, comment
		return nil
	})
	return b, service.Wrap("评价", err)
}

// Mine lists the student's bookings, newest first.
func (s *Service) Mine(ctx context.Context, student model.User) ([]BookingView, error) {
	var rows []model.Booking
	if err := s.db.Conn(ctx).Where("student_id = ?", student.ID).Order("created_at DESC").Order("id DESC").Limit(100).Find(&rows).Error; err != nil {
		return nil, service.Wrap("读取我的预约", err)
	}
	out, err := s.describeAll(ctx, rows, Access{Student: true})
	return out, service.Wrap("读取我的预约", err)
}

// queueListed is how many bookings Queue lists.
const queueListed = 200

// Queue lists the bookings of university uni's station for its admins:
// waiting for a response first (earliest deadline first), then the
// accepted and proposed ones (earliest appointment first), then the closed
// ones, newest first; at most queueListed in all.
func (s *Service) Queue(ctx context.Context, admin model.User, uni uint64) ([]BookingView, error) {
	st, err := s.stationOf(ctx, uni, false)
	if err != nil {
		return nil, service.Wrap("读取预约", err)
	}
	a, err := s.access(ctx, admin, model.Booking{StationID: st.ID, UniversityID: uni})
	if err != nil {
		return nil, service.Wrap("读取预约", err)
	}
	if !a.Admin {
		return nil, service.Forbidden("not_station_admin", "只有本站管理员可以查看预约")
	}
	var rows []model.Booking
	if err := s.db.Conn(ctx).Where("station_id = ?", st.ID).
		// Order ignores a gorm.Expr's arguments; the statuses are constants.
		Order("CASE WHEN status = '" + model.BookingSubmitted + "' THEN 0 WHEN status IN ('" + model.BookingAccepted + "', '" + model.BookingProposed + "') THEN 1 ELSE 2 END").
		Order("CASE WHEN status = '" + model.BookingSubmitted + "' THEN due_at END").
		Order("CASE WHEN status IN ('" + model.BookingAccepted + "', '" + model.BookingProposed + "') THEN COALESCE(confirmed_at, proposed_at, slot_start, due_at) END").
		Order("id DESC").Limit(queueListed).Find(&rows).Error; err != nil {
		return nil, service.Wrap("读取预约", err)
	}
	out, err := s.describeAll(ctx, rows, a)
	return out, service.Wrap("读取预约", err)
}

// MyStations lists the universities whose station u helps run (team
// member), for the admin entry of the home page.
func (s *Service) MyStations(ctx context.Context, u model.User) ([]model.Station, error) {
	var out []model.Station
	err := s.db.Conn(ctx).Where("id IN (?)", s.db.Conn(ctx).Model(&model.StationAdmin{}).Select("station_id").Where("user_id = ?", u.ID)).
		Order("id").Find(&out).Error
	return out, service.Wrap("读取我管理的服务站", err)
}

// StatusName is the Chinese name of a booking status.
func StatusName(status string) string {
	switch status {
	case model.BookingSubmitted:
		return "待回复"
	case model.BookingAccepted:
		return "已确认"
	case model.BookingDeclined:
		return "未能安排"
	case model.BookingProposed:
		return "建议改期"
	case model.BookingCancelled:
		return "已取消"
	case model.BookingServed:
		return "已服务"
	case model.BookingNoShow:
		return "未到场"
	}
	return status
}
