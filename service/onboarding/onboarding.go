// Package onboarding follows each university from going live (上线) to
// normal operation (正常运营), which the notice requires within 5 working
// days: the launch date, the due date on the working-day calendar, the
// checklist measured from data, the statuses, and the reminder and late
// alert. Every rule about who may see or set what lives here.
package onboarding

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/workday"
)

// The notice's rule: normal operation within 5 working days of going
// live; the university admins are reminded on the 3rd.
const (
	DueWorkdays    = 5
	RemindWorkdays = 3
)

// The cadres a university must have registered, unless the province sets
// another number (1–MaxMinCadres).
const (
	DefaultMinCadres = 5
	MaxMinCadres     = 200
)

// Statuses.
const (
	StatusOperating   = "operating"    // 已正常运营
	StatusInProgress  = "in_progress"  // 进行中
	StatusLate        = "late"         // 逾期
	StatusNotLaunched = "not_launched" // 未上线
)

// Statuses lists the statuses in the order the province's page filters
// them: the ones to chase first.
var Statuses = []string{StatusLate, StatusInProgress, StatusNotLaunched, StatusOperating}

// StatusName is a status's Chinese name.
func StatusName(s string) string {
	switch s {
	case StatusOperating:
		return "已正常运营"
	case StatusInProgress:
		return "进行中"
	case StatusLate:
		return "逾期"
	case StatusNotLaunched:
		return "未上线"
	}
	return s
}

// ValidStatus reports whether s is a status (for filters).
func ValidStatus(s string) bool { return slices.Contains(Statuses, s) }

// Checklist item keys, in the order shown.
const (
	ItemLiaison = "liaison" // 联络专员
	ItemAdmin   = "admin"   // 高校团委管理员
	ItemCadres  = "cadres"  // at least N cadres registered
	ItemAnswer  = "answer"  // a board question answered within 24 h, or none asked
	ItemStation = "station" // station profile with opening hours
)

// ItemKeys lists the checklist's keys in order.
var ItemKeys = []string{ItemLiaison, ItemAdmin, ItemCadres, ItemAnswer, ItemStation}

// ShortName is an item's short name, for alerts (a template field holds
// 20 characters) and the province's table.
func ShortName(key string) string {
	switch key {
	case ItemLiaison:
		return "联络专员"
	case ItemAdmin:
		return "团委管理员"
	case ItemCadres:
		return "干部注册"
	case ItemAnswer:
		return "答复提问"
	case ItemStation:
		return "服务站资料"
	}
	return key
}

// Item is one line of the checklist: what is measured, whether it is met,
// and, when not, what to do and where.
type Item struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Done   bool   `json:"done"`
	Detail string `json:"detail,omitempty"` // what the data shows
	Todo   string `json:"todo,omitempty"`   // what to do while not met
	Link   string `json:"link,omitempty"`   // the page to do it on
}

// Status is one university's onboarding. Dates are Beijing dates
// (YYYY-MM-DD); LaunchedOn "" while it has not gone live.
type Status struct {
	University   model.University
	LaunchedOn   string
	LaunchSource string // model.LaunchBy…
	DueOn        string
	RemindOn     string // the 3rd working day, when the admins are reminded
	Status       string
	OperatingOn  string
	OnTime       bool // operating by its due date
	WorkdaysLeft *int // in progress: working days after today up to the due date (0 on it)
	Items        []Item
	Missing      []string // keys of the unmet items
	MinCadres    int
}

// StatusName is the Chinese name of s's status.
func (s Status) StatusName() string { return StatusName(s.Status) }

// Service is the onboarding service.
type Service struct {
	db       *model.DB
	clk      clock.Clock
	notify   *notify.Notifier
	log      *slog.Logger
	workdays *workday.Calendar
}

