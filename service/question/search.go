package question

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// Search limits.
const (
	MaxSearchWords  = 5  // pieces of a query searched; the rest are ignored
	maxSearchPiece  = 20 // characters of a piece searched
	minSearchPiece  = 2  // shorter pieces are not searched
	searchTimeLimit = 30 * time.Second
)

// parseQuery returns the pieces a search looks for (see model.SearchPieces):
// at most MaxSearchWords, each of 2 to maxSearchPiece characters, without
// repeats. One character alone would be a scan of the index (a Chinese
// character is indexed in pairs), so it is not searched, and a query of
// nothing else is refused with a message saying so.
func parseQuery(query string) ([]string, error) {
	query = service.CleanText(query)
	if strings.TrimSpace(query) == "" {
		return nil, service.Invalid("empty_query", "请输入要搜索的词", map[string]string{"q": "请输入要搜索的词"})
	}
	var out []string
	for _, p := range model.SearchPieces(query) {
		if utf8.RuneCountInString(p) < minSearchPiece {
			continue
		}
		if rs := []rune(p); len(rs) > maxSearchPiece {
			p = string(rs[:maxSearchPiece])
		}
		if !contains(out, p) {
			out = append(out, p)
		}
		if len(out) == MaxSearchWords {
			break
		}
	}
	if len(out) == 0 {
		msg := "请输入至少两个字的词：单个汉字、字母或数字无法搜索，标点符号不参与搜索"
		return nil, service.Invalid("query_too_short", msg, map[string]string{"q": msg})
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Search finds the published questions holding every word of query in
// their title or body, in one board (boardKey) or in all, the most
// relevant first, then the newest. Chinese words of two characters or
// more match anywhere in the text; words of Latin letters or of digits
// match whole ("CET4" finds "cet4" but not "CET-4"; "Pyth" does not find
// "Python"); punctuation separates words.
func (s *Service) Search(ctx context.Context, viewer model.User, boardKey, query string, page int) ([]Summary, error) {
	pieces, err := parseQuery(query)
	if err != nil {
		return nil, err
	}
	search := model.QuestionSearch{Pieces: pieces, Statuses: publicStatuses}
	if boardKey != "" {
		b, err := s.boardByKey(ctx, boardKey)
		if err != nil {
			return nil, err
		}
		search.BoardID = b.ID
	}
	var ids []uint64
	if off := offset(page); off+PageSize <= searchCacheDepth {
		top, err := s.searchTop(ctx, search)
		if err != nil {
			return nil, service.Wrap("搜索", err)
		}
		ids = top[min(off, len(top)):min(off+PageSize, len(top))]
	} else {
		search.Offset, search.Limit = off, PageSize
		if ids, err = s.db.SearchQuestions(ctx, search); err != nil {
			return nil, service.Wrap("搜索", err)
		}
	}
	qs, err := s.loadPublished(ctx, ids)
	if err != nil {
		return nil, service.Wrap("搜索", err)
	}
	out, err := s.summarize(ctx, viewer, qs)
	return out, service.Wrap("搜索", err)
}

// loadPublished loads the questions of ids that are published now, in the
// order of ids. The index may still list a question hidden a moment ago
// (a cached result, or on MariaDB a write of a transaction that did not
// commit): the questions table decides.
func (s *Service) loadPublished(ctx context.Context, ids []uint64) ([]model.Question, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []model.Question
	if err := s.db.Conn(ctx).Where("id IN ? AND status IN ?", ids, publicStatuses).Find(&found).Error; err != nil {
		return nil, err
	}
	byID := make(map[uint64]model.Question, len(found))
	for _, q := range found {
		byID[q.ID] = q
	}
	out := make([]model.Question, 0, len(found))
	for _, id := range ids {
		if q, ok := byID[id]; ok {
			out = append(out, q)
		}
	}
	return out, nil
}

// index puts q, just published, into the search index; unindex takes a
// hidden question out. Both run in the transaction of the change, last,
// so that on MariaDB (where the index write is not undone by a rollback)
// little can fail after them, and two changes of one question, ordered by
// its row lock, reach the index in the same order.
func (s *Service) index(ctx context.Context, q model.Question) error {
	s.search.changed()
	if err := s.db.IndexQuestion(ctx, q); err != nil {
		return fmt.Errorf("更新搜索索引: %w", err)
	}
	return nil
}

func (s *Service) unindex(ctx context.Context, id uint64) error {
	s.search.changed()
	if err := s.db.UnindexQuestion(ctx, id); err != nil {
		return fmt.Errorf("更新搜索索引: %w", err)
	}
	return nil
}

// RebuildSearch makes the search index match the questions table (see
// model.DB.RebuildQuestionSearch): after questions were written without
// this service, or to repair it. It returns how many questions are
// searchable.
func RebuildSearch(ctx context.Context, db *model.DB) (int64, error) {
	return db.RebuildQuestionSearch(ctx, publicStatuses)
}

// The first pages of a search that is broad (it fills them) or slow are
// kept for a while: at province scale a common word such as 奖学金 is in
// hundreds of thousands of questions, and ranking them all takes the
// database a few hundred milliseconds, too long to repeat for every
// student who searches it. A kept result:
//
//   - is used as it is for searchCacheFresh, unless this instance changed
//     the index meanwhile (other instances' changes show after at most
//     searchCacheFresh);
//   - when older, is still used for up to searchCacheStale while one
//     search in the background brings it up to date, so that a popular
//     search never waits for the database once it is kept;
//   - after this instance changed the index, likewise if it was broad;
//     a narrow one (few hits, but slow) is searched again at once, so
//     that whoever just asked or restored a question finds it.
//
// Hidden questions never show: Search checks every question's status.
// Questions published meanwhile show up to searchCacheFresh late in
// broad searches.
const (
	searchCacheDepth   = 10 * PageSize
	searchCacheFresh   = time.Minute
	searchCacheStale   = 10 * time.Minute
	searchCacheSlow    = 50 * time.Millisecond
	searchCacheEntries = 1000
)

type searchCache struct {
	mu      sync.Mutex
	gen     uint64 // index changes made by this instance
	entries map[string]searchEntry
	flight  singleflight.Group
}

type searchEntry struct {
	ids   []uint64
	gen   uint64
	at    time.Time
	broad bool
}

func (c *searchCache) changed() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

func (c *searchCache) get(key string) (searchEntry, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, c.gen, ok
}

func (c *searchCache) put(key string, e searchEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]searchEntry{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= searchCacheEntries {
		for k := range c.entries { // any one: map order is random
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
}

func searchKey(q model.QuestionSearch) string {
	return strconv.FormatUint(q.BoardID, 10) + "\x00" + strings.Join(q.Pieces, "\x00")
}

// searchTop returns the first searchCacheDepth ids found by q.
func (s *Service) searchTop(ctx context.Context, q model.QuestionSearch) ([]uint64, error) {
	key := searchKey(q)
	now := s.clk.Now()
	e, gen, ok := s.search.get(key)
	if ok && e.gen == gen && now.Sub(e.at) < searchCacheFresh {
		return e.ids, nil
	}
	run := func() (any, error) { return s.searchAndKeep(context.WithoutCancel(ctx), key, q) }
	if ok && (e.broad || e.gen == gen) && now.Sub(e.at) < searchCacheStale {
		s.search.flight.DoChan(key, run) // its result is kept; nobody waits
		return e.ids, nil
	}
	// One search per key at a time: those who ask meanwhile share it.
	select {
	case r := <-s.search.flight.DoChan(key, run):
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]uint64), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// searchAndKeep searches the database for the first pages of q and keeps
// them when the search was broad or slow. ctx is not the request's: the
// search is shared by every request waiting for it.
func (s *Service) searchAndKeep(ctx context.Context, key string, q model.QuestionSearch) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, searchTimeLimit)
	defer cancel()
	_, gen, _ := s.search.get(key) // before the search: a change meanwhile leaves it stale
	at := s.clk.Now()
	start := time.Now()
	q.Offset, q.Limit = 0, searchCacheDepth
	ids, err := s.db.SearchQuestions(ctx, q)
	if err != nil {
		s.log.WarnContext(ctx, "question search failed", "pieces", q.Pieces, "board_id", q.BoardID, "err", err)
		return nil, err
	}
	broad := len(ids) == searchCacheDepth
	if broad || time.Since(start) >= searchCacheSlow {
		s.search.put(key, searchEntry{ids: ids, gen: gen, at: at, broad: broad})
	}
	return ids, nil
}
