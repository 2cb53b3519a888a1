package question

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// Lists are read a page at a time from a cursor (keyset pagination): the
// page after a question is the next PageSize questions in list order
// (created_at, then id, newest first) past it. Each read is a range of an
// index in that order, so a page costs about PageSize index entries
// however deep it is, where OFFSET read and threw away every question
// before it; and a question hidden or added meanwhile shifts nothing, so
// walking the pages shows each question once.
//
// A list is a sequence of parts (an answerer's board list: the open
// questions, then the others), each the union of arms: sets of questions
// one index reads in list order (a board's public questions, a board's
// open ones). A part's page merges its arms' reads.

// excerptRunes is how much of the body a list item carries.
const excerptRunes = 60

// listColumns are what a list item needs: everything but the body, of
// which an excerpt (one character more than shown, to tell whether it was
// cut).
var listColumns = "id, board_id, university_id, asker_id, title, anonymous, status, due_at, first_answered_at, " +
	"first_response_seconds, promise_kept, reminded_at, overdue_at, rating, rating_comment, hidden_reason, rejected_at, " +
	"metoo_count, created_at, updated_at, SUBSTR(body, 1, " + strconv.Itoa(excerptRunes+1) + ") AS excerpt"

// listRow is a question read for a list.
type listRow struct {
	model.Question
	Excerpt string
}

