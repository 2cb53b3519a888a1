package stats

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
)

// The roll-ups (migration 10) make a report a sum of small rows instead
// of scans over a year of questions, answers and pushes:
//
//   - stats_daily: a university's additive figures of one Beijing day;
//   - stats_user_days: who was active on a day, for the distinct counts
//     of a period that does not end today;
//   - stats_user_last: each account's last active and answering day, for
//     those of a period ending today (every period the page offers);
//   - stats_openid_days: pushes per openid and day, so that a binding
//     made or undone later re-attributes that openid's past pushes.
//
// One builder at a time (a lease in stats_state, so several instances and
// restarts are safe) recomputes whole days from the base tables: every
// recomputation is idempotent, so a pass cut short or repeated is
// harmless. A pass finds what changed since the previous one through the
// updated_at of users, questions, answers and bookings (every service
// write sets it) and the created_at of interactions, with a margin for
// transactions still open and for the clocks of several instances; it
// recomputes the (university, day) pairs those rows belong to, including
// the day a question was asked when it is answered, hidden or rated a week
// later. Late and overdue figures depend on the time as well: each
// stats_daily row records the next deadline still ahead when it was
// computed (recheck_at), and a pass recomputes the rows whose deadline
// has passed. A report is exact as of the pass (its as_of).
//
// Data written straight into the base tables with old updated_at values
// (a bulk load) is not seen by a pass: run Rebuild (youthvoice
// stats-rebuild) afterwards.

// Builder timing.
const (
	// leaseFor bounds how long a crashed builder keeps others waiting.
	leaseFor = 5 * time.Minute
	// changeMargin re-reads changes this far before the last pass: a
	// transaction that stamped updated_at before the pass started may
	// commit after it, and instances' clocks differ a little.
	changeMargin = 2 * time.Minute
	// pushMargin is the same for pushes: the callback recorder batches
	// interactions and, when the database was briefly away, inserts them
	// with their receive time minutes later.
	pushMargin = 10 * time.Minute
	// allUniversities: past this many dirty universities on one day the
	// day is recomputed for all of them (one grouped query is cheaper than
	// a long IN list).
	allUniversities = 40
	// writeBatch bounds the rows of one INSERT.
	writeBatch = 500
)

// State names in stats_state.
const (
	stateLease   = "lease"   // Text: holder, TimeAt: until
	stateBuilt   = "built"   // TimeAt: when the last full rebuild finished
	stateScanned = "scanned" // TimeAt: the start of the last complete pass
)

// ErrBusy reports that another builder holds the lease.
var ErrBusy = errors.New("统计汇总正由另一个实例更新")

// day numbers: Beijing dates as yyyymmdd, ordered like the dates.
func dayNum(t time.Time) int {
	b := t.In(clock.Beijing)
	return b.Year()*10000 + int(b.Month())*100 + b.Day()
}

func dayStart(n int) time.Time {
	return time.Date(n/10000, time.Month(n/100%100), n%100, 0, 0, 0, 0, clock.Beijing)
}

func nextDay(n int) int { return dayNum(dayStart(n).AddDate(0, 0, 1)) }

// dirty collects the (day, university) pairs a pass recomputes, and how:
// most late changes (a question answered, rated or hidden, a booking
// served) change only the figures of stats_daily; new rows, answers and
// bindings also change who was active (stats_user_days), which costs more
// to recompute.
type dirty map[int]map[uint64]recompute

type recompute uint8

const (
	figures   recompute = 1 << iota // stats_daily
	activity                        // stats_user_days and the last days, then stats_daily
	lastLater                       // (a rebuild) the last days are done at the end
)

func (d dirty) mark(uni uint64, t time.Time, what recompute) {
	if uni == 0 || t.IsZero() {
		return
	}
	d.markDay(uni, dayNum(t), what)
}

func (d dirty) markDay(uni uint64, day int, what recompute) {
	if d[day] == nil {
		d[day] = map[uint64]recompute{}
	}
	d[day][uni] |= what
}

// RefreshResult says what a pass did.
type RefreshResult struct {
	Rebuilt bool `json:"rebuilt"`
	Days    int  `json:"days"`  // days recomputed
	Pairs   int  `json:"pairs"` // (university, day) pairs recomputed
}

// Refresh brings the roll-ups up to date with the base tables, building
// them from scratch the first time. It returns ErrBusy when another
// builder is at work.
func (s *Service) Refresh(ctx context.Context) (RefreshResult, error) {
	var res RefreshResult
	release, err := s.acquire(ctx)
	if err != nil {
		return res, err
	}
	defer release()
	built, err := s.stateTime(ctx, stateBuilt)
	if err != nil {
		return res, err
	}
	if built == nil {
		res.Rebuilt = true
		res.Days, err = s.rebuild(ctx)
		return res, err
	}
	start := s.now()
	scanned, err := s.stateTime(ctx, stateScanned)
	if err != nil {
		return res, err
	}
	since := start.Add(-changeMargin)
	if scanned != nil {
		since = scanned.Add(-changeMargin)
	}
	d := dirty{}
	bindings, err := s.findChanges(ctx, d, since, start)
	if err != nil {
		return res, err
	}
	days := make([]int, 0, len(d))
	for day := range d {
		days = append(days, day)
	}
	slices.Sort(days)
	for _, day := range days {
		var acts, figs []uint64
		for u, what := range d[day] {
			if what&activity != 0 {
				acts = append(acts, u)
			} else {
				figs = append(figs, u)
			}
		}
		for _, set := range []struct {
			unis []uint64
			what recompute
		}{{acts, activity}, {figs, figures}} {
			if len(set.unis) == 0 {
				continue
			}
			slices.Sort(set.unis)
			res.Pairs += len(set.unis)
			unis := set.unis
			if len(unis) > allUniversities {
				unis = nil
			}
			if err := s.recomputeDays(ctx, day, nextDay(day), unis, start, set.what, nil); err != nil {
				return res, fmt.Errorf("统计汇总 %d: %w", day, err)
			}
		}
		res.Days++
	}
	if err := s.saveBindings(ctx, bindings); err != nil {
		return res, err
	}
	return res, s.setState(ctx, stateScanned, "", &start)
}

