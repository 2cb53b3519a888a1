// Package station runs the 青年之家 service stations: their profiles,
// working hours, teams and construction status, and the bookings students
// make there, with the notice's 1-hour/12-hour response promise. Every
// rule about who may see or change what lives here.
package station

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/workday"
)

// Service is the station service.
type Service struct {
	db     *model.DB
	clk    clock.Clock
	notify *notify.Notifier
	log    *slog.Logger
	year   int // construction deadline year; 0: current

	workdays *workday.Calendar
}

// New builds the service. year is the construction deadlines' year (0 for
// the current year); wd is the working-day calendar the stations' holidays
// come from.
func New(db *model.DB, clk clock.Clock, n *notify.Notifier, log *slog.Logger, wd *workday.Calendar, year int) (*Service, error) {
	if db == nil || clk == nil || n == nil || log == nil || wd == nil {
		return nil, errors.New("station.New: nil dependency")
	}
	return &Service{db: db, clk: clk, notify: n, log: log, year: year, workdays: wd}, nil
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Second) }

var phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// Profile is what the university admin or the station lead maintains.
type Profile struct {
	Name           string
	Building       string
	Room           string
	Address        string
	Directions     string
	HasOffice      bool
	HasPlaque      bool
	HasComputer    bool
	HasServicePost bool
	Services       []string
	Weekly         [7][]Range
	Closed         []Closure
	SlotMinutes    int
	SlotCapacity   int
}

// View is a station with its parsed calendar and services.
type View struct {
	model.Station
	University model.University `json:"university"`
	Calendar   Calendar         `json:"calendar"`
	Services   []string         `json:"services"`
	OpenNow    bool             `json:"open_now"`
	NextOpen   *time.Time       `json:"next_open,omitempty"`
	// Now is the service clock's time the view was made at.
	Now time.Time `json:"-"`
}

// ServiceKinds lists the services stations may offer.
func (s *Service) ServiceKinds(ctx context.Context) ([]string, error) {
	var kinds []model.ServiceKind
	if err := s.db.Conn(ctx).Order("sort_order").Order("id").Find(&kinds).Error; err != nil {
		return nil, service.Wrap("读取服务项目", err)
	}
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out, nil
}

func (s *Service) university(ctx context.Context, id uint64) (model.University, error) {
	var u model.University
	err := s.db.Conn(ctx).Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, service.NotFound("university_not_found", "学校不存在")
	}
	return u, err
}

// stationOf reads a university's station; NotFound when it has none yet.
func (s *Service) stationOf(ctx context.Context, uni uint64, lock bool) (model.Station, error) {
	var st model.Station
	q := s.db.Conn(ctx)
	if lock {
		q = s.db.ForUpdate(ctx)
	}
	err := q.Where("university_id = ?", uni).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, service.NotFound("station_not_found", "本校「青年之家」服务站尚未建立")
	}
	return st, err
}

func (s *Service) view(ctx context.Context, st model.Station) (View, error) {
	v := View{Station: st}
	var err error
	if v.University, err = s.university(ctx, st.UniversityID); err != nil {
		return v, err
	}
	if v.Calendar, err = ParseCalendar(st.Hours, st.ClosedDates); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(st.Services), &v.Services); err != nil {
		return v, fmt.Errorf("服务项目数据损坏: %w", err)
	}
	now := s.clk.Now()
	v.Now = now
	v.OpenNow = v.Calendar.OpenAt(now)
	if next, ok := v.Calendar.NextOpen(now); ok && !v.OpenNow {
		v.NextOpen = &next
	}
	return v, nil
}

// ByUniversity returns the station of a university (public).
func (s *Service) ByUniversity(ctx context.Context, uni uint64) (View, error) {
	st, err := s.stationOf(ctx, uni, false)
	if err != nil {
		return View{}, service.Wrap("读取服务站", err)
	}
	v, err := s.view(ctx, st)
	return v, service.Wrap("读取服务站", err)
}

// ByCode returns the station of the university with 学校标识码 code.
func (s *Service) ByCode(ctx context.Context, code string) (View, error) {
	var u model.University
	err := s.db.Conn(ctx).Where("code = ?", code).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return View{}, service.NotFound("university_not_found", "学校不存在")
	}
	if err != nil {
		return View{}, service.Wrap("读取学校", err)
	}
	return s.ByUniversity(ctx, u.ID)
}