// New builds the service; wd is the working-day calendar due dates are
// counted on.
func New(db *model.DB, clk clock.Clock, n *notify.Notifier, log *slog.Logger, wd *workday.Calendar) (*Service, error) {
	if db == nil || clk == nil || n == nil || log == nil || wd == nil {
		return nil, errors.New("onboarding.New: nil dependency")
	}
	return &Service{db: db, clk: clk, notify: n, log: log, workdays: wd}, nil
}

// today is the service clock's Beijing date at midnight.
func (s *Service) today() time.Time {
	b := s.clk.Now().In(clock.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, clock.Beijing)
}

func parseDate(d string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, d, clock.Beijing)
}

// DueOn is the due date of a launch on launched: the 5th working day
// after it (a Friday's is the next Friday, later across a holiday).
func (s *Service) DueOn(launched time.Time) time.Time {
	return s.workdays.AddWorkdays(launched, DueWorkdays)
}

// isAdmin: the province, or a university admin of a university.
func isAdmin(actor model.User) bool {
	return actor.Has(model.RoleProvinceAdmin) || (actor.Has(model.RoleUniversityAdm) && actor.UniversityID != nil)
}

// List is the onboarding of every university the actor follows: the
// province's 166, the ones to chase first (late, in progress by due
// date, not launched, operating), or a university admin's own. status
// ("" for all) keeps one status.
func (s *Service) List(ctx context.Context, actor model.User, status string) ([]Status, error) {
	if status != "" && !ValidStatus(status) {
		return nil, service.Invalid("invalid_status", "状态应为 operating、in_progress、late 或 not_launched",
			map[string]string{"status": "状态应为 operating、in_progress、late 或 not_launched"})
	}
	q := s.db.Conn(ctx).Order("code")
	switch {
	case actor.Has(model.RoleProvinceAdmin):
	case actor.Has(model.RoleUniversityAdm) && actor.UniversityID != nil:
		q = q.Where("id = ?", *actor.UniversityID)
	default:
		return nil, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看上线进度")
	}
	var unis []model.University
	if err := q.Find(&unis).Error; err != nil {
		return nil, service.Wrap("读取上线进度", err)
	}
	out, err := s.statuses(ctx, unis)
	if err != nil {
		return nil, service.Wrap("读取上线进度", err)
	}
	if status != "" {
		out = slices.DeleteFunc(out, func(st Status) bool { return st.Status != status })
	}
	rank := func(st Status) int { return slices.Index(Statuses, st.Status) }
	slices.SortStableFunc(out, func(a, b Status) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if a.Status == StatusInProgress || a.Status == StatusLate {
			return cmp.Compare(a.DueOn, b.DueOn)
		}
		return 0
	})
	return out, nil
}

// Get is one university's onboarding (by 学校标识码): the province any, a
// university admin their own.
func (s *Service) Get(ctx context.Context, actor model.User, code string) (Status, error) {
	uni, err := s.university(ctx, code)
	if err != nil {
		return Status{}, err
	}
	switch {
	case actor.Has(model.RoleProvinceAdmin):
	case actor.Has(model.RoleUniversityAdm) && actor.UniversityID != nil && *actor.UniversityID == uni.ID:
	default:
		return Status{}, service.Forbidden("forbidden", "只能查看本校的上线进度")
	}
	return s.one(ctx, uni)
}

// Mine is the checklist of the actor's own university when the actor is
// its admin (the card on the admin page), nil for anyone else.
func (s *Service) Mine(ctx context.Context, actor model.User) (*Status, error) {
	if !actor.Has(model.RoleUniversityAdm) || actor.UniversityID == nil {
		return nil, nil
	}
	var uni model.University
	if err := s.db.Conn(ctx).Take(&uni, *actor.UniversityID).Error; err != nil {
		return nil, service.Wrap("读取上线进度", err)
	}
	st, err := s.one(ctx, uni)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

func (s *Service) one(ctx context.Context, uni model.University) (Status, error) {
	out, err := s.statuses(ctx, []model.University{uni})
	if err != nil {
		return Status{}, service.Wrap("读取上线进度", err)
	}
	return out[0], nil
}

func (s *Service) university(ctx context.Context, code string) (model.University, error) {
	var uni model.University
	err := s.db.Conn(ctx).Where("code = ?", strings.TrimSpace(code)).Take(&uni).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return uni, service.NotFound("university_not_found", "学校不存在")
	}
	return uni, service.Wrap("读取学校", err)
}