// Rebuild recomputes every roll-up from the base tables (after a bulk
// load, or to check them). Reports use the plain queries meanwhile.
func (s *Service) Rebuild(ctx context.Context) (days int, err error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	return s.rebuild(ctx)
}

func (s *Service) rebuild(ctx context.Context) (int, error) {
	start := s.now()
	if err := s.setState(ctx, stateBuilt, "", nil); err != nil {
		return 0, err
	}
	// The days whose raw interactions were purged keep their pushes in
	// stats_openid_days: those rows are the only record left.
	purged, err := s.stateTime(ctx, statePurged)
	if err != nil {
		return 0, err
	}
	pDay := 0
	if purged != nil {
		pDay = dayNum(*purged)
	}
	for _, table := range []string{"stats_daily", "stats_user_days", "stats_user_last", "stats_last_days", "stats_openid_days"} {
		// TRUNCATE on MySQL: deleting millions of rows one by one took
		// minutes. SQLite's unqualified DELETE truncates by itself.
		stmt, args := "DELETE FROM "+table, []any(nil)
		if s.db.Dialect() == model.MySQL {
			stmt = "TRUNCATE TABLE " + table
		}
		if table == "stats_openid_days" && pDay != 0 {
			stmt, args = "DELETE FROM stats_openid_days WHERE day >= ?", []any{pDay}
		}
		if err := s.db.Conn(ctx).Exec(stmt, args...).Error; err != nil {
			return 0, fmt.Errorf("清空 %s: %w", table, err)
		}
	}
	first, err := s.edgeDay(ctx, "MIN")
	if err != nil {
		return 0, err
	}
	if pDay != 0 {
		var kept *int
		if err := s.db.Conn(ctx).Raw("SELECT MIN(day) FROM stats_openid_days").Scan(&kept).Error; err != nil {
			return 0, err
		}
		if kept != nil && (first == 0 || *kept < first) {
			first = *kept
		}
	}
	// Through today, or a later day a record names (a clock set wrong).
	last, err := s.edgeDay(ctx, "MAX")
	if err != nil {
		return 0, err
	}
	last = max(last, dayNum(start))
	n := 0
	ch := newChains() // chunks go forward in time
	for day := first; first != 0 && day <= last; {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		to := day
		for i := 0; i < rebuildChunk && to <= last; i++ {
			to = nextDay(to)
		}
		if to > pDay {
			if err := s.countPushes(ctx, max(day, pDay), to, nil); err != nil {
				return n, fmt.Errorf("统计汇总 %d–%d: %w", day, to, err)
			}
		}
		if err := s.recomputeDays(ctx, day, to, nil, start, rebuilding, ch); err != nil {
			return n, fmt.Errorf("统计汇总 %d–%d: %w", day, to, err)
		}
		for ; day < to; day = nextDay(day) {
			n++
		}
	}
	if err := s.rebuildLast(ctx); err != nil {
		return n, err
	}
	if err := s.setState(ctx, stateScanned, "", &start); err != nil {
		return n, err
	}
	return n, s.setState(ctx, stateBuilt, "", &start)
}

// edgeDay is the day of the oldest (agg MIN) or newest (MAX) record the
// statistics read; 0 when there is none.
func (s *Service) edgeDay(ctx context.Context, agg string) (int, error) {
	var edge *time.Time
	for _, col := range []string{
		"created_at FROM users", "activated_at FROM users", "created_at FROM questions", "created_at FROM answers",
		"created_at FROM bookings", "first_response_at FROM bookings", "created_at FROM interactions",
		"followed_at FROM qr_follows",
	} {
		var v any
		q := "SELECT " + agg + "(" + strings.Replace(col, " FROM", ") FROM", 1)
		if err := s.db.Conn(ctx).Raw(q).Row().Scan(&v); err != nil {
			return 0, err
		}
		t, err := anyTime(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
		if t != nil && (edge == nil || (agg == "MIN") == t.Before(*edge)) {
			edge = t
		}
	}
	if edge == nil {
		return 0, nil
	}
	return dayNum(*edge), nil
}

// anyTime reads a MIN(datetime): MySQL gives a time, SQLite its text.
func anyTime(v any) (*time.Time, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return &x, nil
	case []byte:
		return parseSQLiteTime(string(x))
	case string:
		return parseSQLiteTime(x)
	}
	return nil, fmt.Errorf("unexpected time value %T", v)
}

func parseSQLiteTime(s string) (*time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("unreadable time %q", s)
}

// ---- the lease -------------------------------------------------------------

func newHolder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// acquire takes the builder lease for leaseFor; release gives it back.
func (s *Service) acquire(ctx context.Context) (release func(), err error) {
	return s.acquireAs(ctx, s.holder)
}

// acquireAs takes the lease under the name holder: one that is not the
// builder's own (the purge) cannot take it while this instance's
// builder holds it, nor end the builder's lease by releasing its own.
func (s *Service) acquireAs(ctx context.Context, holder string) (release func(), err error) {
	now := s.now()
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&model.StatsState{Name: stateLease}).Error; err != nil {
		return nil, err
	}
	until := now.Add(leaseFor)
	res := s.db.Conn(ctx).Model(&model.StatsState{}).
		Where("name = ? AND (text = '' OR text = ? OR time_at IS NULL OR time_at < ?)", stateLease, holder, now).
		Updates(map[string]any{"text": holder, "time_at": until})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows only: renewing our own lease to the
		// same instant (within the column's precision) changes nothing.
		var st model.StatsState
		if err := s.db.Conn(ctx).Where("name = ?", stateLease).Take(&st).Error; err != nil {
			return nil, err
		}
		if st.Text != holder {
			return nil, ErrBusy
		}
	}
	return func() {
		s.db.Conn(context.WithoutCancel(ctx)).Model(&model.StatsState{}).
			Where("name = ? AND text = ?", stateLease, holder).
			Updates(map[string]any{"text": "", "time_at": nil})
	}, nil
}

