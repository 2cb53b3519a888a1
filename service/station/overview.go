package station

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
)

// The statuses the station list filters by: how a station is doing in
// service (open, hours, use this week), besides its construction status
// (StatusBuilt …), which the list filters by too.
const (
	StateOpen      = "open"       // 已开放: the station has weekly hours
	StateNoHours   = "no_hours"   // 未设置时段: a station without hours, not bookable
	StateNoStation = "no_station" // 未建站: the university has no station yet
	StateBooked    = "booked"     // 本周有预约: bookings made since Monday (Beijing)
	StateWaiting   = "waiting"    // 有待回复预约: bookings awaiting the first response
)

// ListStatus is a status the station list filters by.
type ListStatus struct {
	Key, Name string
}

// ListStatuses are the station list's status filters, in the order the
// page offers them: the service ones first, then construction.
var ListStatuses = []ListStatus{
	{StateOpen, "已开放"}, {StateNoHours, "未设置时段"}, {StateNoStation, "未建站"},
	{StateBooked, "本周有预约"}, {StateWaiting, "有待回复预约"},
	{StatusBuilt, "已建成"}, {StatusReady, "待确认"}, {StatusPending, "建设中"}, {StatusLate, "已逾期"},
}

// ListSorts are the station list's orders: key and name. The first is
// the default.
var ListSorts = []ListStatus{
	{"batch", "批次"}, {"city", "地市"}, {"name", "学校名称"}, {"bookings", "本周预约最多"}, {"waiting", "待回复最多"},
}

// ListPageSize is how many stations a page of the list shows.
const ListPageSize = 50

// ListFilter is what the station list shows: a search in the
// university's and the station's names (and 学校标识码), a city, a batch
// (0: all), a status (ListStatuses' keys, "": all), the order
// (ListSorts' keys) and the page (from 1).
type ListFilter struct {
	Query  string
	City   string
	Batch  int
	Status string
	Sort   string
	Page   int
}

// ListRow is one university in the station list: its construction
// status and, with a station, its figures.
type ListRow struct {
	Construction
	Name         string // the station's name, "" without one
	HasHours     bool
	OpenNow      bool
	WeeklyHours  float64 // opening hours a week
	TeamSize     int
	BookingsWeek int // bookings made since Monday 00:00 Beijing
	Waiting      int // bookings awaiting the first response
}

// Has reports whether the row has status key (ListStatuses).
func (r ListRow) Has(key string) bool {
	switch key {
	case StateOpen:
		return r.StationID != 0 && r.HasHours
	case StateNoHours:
		return r.StationID != 0 && !r.HasHours
	case StateNoStation:
		return r.StationID == 0
	case StateBooked:
		return r.BookingsWeek > 0
	case StateWaiting:
		return r.Waiting > 0
	}
	return r.Status == key
}

// List is a page of the station list.
type List struct {
	Rows   []ListRow      // this page's
	Total  int            // matching the filter
	All    int            // in the viewer's scope
	Page   int            // from 1
	Pages  int            // at least 1
	Cities []string       // of the universities in scope, for the filter
	Counts map[string]int // in scope, per ListStatuses key
	Filter ListFilter     // as applied (defaults filled in)
	Since  time.Time      // the week's start BookingsWeek counts from
}

// listScope is the universities viewer may list: every one for the
// province admin, their own for a university admin.
func (s *Service) listScope(ctx context.Context, viewer model.User) ([]model.University, error) {
	q := s.db.Conn(ctx).Order("batch").Order("code")
	switch {
	case viewer.Has(model.RoleProvinceAdmin):
	case viewer.Has(model.RoleUniversityAdm) && viewer.UniversityID != nil:
		q = q.Where("id = ?", *viewer.UniversityID)
	default:
		return nil, service.Forbidden("forbidden", "只有省级管理员和高校团委管理员可以查看服务站列表")
	}
	var unis []model.University
	return unis, q.Find(&unis).Error
}

// weekStart is Monday 00:00 (Beijing) of t's week.
func weekStart(t time.Time) time.Time {
	t = t.In(clock.Beijing)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return midnight(t).AddDate(0, 0, -back)
}

// ListAll is every station row in viewer's scope matching f, sorted, not
// paged (the list's export). Four queries whatever the province's size:
// the universities, their stations and teams, and two grouped counts of
// bookings on indexes (created_at for the week's, status for those
// awaiting a response), never a scan of all bookings.
func (s *Service) ListAll(ctx context.Context, viewer model.User, f ListFilter) (List, error) {
	l, err := s.list(ctx, viewer, f)
	return l, service.Wrap("读取服务站列表", err)
}

// StationList is one page of the station list (ListPageSize rows).
func (s *Service) StationList(ctx context.Context, viewer model.User, f ListFilter) (List, error) {
	l, err := s.list(ctx, viewer, f)
	if err != nil {
		return l, service.Wrap("读取服务站列表", err)
	}
	l.Pages = max(1, (l.Total+ListPageSize-1)/ListPageSize)
	l.Page = min(max(f.Page, 1), l.Pages)
	l.Filter.Page = l.Page
	from := (l.Page - 1) * ListPageSize
	l.Rows = l.Rows[min(from, len(l.Rows)):min(from+ListPageSize, len(l.Rows))]
	return l, nil
}