// Earliest and latest launch dates the province may set: the platform did
// not exist before 2020, and a launch is planned at most a year ahead.
const earliestLaunch = "2020-01-01"

// SetLaunch sets university code's launch date (YYYY-MM-DD, Beijing): the
// province only. A university already operating keeps its date of normal
// operation; the reminder and late alert, once sent, are not sent again.
func (s *Service) SetLaunch(ctx context.Context, actor model.User, code, launchedOn string) (Status, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return Status{}, service.Forbidden("forbidden", "只有省级管理员可以设置上线日期")
	}
	launchedOn = strings.TrimSpace(launchedOn)
	d, err := parseDate(launchedOn)
	if err != nil || d.Format(time.DateOnly) != launchedOn {
		msg := "上线日期格式应为 YYYY-MM-DD，如 2026-12-01"
		if launchedOn == "" {
			msg = "请填写上线日期，如 2026-12-01"
		}
		return Status{}, service.Invalid("invalid_launch_date", msg, map[string]string{"launched_on": msg})
	}
	latest := s.today().AddDate(1, 0, 0).Format(time.DateOnly)
	if launchedOn < earliestLaunch || launchedOn > latest {
		msg := fmt.Sprintf("上线日期应在 %s 至 %s 之间", earliestLaunch, latest)
		return Status{}, service.Invalid("invalid_launch_date", msg, map[string]string{"launched_on": msg})
	}
	uni, err := s.university(ctx, code)
	if err != nil {
		return Status{}, err
	}
	row := model.UniversityOnboarding{UniversityID: uni.ID, LaunchedOn: launchedOn, LaunchSource: model.LaunchByProvince,
		UpdatedBy: actor.ID, UpdatedAt: s.clk.Now().UTC()}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "university_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"launched_on", "launch_source", "updated_by", "updated_at"}),
	}).Create(&row).Error; err != nil {
		return Status{}, service.Wrap("设置上线日期", err)
	}
	return s.one(ctx, uni)
}

// Settings are what the province sets for every university.
type Settings struct {
	MinCadres int // cadres a university must have registered
}

// Settings reads the settings: any admin (a university admin sees the
// number their checklist asks for).
func (s *Service) Settings(ctx context.Context, actor model.User) (Settings, error) {
	if !isAdmin(actor) {
		return Settings{}, service.Forbidden("not_admin", "只有高校团委或省级管理员可以查看上线设置")
	}
	n, err := s.minCadres(ctx)
	if err != nil {
		return Settings{}, service.Wrap("读取上线设置", err)
	}
	return Settings{MinCadres: n}, nil
}

// SetSettings changes the settings: the province only. Universities
// already operating stay so.
func (s *Service) SetSettings(ctx context.Context, actor model.User, in Settings) (Settings, error) {
	if !actor.Has(model.RoleProvinceAdmin) {
		return Settings{}, service.Forbidden("forbidden", "只有省级管理员可以修改上线设置")
	}
	if in.MinCadres < 1 || in.MinCadres > MaxMinCadres {
		msg := fmt.Sprintf("应注册的团学干部人数应为 1–%d", MaxMinCadres)
		return Settings{}, service.Invalid("invalid_min_cadres", msg, map[string]string{"min_cadres": msg})
	}
	row := model.Setting{Name: model.SettingMinCadres, Value: strconv.Itoa(in.MinCadres), UpdatedBy: actor.ID, UpdatedAt: s.clk.Now().UTC()}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_by", "updated_at"}),
	}).Create(&row).Error; err != nil {
		return Settings{}, service.Wrap("修改上线设置", err)
	}
	return in, nil
}