func (s *Service) stateTime(ctx context.Context, name string) (*time.Time, error) {
	return s.stateTimeOn(s.db.Conn(ctx), name)
}

// stateTimeOn reads a state's time through conn (the reports' handle for
// a report: the replica's copy goes with the replica's roll-ups).
func (s *Service) stateTimeOn(conn *gorm.DB, name string) (*time.Time, error) {
	var st model.StatsState
	err := conn.Where("name = ?", name).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st.TimeAt != nil {
		t := st.TimeAt.UTC()
		return &t, nil
	}
	return nil, nil
}

func (s *Service) setState(ctx context.Context, name, text string, at *time.Time) error {
	return s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"text", "time_at"}),
	}).Create(&model.StatsState{Name: name, Text: text, TimeAt: at}).Error
}

// ---- what changed ------------------------------------------------------------

// binding is a user whose WeChat binding differs from the one its pushes
// were attributed through.
type binding struct {
	UserID, UniversityID uint64
	OpenID               *string `gorm:"column:openid"`
}

// findChanges marks the pairs touched by rows changed since since, and
// returns the bindings to record once their days are recomputed.
func (s *Service) findChanges(ctx context.Context, d dirty, since, now time.Time) ([]binding, error) {
	conn := func() *gorm.DB { return s.db.Conn(ctx) }
	// Pushes: recount the day of each openid that pushed, then its
	// account's university.
	pushFrom := since.Add(changeMargin - pushMargin)
	for day := dayNum(pushFrom); day <= dayNum(now); day = nextDay(day) {
		a, b := dayStart(day), dayStart(nextDay(day))
		if a.Before(pushFrom) {
			a = pushFrom
		}
		var openids []string
		if err := conn().Raw("SELECT DISTINCT openid FROM interactions WHERE created_at >= ? AND created_at < ?",
			a.UTC(), b.UTC()).Scan(&openids).Error; err != nil {
			return nil, err
		}
		for chunk := range slices.Chunk(openids, writeBatch) {
			if err := s.countPushes(ctx, day, nextDay(day), chunk); err != nil {
				return nil, err
			}
			var unis []uint64
			if err := conn().Raw("SELECT DISTINCT university_id FROM users WHERE openid IN ? AND university_id IS NOT NULL",
				chunk).Scan(&unis).Error; err != nil {
				return nil, err
			}
			for _, u := range unis {
				d.markDay(u, day, activity)
			}
		}
	}

	// Accounts: registration, activation, role and binding.
	type userRow struct {
		ID           uint64
		UniversityID *uint64
		OpenID       *string `gorm:"column:openid"`
		CreatedAt    time.Time
		ActivatedAt  *time.Time
	}
	var users []userRow
	if err := conn().Raw("SELECT id, university_id, openid, created_at, activated_at FROM users WHERE updated_at >= ?",
		since.UTC()).Scan(&users).Error; err != nil {
		return nil, err
	}
	var bindings []binding
	wasBound := map[uint64]*string{} // the openid a changed binding had
	for chunk := range slices.Chunk(users, writeBatch) {
		ids := make([]uint64, len(chunk))
		for i, u := range chunk {
			ids[i] = u.ID
		}
		var known []model.StatsUserLast
		if err := conn().Where("user_id IN ?", ids).Find(&known).Error; err != nil {
			return nil, err
		}
		was := map[uint64]*string{}
		for _, k := range known {
			was[k.UserID] = k.OpenID
		}
		for _, u := range chunk {
			if u.UniversityID == nil {
				continue
			}
			uni := *u.UniversityID
			d.mark(uni, u.CreatedAt, figures)
			if u.ActivatedAt != nil {
				d.mark(uni, *u.ActivatedAt, figures)
			}
			if ptrEq(was[u.ID], u.OpenID) {
				continue
			}
			// The binding changed: every day either openid pushed, and
			// every day the account had pushes attributed, changes.
			var days []int
			for _, oid := range []*string{was[u.ID], u.OpenID} {
				if oid == nil {
					continue
				}
				var ds []int
				if err := conn().Model(&model.StatsOpenIDDay{}).Where("openid = ?", *oid).Pluck("day", &ds).Error; err != nil {
					return nil, err
				}
				days = append(days, ds...)
			}
			var ds []int
			if err := conn().Model(&model.StatsUserDay{}).Where("university_id = ? AND user_id = ? AND pushes > 0", uni, u.ID).
				Pluck("day", &ds).Error; err != nil {
				return nil, err
			}
			for _, day := range append(days, ds...) {
				d.markDay(uni, day, activity)
			}
			bindings = append(bindings, binding{UserID: u.ID, UniversityID: uni, OpenID: u.OpenID})
			wasBound[u.ID] = was[u.ID]
		}
	}

	// Rows changed since the last pass: the day each belongs to, and
	// whether the change can alter who was active that day (a new row, an
	// answer published or hidden) or only the figures.
	type at struct {
		UniversityID *uint64
		At           *time.Time
		ActA         bool
		UniversityB  *uint64
		AtB          *time.Time
		ActB         bool
	}
	kind := func(act bool) recompute {
		if act {
			return activity
		}
		return figures
	}
	scanMark := func(sql string, args ...any) error {
		var rows []at
		if err := conn().Raw(sql, args...).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if r.UniversityID != nil && r.At != nil {
				d.mark(*r.UniversityID, *r.At, kind(r.ActA))
			}
			if r.UniversityB != nil && r.AtB != nil {
				d.mark(*r.UniversityB, *r.AtB, kind(r.ActB))
			}
		}
		return nil
	}
	t := since.UTC()
	// Questions: the day asked, of the asker's university; a new one is
	// its asker's activity.
	if err := scanMark("SELECT u.university_id AS university_id, q.created_at AS at, q.created_at >= ? AS act_a, "+
		"q.university_id AS university_b, q.created_at AS at_b "+
		"FROM questions q LEFT JOIN users u ON u.id = q.asker_id WHERE q.updated_at >= ?", t, t); err != nil {
		return nil, err
	}
	// Answers: the day answered (the author's activity and answers) and
	// the day the question was asked (its answered and on-time figures).
	if err := scanMark("SELECT u.university_id AS university_id, a.created_at AS at, 1 AS act_a, "+
		"q.university_id AS university_b, q.created_at AS at_b "+
		"FROM answers a LEFT JOIN users u ON u.id = a.author_id LEFT JOIN questions q ON q.id = a.question_id WHERE a.updated_at >= ?", t); err != nil {
		return nil, err
	}
	// Bookings: the day made (the station's figures; a new one is the
	// student's activity) and the day of a new first response (the
	// handler's activity).
	if err := scanMark("SELECT su.university_id AS university_id, b.created_at AS at, b.created_at >= ? AS act_a, "+
		"b.university_id AS university_b, b.created_at AS at_b "+
		"FROM bookings b LEFT JOIN users su ON su.id = b.student_id WHERE b.updated_at >= ?", t, t); err != nil {
		return nil, err
	}
	if err := scanMark("SELECT hu.university_id AS university_id, b.first_response_at AS at, 1 AS act_a "+
		"FROM bookings b JOIN users hu ON hu.id = b.handled_by WHERE b.updated_at >= ? AND b.first_response_at >= ?", t, t); err != nil {
		return nil, err
	}
	// The promotion funnel: a new attribution, and an activation, a
	// binding or a question that changes whether a follow of an earlier
	// day counts as activated or asking (the day of the follow).
	for _, q := range []string{
		"SELECT university_id, followed_at AS at FROM qr_follows WHERE followed_at >= ?",
		"SELECT f.university_id AS university_id, f.followed_at AS at FROM users u JOIN qr_follows f ON f.openid = u.openid WHERE u.updated_at >= ?",
		"SELECT f.university_id AS university_id, f.followed_at AS at FROM questions q JOIN users u ON u.id = q.asker_id " +
			"JOIN qr_follows f ON f.openid = u.openid WHERE q.updated_at >= ?",
	} {
		if err := scanMark(q, t); err != nil {
			return nil, err
		}
	}
	// A WeChat unbound since (the account no longer names it).
	var unbound []string
	for _, b := range bindings {
		if old := wasBound[b.UserID]; old != nil && !ptrEq(old, b.OpenID) {
			unbound = append(unbound, *old)
		}
	}
	for chunk := range slices.Chunk(unbound, writeBatch) {
		if err := scanMark("SELECT university_id, followed_at AS at FROM qr_follows WHERE openid IN ?", chunk); err != nil {
			return nil, err
		}
	}
	// Deadlines that have passed since a day was computed.
	var due []model.StatsDaily
	if err := conn().Select("university_id", "day").Where("recheck_at <= ?", now.UTC()).Find(&due).Error; err != nil {
		return nil, err
	}
	for _, r := range due {
		d.markDay(r.UniversityID, r.Day, figures)
	}
	return bindings, nil
}

func ptrEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// saveBindings records the openid each account's pushes are now
// attributed through.
func (s *Service) saveBindings(ctx context.Context, bs []binding) error {
	for chunk := range slices.Chunk(bs, writeBatch) {
		rows := make([]model.StatsUserLast, len(chunk))
		for i, b := range chunk {
			rows[i] = model.StatsUserLast{UserID: b.UserID, UniversityID: b.UniversityID, OpenID: b.OpenID}
		}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"openid"}),
		}).Create(&rows).Error; err != nil {
			return err
		}
	}
	return nil
}

// ---- recomputing a day ---------------------------------------------------------

// rebuildChunk is how many days a rebuild recomputes at once.
const rebuildChunk = 31

// dayOf is the SQL for the Beijing day (yyyymmdd) of a UTC datetime
// column. Beijing has kept UTC+8 all year since 1991, so adding 8 hours
// is exact.
func (s *Service) dayOf(col string) string {
	if s.db.Dialect() == model.MySQL {
		x := "(" + col + " + INTERVAL 8 HOUR)"
		return "(YEAR" + x + "*10000 + MONTH" + x + "*100 + DAYOFMONTH" + x + ")"
	}
	return "CAST(strftime('%Y%m%d', " + col + ", '+8 hours') AS INTEGER)"
}

// sqlf fills a query's %s placeholders: the day expressions first (their
// SQLite form holds % signs, so they go in after formatting).
func (s *Service) sqlf(q string, filter string, dayCols ...string) string {
	marks := make([]any, 0, len(dayCols)+1)
	for i := range dayCols {
		marks = append(marks, fmt.Sprintf("{{day%d}}", i))
	}
	q = fmt.Sprintf(q, append(marks, filter)...)
	for i, col := range dayCols {
		q = strings.ReplaceAll(q, fmt.Sprintf("{{day%d}}", i), s.dayOf(col))
	}
	return q
}

// countPushes recounts the pushes per openid and day of the days [from,
// to): of the openids given, or of all (nil) after removing the days'
// counts.
func (s *Service) countPushes(ctx context.Context, from, to int, openids []string) error {
	a, b := dayStart(from).UTC(), dayStart(to).UTC()
	var rows []model.StatsOpenIDDay
	q := s.sqlf("SELECT openid, %s AS day, COUNT(*) AS n FROM interactions WHERE created_at >= ? AND created_at < ?%s GROUP BY openid, day",
		"", "created_at")
	args := []any{a, b}
	if openids != nil {
		q = s.sqlf("SELECT openid, %s AS day, COUNT(*) AS n FROM interactions WHERE created_at >= ? AND created_at < ?%s GROUP BY openid, day",
			" AND openid IN ?", "created_at")
		args = append(args, openids)
	}
	if err := s.db.Conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if openids == nil {
			if err := s.db.Conn(ctx).Where("day >= ? AND day < ?", from, to).Delete(&model.StatsOpenIDDay{}).Error; err != nil {
				return err
			}
		}
		for chunk := range slices.Chunk(rows, writeBatch) {
			if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "openid"}, {Name: "day"}},
				DoUpdates: clause.AssignmentColumns([]string{"n"}),
			}).Create(&chunk).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// uniFilter restricts a query to unis (nil: all) on col.
