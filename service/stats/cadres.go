package stats

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// The per-cadre assessment (干部考核, issue 21 item 5): for a period, what
// each person on a university's roster did, and for the province each
// university's totals of the same figures.
//
// Everything is read by the roster's accounts (a few dozen per
// university, never a scan of the province): their answers through
// (author_id, created_at, …), which covers every column read of an
// answer, the questions of those answers by primary key, the bookings
// they responded to through (handled_by, first_response_at) and their
// active days from stats_user_days by (university_id, user_id, day) —
// migration 18 added the first two. See CadreColumns for the definitions.

// CadreFigures are one person's figures (or a university's totals) for a
// period.
type CadreFigures struct {
	Answers         int64 `json:"answers"`          // published cadre answers: own + province + other
	AnswersOwn      int64 `json:"answers_own"`      // on the own university's board
	AnswersProvince int64 `json:"answers_province"` // on provincial boards
	AnswersOther    int64 `json:"answers_other"`    // on another university's board (cross-board)

	FirstAnswers               int64    `json:"first_answers"` // questions whose first answer this was
	FirstOnTime                int64    `json:"first_answers_on_time"`
	FirstLate                  int64    `json:"first_answers_late"`
	FirstOnTimeRate            *float64 `json:"first_answer_on_time_rate"`
	MedianFirstResponseSeconds *int64   `json:"median_first_response_seconds"` // nil: no first answer

	Satisfied    int64    `json:"satisfied"` // answered questions the asker rated 满意
	Rated        int64    `json:"rated"`     // answered questions rated at all
	Satisfaction *float64 `json:"satisfaction_rate"`

	BookingsHandled   int64    `json:"bookings_handled"` // first responses as station admin
	BookingsOnTime    int64    `json:"bookings_on_time"`
	BookingOnTimeRate *float64 `json:"booking_on_time_rate"`

	ActiveDays int64 `json:"active_days"` // a university's total: person-days

	responses []int64 // first-response seconds of the first answers
}

func (f *CadreFigures) add(o CadreFigures) {
	f.Answers += o.Answers
	f.AnswersOwn += o.AnswersOwn
	f.AnswersProvince += o.AnswersProvince
	f.AnswersOther += o.AnswersOther
	f.FirstAnswers += o.FirstAnswers
	f.FirstOnTime += o.FirstOnTime
	f.FirstLate += o.FirstLate
	f.Satisfied += o.Satisfied
	f.Rated += o.Rated
	f.BookingsHandled += o.BookingsHandled
	f.BookingsOnTime += o.BookingsOnTime
	f.ActiveDays += o.ActiveDays
	f.responses = append(f.responses, o.responses...)
}

// derive computes the rates and the median from the counts.
func (f *CadreFigures) derive() {
	f.FirstOnTimeRate = ratio(f.FirstOnTime, f.FirstOnTime+f.FirstLate)
	f.Satisfaction = ratio(f.Satisfied, f.Rated)
	f.BookingOnTimeRate = ratio(f.BookingsOnTime, f.BookingsHandled)
	f.MedianFirstResponseSeconds = median(f.responses)
}

// median is the middle value (the mean of the two middle ones, rounded
// down, for an even count); nil for none.
func median(xs []int64) *int64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

// CadreLine is one roster entry with its figures.
type CadreLine struct {
	RosterID     uint64     `json:"roster_id"`
	RealName     string     `json:"real_name"`
	Position     string     `json:"position"`
	Category     string     `json:"category"`
	CategoryName string     `json:"category_name"`
	Status       string     `json:"status"` // pending 待注册, registered 已注册, left 已离任
	StatusName   string     `json:"status_name"`
	Registered   bool       `json:"registered"` // an account is linked (false: 待注册, all zeros)
	LeftAt       *time.Time `json:"left_at,omitempty"`
	CadreFigures
}

// UniversityCadres is one university's line of the province's table: its
// roster's counts and the totals of its people's figures.
type UniversityCadres struct {
	University   UniversityRef `json:"university"`
	Listed       int64         `json:"listed"`        // roster entries, left ones included
	Registered   int64         `json:"registered"`    // entries linked to an account
	Left         int64         `json:"left"`          // 已离任
	ActiveCadres int64         `json:"active_cadres"` // linked people active at least one day
	CadreFigures
}

