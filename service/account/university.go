package account

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// universityCacheTTL bounds how stale another instance's campus import can
// look: the list is tiny and read on every activation page and search.
const universityCacheTTL = time.Minute

// Batch describes a construction batch of the notice.
type Batch struct {
	Number   int
	Name     string // 第一批 …
	Deadline string // 4月30日 …
	Covers   string
}

// Batches are the notice's three construction batches.
var Batches = map[int]Batch{
	model.BatchUndergraduate:     {1, "第一批", "4月30日", "本科院校（含独立二级学院）"},
	model.BatchPublicVocational:  {2, "第二批", "6月30日", "公办高职院校"},
	model.BatchPrivateVocational: {3, "第三批", "10月30日", "民办高职院校"},
}

// BatchFor applies the notice's rule: 本科 (incl. former independent
// colleges, listed as 民办本科) → 1; 公办专科 → 2; 民办专科 → 3.
func BatchFor(level, ownership string) int {
	switch {
	case level == "本科":
		return model.BatchUndergraduate
	case ownership == "民办":
		return model.BatchPrivateVocational
	default:
		return model.BatchPublicVocational
	}
}

// Universities returns all institutions ordered by code (cached).
func (s *Service) Universities(ctx context.Context) ([]model.University, error) {
	s.uniMu.Lock()
	defer s.uniMu.Unlock()
	if s.uniCache != nil && time.Since(s.uniLoaded) < universityCacheTTL {
		return s.uniCache, nil
	}
	var us []model.University
	if err := s.db.Conn(ctx).Order("code").Find(&us).Error; err != nil {
		return nil, service.Wrap("读取高校列表", err)
	}
	s.uniCache, s.uniLoaded = us, time.Now()
	return us, nil
}

func (s *Service) invalidateUniversities() {
	s.uniMu.Lock()
	s.uniCache = nil
	s.uniMu.Unlock()
}

// SearchUniversities matches q against names and cities ("广州", "华南",
// "深圳 职业"); every space-separated word must match. Empty q lists all.
func (s *Service) SearchUniversities(ctx context.Context, q string, limit int) ([]model.University, error) {
	all, err := s.Universities(ctx)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(q)
	if utf8.RuneCountInString(q) > 100 {
		return nil, service.Invalid("query_too_long", "搜索词太长", map[string]string{"q": "搜索词不能超过 100 个字符"})
	}
	out := make([]model.University, 0, len(all))
	for _, u := range all {
		if matches(u, words) {
			out = append(out, u)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func matches(u model.University, words []string) bool {
	for _, w := range words {
		w = strings.TrimSuffix(w, "市")
		if !strings.Contains(u.Name, w) && !strings.Contains(u.City, w) && u.Code != w {
			return false
		}
	}
	return true
}

// UniversityByCode returns one institution by its 学校标识码.
func (s *Service) UniversityByCode(ctx context.Context, code string) (model.University, error) {
	all, err := s.Universities(ctx)
	if err != nil {
		return model.University{}, err
	}
	for _, u := range all {
		if u.Code == code {
			return u, nil
		}
	}
	return model.University{}, service.NotFound("university_not_found", "学校不存在")
}

// UniversityByID returns one institution by id.
func (s *Service) UniversityByID(ctx context.Context, id uint64) (model.University, error) {
	all, err := s.Universities(ctx)
	if err != nil {
		return model.University{}, err
	}
	for _, u := range all {
		if u.ID == id {
			return u, nil
		}
	}
	return model.University{}, service.NotFound("university_not_found", "学校不存在")
}
