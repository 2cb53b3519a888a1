package station

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
)

// Booking limits (the field limits are in limits.go).
const (
	BookAheadDays    = 14
	maxOpenBookings  = 5 // per student, not yet served or closed
	appointmentAhead = 2 * time.Hour
)

// BookInput is a student's booking.
type BookInput struct {
	Service     string
	SlotStart   *time.Time // nil: any time, contact me
	Phone       string
	Description string
}

func bookingPath(id uint64) string { return "/h5/bookings/" + strconv.FormatUint(id, 10) }

// slotText describes a booking's time for an alert.
func slotText(b model.Booking) string {
	switch {
	case b.ConfirmedAt != nil:
		return b.ConfirmedAt.In(clock.Beijing).Format("01-02 15:04")
	case b.SlotStart != nil:
		return b.SlotStart.In(clock.Beijing).Format("01-02 15:04") + " 起"
	}
	return "任意时间，请联系我"
}

// Slots lists the bookable slots of university uni's station for the
// next BookAheadDays days, with how many places are left (-1: no limit).
type SlotView struct {
	Slot
	Left int `json:"left"`
}

// Slots lists the open slots of a station.
func (s *Service) Slots(ctx context.Context, uni uint64) ([]SlotView, error) {
	st, err := s.stationOf(ctx, uni, false)
	if err != nil {
		return nil, service.Wrap("读取可预约时段", err)
	}
	cal, err := ParseCalendar(st.Hours, st.ClosedDates)
	if err != nil {
		return nil, service.Wrap("读取可预约时段", err)
	}
	slots := cal.Slots(s.clk.Now(), BookAheadDays, st.SlotMinutes)
	out := make([]SlotView, 0, len(slots))
	taken := map[int64]int{}
	if st.SlotCapacity > 0 && len(slots) > 0 {
		var rows []model.Booking
		if err := s.db.Conn(ctx).Select("slot_start").
			Where("station_id = ? AND status IN ? AND slot_start >= ?", st.ID, activeStatuses, slots[0].Start.UTC()).
			Find(&rows).Error; err != nil {
			return nil, service.Wrap("读取可预约时段", err)
		}
		for _, r := range rows {
			if r.SlotStart != nil {
				taken[r.SlotStart.Unix()]++
			}
		}
	}
	for _, sl := range slots {
		left := -1
		if st.SlotCapacity > 0 {
			left = max(st.SlotCapacity-taken[sl.Start.Unix()], 0)
		}
		out = append(out, SlotView{Slot: sl, Left: left})
	}
	return out, nil
}

// activeStatuses hold a slot.
var activeStatuses = []string{model.BookingSubmitted, model.BookingAccepted, model.BookingProposed}