// listRows runs a query for listColumns. It scans by hand: through gorm's
// reflection a page of 20 cost about 80 KB of garbage, most of the page's.
func (s *Service) listRows(ctx context.Context, size int, query string, args ...any) ([]listRow, error) {
	rows, err := s.db.Conn(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]listRow, 0, size)
	for rows.Next() {
		var r listRow
		q := &r.Question
		if err := rows.Scan(&q.ID, &q.BoardID, &q.UniversityID, &q.AskerID, &q.Title, &q.Anonymous, &q.Status, &q.DueAt,
			&q.FirstAnsweredAt, &q.FirstResponseS, &q.PromiseKept, &q.RemindedAt, &q.OverdueAt, &q.Rating, &q.RatingComment,
			&q.HiddenReason, &q.RejectedAt, &q.MetooCount, &q.CreatedAt, &q.UpdatedAt, &r.Excerpt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// excerpt shortens a body to excerptRunes characters.
func excerpt(body string) string {
	n := 0
	for i := range body {
		if n == excerptRunes {
			return body[:i] + "…"
		}
		n++
	}
	return body
}

// PageOptions place a page: after or before a cursor from an earlier
// page, or else the Page-th page from the top (old links; page 1 when 0).
type PageOptions struct {
	Page   int
	After  string
	Before string
}

// ListPage is one page of a list: its questions and the cursors of the
// pages before and after it ("" when there is none).
type ListPage struct {
	Items []Summary
	Prev  string // for PageOptions.Before
	Next  string // for PageOptions.After
}

// cursor is a place in a list: the question with created_at at and id id,
// in part part. since is when the walk through the list began (the part
// a question belongs to may depend on it, see List). In a list ordered by
// 同问 (byMetoo) the place is the question with metoo_count n and id id
// instead, written "n<count>" where the time would be.
type cursor struct {
	part    int
	at      time.Time
	byMetoo bool
	n       int
	id      uint64
	since   time.Time
}

func (c cursor) String() string {
	key := strconv.FormatInt(c.at.UnixNano(), 36)
	if c.byMetoo {
		key = "n" + strconv.FormatInt(int64(c.n), 36)
	}
	return strings.Join([]string{strconv.Itoa(c.part), key,
		strconv.FormatUint(c.id, 36), strconv.FormatInt(c.since.UnixNano(), 36)}, ".")
}

func errBadCursor(field string) error {
	return service.Invalid("bad_cursor", "翻页链接已失效，请从第一页重新浏览", map[string]string{field: "翻页参数无效"})
}

// parseCursor reads a cursor of list l (one of another order is refused).
func (l list) parseCursor(s, field string, parts int) (cursor, error) {
	f := strings.Split(s, ".")
	if len(f) != 4 {
		return cursor{}, errBadCursor(field)
	}
	key, byMetoo := strings.CutPrefix(f[1], "n")
	part, err1 := strconv.Atoi(f[0])
	at, err2 := strconv.ParseInt(key, 36, 64)
	id, err3 := strconv.ParseUint(f[2], 36, 63)
	since, err4 := strconv.ParseInt(f[3], 36, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || part < 0 || part >= parts || id == 0 || since <= 0 ||
		byMetoo != l.byMetoo || at < 0 || (!byMetoo && at == 0) || (byMetoo && at > math.MaxInt32) {
		return cursor{}, errBadCursor(field)
	}
	c := cursor{part: part, byMetoo: byMetoo, id: id, since: time.Unix(0, since).UTC()}
	if byMetoo {
		c.n = int(at)
	} else {
		c.at = time.Unix(0, at).UTC()
	}
	return c, nil
}

// arm is a set of questions one index reads in list order.
type arm struct {
	where string
	args  []any
	index string // the index to read: see armSQL
}

// list describes a list: the condition all its questions meet and its
// parts for a walk begun at since. byMetoo orders it most 同问 first (then
// newest id first) instead of newest first.
type list struct {
	where   string
	args    []any
	parts   func(since time.Time) [][]arm
	dialect model.Dialect
	byMetoo bool
}

// The indexes of the list reads (migration 13).
const (
	indexBoardCreated  = "idx_question_board_created" // (board_id, created_at, id, status)
	indexBoardList     = "idx_question_board_list"    // (board_id, status, created_at, id)
	indexBoardAnswered = "idx_question_board_answered"
	indexAskerList     = "idx_question_asker_list"
	indexBoardMetoo    = "idx_question_board_metoo" // (board_id, metoo_count, id, status), migration 22
)

// armSQL selects cols of the questions of a in list order (or reversed),
// after (or before) c when c is set, at most limit.
//
// Each arm names its index: ordered by created_at with a LIMIT, MariaDB
// otherwise at times walked idx_questions_created_at down from the cursor
// through the whole table (it expects to meet the arm's rows soon; for
// the arm of questions answered since a walk began, often none), seconds
// per page.
func (l list) armSQL(a arm, cols string, c *cursor, forward bool, limit int) (string, []any) {
	var b strings.Builder
	args := slices.Clone(l.args)
	b.WriteString("SELECT " + cols + " FROM questions")
	if a.index != "" {
		if l.dialect == model.MySQL {
			b.WriteString(" FORCE INDEX (" + a.index + ")")
		} else {
			b.WriteString(" INDEXED BY " + a.index)
		}
	}
	b.WriteString(" WHERE " + l.where)
	if a.where != "" {
		b.WriteString(" AND " + a.where)
		args = append(args, a.args...)
	}
	if c != nil {
		col := "created_at"
		var key any = c.at
		if l.byMetoo {
			col, key = "metoo_count", c.n
		}
		if forward {
			b.WriteString(" AND " + col + " <= ? AND (" + col + " < ? OR id < ?)")
		} else {
			b.WriteString(" AND " + col + " >= ? AND (" + col + " > ? OR id > ?)")
		}
		args = append(args, key, key, c.id)
	}
	b.WriteString(" ORDER BY " + l.order(forward) + " LIMIT " + strconv.Itoa(limit))
	return b.String(), args
}

// order is the list's order (forward) or its reverse.
func (l list) order(forward bool) string {
	col := "created_at"
	if l.byMetoo {
		col = "metoo_count"
	}
	if forward {
		return col + " DESC, id DESC"
	}
	return col + " ASC, id ASC"
}

// unionSQL merges the arms' reads: each arm reads at most limit in order,
// then the union is ordered again and cut to limit.
func (l list) unionSQL(arms []arm, cols string, c *cursor, forward bool, limit int) (string, []any) {
	if len(arms) == 1 {
		return l.armSQL(arms[0], cols, c, forward, limit)
	}
	var parts []string
	var args []any
	for i, a := range arms {
		q, qa := l.armSQL(a, cols, c, forward, limit)
		parts = append(parts, "SELECT * FROM ("+q+") a"+strconv.Itoa(i))
		args = append(args, qa...)
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY " + l.order(forward) + " LIMIT " + strconv.Itoa(limit), args
}

// placed is a row and the part it was read from.
type placed struct {
	row  listRow
	part int
}

// read collects up to n questions from cursor c on: forward (older) from
// c's part to the last, or backward (newer, nearest first) to the first.
func (s *Service) read(ctx context.Context, l list, parts [][]arm, c cursor, from *cursor, forward bool, n int) ([]placed, error) {
	out := make([]placed, 0, n)
	for p := c.part; p >= 0 && p < len(parts) && len(out) < n; {
		// Each arm on its own (a UNION of ordered reads cost MariaDB a
		// temporary table per arm), merged here.
		want := n - len(out)
		var rows []listRow
		for _, a := range parts[p] {
			q, args := l.armSQL(a, listColumns, from, forward, want)
			got, err := s.listRows(ctx, want, q, args...)
			if err != nil {
				return nil, err
			}
			rows = append(rows, got...)
		}
		if len(parts[p]) > 1 {
			slices.SortFunc(rows, func(a, b listRow) int {
				c := cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
				if l.byMetoo {
					c = cmp.Or(cmp.Compare(a.MetooCount, b.MetooCount), cmp.Compare(a.ID, b.ID))
				}
				if forward {
					return -c
				}
				return c
			})
			rows = rows[:min(len(rows), want)]
		}
		for _, r := range rows {
			out = append(out, placed{r, p})
		}
		from = nil // the following parts from their start
		if forward {
			p++
		} else {
			p--
		}
	}
	return out, nil
}

// seek finds the k-th question of the list (k ≥ 1), for pages asked for
// by number: within a part, each arm's first k entries of its index (no
// rows read), merged. ok is false when the list is shorter.
func (s *Service) seek(ctx context.Context, l list, parts [][]arm, since time.Time, k int) (c cursor, ok bool, err error) {
	for p, arms := range parts {
		q, args := l.unionSQL(arms, "created_at, metoo_count, id", nil, true, k)
		var total int
		if err := s.db.Conn(ctx).Raw("SELECT COUNT(*) FROM ("+q+") t", args...).Scan(&total).Error; err != nil {
			return c, false, err
		}
		if total < k {
			k -= total
			continue
		}
		var at struct {
			CreatedAt  time.Time
			MetooCount int
			ID         uint64
		}
		if err := s.db.Conn(ctx).Raw("SELECT created_at, metoo_count, id FROM ("+q+") t ORDER BY "+l.order(true)+" LIMIT 1 OFFSET "+
			strconv.Itoa(k-1), args...).Scan(&at).Error; err != nil {
			return c, false, err
		}
		return cursor{part: p, at: at.CreatedAt, byMetoo: l.byMetoo, n: at.MetooCount, id: at.ID, since: since}, true, nil
	}
	return c, false, nil
}

// pageRows is a page as read from the database, before it is shown to
// a viewer: its questions, their excerpts, the cursors of its neighbours
// and the askers (to be named or anonymised per viewer).
type pageRows struct {
	qs         []model.Question
	excerpts   []string
	prev, next string
	askers     map[uint64]model.User
}

// page reads the page of l that o asks for and shows it to viewer.
func (s *Service) page(ctx context.Context, viewer model.User, l list, o PageOptions) (ListPage, error) {
	r, err := s.readPage(ctx, l, o)
	if err != nil {
		return ListPage{}, err
	}
	return s.show(ctx, viewer, r)
}

// show turns a page's rows into what viewer sees.
func (s *Service) show(ctx context.Context, viewer model.User, r pageRows) (ListPage, error) {
	items, err := s.summaries(ctx, viewer, r.qs, r.askers)
	if err != nil {
		return ListPage{}, err
	}
	for i := range items {
		items[i].Excerpt = r.excerpts[i]
	}
	return ListPage{Items: items, Prev: r.prev, Next: r.next}, nil
}

// readPage reads the rows of the page of l that o asks for.
func (s *Service) readPage(ctx context.Context, l list, o PageOptions) (pageRows, error) {
	l.dialect = s.db.Dialect()
	var out pageRows
	var got []placed
	var from cursor
	var err error
	switch {
	case o.Before != "":
		if from, err = l.parseCursor(o.Before, "before", len(l.parts(time.Time{}))); err != nil {
			return out, err
		}
		parts := l.parts(from.since)
		if got, err = s.read(ctx, l, parts, from, &from, false, PageSize+1); err != nil {
			return out, err
		}
		if len(got) <= PageSize {
			// Back at the top: the first page as it is now, full.
			return s.readPage(ctx, l, PageOptions{})
		}
		got = got[:PageSize]
		slices.Reverse(got)
		out.next = l.cursorOf(got[len(got)-1], from.since).String()
	default:
		start := (*cursor)(nil)
		if o.After != "" {
			if from, err = l.parseCursor(o.After, "after", len(l.parts(time.Time{}))); err != nil {
				return out, err
			}
			start = &from
			out.prev = from.String() // if nothing is left after it
		} else {
			from = cursor{byMetoo: l.byMetoo, since: s.now()}
			if o.Page > 1 {
				c, ok, err := s.seek(ctx, l, l.parts(from.since), from.since, (min(o.Page, maxPage)-1)*PageSize)
				if err != nil || !ok {
					return out, err
				}
				from, start = c, &c
			}
		}
		if got, err = s.read(ctx, l, l.parts(from.since), from, start, true, PageSize+1); err != nil {
			return out, err
		}
		if len(got) > PageSize {
			got = got[:PageSize]
			out.next = l.cursorOf(got[len(got)-1], from.since).String()
		}
	}
	if len(got) > 0 && (o.After != "" || o.Before != "" || o.Page > 1) {
		out.prev = l.cursorOf(got[0], from.since).String()
	}
	out.qs, out.excerpts = make([]model.Question, len(got)), make([]string, len(got))
	for i, g := range got {
		out.qs[i], out.excerpts[i] = g.row.Question, excerpt(g.row.Excerpt)
	}
	out.askers, err = s.askers(ctx, out.qs)
	return out, err
}

func (l list) cursorOf(p placed, since time.Time) cursor {
	return cursor{part: p.part, at: p.row.CreatedAt, byMetoo: l.byMetoo, n: p.row.MetooCount, id: p.row.ID, since: since}
}

// maxPage bounds the page numbers of old links, as before cursors.
const maxPage = 500