func (s *Service) list(ctx context.Context, viewer model.User, f ListFilter) (List, error) {
	f.Query = strings.Join(strings.Fields(f.Query), " ")
	if len([]rune(f.Query)) > MaxListQuery {
		return List{}, service.Invalid("too_long", "搜索内容太长", map[string]string{"q": "搜索内容太长"})
	}
	if f.Status != "" && !slices.ContainsFunc(ListStatuses, func(st ListStatus) bool { return st.Key == f.Status }) {
		return List{}, service.Invalid("bad_status", "未知的状态", map[string]string{"status": "未知的状态"})
	}
	if !slices.ContainsFunc(ListSorts, func(st ListStatus) bool { return st.Key == f.Sort }) {
		f.Sort = ListSorts[0].Key
	}
	if f.Batch < 0 || f.Batch > model.BatchPrivateVocational {
		return List{}, service.Invalid("bad_batch", "未知的批次", map[string]string{"batch": "未知的批次"})
	}
	unis, err := s.listScope(ctx, viewer)
	if err != nil {
		return List{}, err
	}
	ids := make([]uint64, len(unis))
	for i, u := range unis {
		ids[i] = u.ID
	}
	var stations []model.Station
	if err := s.db.Conn(ctx).Where("university_id IN ?", ids).Find(&stations).Error; err != nil {
		return List{}, err
	}
	sids := make([]uint64, len(stations))
	byUni := make(map[uint64]*model.Station, len(stations))
	for i := range stations {
		byUni[stations[i].UniversityID] = &stations[i]
		sids[i] = stations[i].ID
	}
	var members []model.StationAdmin
	if err := s.db.Conn(ctx).Where("station_id IN ?", sids).Find(&members).Error; err != nil {
		return List{}, err
	}
	teams := map[uint64][]model.StationAdmin{}
	for _, m := range members {
		teams[m.StationID] = append(teams[m.StationID], m)
	}
	now := s.clk.Now()
	since := weekStart(now)
	week, err := s.countBookings(ctx, "created_at >= ?", since)
	if err != nil {
		return List{}, err
	}
	waiting, err := s.countBookings(ctx, "status = ?", model.BookingSubmitted)
	if err != nil {
		return List{}, err
	}
	l := List{All: len(unis), Counts: map[string]int{}, Since: since}
	cities := map[string]bool{}
	needle := strings.ToLower(f.Query)
	for _, u := range unis {
		st := byUni[u.ID]
		r := ListRow{}
		if st != nil {
			r.Construction = s.construction(u, st, teams[st.ID])
			r.Name, r.TeamSize = st.Name, len(teams[st.ID])
			r.BookingsWeek, r.Waiting = week[st.ID], waiting[st.ID]
			cal, err := ParseCalendar(st.Hours, st.ClosedDates)
			if err != nil {
				s.log.WarnContext(ctx, "station calendar unreadable", "station", st.ID, "err", err)
			} else {
				r.HasHours, r.OpenNow, r.WeeklyHours = cal.HasHours(), cal.OpenAt(now), cal.weeklyHours()
			}
		} else {
			r.Construction = s.construction(u, nil, nil)
		}
		cities[u.City] = true
		for _, st := range ListStatuses {
			if r.Has(st.Key) {
				l.Counts[st.Key]++
			}
		}
		switch {
		case f.City != "" && u.City != f.City,
			f.Batch != 0 && u.Batch != f.Batch,
			f.Status != "" && !r.Has(f.Status),
			needle != "" && !strings.Contains(strings.ToLower(u.Name), needle) &&
				!strings.Contains(strings.ToLower(r.Name), needle) && u.Code != f.Query:
			continue
		}
		l.Rows = append(l.Rows, r)
	}
	for c := range cities {
		l.Cities = append(l.Cities, c)
	}
	slices.Sort(l.Cities)
	sortRows(l.Rows, f.Sort)
	l.Total, l.Page, l.Pages, l.Filter = len(l.Rows), 1, 1, f
	return l, nil
}

// countBookings counts bookings per station matching where (one grouped
// query on an index of bookings).
func (s *Service) countBookings(ctx context.Context, where string, arg any) (map[uint64]int, error) {
	var rows []struct {
		StationID uint64
		N         int
	}
	err := s.db.Conn(ctx).Model(&model.Booking{}).Select("station_id, COUNT(*) AS n").
		Where(where, arg).Group("station_id").Scan(&rows).Error
	out := make(map[uint64]int, len(rows))
	for _, r := range rows {
		out[r.StationID] = r.N
	}
	return out, err
}

// sortRows orders the list: by batch (then 学校标识码), city, name, or the
// most bookings this week / awaiting a response first.
func sortRows(rows []ListRow, by string) {
	code := func(a, b ListRow) int { return strings.Compare(a.University.Code, b.University.Code) }
	slices.SortStableFunc(rows, func(a, b ListRow) int {
		var c int
		switch by {
		case "city":
			c = strings.Compare(a.University.City, b.University.City)
		case "name":
			c = strings.Compare(a.University.Name, b.University.Name)
		case "bookings":
			c = cmp.Compare(b.BookingsWeek, a.BookingsWeek)
		case "waiting":
			c = cmp.Compare(b.Waiting, a.Waiting)
		default:
			c = cmp.Compare(a.University.Batch, b.University.Batch)
		}
		if c != 0 {
			return c
		}
		return code(a, b)
	})
}

// weeklyHours is how many hours a week the station opens.
func (c Calendar) weeklyHours() float64 {
	mins := 0
	for _, day := range c.spans {
		for _, s := range day {
			mins += s[1] - s[0]
		}
	}
	return float64(mins) / 60
}
