package stats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gdyouth/youthvoice/model"
)

// Each query below is one statement grouped by university over the
// whole province, or restricted to one university when scope is not 0
// ("? = 0 OR university_id = ?" keeps the statements constant). The SQL
// is the subset SQLite and MySQL/MariaDB share; periods are computed in
// Go and passed as UTC times.

const usersSQL = `SELECT university_id,
  SUM(CASE WHEN created_at < ? THEN 1 ELSE 0 END) AS users,
  SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END) AS new_users,
  SUM(CASE WHEN roles = 0 AND activated_at IS NOT NULL AND activated_at < ? THEN 1 ELSE 0 END) AS activated,
  SUM(CASE WHEN openid IS NOT NULL AND created_at < ? THEN 1 ELSE 0 END) AS bound,
  SUM(CASE WHEN roles & ? <> 0 AND created_at < ? THEN 1 ELSE 0 END) AS cadres
FROM users
WHERE university_id IS NOT NULL AND (? = 0 OR university_id = ?)
GROUP BY university_id`

// activitySQL counts, per university, the distinct accounts that did
// anything in the period (active) and the WeChat pushes of its bound
// accounts (interactions). Only the period's users count: an account
// registered after the period ends is not among its registered users, so
// its owner's earlier pushes (following, tapping the menu before
// activating) would push the active rate past 100%. One pass over the
// period's interactions:
// they are grouped by openid before meeting users, so each WeChat user is
// looked up once, not once per push. The days whose raw interactions
// were purged (see purge.go) are read from their per-openid counts.
const activitySQL = `SELECT u.university_id AS university_id, COUNT(*) AS active, SUM(x.n) AS interactions
FROM (
  SELECT user_id, SUM(n) AS n FROM (
    SELECT bu.id AS user_id, g.n AS n
      FROM (SELECT openid, COUNT(*) AS n FROM interactions WHERE created_at >= ? AND created_at < ? GROUP BY openid
        UNION ALL SELECT openid, n FROM stats_openid_days WHERE day >= ? AND day < ?) g
      JOIN users bu ON bu.openid = g.openid
    UNION ALL SELECT asker_id, 0 FROM questions WHERE created_at >= ? AND created_at < ?
    UNION ALL SELECT author_id, 0 FROM answers WHERE created_at >= ? AND created_at < ?
    UNION ALL SELECT student_id, 0 FROM bookings WHERE created_at >= ? AND created_at < ?
    UNION ALL SELECT handled_by, 0 FROM bookings WHERE handled_by IS NOT NULL AND first_response_at >= ? AND first_response_at < ?
  ) y GROUP BY user_id
) x JOIN users u ON u.id = x.user_id
WHERE u.university_id IS NOT NULL AND u.created_at < ? AND (? = 0 OR u.university_id = ?)
GROUP BY u.university_id`

// questionFigures are the question figures of a group of questions (the
// plain report and the day roll-ups share them, and so the definitions).
const questionFigures = `
  COUNT(*) AS questions,
  SUM(CASE WHEN first_answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
  SUM(CASE WHEN promise_kept = ? THEN 1 ELSE 0 END) AS on_time,
  SUM(CASE WHEN promise_kept = ? OR (first_answered_at IS NULL AND status = ? AND due_at < ?) THEN 1 ELSE 0 END) AS late,
  COALESCE(SUM(CASE WHEN first_answered_at IS NOT NULL THEN first_response_seconds ELSE 0 END), 0) AS first_response_seconds,
  SUM(CASE WHEN rating = ? THEN 1 ELSE 0 END) AS rated_good,
  SUM(CASE WHEN rating = ? THEN 1 ELSE 0 END) AS rated_fair,
  SUM(CASE WHEN rating = ? THEN 1 ELSE 0 END) AS rated_bad
`

const questionsSQL = `SELECT university_id,` + questionFigures + `FROM questions
WHERE created_at >= ? AND created_at < ? AND status <> ? AND rejected_at IS NULL AND (? = 0 OR university_id = ?)
GROUP BY university_id`

const overdueSQL = `SELECT university_id, COUNT(*) AS overdue_now
FROM questions
WHERE status = ? AND due_at < ? AND (? = 0 OR university_id = ?)
GROUP BY university_id`

const answersSQL = `SELECT u.university_id AS university_id, COUNT(*) AS cadre_answers, COUNT(DISTINCT a.author_id) AS answering_cadres
FROM answers a JOIN users u ON u.id = a.author_id
WHERE a.kind = ? AND a.status = ? AND a.created_at >= ? AND a.created_at < ?
  AND u.university_id IS NOT NULL AND (? = 0 OR u.university_id = ?)
GROUP BY u.university_id`