func uniFilter(col string, unis []uint64) (string, []any) {
	if unis == nil {
		return "", nil
	}
	return " AND " + col + " IN ?", []any{unis}
}

const usersDaySQL = `SELECT university_id, %s AS day, COUNT(*) AS new_users,
  SUM(CASE WHEN openid IS NOT NULL THEN 1 ELSE 0 END) AS bound_new,
  SUM(CASE WHEN roles & ? <> 0 THEN 1 ELSE 0 END) AS cadres_new
FROM users WHERE created_at >= ? AND created_at < ? AND university_id IS NOT NULL%s
GROUP BY university_id, day`

const activatedDaySQL = `SELECT university_id, %s AS day, COUNT(*) AS activated_new
FROM users WHERE roles = 0 AND activated_at >= ? AND activated_at < ? AND university_id IS NOT NULL%s
GROUP BY university_id, day`

const questionsDaySQL = `SELECT university_id, %s AS day,` + questionFigures + `FROM questions
WHERE created_at >= ? AND created_at < ? AND status <> ? AND rejected_at IS NULL%s
GROUP BY university_id, day`

// The questions whose deadline is still ahead: when it passes, they turn
// late unless answered.
// The open questions whose deadline is still ahead: when it passes they
// turn late (unless answered) and overdue.
const questionsPendingSQL = `SELECT university_id, %s AS day, due_at FROM questions
WHERE created_at >= ? AND created_at < ? AND status = ? AND due_at >= ?%s`

// The day's questions open and past due now (overdueSQL, by day asked).
const openOverdueDaySQL = `SELECT university_id, %s AS day, COUNT(*) AS open_overdue FROM questions
WHERE created_at >= ? AND created_at < ? AND status = ? AND due_at < ?%s
GROUP BY university_id, day`

const answersDaySQL = `SELECT u.university_id AS university_id, %s AS day, COUNT(*) AS cadre_answers
FROM answers a JOIN users u ON u.id = a.author_id
WHERE a.kind = ? AND a.status = ? AND a.created_at >= ? AND a.created_at < ? AND u.university_id IS NOT NULL%s
GROUP BY u.university_id, day`

const bookingsDaySQL = `SELECT university_id, %s AS day,` + bookingFigures + `FROM bookings
WHERE created_at >= ? AND created_at < ?%s
GROUP BY university_id, day`

const qrDaySQL = `SELECT f.university_id AS university_id, %s AS day,` + qrFigures + `FROM qr_follows f LEFT JOIN users u ON u.openid = f.openid
WHERE f.followed_at >= ? AND f.followed_at < ?%s
GROUP BY f.university_id, day`

const bookingsPendingSQL = `SELECT university_id, %s AS day, due_at FROM bookings
WHERE created_at >= ? AND created_at < ? AND status = ? AND first_response_at IS NULL AND due_at >= ?%s`

// rebuilding is how a rebuild recomputes: everything, the accounts' last
// days at the end.
const rebuilding = activity | lastLater