// CadreReport is the per-cadre assessment of one university (Cadres), or
// the province's table of universities (Universities, Province true).
type CadreReport struct {
	Period      Period    `json:"period"`
	GeneratedAt time.Time `json:"generated_at"`
	// ActivityAsOf: active days come from the statistics roll-ups, exact
	// as of their last pass; nil before they are first built (0 days).
	ActivityAsOf *time.Time         `json:"active_days_as_of"`
	Province     bool               `json:"province"`
	Sort         string             `json:"sort"`
	University   *UniversityRef     `json:"university"` // the drill-down's university; nil for the province table
	Total        CadreFigures       `json:"total"`
	Cadres       []CadreLine        `json:"cadres"`       // the university's roster; nil for the province table
	Universities []UniversityCadres `json:"universities"` // the province table; nil for a university
	Quick        []QuickRange       `json:"quick_ranges"`
}

// CadreQuery is what the viewer asks for: a university's code (empty: the
// university admin's own, the province's table for the province admin),
// the period and a CadreColumns key to order by ("" or SortCode: the
// roster's order, or the code).
type CadreQuery struct {
	University, From, To, Sort string
}

// CadreColumn is one figure of the per-cadre assessment, defined once: a
// column of the page's tables and of the downloads, a sort order, and a
// line of the README's 干部考核.
type CadreColumn struct {
	Key  string // the JSON field and the sort key
	Name string
	Help string
	Kind Kind // Decimal: hours
	// Asc: the sort puts the smallest first (the fastest response).
	Asc bool
	get func(CadreFigures) *float64
}

// Figure is the column's number in f (hours for the median); nil when
// there is nothing to measure.
func (c CadreColumn) Figure(f CadreFigures) *float64 { return c.get(f) }

