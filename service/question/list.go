package question

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// PageSize is how many questions a list page holds.
const PageSize = 20

// Summary is a question in a list.
type Summary struct {
	model.Question
	Excerpt   string `json:"excerpt"` // the body's beginning (lists do not read the body)
	BoardName string `json:"board_name"`
	AskerName string `json:"asker_name"`
	Overdue   bool   `json:"overdue"`
}

// publicStatuses are what everybody may read on a board.
var publicStatuses = []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved}

// summarize adds board names and (possibly anonymised) asker names.
func (s *Service) summarize(ctx context.Context, viewer model.User, qs []model.Question) ([]Summary, error) {
	users, err := s.askers(ctx, qs)
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, viewer, qs, users)
}

// askers reads the names of the askers of qs.
func (s *Service) askers(ctx context.Context, qs []model.Question) (map[uint64]model.User, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	ids := make([]uint64, 0, len(qs))
	for _, q := range qs {
		ids = append(ids, q.AskerID)
	}
	var users []model.User
	if err := s.db.Conn(ctx).Select(model.NameColumns).Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, err
	}
	us := make(map[uint64]model.User, len(users))
	for _, u := range users {
		us[u.ID] = u
	}
	return us, nil
}

// summaries shows qs, asked by askers, to viewer.
func (s *Service) summaries(ctx context.Context, viewer model.User, qs []model.Question, askers map[uint64]model.User) ([]Summary, error) {
	if len(qs) == 0 {
		return []Summary{}, nil
	}
	cached, _, err := s.cachedBoards(ctx)
	if err != nil {
		return nil, err
	}
	var boardIDs []uint64 // of boards the cache does not know yet
	for _, q := range qs {
		if _, ok := cached[q.BoardID]; !ok {
			boardIDs = append(boardIDs, q.BoardID)
		}
	}
	bs := cached
	if len(boardIDs) > 0 {
		var boards []model.Board
		if err := s.db.Conn(ctx).Where("id IN ?", boardIDs).Find(&boards).Error; err != nil {
			return nil, err
		}
		bs = maps.Clone(cached)
		for _, b := range boards {
			bs[b.ID] = b
		}
	}
	now := s.now()
	out := make([]Summary, 0, len(qs))
	for _, q := range qs {
		b := bs[q.BoardID]
		name := askers[q.AskerID].PublicName()
		if q.Anonymous && !canSeeAsker(viewer, q) {
			name = AnonymousName
		}
		out = append(out, Summary{Question: q, Excerpt: excerpt(q.Body), BoardName: b.Name, AskerName: name,
			Overdue: q.Status == model.QuestionOpen && now.After(q.DueAt)})
	}
	return out, nil
}

// Mine lists u's own questions, newest first, whatever their status.
func (s *Service) Mine(ctx context.Context, u model.User, o PageOptions) (ListPage, error) {
	l := list{where: "asker_id = ?", args: []any{u.ID}, parts: func(time.Time) [][]arm { return [][]arm{{{index: indexAskerList}}} }}
	p, err := s.page(ctx, u, l, o)
	return p, service.Wrap("读取我的提问", err)
}

func offset(page int) int {
	if page < 1 {
		page = 1
	}
	if page > 500 {
		page = 500
	}
	return (page - 1) * PageSize
}

// ListOptions filter a board list and place the page.
type ListOptions struct {
	Unanswered bool
	Sort       string // SortNewest or SortMetoo
	PageOptions
}

// The orders a board list may be asked for.
const (
	SortNewest = ""      // newest first (for those who answer: open first)
	SortMetoo  = "metoo" // most 同问 first, the same for everybody
)