// Book files a booking at the student's university station. Its first-
// response deadline comes from the station's calendar now; the admins on
// duty are alerted at once.
func (s *Service) Book(ctx context.Context, student model.User, in BookInput) (model.Booking, error) {
	if student.UniversityID == nil {
		return model.Booking{}, service.Forbidden("no_university", "请先完成激活并选择学校，再预约")
	}
	in.Phone = strings.TrimSpace(in.Phone)
	in.Description = service.CleanText(in.Description)
	// Every field's problem at once, so the form lists them all.
	fields, code := map[string]string{}, ""
	if !phoneRE.MatchString(in.Phone) {
		fields["phone"], code = "请填写 11 位手机号", "bad_phone"
	}
	if n := utf8.RuneCountInString(in.Description); n > MaxDescription {
		fields["description"], code = fmt.Sprintf("需求描述不能超过 %d 个字（当前 %d 个字）", MaxDescription, n), "too_long"
	}
	switch {
	case len(fields) > 1:
		code = "invalid_input"
	case code == "bad_phone":
		return model.Booking{}, service.Invalid(code, "请填写 11 位中国大陆手机号，方便站点联系你", fields)
	}
	if err := service.InvalidFields(code, fields, "phone", "description"); err != nil {
		return model.Booking{}, err
	}
	var b model.Booking
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The station row lock (MySQL) / the single connection (SQLite)
		// serialises bookings of one station, so a slot never overfills.
		st, err := s.stationOf(ctx, *student.UniversityID, true)
		if err != nil {
			return err
		}
		v, err := s.view(ctx, st)
		if err != nil {
			return err
		}
		if !slices.Contains(v.Services, in.Service) {
			return service.Invalid("bad_service", "本站不提供该服务，请重新选择", map[string]string{"service": "请选择服务项目"})
		}
		now := s.now()
		if in.SlotStart != nil {
			start := in.SlotStart.UTC()
			if !start.After(now) || start.After(now.Add(BookAheadDays*24*time.Hour)) {
				return service.Invalid("bad_slot", fmt.Sprintf("请选择今后 %d 天内的时段", BookAheadDays), map[string]string{"slot": "时段无效"})
			}
			if !v.Calendar.IsSlot(start, st.SlotMinutes) {
				return service.Invalid("bad_slot", "所选时段不在服务站工作时间内，请重新选择", map[string]string{"slot": "时段无效"})
			}
			// A double submit (or going back and submitting again) must not
			// take a second place in the same slot.
			var mine int64
			if err := s.db.Conn(ctx).Model(&model.Booking{}).
				Where("station_id = ? AND student_id = ? AND slot_start = ? AND status IN ?", st.ID, student.ID, start, activeStatuses).
				Count(&mine).Error; err != nil {
				return err
			}
			if mine > 0 {
				return service.Conflict("already_booked", "你已预约该时段，可在「我的预约」中查看", map[string]string{"slot": "你已预约该时段"})
			}
			if st.SlotCapacity > 0 {
				var n int64
				if err := s.db.Conn(ctx).Model(&model.Booking{}).
					Where("station_id = ? AND slot_start = ? AND status IN ?", st.ID, start, activeStatuses).Count(&n).Error; err != nil {
					return err
				}
				if n >= int64(st.SlotCapacity) {
					return service.Conflict("slot_full", "该时段已约满，请选择其他时段", map[string]string{"slot": "该时段已约满"})
				}
			}
			end := start.Add(time.Duration(st.SlotMinutes) * time.Minute)
			b.SlotStart, b.SlotEnd = &start, &end
		}
		var open int64
		if err := s.db.Conn(ctx).Model(&model.Booking{}).
			Where("student_id = ? AND status IN ?", student.ID, activeStatuses).Count(&open).Error; err != nil {
			return err
		}
		if open >= maxOpenBookings {
			return service.TooMany("too_many_bookings", fmt.Sprintf("你已有 %d 个未完成的预约，请先完成或取消后再预约", open))
		}
		due, in2 := v.Calendar.Deadline(now)
		b.StationID, b.UniversityID, b.StudentID, b.Service = st.ID, st.UniversityID, student.ID, in.Service
		b.ContactPhone, b.Description, b.Status = in.Phone, in.Description, model.BookingSubmitted
		b.InHours, b.DueAt, b.RemindAt = in2, due.UTC(), RemindAt(now, due).UTC()
		b.CreatedAt, b.UpdatedAt = now, now
		if err := s.db.Conn(ctx).Create(&b).Error; err != nil {
			return err
		}
		return s.alertNew(ctx, st, v.Calendar, b)
	})
	if err != nil {
		return model.Booking{}, service.Wrap("预约", err)
	}
	return b, nil
}