// isTeam reports whether u is on the station's team, and whether as lead.
func (s *Service) isTeam(ctx context.Context, u model.User, stationID uint64) (member, lead bool, err error) {
	var m model.StationAdmin
	err = s.db.Conn(ctx).Where("station_id = ? AND user_id = ?", stationID, u.ID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, m.Category == model.CategoryLead, nil
}

// CanManage reports whether u may maintain university uni's station and
// its team: the province admin, the university's admin, or the station's
// lead.
func (s *Service) CanManage(ctx context.Context, u model.User, uni uint64) (bool, error) {
	ok, err := s.canManage(ctx, u, uni)
	return ok, service.Wrap("检查服务站权限", err)
}

func (s *Service) canManage(ctx context.Context, u model.User, uni uint64) (bool, error) {
	switch {
	case u.Has(model.RoleProvinceAdmin):
		return true, nil
	case u.Has(model.RoleUniversityAdm) && u.UniversityID != nil && *u.UniversityID == uni:
		return true, nil
	}
	st, err := s.stationOf(ctx, uni, false)
	if errors.Is(err, service.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, lead, err := s.isTeam(ctx, u, st.ID)
	return lead, err
}

func clean(s string, limit int, field, label string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > limit {
		msg := fmt.Sprintf("%s不能超过 %d 个字", label, limit)
		return s, service.Invalid("too_long", msg, map[string]string{field: msg})
	}
	return s, nil
}

// upcoming drops the closed dates already past (Beijing): they no longer
// matter, and kept year after year they would reach the limit on closed
// dates and block every save of the profile. Malformed dates are kept,
// for NewCalendar to refuse.
func (s *Service) upcoming(closed []Closure) []Closure {
	today := s.now().In(clock.Beijing).Format("2006-01-02")
	return slices.DeleteFunc(slices.Clone(closed), func(c Closure) bool {
		_, err := time.ParseInLocation("2006-01-02", c.Date, clock.Beijing)
		return err == nil && c.Date < today
	})
}

// SaveProfile creates or updates the station of university uni.
func (s *Service) SaveProfile(ctx context.Context, actor model.User, uni uint64, p Profile) (View, error) {
	ok, err := s.canManage(ctx, actor, uni)
	if err != nil {
		return View{}, service.Wrap("保存服务站", err)
	}
	if !ok {
		return View{}, service.Forbidden("not_station_manager", "只有本校团委管理员或服务站负责人可以维护服务站")
	}
	fields := []struct {
		v          *string
		max        int
		name, text string
	}{
		{&p.Name, MaxName, "name", "站点名称"}, {&p.Building, MaxBuilding, "building", "楼宇"}, {&p.Room, MaxRoom, "room", "房间"},
		{&p.Address, MaxAddress, "address", "地址"}, {&p.Directions, MaxDirections, "directions", "到达方式"},
	}
	// Every problem of the form is listed at once, not the first.
	problems := map[string]string{}
	var order []string
	var noted []error
	note := func(err error) error {
		var se *service.Error
		if !errors.As(err, &se) || !errors.Is(err, service.ErrInvalid) || len(se.Fields) == 0 {
			return err
		}
		noted = append(noted, err)
		for _, f := range slices.Sorted(maps.Keys(se.Fields)) {
			if _, dup := problems[f]; !dup {
				problems[f] = se.Fields[f]
				order = append(order, f)
			}
		}
		return nil
	}
	for _, f := range fields {
		var cerr error
		if *f.v, cerr = clean(*f.v, f.max, f.name, f.text); cerr != nil {
			if err := note(cerr); err != nil {
				return View{}, err
			}
		}
	}
	if p.Name == "" {
		_ = note(service.Invalid("name_required", "请填写站点名称", map[string]string{"name": "请填写站点名称"}))
	}
	kinds, err := s.ServiceKinds(ctx)
	if err != nil {
		return View{}, err
	}
	var services []string
	for _, sv := range p.Services {
		if !slices.Contains(kinds, sv) {
			_ = note(service.Invalid("bad_service", "未知的服务项目："+sv, map[string]string{"services": "未知的服务项目：" + sv}))
			continue
		}
		if !slices.Contains(services, sv) {
			services = append(services, sv)
		}
	}
	if services == nil {
		services = []string{}
	}
	cal, cerr := NewCalendar(p.Weekly, s.upcoming(p.Closed))
	if cerr != nil {
		if err := note(cerr); err != nil {
			return View{}, err
		}
	}
	if p.SlotMinutes == 0 {
		p.SlotMinutes = 60
	}
	if p.SlotMinutes < 15 || p.SlotMinutes > 240 {
		_ = note(service.Invalid("bad_slot", "每个预约时段应为 15–240 分钟", map[string]string{"slot_minutes": "每个预约时段应为 15–240 分钟"}))
	}
	if p.SlotCapacity < 0 || p.SlotCapacity > 100 {
		_ = note(service.Invalid("bad_capacity", "每个时段可预约人数应为 0–100（0 表示不限）", map[string]string{"slot_capacity": "每个时段可预约人数应为 0–100（0 表示不限）"}))
	}
	if len(problems) > 0 {
		if len(noted) == 1 {
			return View{}, noted[0] // one problem: its own code and message
		}
		return View{}, service.InvalidFields("invalid_input", problems, order...)
	}
	svc, _ := json.Marshal(services)
	hours, closed := cal.JSON()
	now := s.now()
	var st model.Station
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locking the university (MySQL) serialises saves of its station:
		// two first saves would otherwise both insert and deadlock.
		switch err := s.db.ForUpdate(ctx).Take(&model.University{}, uni).Error; {
		case errors.Is(err, gorm.ErrRecordNotFound):
			return service.NotFound("university_not_found", "学校不存在")
		case err != nil:
			return err
		}
		var err error
		st, err = s.stationOf(ctx, uni, true)
		if err != nil && !errors.Is(err, service.ErrNotFound) {
			return err
		}
		before := st
		st.UniversityID, st.Name, st.Building, st.Room, st.Address, st.Directions = uni, p.Name, p.Building, p.Room, p.Address, p.Directions
		st.HasOffice, st.HasPlaque, st.HasComputer, st.HasServicePost = p.HasOffice, p.HasPlaque, p.HasComputer, p.HasServicePost
		st.Services, st.Hours, st.ClosedDates, st.SlotMinutes, st.SlotCapacity = string(svc), hours, closed, p.SlotMinutes, p.SlotCapacity
		st.UpdatedAt = now
		if st.ID == 0 {
			st.CreatedAt = now
			if err := s.db.Conn(ctx).Create(&st).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return service.Conflict("station_exists", "服务站刚被他人创建，请刷新后再保存", nil)
				}
				return err
			}
		} else if err := s.db.Conn(ctx).Save(&st).Error; err != nil {
			return err
		}
		return recordStation(ctx, s.db, actor, before, st)
	})
	if err != nil {
		return View{}, service.Wrap("保存服务站", err)
	}
	v, err := s.view(ctx, st)
	return v, service.Wrap("保存服务站", err)
}

