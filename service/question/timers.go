package question

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

// timerBatch bounds one sweep.
const timerBatch = 100

// Sweep sends the 20-hour reminders and the overdue alerts that are due.
// Each question is claimed by a conditional UPDATE (reminded_at / overdue_at
// IS NULL) in the transaction that enqueues its alert, so with several
// instances sweeping, each alert is enqueued exactly once, and a sweep
// missed while no instance ran happens at the next start.
func (s *Service) Sweep(ctx context.Context) (reminded, overdue int, err error) {
	now := s.now()
	reminded, errRemind := s.sweep(ctx, "reminded_at", now.Add(AnswerWithin-RemindAfter), func(ctx context.Context, q model.Question) error {
		roles := []string{model.RoleCadre, model.RoleUniversityAdm}
		if !now.Before(q.DueAt) {
			// Caught up after its deadline (no instance ran at the 20-hour
			// mark): the overdue alert of this same sweep tells the
			// university's admins, so the reminder goes to the cadres
			// alone rather than giving the admins two alerts at once.
			roles = roles[:1]
		}
		to, err := s.usersWith(ctx, &q.UniversityID, roles...)
		if err != nil {
			return err
		}
		b, err := s.boardOf(ctx, q)
		if err != nil {
			return err
		}
		return s.notify.Send(ctx, alertkind.Reminder, to, questionPath(q.ID), map[string]string{
			"title": q.Title, "board": b.Name, "due": notify.Time(q.DueAt),
		})
	})
	// Overdue means due_at < now, as in OverdueFor and the pages.
	overdue, errOverdue := s.sweep(ctx, "overdue_at", now.Add(-time.Second), func(ctx context.Context, q model.Question) error {
		admins, err := s.usersWith(ctx, &q.UniversityID, model.RoleUniversityAdm)
		if err != nil {
			return err
		}
		prov, err := s.usersWith(ctx, nil, model.RoleProvinceAdmin)
		if err != nil {
			return err
		}
		// The university's liaison (联络专员) hears of it too.
		liaison, err := s.db.LiaisonUsers(ctx, q.UniversityID)
		if err != nil {
			return err
		}
		var uni model.University
		if err := s.db.Conn(ctx).Select("id", "name").Take(&uni, q.UniversityID).Error; err != nil {
			return err
		}
		return s.notify.Send(ctx, alertkind.Overdue, slices.Concat(admins, liaison, prov), questionPath(q.ID), map[string]string{
			"title": q.Title, "university": uni.Name, "due": notify.Time(q.DueAt),
		})
	})
	// A question that cannot be alerted is logged and tried again next
	// time; it holds up neither the other questions nor the other pass.
	return reminded, overdue, errors.Join(errRemind, errOverdue)
}

// sweep claims open questions due before cutoff whose column is unset and
// runs alert for each in the claiming transaction.
func (s *Service) sweep(ctx context.Context, column string, cutoff time.Time, alert func(context.Context, model.Question) error) (int, error) {
	n, err := model.ClaimEach(ctx, s.db, model.Claim{
		Column: column, Where: "status = ? AND due_at <= ?", Args: []any{model.QuestionOpen, cutoff},
		Order: "due_at, id", Limit: timerBatch, // the order of (status, column, due_at)
	}, s.now, func(q model.Question) uint64 { return q.ID }, alert)
	if err != nil {
		return n, service.Wrap("发送超时提醒", err)
	}
	return n, nil
}

// RunTimers sweeps every interval until ctx is done.
func (s *Service) RunTimers(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, o, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "question reminder sweep failed for some questions; they are retried at the next sweep",
				"err", err, "reminders", r, "overdue", o)
		case r+o > 0:
			s.log.InfoContext(ctx, "question reminders enqueued", "reminders", r, "overdue", o)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