// List shows a board's published questions: newest first, and for those
// who answer there, unanswered ones first.
//
// For them the list has two parts, the open questions and then the
// others, each read in order from its own index. A question answered
// while someone pages through would move from the first part, where they
// may have seen it already, to the second, where they would see it again:
// so for the length of a walk a question first answered after its first
// page (times are in seconds: in a later second) stays in the first part,
// and shows there with its new status.
func (s *Service) List(ctx context.Context, viewer model.User, boardKey string, o ListOptions) (model.Board, ListPage, error) {
	b, err := s.listBoard(ctx, boardKey)
	if err != nil {
		return b, ListPage{}, err
	}
	l := list{where: "board_id = ?", args: []any{b.ID}}
	order := listPublic
	if o.Sort != SortNewest && o.Sort != SortMetoo {
		return b, ListPage{}, service.Invalid("bad_sort", "排序方式无效", map[string]string{"sort": "排序方式应为 metoo 或留空"})
	}
	// A board's questions newest first, of some statuses, are read from
	// (board_id, created_at, id, status), the status checked in the index:
	// hidden ones and those held for review are few. Its open questions,
	// which may be few and far apart, from (board_id, status, created_at, id).
	byStatus := func(where string, args ...any) arm {
		return arm{where: where, args: args, index: indexBoardCreated}
	}
	open := arm{where: "status = ?", args: []any{model.QuestionOpen}, index: indexBoardList}
	switch {
	case o.Sort == SortMetoo:
		// Most 同问 first, then newest, from (board_id, metoo_count, id,
		// status); those who answer see it as students do (it is a
		// question of what students want, not of what is due). A count
		// that changes while someone pages may move a question past
		// the cursor: seen twice or not at all, as on any ranking.
		l.byMetoo = true
		statuses, ord := publicStatuses, listMetoo
		if o.Unanswered {
			statuses, ord = []string{model.QuestionOpen}, listMetooUnanswered
		}
		order = ord
		l.parts = func(time.Time) [][]arm {
			return [][]arm{{{where: "status IN ?", args: []any{statuses}, index: indexBoardMetoo}}}
		}
	case o.Unanswered:
		order = listUnanswered
		l.parts = func(time.Time) [][]arm { return [][]arm{{open}} }
	case isStaff(viewer) && answersForHost(viewer, b):
		// Those who answer for the board's university; a cadre of another
		// university browsing it (who may reply) sees it as students do.
		order = listOpenFirst
		l.parts = func(since time.Time) [][]arm {
			answered := []string{model.QuestionAnswered, model.QuestionResolved}
			answeredSince := arm{where: "first_answered_at > ? AND status IN ?", args: []any{since, answered}, index: indexBoardAnswered}
			return [][]arm{
				{open, answeredSince},
				{byStatus("status IN ? AND (first_answered_at IS NULL OR first_answered_at <= ?)", answered, since)},
			}
		}
	default:
		l.parts = func(time.Time) [][]arm { return [][]arm{{byStatus("status IN ?", publicStatuses)}} }
	}
	rows, err := s.lists.get(ctx, pageKey{board: b.ID, order: order, opts: o.PageOptions}, func(ctx context.Context) (pageRows, error) {
		return s.readPage(ctx, l, o.PageOptions)
	})
	if err != nil {
		return b, ListPage{}, service.Wrap("读取版区问题", err)
	}
	p, err := s.show(ctx, viewer, rows)
	return b, p, service.Wrap("读取版区问题", err)
}

// The orders of a board list.
const (
	listPublic          = iota // newest first
	listOpenFirst              // for those who answer: open questions first
	listUnanswered             // open questions only
	listMetoo                  // most 同问 first
	listMetooUnanswered        // open questions only, most 同问 first
)

// UniversityCount is how many questions of one university are overdue.
type UniversityCount struct {
	UniversityID uint64 `json:"university_id"`
	Name         string `json:"name"`
	Count        int64  `json:"count"`
}

// Overdue is the overdue view: the questions still unanswered past their
// 24 hours in the admin's scope, and for the province the count per
// university.
type Overdue struct {
	Total        int64             `json:"total"`     // all overdue questions in scope
	Questions    []Summary         `json:"questions"` // the longest overdue first, at most overdueListed
	ByUniversity []UniversityCount `json:"by_university,omitempty"`
}

// overdueListed is how many overdue questions OverdueFor lists.
const overdueListed = 200