// recomputeDays rewrites the roll-ups of the days [from, to) for unis
// (nil: all): the figures only, or (activity) who was active too, and
// then the last days of the accounts whose activity (or answering) on
// those days appeared or went away.
func (s *Service) recomputeDays(ctx context.Context, from, to int, unis []uint64, now time.Time, what recompute, ch *chains) error {
	trackLast := what&activity != 0 && what&lastLater == 0
	a, b := dayStart(from).UTC(), dayStart(to).UTC()
	conn := func() *gorm.DB { return s.db.Conn(ctx) }
	now = now.UTC()

	// The base tables are read before the transaction, without locks;
	// the transaction only replaces roll-up rows.
	var active []model.StatsUserDay
	var err error
	if what&activity != 0 {
		active, err = s.activeDays(ctx, from, to, unis)
	} else {
		// Who was active is unchanged: the pushes come from its rows.
		q := conn().Model(&model.StatsUserDay{}).Select("university_id, day, SUM(pushes) AS pushes").
			Where("day >= ? AND day < ?", from, to)
		if unis != nil {
			q = q.Where("university_id IN ?", unis)
		}
		err = q.Group("university_id, day").Scan(&active).Error
	}
	if err != nil {
		return err
	}
	fu, fua := uniFilter("u.university_id", unis)
	type key struct {
		uni uint64
		day int
	}
	rows := map[key]*model.StatsDaily{}
	row := func(uni uint64, day int) *model.StatsDaily {
		r := rows[key{uni, day}]
		if r == nil {
			r = &model.StatsDaily{UniversityID: uni, Day: day, ComputedAt: now}
			rows[key{uni, day}] = r
		}
		return r
	}
	for _, u := range active {
		row(u.UniversityID, u.Day).Interactions += u.Pushes
	}

	f, fa := uniFilter("university_id", unis)
	ff, ffa := uniFilter("f.university_id", unis)
	queries := []struct {
		sql  string
		args []any
	}{
		{s.sqlf(usersDaySQL, f, "created_at"), append([]any{model.RoleBit(model.RoleCadre), a, b}, fa...)},
		{s.sqlf(activatedDaySQL, f, "activated_at"), append([]any{a, b}, fa...)},
		{s.sqlf(questionsDaySQL, f, "created_at"), append([]any{true, false, model.QuestionOpen, now, "满意", "一般", "不满意",
			a, b, model.QuestionReview}, fa...)},
		{s.sqlf(openOverdueDaySQL, f, "created_at"), append([]any{a, b, model.QuestionOpen, now}, fa...)},
		{s.sqlf(answersDaySQL, fu, "a.created_at"), append([]any{model.AnswerKindAnswer, model.AnswerPublished, a, b}, fua...)},
		{s.sqlf(bookingsDaySQL, f, "created_at"), append([]any{true, false, model.BookingSubmitted, now,
			model.BookingServed, model.BookingNoShow, a, b}, fa...)},
		{s.sqlf(qrDaySQL, ff, "f.followed_at"), append([]any{model.QuestionReview, a, b}, ffa...)},
	}
	for _, q := range queries {
		var got []model.StatsDaily
		if err := conn().Raw(q.sql, q.args...).Scan(&got).Error; err != nil {
			return err
		}
		for _, g := range got {
			addDaily(row(g.UniversityID, g.Day), g)
		}
	}
	pending := []struct {
		sql  string
		args []any
	}{
		{s.sqlf(questionsPendingSQL, f, "created_at"), append([]any{a, b, model.QuestionOpen, now}, fa...)},
		{s.sqlf(bookingsPendingSQL, f, "created_at"), append([]any{a, b, model.BookingSubmitted, now}, fa...)},
	}
	for _, q := range pending {
		var got []struct {
			UniversityID uint64
			Day          int
			DueAt        time.Time
		}
		if err := conn().Raw(q.sql, q.args...).Scan(&got).Error; err != nil {
			return err
		}
		for _, g := range got {
			r := row(g.UniversityID, g.Day)
			// Recheck just after the deadline: late means due_at < now.
			due := g.DueAt.UTC().Add(time.Second)
			if r.RecheckAt == nil || due.Before(*r.RecheckAt) {
				r.RecheckAt = &due
			}
		}
	}

	return s.db.WithTx(ctx, func(ctx context.Context) error {
		conn := func() *gorm.DB { return s.db.Conn(ctx) }
		scope := func() *gorm.DB {
			q := conn().Where("day >= ? AND day < ?", from, to)
			if unis != nil {
				q = q.Where("university_id IN ?", unis)
			}
			return q
		}
		var before []model.StatsUserDay
		if trackLast {
			if err := scope().Select("university_id", "user_id", "day", "answers", "prev_day", "prev_answer_day").Find(&before).Error; err != nil {
				return err
			}
			// Accounts whose days stay as they were keep their links;
			// updateAccounts relinks the others.
			type key struct {
				user uint64
				day  int
			}
			was := make(map[key]model.StatsUserDay, len(before))
			for _, b := range before {
				was[key{b.UserID, b.Day}] = b
			}
			for i := range active {
				if b, ok := was[key{active[i].UserID, active[i].Day}]; ok {
					active[i].PrevDay, active[i].PrevAnswerDay = b.PrevDay, b.PrevAnswerDay
				}
			}
		}
		if ch != nil {
			ch.link(active)
		}
		if what&activity != 0 {
			if err := scope().Delete(&model.StatsUserDay{}).Error; err != nil {
				return err
			}
			for chunk := range slices.Chunk(active, writeBatch) {
				if err := conn().Create(&chunk).Error; err != nil {
					return err
				}
			}
		}
		if err := scope().Delete(&model.StatsDaily{}).Error; err != nil {
			return err
		}
		out := make([]model.StatsDaily, 0, len(rows))
		for _, r := range rows {
			out = append(out, *r)
		}
		slices.SortFunc(out, func(x, y model.StatsDaily) int {
			return cmp.Or(cmp.Compare(x.UniversityID, y.UniversityID), cmp.Compare(x.Day, y.Day))
		})
		for chunk := range slices.Chunk(out, writeBatch) {
			if err := conn().Create(&chunk).Error; err != nil {
				return err
			}
		}
		if !trackLast {
			return nil
		}
		return s.updateAccounts(ctx, before, active)
	})
}

// activeDays lists who was active on the days [from, to), accounts of
// unis only (nil: all); see activitySQL for the definition. The rows are
// read by index ranges and put together here: a join of pushes, events
// and accounts grouped by account and day made MariaDB walk every
// account for each chunk of days.
func (s *Service) activeDays(ctx context.Context, from, to int, unis []uint64) ([]model.StatsUserDay, error) {
	a, b := dayStart(from).UTC(), dayStart(to).UTC()
	conn := func() *gorm.DB { return s.db.Conn(ctx) }
	type key struct {
		user uint64
		day  int
	}
	acts := map[key]*model.StatsUserDay{}
	add := func(user uint64, day int, pushes, events, answers int64) {
		r := acts[key{user, day}]
		if r == nil {
			r = &model.StatsUserDay{UserID: user, Day: day}
			acts[key{user, day}] = r
		}
		r.Pushes += pushes
		r.Events += events
		r.Answers += answers
	}

	// Pushes, through the accounts their openids are bound to now.
	var pushes []model.StatsOpenIDDay
	if err := conn().Where("day >= ? AND day < ?", from, to).Find(&pushes).Error; err != nil {
		return nil, err
	}
	byOpenID := map[string][]model.StatsOpenIDDay{}
	for _, p := range pushes {
		byOpenID[p.OpenID] = append(byOpenID[p.OpenID], p)
	}
	openids := make([]string, 0, len(byOpenID))
	for o := range byOpenID {
		openids = append(openids, o)
	}
	slices.Sort(openids)
	for chunk := range slices.Chunk(openids, 1000) {
		var bound []struct {
			ID     uint64
			OpenID string `gorm:"column:openid"`
		}
		if err := conn().Raw("SELECT id, openid FROM users WHERE openid IN ?", chunk).Scan(&bound).Error; err != nil {
			return nil, err
		}
		for _, u := range bound {
			for _, p := range byOpenID[u.OpenID] {
				add(u.ID, p.Day, p.N, 0, 0)
			}
		}
	}

	// Questions, answers, bookings and responses to them.
	type event struct {
		UserID  uint64
		At      time.Time
		Answers int64
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"SELECT asker_id AS user_id, created_at AS at FROM questions WHERE created_at >= ? AND created_at < ?", []any{a, b}},
		{"SELECT author_id AS user_id, created_at AS at, CASE WHEN kind = ? AND status = ? THEN 1 ELSE 0 END AS answers " +
			"FROM answers WHERE created_at >= ? AND created_at < ?", []any{model.AnswerKindAnswer, model.AnswerPublished, a, b}},
		{"SELECT student_id AS user_id, created_at AS at FROM bookings WHERE created_at >= ? AND created_at < ?", []any{a, b}},
		{"SELECT handled_by AS user_id, first_response_at AS at FROM bookings " +
			"WHERE handled_by IS NOT NULL AND first_response_at >= ? AND first_response_at < ?", []any{a, b}},
	} {
		var evs []event
		if err := conn().Raw(q.sql, q.args...).Scan(&evs).Error; err != nil {
			return nil, err
		}
		for _, e := range evs {
			add(e.UserID, dayNum(e.At), 0, 1, e.Answers)
		}
	}

	// The accounts: their university and registration time.
	ids := make([]uint64, 0, len(acts))
	seen := map[uint64]bool{}
	for k := range acts {
		if !seen[k.user] {
			seen[k.user] = true
			ids = append(ids, k.user)
		}
	}
	slices.Sort(ids)
	type account struct {
		ID           uint64
		UniversityID *uint64
		CreatedAt    time.Time
	}
	accounts := make(map[uint64]account, len(ids))
	for chunk := range slices.Chunk(ids, 1000) {
		var got []account
		if err := conn().Raw("SELECT id, university_id, created_at FROM users WHERE id IN ?", chunk).Scan(&got).Error; err != nil {
			return nil, err
		}
		for _, u := range got {
			accounts[u.ID] = u
		}
	}
	var in map[uint64]bool
	if unis != nil {
		in = map[uint64]bool{}
		for _, u := range unis {
			in[u] = true
		}
	}
	out := make([]model.StatsUserDay, 0, len(acts))
	for k, r := range acts {
		u, ok := accounts[k.user]
		if !ok || u.UniversityID == nil || (in != nil && !in[*u.UniversityID]) {
			continue
		}
		r.UniversityID, r.UserCreatedAt = *u.UniversityID, u.CreatedAt.UTC()
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y model.StatsUserDay) int {
		return cmp.Or(cmp.Compare(x.UniversityID, y.UniversityID), cmp.Compare(x.UserID, y.UserID), cmp.Compare(x.Day, y.Day))
	})
	return out, nil
}