// bookingFigures are the booking figures of a group of bookings (shared
// like questionFigures).
const bookingFigures = `
  COUNT(*) AS bookings,
  SUM(CASE WHEN first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS bookings_responded,
  SUM(CASE WHEN promise_kept = ? THEN 1 ELSE 0 END) AS bookings_on_time,
  SUM(CASE WHEN promise_kept = ? OR (first_response_at IS NULL AND status = ? AND due_at < ?) THEN 1 ELSE 0 END) AS bookings_late,
  SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS served,
  SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS no_show,
  SUM(CASE WHEN rating > 0 THEN 1 ELSE 0 END) AS service_rated,
  COALESCE(SUM(rating), 0) AS service_stars,
  SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS service_satisfied
`

const bookingsSQL = `SELECT university_id,` + bookingFigures + `FROM bookings
WHERE created_at >= ? AND created_at < ? AND (? = 0 OR university_id = ?)
GROUP BY university_id`

// qrFigures are the promotion funnel of a group of qr_follows f joined
// to the account their WeChat is bound to now (u): the follows, those
// bound to an activated account, and those whose account has asked a
// question that was published (the plain report and the day roll-ups
// share them). An attribution is made once; the activation and the
// question come later, so the roll-up recomputes the day of the follow
// when the account or its question changes (rollup.go).
const qrFigures = `
  COUNT(*) AS qr_follows,
  SUM(CASE WHEN u.activated_at IS NOT NULL THEN 1 ELSE 0 END) AS qr_activations,
  SUM(CASE WHEN u.id IS NOT NULL AND EXISTS (SELECT 1 FROM questions q
    WHERE q.asker_id = u.id AND q.status <> ? AND q.rejected_at IS NULL) THEN 1 ELSE 0 END) AS qr_askers
`

const qrSQL = `SELECT f.university_id AS university_id,` + qrFigures + `FROM qr_follows f LEFT JOIN users u ON u.openid = f.openid
WHERE f.followed_at >= ? AND f.followed_at < ? AND (? = 0 OR f.university_id = ?)
GROUP BY f.university_id`

// counts is a row of any of the queries; the columns a query lacks stay 0.
type counts struct {
	UniversityID uint64
	Row
}

// collect returns one row per university in scope (0: all), in code
// order, zeros included, and the time the figures are exact as of: from
// the roll-ups once they are built (see rollup.go), from the base tables
// until then.
func (s *Service) collect(ctx context.Context, scope uint64, p Period, now time.Time) ([]Row, time.Time, error) {
	built, err := s.stateTimeOn(s.db.Reports(ctx), stateBuilt)
	if err != nil {
		return nil, now, err
	}
	if built == nil {
		rows, err := s.collectPlain(ctx, scope, p, now)
		return rows, now, err
	}
	asOf, err := s.stateTimeOn(s.db.Reports(ctx), stateScanned)
	if err != nil || asOf == nil {
		return nil, now, errors.Join(err, errors.New("roll-ups built but never scanned"))
	}
	rows, err := s.collectRolled(ctx, scope, p, now)
	return rows, *asOf, err
}

// universities returns one empty row per university in scope, in code
// order, and where each one's row is.
func (s *Service) universities(ctx context.Context, scope uint64) ([]Row, map[uint64]int, error) {
	var unis []model.University
	q := s.db.Reports(ctx).Order("code")
	if scope != 0 {
		q = q.Where("id = ?", scope)
	}
	if err := q.Find(&unis).Error; err != nil {
		return nil, nil, err
	}
	rows := make([]Row, len(unis))
	at := make(map[uint64]int, len(unis))
	for i, u := range unis {
		rows[i].University = &UniversityRef{ID: u.ID, Code: u.Code, Name: u.Name, City: u.City,
			Level: u.Level, Ownership: u.Ownership, Batch: u.Batch}
		at[u.ID] = i
	}
	return rows, at, nil
}

// totalsSQL adds up every day of stats_daily before the period's end (the
// running totals: registered, activated …) and every day at all (the
// questions overdue now, whenever asked).
const totalsSQL = `SELECT university_id,
  SUM(CASE WHEN day < ? THEN new_users ELSE 0 END) AS users,
  SUM(CASE WHEN day < ? THEN activated_new ELSE 0 END) AS activated,
  SUM(CASE WHEN day < ? THEN bound_new ELSE 0 END) AS bound,
  SUM(CASE WHEN day < ? THEN cadres_new ELSE 0 END) AS cadres,
  SUM(open_overdue) AS overdue_now
FROM stats_daily%s
GROUP BY university_id`

// sumSQL adds up the period's days of stats_daily.
const sumSQL = `SELECT university_id,
  SUM(new_users) AS new_users,
  SUM(%s) AS interactions,
  SUM(questions) AS questions,
  SUM(answered) AS answered,
  SUM(on_time) AS on_time,
  SUM(late) AS late,
  SUM(first_response_seconds) AS first_response_seconds,
  SUM(rated_good) AS rated_good,
  SUM(rated_fair) AS rated_fair,
  SUM(rated_bad) AS rated_bad,
  SUM(cadre_answers) AS cadre_answers,
  SUM(bookings) AS bookings,
  SUM(bookings_responded) AS bookings_responded,
  SUM(bookings_on_time) AS bookings_on_time,
  SUM(bookings_late) AS bookings_late,
  SUM(served) AS served,
  SUM(no_show) AS no_show,
  SUM(service_rated) AS service_rated,
  SUM(service_stars) AS service_stars,
  SUM(service_satisfied) AS service_satisfied,
  SUM(qr_follows) AS qr_follows,
  SUM(qr_activations) AS qr_activations,
  SUM(qr_askers) AS qr_askers
FROM stats_daily WHERE day >= ? AND day < ?%s
GROUP BY university_id`