// minCadres is the province's number, or the default while unset.
func (s *Service) minCadres(ctx context.Context) (int, error) {
	var st model.Setting
	err := s.db.Conn(ctx).Where("name = ?", model.SettingMinCadres).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return DefaultMinCadres, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(st.Value)
	if err != nil || n < 1 {
		return DefaultMinCadres, nil //nolint:nilerr // a damaged value counts as unset
	}
	return n, nil
}

// statuses computes the onboarding of unis, in their order. A university
// operating is not measured again; one that meets every item now has
// today recorded as its date of normal operation.
func (s *Service) statuses(ctx context.Context, unis []model.University) ([]Status, error) {
	ids := make([]uint64, len(unis))
	for i, u := range unis {
		ids[i] = u.ID
	}
	var rows []model.UniversityOnboarding
	if err := s.db.Conn(ctx).Where("university_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	byUni := make(map[uint64]*model.UniversityOnboarding, len(rows))
	for i := range rows {
		byUni[rows[i].UniversityID] = &rows[i]
	}
	var measure []model.University
	for _, u := range unis {
		if r := byUni[u.ID]; r == nil || r.OperatingOn == nil {
			measure = append(measure, u)
		}
	}
	minCadres, err := s.minCadres(ctx)
	if err != nil {
		return nil, err
	}
	facts, err := s.measure(ctx, measure)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := make([]Status, len(unis))
	for i, u := range unis {
		r := byUni[u.ID]
		f, measured := facts[u.ID]
		if r != nil && r.OperatingOn == nil && measured && f.met(minCadres) {
			if r, err = s.recordOperating(ctx, u.ID, today); err != nil {
				return nil, err
			}
		}
		out[i] = s.status(u, r, f, measured, minCadres, today)
	}
	return out, nil
}

// recordOperating keeps today as the day uni first operated normally,
// unless another request or instance did first; it returns the row.
func (s *Service) recordOperating(ctx context.Context, uni uint64, today time.Time) (*model.UniversityOnboarding, error) {
	if err := s.db.Conn(ctx).Model(&model.UniversityOnboarding{}).Where("university_id = ? AND operating_on IS NULL", uni).
		Updates(map[string]any{"operating_on": today.Format(time.DateOnly), "updated_at": s.clk.Now().UTC()}).Error; err != nil {
		return nil, err
	}
	var r model.UniversityOnboarding
	if err := s.db.Conn(ctx).Take(&r, "university_id = ?", uni).Error; err != nil {
		return nil, err
	}
	return &r, nil
}

// status builds a university's status from its row (nil: not launched)
// and, unless it operates, what was measured.
func (s *Service) status(u model.University, r *model.UniversityOnboarding, f facts, measured bool, minCadres int, today time.Time) Status {
	st := Status{University: u, MinCadres: minCadres, Status: StatusNotLaunched}
	operating := r != nil && r.OperatingOn != nil
	st.Items = f.items(u, minCadres, operating || !measured)
	for _, it := range st.Items {
		if !it.Done {
			st.Missing = append(st.Missing, it.Key)
		}
	}
	if r == nil {
		return st
	}
	st.LaunchedOn, st.LaunchSource = r.LaunchedOn, r.LaunchSource
	launched, err := parseDate(r.LaunchedOn)
	if err != nil {
		return st // a damaged date counts as not launched
	}
	due := s.DueOn(launched)
	st.DueOn = due.Format(time.DateOnly)
	st.RemindOn = s.workdays.AddWorkdays(launched, RemindWorkdays).Format(time.DateOnly)
	switch {
	case operating:
		st.Status, st.OperatingOn = StatusOperating, *r.OperatingOn
		st.OnTime = st.OperatingOn <= st.DueOn
	case !today.After(due):
		st.Status = StatusInProgress
		left := s.workdays.Between(today, due)
		st.WorkdaysLeft = &left
	default:
		st.Status = StatusLate
	}
	return st
}