// addDaily adds the figures of o to r (each query fills some columns).
func addDaily(r *model.StatsDaily, o model.StatsDaily) {
	r.NewUsers += o.NewUsers
	r.BoundNew += o.BoundNew
	r.CadresNew += o.CadresNew
	r.ActivatedNew += o.ActivatedNew
	r.Interactions += o.Interactions
	r.Questions += o.Questions
	r.Answered += o.Answered
	r.OnTime += o.OnTime
	r.Late += o.Late
	r.FirstResponseSeconds += o.FirstResponseSeconds
	r.RatedGood += o.RatedGood
	r.RatedFair += o.RatedFair
	r.RatedBad += o.RatedBad
	r.CadreAnswers += o.CadreAnswers
	r.Bookings += o.Bookings
	r.BookingsResponded += o.BookingsResponded
	r.BookingsOnTime += o.BookingsOnTime
	r.BookingsLate += o.BookingsLate
	r.Served += o.Served
	r.NoShow += o.NoShow
	r.ServiceRated += o.ServiceRated
	r.ServiceStars += o.ServiceStars
	r.ServiceSatisfied += o.ServiceSatisfied
	r.OpenOverdue += o.OpenOverdue
	r.QRFollows += o.QRFollows
	r.QRActivations += o.QRActivations
	r.QRAskers += o.QRAskers
}

// ---- last days ---------------------------------------------------------------

// chains links a rebuild's rows to each account's previous days as the
// rebuild goes forward in time.
type chains struct {
	last, lastAnswer map[uint64]int
}

func newChains() *chains { return &chains{last: map[uint64]int{}, lastAnswer: map[uint64]int{}} }

// link sets the previous days of rows, which are in day order per account
// and later than any linked before.
func (c *chains) link(rows []model.StatsUserDay) {
	for i := range rows {
		r := &rows[i]
		r.PrevDay, r.PrevAnswerDay = nil, nil
		if d, ok := c.last[r.UserID]; ok {
			r.PrevDay = &d
		}
		if d, ok := c.lastAnswer[r.UserID]; ok {
			r.PrevAnswerDay = &d
		}
		c.last[r.UserID] = r.Day
		if r.Answers > 0 {
			c.lastAnswer[r.UserID] = r.Day
		}
	}
}

// relink recomputes the previous days of every row of users.
func (s *Service) relink(ctx context.Context, uni uint64, users []uint64) error {
	var rows []model.StatsUserDay
	if err := s.db.Conn(ctx).Where("university_id = ? AND user_id IN ?", uni, users).
		Order("user_id").Order("day").Find(&rows).Error; err != nil {
		return err
	}
	want := slices.Clone(rows)
	newChains().link(want)
	for i := range rows {
		if ptrIntEq(rows[i].PrevDay, want[i].PrevDay) && ptrIntEq(rows[i].PrevAnswerDay, want[i].PrevAnswerDay) {
			continue
		}
		if err := s.db.Conn(ctx).Model(&model.StatsUserDay{}).
			Where("university_id = ? AND user_id = ? AND day = ?", uni, rows[i].UserID, rows[i].Day).
			Updates(map[string]any{"prev_day": want[i].PrevDay, "prev_answer_day": want[i].PrevAnswerDay}).Error; err != nil {
			return err
		}
	}
	return nil
}