// Value is the figure as shown: 12, 75.0%, 3.5, or — for nothing.
func (c CadreColumn) Value(f CadreFigures) string {
	v := c.get(f)
	if v == nil {
		return "—"
	}
	switch c.Kind {
	case Rate:
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	case Decimal:
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	return strconv.FormatInt(int64(*v), 10)
}

func cadreCount(key, name, help string, f func(CadreFigures) int64) CadreColumn {
	return CadreColumn{Key: key, Name: name, Help: help, Kind: Count, get: func(x CadreFigures) *float64 { return num(f(x)) }}
}

func cadreRate(key, name, help string, f func(CadreFigures) *float64) CadreColumn {
	return CadreColumn{Key: key, Name: name, Help: help, Kind: Rate, get: f}
}

// CadreColumns are the figures in the page's order.
var CadreColumns = []CadreColumn{
	cadreCount("answers", "答复总数", "区间内本人发布的干部答复条数（按答复时间；审核中和已隐藏的不计）＝ 本校版区 + 省级版区 + 其他高校版区",
		func(f CadreFigures) int64 { return f.Answers }),
	cadreCount("answers_own", "本校版区答复", "在本人所在高校专属版区的答复",
		func(f CadreFigures) int64 { return f.AnswersOwn }),
	cadreCount("answers_province", "省级版区答复", "在省级版区的答复",
		func(f CadreFigures) int64 { return f.AnswersProvince }),
	cadreCount("answers_other", "其他高校版区答复", "在其他高校专属版区的跨校答复（答复人所在高校 ≠ 版区所属高校）；跨校答复不是问题的首次答复",
		func(f CadreFigures) int64 { return f.AnswersOther }),
	cadreCount("first_answers", "首次答复", "区间内本人给出了问题的第一条干部答复（问题记录的首次答复时间即本人这条答复的时间）的问题数；同一秒的两条答复记给先提交的一条",
		func(f CadreFigures) int64 { return f.FirstAnswers }),
	cadreCount("first_answers_on_time", "24小时内首次答复", "上述问题中首次答复不晚于截止时间（发布后 24 小时）的",
		func(f CadreFigures) int64 { return f.FirstOnTime }),
	cadreCount("first_answers_late", "超时首次答复", "上述问题中首次答复晚于截止时间的",
		func(f CadreFigures) int64 { return f.FirstLate }),
	cadreRate("first_answer_on_time_rate", "首次答复按时率", "24小时内首次答复 ÷ 首次答复",
		func(f CadreFigures) *float64 { return f.FirstOnTimeRate }),
	{Key: "median_first_response_seconds", Name: "首次答复用时中位数（小时）", Kind: Decimal, Asc: true,
		Help: "本人首次答复的问题从发布到首次答复用时的中位数（JSON 以秒计）",
		get: func(f CadreFigures) *float64 {
			if f.MedianFirstResponseSeconds == nil {
				return nil
			}
			h := float64(*f.MedianFirstResponseSeconds) / 3600
			return &h
		}},
	cadreCount("satisfied", "评价满意", "区间内本人答复过的问题中，提问者评价为「满意」的问题数（一个问题有几位干部答复，每人各计一次）",
		func(f CadreFigures) int64 { return f.Satisfied }),
	cadreCount("rated", "已评价", "区间内本人答复过的问题中已评价（满意、一般、不满意）的问题数",
		func(f CadreFigures) int64 { return f.Rated }),
	cadreRate("satisfaction_rate", "满意率", "评价满意 ÷ 已评价",
		func(f CadreFigures) *float64 { return f.Satisfaction }),
	cadreCount("bookings_handled", "处理预约", "区间内本人作为服务站管理员首次反馈（确认、无法安排或建议改期）的预约，按反馈时间计",
		func(f CadreFigures) int64 { return f.BookingsHandled }),
	cadreCount("bookings_on_time", "按时反馈预约", "上述预约中在时限内反馈的：工作时间提交 1 小时内，非工作时间提交 12 小时内",
		func(f CadreFigures) int64 { return f.BookingsOnTime }),
	cadreRate("booking_on_time_rate", "预约按时反馈率", "按时反馈预约 ÷ 处理预约",
		func(f CadreFigures) *float64 { return f.BookingOnTimeRate }),
	cadreCount("active_days", "活跃天数", "区间内本人有任何活动（微信互动、提问、答复、追问、预约、处理预约）的天数，来自统计汇总（数据截至见页面）；全省表中为各人之和（人·天）",
		func(f CadreFigures) int64 { return f.ActiveDays }),
}

// CadreColumn looks a column up by key.
func cadreColumn(key string) (CadreColumn, bool) {
	for _, c := range CadreColumns {
		if c.Key == key {
			return c, true
		}
	}
	return CadreColumn{}, false
}

// CadreColumnsMarkdown is the definitions as the README's 干部考核 lists
// them.
func CadreColumnsMarkdown() string {
	var b strings.Builder
	for _, c := range CadreColumns {
		b.WriteString("- **" + c.Name + "**（`" + c.Key + "`）：" + c.Help + "\n")
	}
	return b.String()
}

// cadreScope checks what viewer may see: the university of q (0: the
// province's table).
func (s *Service) cadreScope(ctx context.Context, viewer model.User, code string) (*model.University, error) {
	code = strings.TrimSpace(code)
	var own uint64
	switch {
	case viewer.Has(model.RoleProvinceAdmin):
		if code == "" {
			return nil, nil
		}
	case viewer.Has(model.RoleUniversityAdm):
		if viewer.UniversityID == nil {
			return nil, service.Forbidden("no_university", "你的账号未关联学校，无法查看本校干部考核")
		}
		own = *viewer.UniversityID
	default:
		return nil, service.Forbidden("not_admin", "只有高校团委管理员和省级管理员可以查看干部考核")
	}
	var u model.University
	q := s.db.Reports(ctx)
	var err error
	if code == "" {
		err = q.Take(&u, own).Error
	} else {
		err = q.Where("code = ?", code).Take(&u).Error
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, service.NotFound("university_not_found", "没有这所学校："+code)
	case err != nil:
		return nil, err
	case own != 0 && u.ID != own:
		return nil, service.Forbidden("other_university", "只能查看本校的干部考核")
	}
	return &u, nil
}

// Cadres is the per-cadre assessment of q's period that viewer may see:
// one university's roster (a university admin's own; any for the province
// admin), or the province admin's table of every university's totals.
func (s *Service) Cadres(ctx context.Context, viewer model.User, q CadreQuery) (CadreReport, error) {
	uni, err := s.cadreScope(ctx, viewer, q.University)
	if err != nil {
		return CadreReport{}, service.Wrap("干部考核", err)
	}
	now := s.now()
	p, err := ParsePeriod(q.From, q.To, now)
	if err != nil {
		return CadreReport{}, err
	}
	r := CadreReport{Period: p, GeneratedAt: now, Province: uni == nil, Sort: q.Sort, Quick: QuickRanges(now)}
	if _, ok := cadreColumn(r.Sort); !ok {
		r.Sort = SortCode
	}
	if built, err := s.stateTimeOn(s.db.Reports(ctx), stateBuilt); err != nil {
		return CadreReport{}, service.Wrap("干部考核", reportError(err))
	} else if built != nil {
		if r.ActivityAsOf, err = s.stateTimeOn(s.db.Reports(ctx), stateScanned); err != nil {
			return CadreReport{}, service.Wrap("干部考核", reportError(err))
		}
	}
	if uni != nil {
		ref := uniRef(*uni)
		r.University = &ref
		lines, total, err := s.universityCadres(ctx, uni.ID, p)
		if err != nil {
			return CadreReport{}, service.Wrap("干部考核", reportError(err))
		}
		r.Cadres, r.Total = lines, total
		sortCadres(r.Cadres, r.Sort)
		return r, nil
	}
	var unis []model.University
	if err := s.db.Reports(ctx).Order("code").Find(&unis).Error; err != nil {
		return CadreReport{}, service.Wrap("干部考核", reportError(err))
	}
	r.Universities = make([]UniversityCadres, 0, len(unis))
	for _, u := range unis {
		lines, total, err := s.universityCadres(ctx, u.ID, p)
		if err != nil {
			return CadreReport{}, service.Wrap("干部考核", reportError(err))
		}
		row := UniversityCadres{University: uniRef(u), Listed: int64(len(lines)), CadreFigures: total}
		for _, l := range lines {
			if l.Registered {
				row.Registered++
			}
			if l.Status == model.RosterLeft {
				row.Left++
			}
			if l.ActiveDays > 0 {
				row.ActiveCadres++
			}
		}
		r.Total.add(total)
		r.Universities = append(r.Universities, row)
	}
	r.Total.derive()
	sortUniversityCadres(r.Universities, r.Sort)
	return r, nil
}

func uniRef(u model.University) UniversityRef {
	return UniversityRef{ID: u.ID, Code: u.Code, Name: u.Name, City: u.City, Level: u.Level, Ownership: u.Ownership, Batch: u.Batch}
}

// cadreAnswer is one of the roster's answers in the period, with what the
// figures need of its question.
type cadreAnswer struct {
	ID              uint64
	AuthorID        uint64
	QuestionID      uint64
	Status          string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	BoardID         uint64
	FirstAnsweredAt *time.Time
	FirstResponseS  *int64
	PromiseKept     *bool
	Rating          string
}

// The answers of a set of accounts in a period: (author_id, created_at,
// kind, status, question_id, updated_at) gives each author's range and
// every column read of an answer; the question by primary key.
const cadreAnswersSQL = `SELECT a.id, a.author_id, a.question_id, a.status, a.created_at, a.updated_at,
  q.board_id, q.first_answered_at, q.first_response_seconds, q.promise_kept, q.rating
FROM answers a JOIN questions q ON q.id = a.question_id
WHERE a.author_id IN ? AND a.created_at >= ? AND a.created_at < ? AND a.kind = ?`

// The bookings a set of accounts responded to first in a period, through
// (handled_by, first_response_at).
const cadreBookingsSQL = `SELECT handled_by AS user_id, COUNT(*) AS handled,
  SUM(CASE WHEN promise_kept = ? THEN 1 ELSE 0 END) AS on_time
FROM bookings WHERE handled_by IN ? AND first_response_at >= ? AND first_response_at < ?
GROUP BY handled_by`

// The days a set of accounts of a university was active, through the
// primary key (university_id, user_id, day).
const cadreDaysSQL = `SELECT user_id, COUNT(*) AS days FROM stats_user_days
WHERE university_id = ? AND user_id IN ? AND day >= ? AND day < ?
GROUP BY user_id`

// universityCadres computes the lines of university uni's roster, in the
// roster's order, and their total (each linked account counted once).
func (s *Service) universityCadres(ctx context.Context, uni uint64, p Period) ([]CadreLine, CadreFigures, error) {
	var es []model.RosterEntry
	if err := s.db.Reports(ctx).Where("university_id = ?", uni).Order("id").Find(&es).Error; err != nil {
		return nil, CadreFigures{}, err
	}
	var ids []uint64
	for _, e := range es {
		if e.UserID != nil && !slices.Contains(ids, *e.UserID) {
			ids = append(ids, *e.UserID)
		}
	}
	figs, err := s.cadreFigures(ctx, uni, ids, p)
	if err != nil {
		return nil, CadreFigures{}, err
	}
	lines := make([]CadreLine, len(es))
	for i, e := range es {
		lines[i] = CadreLine{RosterID: e.ID, RealName: e.RealName, Position: e.Position, Category: e.Category,
			CategoryName: model.CategoryName(e.Category), Status: e.Status, StatusName: model.RosterStatusName(e.Status),
			Registered: e.UserID != nil, LeftAt: e.LeftAt}
		if e.UserID != nil {
			lines[i].CadreFigures = *figs[*e.UserID]
		}
		lines[i].derive()
	}
	rank := func(v string, in []string) int { return slices.Index(in, v) }
	statuses := []string{model.RosterRegistered, model.RosterPending, model.RosterLeft}
	slices.SortStableFunc(lines, func(a, b CadreLine) int {
		return cmp.Or(cmp.Compare(rank(a.Category, model.Categories), rank(b.Category, model.Categories)),
			cmp.Compare(rank(a.Status, statuses), rank(b.Status, statuses)),
			strings.Compare(a.RealName, b.RealName))
	})
	var total CadreFigures
	for _, id := range ids {
		total.add(*figs[id])
	}
	total.derive()
	return lines, total, nil
}

// cadreFigures computes the figures of accounts ids of university uni.
func (s *Service) cadreFigures(ctx context.Context, uni uint64, ids []uint64, p Period) (map[uint64]*CadreFigures, error) {
	figs := make(map[uint64]*CadreFigures, len(ids))
	for _, id := range ids {
		figs[id] = &CadreFigures{}
	}
	if len(ids) == 0 {
		return figs, nil
	}
	conn := func() *gorm.DB { return s.db.Reports(ctx) }
	// The accounts' universities: an answer on a board of another one is
	// a cross-board reply.
	var users []struct {
		ID           uint64
		UniversityID *uint64
		Roles        int
	}
	if err := conn().Raw("SELECT id, university_id, roles FROM users WHERE id IN ?", ids).Scan(&users).Error; err != nil {
		return nil, err
	}
	// home is each account's university; 0 for an account without one or
	// a province admin, whose answers are never cross-board (the same rule
	// as the cross-board replies').
	home := make(map[uint64]uint64, len(users))
	for _, u := range users {
		if u.UniversityID != nil && u.Roles&model.RoleBit(model.RoleProvinceAdmin) == 0 {
			home[u.ID] = *u.UniversityID
		}
	}

	// The boards (a few hundred): whose each one is.
	var boards []model.Board
	if err := conn().Select("id", "kind", "university_id").Find(&boards).Error; err != nil {
		return nil, err
	}
	board := make(map[uint64]model.Board, len(boards))
	for _, b := range boards {
		board[b.ID] = b
	}

	type pair struct{ user, question uint64 }
	answered := map[pair]bool{}
	first := map[uint64]cadreAnswer{} // question → the roster's answer that was its first
	// Scanned by hand: a year of a large university is tens of thousands
	// of rows, which gorm's reflection made noticeably slower.
	rows, err := conn().Raw(cadreAnswersSQL, ids, p.Start, p.End, model.AnswerKindAnswer).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a cadreAnswer
		if err := rows.Scan(&a.ID, &a.AuthorID, &a.QuestionID, &a.Status, &a.CreatedAt, &a.UpdatedAt,
			&a.BoardID, &a.FirstAnsweredAt, &a.FirstResponseS, &a.PromiseKept, &a.Rating); err != nil {
			return nil, err
		}
		f := figs[a.AuthorID]
		if f == nil {
			continue
		}
		b := board[a.BoardID]
		province := b.Kind == model.BoardProvince
		h := home[a.AuthorID]
		other := !province && b.UniversityID != nil && h != 0 && *b.UniversityID != h
		if a.Status == model.AnswerPublished {
			f.Answers++
			switch {
			case province:
				f.AnswersProvince++
			case other:
				f.AnswersOther++
			default:
				f.AnswersOwn++
			}
			if k := (pair{a.AuthorID, a.QuestionID}); !answered[k] {
				answered[k] = true
				if a.Rating != "" {
					f.Rated++
				}
				if a.Rating == ratingGood {
					f.Satisfied++
				}
			}
		}
		// The question's first answer: given at the moment the question
		// records (or published then, approved or restored later); a
		// cross-board reply never is one.
		if other || a.FirstAnsweredAt == nil {
			continue
		}
		fa := a.FirstAnsweredAt.UTC()
		exact := a.CreatedAt.UTC().Equal(fa)
		publishedLater := a.UpdatedAt.UTC().Equal(fa) && a.CreatedAt.Before(fa) // approved or restored then
		if !exact && !publishedLater {
			continue
		}
		if prev, ok := first[a.QuestionID]; ok {
			prevExact := prev.CreatedAt.UTC().Equal(fa)
			if prevExact && !exact || (prevExact == exact && prev.ID < a.ID) {
				continue
			}
		}
		first[a.QuestionID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for _, a := range first {
		f := figs[a.AuthorID]
		f.FirstAnswers++
		if a.PromiseKept != nil {
			if *a.PromiseKept {
				f.FirstOnTime++
			} else {
				f.FirstLate++
			}
		}
		if a.FirstResponseS != nil {
			f.responses = append(f.responses, *a.FirstResponseS)
		}
	}

	var bookings []struct {
		UserID  uint64
		Handled int64
		OnTime  int64
	}
	if err := conn().Raw(cadreBookingsSQL, true, ids, p.Start, p.End).Scan(&bookings).Error; err != nil {
		return nil, err
	}
	for _, b := range bookings {
		if f := figs[b.UserID]; f != nil {
			f.BookingsHandled, f.BookingsOnTime = b.Handled, b.OnTime
		}
	}

	var days []struct {
		UserID uint64
		Days   int64
	}
	if err := conn().Raw(cadreDaysSQL, uni, ids, dayNum(p.Start), dayNum(p.End)).Scan(&days).Error; err != nil {
		return nil, err
	}
	for _, d := range days {
		if f := figs[d.UserID]; f != nil {
			f.ActiveDays = d.Days
		}
	}
	return figs, nil
}

// ratingGood is the asker's 满意.
const ratingGood = "满意"

// cadreLess orders two figures by column key (nil last), or reports 0.
func cadreOrder(key string, a, b CadreFigures) int {
	c, ok := cadreColumn(key)
	if !ok {
		return 0
	}
	x, y := c.get(a), c.get(b)
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1
	case y == nil:
		return -1
	case c.Asc:
		return cmp.Compare(*x, *y)
	}
	return cmp.Compare(*y, *x)
}

// sortCadres orders a roster's lines by key (highest first), keeping the
// roster's order among equals; SortCode keeps the roster's order.
func sortCadres(lines []CadreLine, key string) {
	slices.SortStableFunc(lines, func(a, b CadreLine) int { return cadreOrder(key, a.CadreFigures, b.CadreFigures) })
}

// sortUniversityCadres orders the province's table by key, then code.
func sortUniversityCadres(rows []UniversityCadres, key string) {
	slices.SortStableFunc(rows, func(a, b UniversityCadres) int {
		return cmp.Or(cadreOrder(key, a.CadreFigures, b.CadreFigures), cmp.Compare(a.University.Code, b.University.Code))
	})
}
