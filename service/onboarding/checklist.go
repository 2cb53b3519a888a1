package onboarding

import (
	"context"
	"fmt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/station"
)

// facts are what the data shows of one university's checklist.
type facts struct {
	liaison  bool // a liaison named
	admin    bool // an account of the university holds the university admin role
	cadres   int  // roster entries registered
	answered bool // a question on its board answered within its 24 hours
	asked    bool // a question published on its board
	station  bool // a station with opening hours
}

// met reports whether every item is met.
func (f facts) met(minCadres int) bool {
	return f.liaison && f.admin && f.cadres >= minCadres && (f.answered || !f.asked) && f.station
}

// items is the checklist of university u; allDone for a university
// operating, which is not measured again.
func (f facts) items(u model.University, minCadres int, allDone bool) []Item {
	cadres := Item{Key: ItemCadres, Label: fmt.Sprintf("至少 %d 名团学干部注册", minCadres), Done: f.cadres >= minCadres,
		Todo: "在干部名册中列入本校团学干部，督促其在公众号申请注册", Link: "/h5/admin/roster"}
	answer := Item{Key: ItemAnswer, Label: "本校版区提问 24 小时内答复（或暂无提问）", Done: f.answered || !f.asked,
		Todo: "及时答复本校版区的提问（24 小时内）", Link: "/h5/boards/u-" + u.Code}
	items := []Item{
		{Key: ItemLiaison, Label: "联络专员", Done: f.liaison,
			Todo: "设置本校联络专员（校团委副书记）", Link: "/h5/admin/liaisons"},
		{Key: ItemAdmin, Label: "高校团委管理员", Done: f.admin,
			Todo: "请省级管理员任命本校团委管理员", Link: "/h5/admin"},
		cadres,
		answer,
		{Key: ItemStation, Label: "服务站资料（含开放时间）", Done: f.station,
			Todo: "填写「青年之家」服务站资料和每周开放时间", Link: "/h5/station/edit"},
	}
	if allDone {
		for i := range items {
			items[i].Done, items[i].Todo = true, ""
		}
		return items
	}
	items[2].Detail = fmt.Sprintf("已注册 %d 名", f.cadres)
	switch {
	case f.answered:
		items[3].Detail = "已有提问按时答复"
	case !f.asked:
		items[3].Detail = "暂无提问"
	default:
		items[3].Detail = "已有提问，尚无按时答复的"
	}
	for i := range items {
		if items[i].Done {
			items[i].Todo = ""
		}
	}
	return items
}

// publishedStatuses are the published questions (held, rejected and
// hidden ones were not asked on the board, or no longer are).
var publishedStatuses = []string{model.QuestionOpen, model.QuestionAnswered, model.QuestionResolved}

// measure reads the facts of unis. The province's 166 at once cost a
// query per table for the liaisons, stations, roster counts and boards,
// and per university two or three LIMIT 1 lookups in indexes: one for an
// admin (users by (university_id, roles)), one for a question of its
// board answered in time ((board_id, first_answered_at)), and, when there
// is none, one for any question asked ((board_id, status, …)). No query
// reads all of a university's questions.
func (s *Service) measure(ctx context.Context, unis []model.University) (map[uint64]facts, error) {
	out := make(map[uint64]facts, len(unis))
	if len(unis) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(unis))
	for i, u := range unis {
		ids[i] = u.ID
		out[u.ID] = facts{}
	}
	conn := s.db.Conn(ctx)
	var named []uint64
	if err := conn.Model(&model.Liaison{}).Where("university_id IN ?", ids).Pluck("university_id", &named).Error; err != nil {
		return nil, err
	}
	for _, id := range named {
		f := out[id]
		f.liaison = true
		out[id] = f
	}
	var stations []model.Station
	if err := conn.Select("university_id", "hours", "closed_dates").Where("university_id IN ?", ids).Find(&stations).Error; err != nil {
		return nil, err
	}
	for _, st := range stations {
		cal, err := station.ParseCalendar(st.Hours, st.ClosedDates)
		if err != nil {
			continue // damaged hours are not filled in
		}
		f := out[st.UniversityID]
		f.station = cal.HasHours()
		out[st.UniversityID] = f
	}
	var counts []struct {
		UniversityID uint64
		N            int
	}
	if err := conn.Model(&model.RosterEntry{}).Select("university_id, COUNT(*) AS n").
		Where("university_id IN ? AND status = ?", ids, model.RosterRegistered).Group("university_id").Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, c := range counts {
		f := out[c.UniversityID]
		f.cadres = c.N
		out[c.UniversityID] = f
	}
	var boards []model.Board
	if err := conn.Select("id", "university_id").Where("university_id IN ? AND kind = ?", ids, model.BoardUniversity).Find(&boards).Error; err != nil {
		return nil, err
	}
	boardOf := make(map[uint64]uint64, len(boards))
	for _, b := range boards {
		if b.UniversityID != nil {
			boardOf[*b.UniversityID] = b.ID
		}
	}
	for _, u := range unis {
		f := out[u.ID]
		var hit []uint64
		if err := model.WithRoles(conn.Model(&model.User{}).Select("id"), &u.ID, model.RoleUniversityAdm).
			Limit(1).Pluck("id", &hit).Error; err != nil {
			return nil, err
		}
		f.admin = len(hit) > 0
		if b, ok := boardOf[u.ID]; ok {
			hit = hit[:0]
			if err := conn.Model(&model.Question{}).Select("id").
				Where("board_id = ? AND first_answered_at IS NOT NULL AND first_answered_at <= due_at", b).
				Order("first_answered_at").Limit(1).Pluck("id", &hit).Error; err != nil {
				return nil, err
			}
			f.answered = len(hit) > 0
			if !f.answered {
				hit = hit[:0]
				if err := conn.Model(&model.Question{}).Select("id").
					Where("board_id = ? AND status IN ?", b, publishedStatuses).Limit(1).Pluck("id", &hit).Error; err != nil {
					return nil, err
				}
				f.asked = len(hit) > 0
			}
		}
		out[u.ID] = f
	}
	return out, nil
}