// Listing is a station as the list of stations (附近站点) shows it.
type Listing struct {
	University model.University
	Name       string
	OpenNow    bool
	NextOpen   *time.Time // when closed: the next opening, if any
	HasHours   bool       // any weekly hours set
	Own        bool       // the viewer's own university's station
	SameCity   bool       // in the viewer's university's city
}

// Nearby lists every station for the viewer: their own university's
// first, then the others in its city, then the rest by city (the cities
// with more stations first), each city's by 学校标识码. own is the
// viewer's university (nil: none chosen). Two queries for the whole
// province (166 stations at most), the calendars parsed in memory.
func (s *Service) Nearby(ctx context.Context, viewer model.User) (list []Listing, own *model.University, err error) {
	var unis []model.University
	if err := s.db.Conn(ctx).Order("code").Find(&unis).Error; err != nil {
		return nil, nil, service.Wrap("读取服务站", err)
	}
	var stations []model.Station
	if err := s.db.Conn(ctx).Find(&stations).Error; err != nil {
		return nil, nil, service.Wrap("读取服务站", err)
	}
	byUni := make(map[uint64]*model.Station, len(stations))
	for i := range stations {
		byUni[stations[i].UniversityID] = &stations[i]
	}
	for i := range unis {
		if viewer.UniversityID != nil && unis[i].ID == *viewer.UniversityID {
			own = &unis[i]
		}
	}
	now := s.clk.Now()
	perCity := map[string]int{}
	for _, u := range unis {
		st := byUni[u.ID]
		if st == nil {
			continue
		}
		cal, err := ParseCalendar(st.Hours, st.ClosedDates)
		if err != nil {
			s.log.WarnContext(ctx, "station calendar unreadable", "station", st.ID, "err", err)
			cal = Calendar{}
		}
		l := Listing{University: u, Name: st.Name, OpenNow: cal.OpenAt(now), HasHours: cal.HasHours(),
			Own: own != nil && u.ID == own.ID, SameCity: own != nil && u.City == own.City}
		if next, ok := cal.NextOpen(now); ok && !l.OpenNow {
			l.NextOpen = &next
		}
		perCity[u.City]++
		list = append(list, l)
	}
	rank := func(l Listing) int {
		switch {
		case l.Own:
			return 0
		case l.SameCity:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(list, func(a, b Listing) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if a.University.City != b.University.City {
			if c := cmp.Compare(perCity[b.University.City], perCity[a.University.City]); c != 0 {
				return c
			}
			return strings.Compare(a.University.City, b.University.City)
		}
		return strings.Compare(a.University.Code, b.University.Code)
	})
	return list, own, nil
}
