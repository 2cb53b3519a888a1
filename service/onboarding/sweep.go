package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Operating int // universities first seen operating normally
	Reminded  int // reminders of the 3rd working day enqueued
	Late      int // late alerts enqueued
}

// Sweep measures the launched universities not yet operating (at most
// the province's 166 onboarding rows; a university operating is never
// read again), records the day each first meets every item, and sends
// the reminder of the 3rd working day to the university admins and the
// late alert to the province admins, each once per university: the alert
// is enqueued in the transaction of a conditional UPDATE of reminded_at /
// late_alerted_at (… IS NULL), so several instances sweeping send it
// once.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var r SweepResult
	var rows []model.UniversityOnboarding
	if err := s.db.Conn(ctx).Where("operating_on IS NULL").Find(&rows).Error; err != nil {
		return r, service.Wrap("上线提醒", err)
	}
	if len(rows) == 0 {
		return r, nil
	}
	ids := make([]uint64, len(rows))
	for i, row := range rows {
		ids[i] = row.UniversityID
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Where("id IN ?", ids).Order("id").Find(&unis).Error; err != nil {
		return r, service.Wrap("上线提醒", err)
	}
	before := make(map[uint64]model.UniversityOnboarding, len(rows))
	for _, row := range rows {
		before[row.UniversityID] = row
	}
	sts, err := s.statuses(ctx, unis)
	if err != nil {
		return r, service.Wrap("上线提醒", err)
	}
	today := s.today().Format(time.DateOnly)
	var errs []error
	for _, st := range sts {
		row := before[st.University.ID]
		switch {
		case st.Status == StatusOperating:
			r.Operating++
		case st.Status == StatusInProgress && today >= st.RemindOn && row.RemindedAt == nil:
			sent, err := s.alertOnce(ctx, st, "reminded_at", func(ctx context.Context) error {
				admins, err := s.usersWith(ctx, &st.University.ID, model.RoleUniversityAdm)
				if err != nil {
					return err
				}
				return s.notify.Send(ctx, alertkind.OnboardingReminder, admins, "/h5/admin", alertData(st))
			})
			if sent {
				r.Reminded++
			}
			errs = append(errs, err)
		case st.Status == StatusLate && row.LateAlertedAt == nil:
			sent, err := s.alertOnce(ctx, st, "late_alerted_at", func(ctx context.Context) error {
				prov, err := s.usersWith(ctx, nil, model.RoleProvinceAdmin)
				if err != nil {
					return err
				}
				return s.notify.Send(ctx, alertkind.OnboardingLate, prov, "/h5/admin/onboarding/"+st.University.Code, alertData(st))
			})
			if sent {
				r.Late++
			}
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return r, service.Wrap("上线提醒", err)
	}
	return r, nil
}

// alertOnce claims column of st's row (still NULL, and the university
// still not operating) and runs send in the claiming transaction: if
// send fails, the claim rolls back and the next sweep tries again.
func (s *Service) alertOnce(ctx context.Context, st Status, column string, send func(context.Context) error) (bool, error) {
	claimed := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res := s.db.Conn(ctx).Model(&model.UniversityOnboarding{}).
			Where("university_id = ? AND operating_on IS NULL AND "+column+" IS NULL", st.University.ID).
			Update(column, s.clk.Now().UTC())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // claimed by another instance
		}
		if err := send(ctx); err != nil {
			return err
		}
		claimed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%s of %s: %w", column, st.University.Code, err)
	}
	return claimed, nil
}

// alertData fills the template: the school, what is missing, the due date.
func alertData(st Status) map[string]string {
	names := make([]string, len(st.Missing))
	for i, k := range st.Missing {
		names[i] = ShortName(k)
	}
	return map[string]string{"university": st.University.Name, "missing": strings.Join(names, "、"), "due": st.DueOn}
}

// usersWith lists the bound accounts holding role, of university uni (nil:
// any, for the province admins).
func (s *Service) usersWith(ctx context.Context, uni *uint64, role string) ([]model.User, error) {
	var us []model.User
	err := model.WithRoles(s.db.Conn(ctx).Where("openid IS NOT NULL"), uni, role).Order("id").Find(&us).Error
	return us, err
}

// RunTimers sweeps every interval until ctx is done.
func (s *Service) RunTimers(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "onboarding sweep failed for some universities; they are retried at the next sweep",
				"err", err, "operating", r.Operating, "reminders", r.Reminded, "late", r.Late)
		case r.Reminded+r.Late > 0:
			s.log.InfoContext(ctx, "onboarding alerts enqueued", "reminders", r.Reminded, "late", r.Late)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
