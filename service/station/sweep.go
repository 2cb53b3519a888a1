package station

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/notify"
)

const sweepBatch = 100

// SweepResult counts what one sweep enqueued.
type SweepResult struct {
	Reminded     int
	Escalated    int
	Appointments int
}

// Sweep sends the due booking reminders (45 minutes / 10 hours), the
// escalations of missed deadlines (to the lead and the university admin)
// and the reminders 2 hours before confirmed appointments. Each booking is
// claimed by a conditional UPDATE in the transaction that enqueues its
// alert, so several instances sweeping send each alert once.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var r SweepResult
	now := s.now()
	// A booking that cannot be alerted is logged and tried again next
	// time; it holds up neither the other bookings nor the other passes.
	var errRemind, errEscalate, errAppointment error
	r.Reminded, errRemind = s.sweep(ctx, "reminded_at", "status = ? AND remind_at <= ?", []any{model.BookingSubmitted, now}, "remind_at, id",
		func(ctx context.Context, b model.Booking) error {
			to, err := s.onDutyAt(ctx, b.StationID, s.clk.Now())
			if err != nil {
				return err
			}
			if !now.Before(b.DueAt) && s.notify.Configured(alertkind.BookingEscalated) {
				// Caught up after its deadline (no instance ran at the
				// reminder's time): the escalation of this same sweep
				// tells the lead and the university's admins, so they are
				// left out of the reminder rather than alerted twice.
				_, esc, err := s.escalationRecipients(ctx, b)
				if err != nil {
					return err
				}
				to = withoutUsers(to, esc)
			}
			return s.notify.Send(ctx, alertkind.BookingReminder, to, bookingPath(b.ID), map[string]string{
				"service": b.Service, "slot": slotText(b), "due": notify.Time(b.DueAt),
			})
		})
	r.Escalated, errEscalate = s.sweep(ctx, "escalated_at", "status = ? AND due_at <= ?", []any{model.BookingSubmitted, now}, "due_at, id",
		func(ctx context.Context, b model.Booking) error {
			st, to, err := s.escalationRecipients(ctx, b)
			if err != nil {
				return err
			}
			return s.notify.Send(ctx, alertkind.BookingEscalated, to, bookingPath(b.ID), map[string]string{
				"station": st.Name, "service": b.Service, "due": notify.Time(b.DueAt),
			})
		})
	r.Appointments, errAppointment = s.sweep(ctx, "appointment_reminded_at", "status = ? AND confirmed_at <= ? AND confirmed_at > ?",
		[]any{model.BookingAccepted, now.Add(appointmentAhead), now}, "confirmed_at, id",
		func(ctx context.Context, b model.Booking) error {
			var to []model.User
			if err := s.db.Conn(ctx).Where("id = ? OR id = ?", b.StudentID, derefID(b.HandledBy)).Order("id").Find(&to).Error; err != nil {
				return err
			}
			return s.notify.Send(ctx, alertkind.Appointment, to, bookingPath(b.ID), map[string]string{
				"service": b.Service, "time": notify.Time(*b.ConfirmedAt), "place": b.Place,
			})
		})
	return r, errors.Join(errRemind, errEscalate, errAppointment)
}

// escalationRecipients are the people a missed deadline is escalated to:
// the station's lead and the university's admins.
func (s *Service) escalationRecipients(ctx context.Context, b model.Booking) (model.Station, []model.User, error) {
	var st model.Station
	if err := s.db.Conn(ctx).Take(&st, b.StationID).Error; err != nil {
		return st, nil, err
	}
	var leads []model.User
	if err := s.db.Conn(ctx).Where("id IN (?)", s.db.Conn(ctx).Model(&model.StationAdmin{}).Select("user_id").
		Where("station_id = ? AND category = ?", st.ID, model.CategoryLead)).Find(&leads).Error; err != nil {
		return st, nil, err
	}
	admins, err := s.universityAdmins(ctx, b.UniversityID)
	if err != nil {
		return st, nil, err
	}
	// The university's liaison (联络专员) hears of it too.
	liaison, err := s.db.LiaisonUsers(ctx, b.UniversityID)
	if err != nil {
		return st, nil, err
	}
	return st, slices.Concat(leads, admins, liaison), nil
}

// withoutUsers is users less those in drop.
func withoutUsers(users, drop []model.User) []model.User {
	out := users[:0:0]
	for _, u := range users {
		if !slices.ContainsFunc(drop, func(d model.User) bool { return d.ID == u.ID }) {
			out = append(out, u)
		}
	}
	return out
}

func derefID(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// sweep claims bookings matching where whose column is unset and runs
// alert for each in the claiming transaction. order is that of the index
// each pass reads, (status, column, time): ordered by id instead, MariaDB
// walked the primary key through every booking ever made.
func (s *Service) sweep(ctx context.Context, column, where string, args []any, order string, alert func(context.Context, model.Booking) error) (int, error) {
	n, err := model.ClaimEach(ctx, s.db, model.Claim{Column: column, Where: where, Args: args, Order: order, Limit: sweepBatch},
		s.now, func(b model.Booking) uint64 { return b.ID }, alert)
	if err != nil {
		return n, service.Wrap("发送预约提醒", err)
	}
	return n, nil
}

// RunTimers sweeps every interval until ctx is done.
func (s *Service) RunTimers(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "booking reminder sweep failed for some bookings; they are retried at the next sweep",
				"err", err, "reminders", r.Reminded, "escalations", r.Escalated, "appointments", r.Appointments)
		case r.Reminded+r.Escalated+r.Appointments > 0:
			s.log.InfoContext(ctx, "booking reminders enqueued", "reminders", r.Reminded, "escalations", r.Escalated, "appointments", r.Appointments)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