// A period that reaches today: the active (answering) accounts are those
// whose last active (answering) day is in it.
const lastDaysSQL = `SELECT university_id, SUM(active) AS active, SUM(answering) AS answering_cadres
FROM stats_last_days WHERE day >= ?%s GROUP BY university_id`

// An earlier period: its accounts are counted by their first row in it,
// the one whose previous day is before it; its pushes only those of the
// accounts registered by its end (see activitySQL).
const periodUsersSQL = `SELECT university_id,
  SUM(CASE WHEN user_created_at < ? AND (prev_day IS NULL OR prev_day < ?) THEN 1 ELSE 0 END) AS active,
  COALESCE(SUM(CASE WHEN user_created_at < ? THEN pushes ELSE 0 END), 0) AS interactions,
  SUM(CASE WHEN answers > 0 AND (prev_answer_day IS NULL OR prev_answer_day < ?) THEN 1 ELSE 0 END) AS answering_cadres
FROM stats_user_days WHERE day >= ? AND day < ?%s
GROUP BY university_id`

// collectRolled is collect from the roll-ups.
func (s *Service) collectRolled(ctx context.Context, scope uint64, p Period, now time.Time) ([]Row, error) {
	rows, at, err := s.universities(ctx, scope)
	if err != nil {
		return nil, err
	}
	from, to := dayNum(p.Start), dayNum(p.End)
	f, fa := "", []any{}
	if scope != 0 {
		f, fa = " AND university_id = ?", []any{scope}
	}
	reachesToday := to > dayNum(now)
	pushes := "0"
	if reachesToday {
		pushes = "interactions"
	}
	where := ""
	if scope != 0 {
		where = " WHERE university_id = ?"
	}
	type query struct {
		sql  string
		args []any
	}
	queries := []query{
		{fmt.Sprintf(totalsSQL, where), append([]any{to, to, to, to}, fa...)},
		{fmt.Sprintf(sumSQL, pushes, f), append([]any{from, to}, fa...)},
	}
	if reachesToday {
		queries = append(queries, query{fmt.Sprintf(lastDaysSQL, f), append([]any{from}, fa...)})
	} else {
		queries = append(queries, query{fmt.Sprintf(periodUsersSQL, f), append([]any{p.End, from, p.End, from, from, to}, fa...)})
	}
	for _, qq := range queries {
		var got []counts
		if err := s.db.Reports(ctx).Raw(qq.sql, qq.args...).Scan(&got).Error; err != nil {
			return nil, err
		}
		for _, c := range got {
			if i, ok := at[c.UniversityID]; ok {
				rows[i].add(c.Row)
			}
		}
	}
	return rows, nil
}

// collectPlain computes the figures straight from the base tables: the
// definition the roll-ups must match (the tests compare the two), and
// the path until the roll-ups are first built.
func (s *Service) collectPlain(ctx context.Context, scope uint64, p Period, now time.Time) ([]Row, error) {
	rows, at, err := s.universities(ctx, scope)
	if err != nil {
		return nil, err
	}
	start, end := p.Start, p.End
	// Pushes: the raw interactions from the purge watermark on, the
	// counts kept in stats_openid_days before it.
	pushStart, keptFrom, keptTo := start, dayNum(start), dayNum(start)
	pDay, purged, err := s.purgedDay(ctx)
	if err != nil {
		return nil, err
	}
	if purged != nil && purged.After(start) {
		pushStart = *purged
		keptTo = min(pDay, dayNum(end))
	}
	queries := []struct {
		sql  string
		args []any
	}{
		{usersSQL, []any{end, start, end, end, end, model.RoleBit(model.RoleCadre), end}},
		{activitySQL, []any{pushStart, end, keptFrom, keptTo, start, end, start, end, start, end, start, end, end}},
		{questionsSQL, []any{true, false, model.QuestionOpen, now, "满意", "一般", "不满意", start, end, model.QuestionReview}},
		{overdueSQL, []any{model.QuestionOpen, now}},
		{answersSQL, []any{model.AnswerKindAnswer, model.AnswerPublished, start, end}},
		{bookingsSQL, []any{true, false, model.BookingSubmitted, now, model.BookingServed, model.BookingNoShow, start, end}},
		{qrSQL, []any{model.QuestionReview, start, end}},
	}
	for _, qq := range queries {
		var got []counts
		args := append(qq.args, scope, scope)
		if err := s.db.Reports(ctx).Raw(qq.sql, args...).Scan(&got).Error; err != nil {
			return nil, err
		}
		for _, c := range got {
			if i, ok := at[c.UniversityID]; ok {
				rows[i].add(c.Row)
			}
		}
	}
	return rows, nil
}