// team lists a station's members as users.
func (s *Service) team(ctx context.Context, stationID uint64) ([]model.StationAdmin, []model.User, error) {
	var rows []model.StationAdmin
	if err := s.db.Conn(ctx).Where("station_id = ?", stationID).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	ids := make([]uint64, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	var users []model.User
	if len(ids) > 0 {
		if err := s.db.Conn(ctx).Where("id IN ?", ids).Order("id").Find(&users).Error; err != nil {
			return nil, nil, err
		}
	}
	return rows, users, nil
}

// onDuty is who is alerted of a booking at station st at t: the members
// on duty that weekday while the station is open; every member when it is
// closed or nobody is on duty. Only members bound to WeChat count (alerts
// reach nobody else); when the station has no such member — no team yet,
// or nobody bound — the university's admins are alerted instead (the
// province admins when it has none either), so a booking is not left
// unnoticed until its escalation.
func (s *Service) onDuty(ctx context.Context, st model.Station, cal Calendar, t time.Time) ([]model.User, error) {
	rows, users, err := s.team(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	users = slices.DeleteFunc(users, func(u model.User) bool { return u.OpenID == nil || *u.OpenID == "" })
	if len(users) == 0 {
		return s.universityAdmins(ctx, st.UniversityID)
	}
	if !cal.OpenAt(t) {
		return users, nil
	}
	day := t.In(clock.Beijing).Weekday()
	duty := map[uint64]bool{}
	for _, r := range rows {
		if OnDuty(r.DutyDays, day) {
			duty[r.UserID] = true
		}
	}
	var out []model.User
	for _, u := range users {
		if duty[u.ID] {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return users, nil
	}
	return out, nil
}

// universityAdmins are the admins (团委管理员) of university uni bound to
// WeChat; when it has none, the province admins, so that an alert about
// one of its bookings reaches somebody who can act (and appoint a team).
func (s *Service) universityAdmins(ctx context.Context, uni uint64) ([]model.User, error) {
	bound := "openid IS NOT NULL AND openid <> ''"
	var admins []model.User
	if err := model.WithRoles(s.db.Conn(ctx), &uni, model.RoleUniversityAdm).Where(bound).
		Order("id").Find(&admins).Error; err != nil {
		return nil, err
	}
	if len(admins) > 0 {
		return admins, nil
	}
	err := model.WithRoles(s.db.Conn(ctx), nil, model.RoleProvinceAdmin).Where(bound).Order("id").Find(&admins).Error
	return admins, err
}

// onDutyAt is onDuty for a station read by id.
func (s *Service) onDutyAt(ctx context.Context, stationID uint64, t time.Time) ([]model.User, error) {
	var st model.Station
	if err := s.db.Conn(ctx).Take(&st, stationID).Error; err != nil {
		return nil, err
	}
	cal, err := ParseCalendar(st.Hours, st.ClosedDates)
	if err != nil {
		return nil, err
	}
	return s.onDuty(ctx, st, cal, t)
}

func (s *Service) alertNew(ctx context.Context, st model.Station, cal Calendar, b model.Booking) error {
	to, err := s.onDuty(ctx, st, cal, b.CreatedAt)
	if err != nil {
		return err
	}
	return s.notify.Send(ctx, alertkind.BookingNew, to, bookingPath(b.ID), map[string]string{
		"service": b.Service, "slot": slotText(b), "due": notify.Time(b.DueAt),
	})
}

// Refer turns a question into a booking at the asker's university station
// (转介), on the student's behalf; the student is told.
func (s *Service) Refer(ctx context.Context, cadre model.User, questionID uint64, serviceName, note string) (model.Booking, error) {
	if !cadre.HasAny(model.RoleCadre, model.RoleUniversityAdm, model.RoleProvinceAdmin) {
		return model.Booking{}, service.Forbidden("not_cadre", "只有团学干部可以转介")
	}
	note = service.CleanText(note)
	if utf8.RuneCountInString(note) > MaxReferNote {
		msg := fmt.Sprintf("说明不能超过 %d 个字", MaxReferNote)
		return model.Booking{}, service.Invalid("too_long", msg, map[string]string{"note": msg})
	}
	var b model.Booking
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locking the question (MySQL) serialises referrals of it, so the
		// duplicate check below sees a concurrent referral.
		var q model.Question
		err := s.db.ForUpdate(ctx).Take(&q, questionID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("question_not_found", "问题不存在")
		}
		if err != nil {
			return err
		}
		if !cadre.Has(model.RoleProvinceAdmin) && (cadre.UniversityID == nil || *cadre.UniversityID != q.UniversityID) {
			return service.Forbidden("other_university", "只能把本校学生的问题转介到本校青年之家")
		}
		if q.Status == model.QuestionHidden || q.Status == model.QuestionReview {
			return service.Conflict("question_unavailable", "该问题已隐藏或正在审核，不能转介", nil)
		}
		var dup int64
		if err := s.db.Conn(ctx).Model(&model.Booking{}).Where("question_id = ? AND status IN ?", q.ID, activeStatuses).Count(&dup).Error; err != nil {
			return err
		}
		if dup > 0 {
			return service.Conflict("already_referred", "该问题已转介，正在等待服务站处理", nil)
		}
		st, err := s.stationOf(ctx, q.UniversityID, true)
		if err != nil {
			return err
		}
		v, err := s.view(ctx, st)
		if err != nil {
			return err
		}
		if !slices.Contains(v.Services, serviceName) {
			return service.Invalid("bad_service", "本校服务站不提供该服务", map[string]string{"service": "请选择服务项目"})
		}
		var asker model.User
		if err := s.db.Conn(ctx).Take(&asker, q.AskerID).Error; err != nil {
			return err
		}
		now := s.now()
		due, in := v.Calendar.Deadline(now)
		desc := "【转介自提问】" + q.Title
		if note != "" {
			desc += "\n" + note
		}
		if utf8.RuneCountInString(desc) > maxReferralDescription {
			desc = string([]rune(desc)[:maxReferralDescription])
		}
		b = model.Booking{StationID: st.ID, UniversityID: st.UniversityID, StudentID: q.AskerID, Service: serviceName,
			Description: desc, QuestionID: &q.ID, ReferredBy: &cadre.ID, Status: model.BookingSubmitted,
			InHours: in, DueAt: due.UTC(), RemindAt: RemindAt(now, due).UTC(), CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&b).Error; err != nil {
			return err
		}
		if err := recordBooking(ctx, s.db, cadre, b, audit.ActionBookingRefer, "转介问题「"+q.Title+"」到服务站（"+serviceName+"）"); err != nil {
			return err
		}
		if err := s.alertNew(ctx, st, v.Calendar, b); err != nil {
			return err
		}
		return s.notify.Send(ctx, alertkind.BookingReferral, []model.User{asker}, bookingPath(b.ID), map[string]string{
			"title": q.Title, "service": serviceName, "station": st.Name,
		})
	})
	if err != nil {
		return model.Booking{}, service.Wrap("转介", err)
	}
	return b, nil
}