// OverdueFor lists overdue questions for a university or province admin.
// The list is a range of an index on (status, due_at) – for a university
// (university_id, status, due_at) – that also holds id and university_id,
// and only the listed questions are read (without their bodies). A
// university's total is counted on that index; the province's counts per
// university come from the open counts (overdueByUniversity).
func (s *Service) OverdueFor(ctx context.Context, admin model.User) (Overdue, error) {
	scope, err := moderationScope(admin)
	if err != nil {
		return Overdue{}, err
	}
	now := s.now()
	base := func() *gorm.DB {
		q := s.db.Conn(ctx).Model(&model.Question{}).Where("status = ? AND due_at < ?", model.QuestionOpen, now)
		if scope != nil {
			q = q.Where("university_id = ?", *scope)
		}
		return q
	}
	var ids []uint64
	if err := base().Order("due_at").Order("id").Limit(overdueListed).Pluck("id", &ids).Error; err != nil {
		return Overdue{}, service.Wrap("读取超时问题", err)
	}
	var rows []listRow
	if len(ids) > 0 {
		if rows, err = s.listRows(ctx, len(ids), "SELECT "+listColumns+" FROM questions WHERE id IN ?", ids); err != nil {
			return Overdue{}, service.Wrap("读取超时问题", err)
		}
	}
	pos := make(map[uint64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(rows, func(a, b listRow) int { return pos[a.ID] - pos[b.ID] })
	qs := make([]model.Question, len(rows))
	for i, r := range rows {
		qs[i] = r.Question
	}
	var out Overdue
	if out.Questions, err = s.summarize(ctx, admin, qs); err != nil {
		return Overdue{}, service.Wrap("读取超时问题", err)
	}
	for i, r := range rows {
		out.Questions[i].Excerpt = excerpt(r.Excerpt)
	}
	out.Total = int64(len(ids))
	if scope != nil {
		if len(ids) == overdueListed {
			if err := base().Count(&out.Total).Error; err != nil {
				return Overdue{}, service.Wrap("统计超时问题", err)
			}
		}
		return out, nil
	}
	// The province: the count per university, and the total their sum.
	counts, err := s.overdueByUniversity(ctx, now)
	if err != nil {
		return Overdue{}, service.Wrap("统计超时问题", err)
	}
	uniIDs := make([]uint64, 0, len(counts))
	out.Total = 0
	for _, c := range counts {
		out.Total += c.Count
		uniIDs = append(uniIDs, c.UniversityID)
	}
	names := map[uint64]string{}
	if len(uniIDs) > 0 {
		var unis []model.University
		if err := s.db.Conn(ctx).Select("id", "name").Where("id IN ?", uniIDs).Find(&unis).Error; err != nil {
			return Overdue{}, service.Wrap("统计超时问题", err)
		}
		for _, u := range unis {
			names[u.ID] = u.Name
		}
	}
	for _, c := range counts {
		if name, ok := names[c.UniversityID]; ok { // as before: universities that exist
			c.Name = name
			out.ByUniversity = append(out.ByUniversity, c)
		}
	}
	slices.SortFunc(out.ByUniversity, func(a, b UniversityCount) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.UniversityID, b.UniversityID)
	})
	return out, nil
}

// overdueByUniversity counts the overdue questions of each university
// without reading them: its open questions (question_open_counts, kept
// with every status change) less those not yet due, which are at most the
// last day's questions. Counting the overdue ones themselves reads every
// one of them (129,000 at province volume: 40–60 ms a request). Both
// reads are in one transaction, so they see the same snapshot and agree.
func (s *Service) overdueByUniversity(ctx context.Context, now time.Time) ([]UniversityCount, error) {
	var open []model.QuestionOpenCount
	var notDue []UniversityCount
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Where("open_count <> 0").Find(&open).Error; err != nil {
			return err
		}
		return s.db.Conn(ctx).Model(&model.Question{}).Select("university_id, COUNT(*) AS count").
			Where("status = ? AND due_at >= ?", model.QuestionOpen, now).Group("university_id").Scan(&notDue).Error
	})
	if err != nil {
		return nil, err
	}
	pending := make(map[uint64]int64, len(notDue))
	for _, c := range notDue {
		pending[c.UniversityID] = c.Count
	}
	counts := make([]UniversityCount, 0, len(open))
	for _, o := range open {
		if n := o.OpenCount - pending[o.UniversityID]; n > 0 {
			counts = append(counts, UniversityCount{UniversityID: o.UniversityID, Count: n})
		}
	}
	return counts, nil
}