func ptrIntEq(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// updateAccounts relinks the days and recomputes the last days of the
// accounts whose activity (or answering) on a day appeared or went away
// between before and after.
func (s *Service) updateAccounts(ctx context.Context, before, after []model.StatsUserDay) error {
	type key struct{ uni, user uint64 }
	state := map[key]int{} // bit 1: active before, 2: answered before, 4: active after, 8: answered after
	for _, r := range before {
		k := key{r.UniversityID, r.UserID}
		state[k] |= 1
		if r.Answers > 0 {
			state[k] |= 2
		}
	}
	for _, r := range after {
		k := key{r.UniversityID, r.UserID}
		state[k] |= 4
		if r.Answers > 0 {
			state[k] |= 8
		}
	}
	byUni := map[uint64][]uint64{}
	for k, v := range state {
		if v>>2 != v&3 {
			byUni[k.uni] = append(byUni[k.uni], k.user)
		}
	}
	for uni, users := range byUni {
		slices.Sort(users)
		for chunk := range slices.Chunk(users, writeBatch) {
			if err := s.relink(ctx, uni, chunk); err != nil {
				return err
			}
			if err := s.recomputeLast(ctx, uni, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

const lastSQL = `SELECT user_id, university_id, MAX(day) AS last_active_day,
  MAX(CASE WHEN answers > 0 THEN day END) AS last_answer_day
FROM stats_user_days WHERE university_id = ?%s GROUP BY user_id, university_id`

// recomputeLast rewrites the last days of users (all of uni's when nil)
// from stats_user_days, keeping their recorded openid, and recounts the
// days of stats_last_days they left or reached.
func (s *Service) recomputeLast(ctx context.Context, uni uint64, users []uint64) error {
	f, fa := "", []any{}
	if users != nil {
		f, fa = " AND user_id IN ?", []any{users}
	}
	days := map[int]bool{}
	if users != nil {
		var old []model.StatsUserLast
		if err := s.db.Conn(ctx).Where("user_id IN ?", users).Find(&old).Error; err != nil {
			return err
		}
		for _, o := range old {
			for _, d := range []*int{o.LastActiveDay, o.LastAnswerDay} {
				if d != nil {
					days[*d] = true
				}
			}
		}
	}
	var got []model.StatsUserLast
	if err := s.db.Conn(ctx).Raw(fmt.Sprintf(lastSQL, f), append([]any{uni}, fa...)...).Scan(&got).Error; err != nil {
		return err
	}
	seen := map[uint64]bool{}
	for _, g := range got {
		seen[g.UserID] = true
		for _, d := range []*int{g.LastActiveDay, g.LastAnswerDay} {
			if d != nil {
				days[*d] = true
			}
		}
	}
	for _, u := range users {
		if !seen[u] { // no activity left
			got = append(got, model.StatsUserLast{UserID: u, UniversityID: uni})
		}
	}
	for chunk := range slices.Chunk(got, writeBatch) {
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"university_id", "last_active_day", "last_answer_day"}),
		}).Create(&chunk).Error; err != nil {
			return err
		}
	}
	if users == nil {
		return s.recountLastDays(ctx, uni, nil)
	}
	list := make([]int, 0, len(days))
	for d := range days {
		list = append(list, d)
	}
	slices.Sort(list)
	return s.recountLastDays(ctx, uni, list)
}

// recountLastDays recounts stats_last_days of uni for days (nil: all).
func (s *Service) recountLastDays(ctx context.Context, uni uint64, days []int) error {
	if days != nil && len(days) == 0 {
		return nil
	}
	counts := map[int]*model.StatsLastDay{}
	for _, c := range []struct{ col, into string }{{"last_active_day", "active"}, {"last_answer_day", "answering"}} {
		q := s.db.Conn(ctx).Model(&model.StatsUserLast{}).
			Select(c.col+" AS day, COUNT(*) AS n").Where("university_id = ? AND "+c.col+" IS NOT NULL", uni)
		if days != nil {
			q = q.Where(c.col+" IN ?", days)
		}
		var got []struct {
			Day int
			N   int64
		}
		if err := q.Group(c.col).Scan(&got).Error; err != nil {
			return err
		}
		for _, g := range got {
			r := counts[g.Day]
			if r == nil {
				r = &model.StatsLastDay{UniversityID: uni, Day: g.Day}
				counts[g.Day] = r
			}
			if c.into == "active" {
				r.Active = g.N
			} else {
				r.Answering = g.N
			}
		}
	}
	del := s.db.Conn(ctx).Where("university_id = ?", uni)
	if days != nil {
		del = del.Where("day IN ?", days)
	}
	if err := del.Delete(&model.StatsLastDay{}).Error; err != nil {
		return err
	}
	rows := make([]model.StatsLastDay, 0, len(counts))
	for _, r := range counts {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(x, y model.StatsLastDay) int { return cmp.Compare(x.Day, y.Day) })
	for chunk := range slices.Chunk(rows, writeBatch) {
		if err := s.db.Conn(ctx).Create(&chunk).Error; err != nil {
			return err
		}
	}
	return nil
}

// rebuildLast fills stats_user_last from stats_user_days and the users'
// current bindings, one university at a time.
func (s *Service) rebuildLast(ctx context.Context) error {
	var unis []uint64
	if err := s.db.Conn(ctx).Model(&model.University{}).Order("id").Pluck("id", &unis).Error; err != nil {
		return err
	}
	for _, uni := range unis {
		if err := s.recomputeLast(ctx, uni, nil); err != nil {
			return err
		}
		var bound []binding
		if err := s.db.Conn(ctx).Raw("SELECT id AS user_id, university_id, openid FROM users WHERE university_id = ? AND openid IS NOT NULL",
			uni).Scan(&bound).Error; err != nil {
			return err
		}
		if err := s.saveBindings(ctx, bound); err != nil {
			return err
		}
	}
	return nil
}

// RunRollups keeps the roll-ups current until ctx is done: a pass every
// interval on whichever instance holds the lease (the first pass after
// an upgrade builds them; reports read the base tables until then).
func (s *Service) RunRollups(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		began := time.Now()
		r, err := s.Refresh(ctx)
		switch {
		case errors.Is(err, ErrBusy) || (err != nil && ctx.Err() != nil):
		case err != nil:
			log.ErrorContext(ctx, "statistics roll-up pass failed; reports show the figures of the last complete pass, retried at the next",
				"err", err, "days", r.Days)
		case r.Rebuilt:
			log.InfoContext(ctx, "statistics roll-ups built", "days", r.Days, "took", time.Since(began).Round(time.Millisecond))
		case time.Since(began) > every/2:
			log.WarnContext(ctx, "statistics roll-up pass is slow", "days", r.Days, "pairs", r.Pairs, "took", time.Since(began).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
