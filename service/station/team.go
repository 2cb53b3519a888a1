package station

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
)

// Member is a team member as added (附件1, second table).
type Member struct {
	Account  string // the member's platform account (same university)
	Category string // 负责人 / 管理员
	RealName string
	Position string
	Phone    string
	QQ       string
	WeChatID string
	DutyDays []time.Weekday
}

// TeamMember is a member as listed; Phone is masked unless the viewer
// manages the station.
type TeamMember struct {
	model.StationAdmin
	Account string `json:"account"`
}

// dutyBits turns weekdays into the stored bit set.
func dutyBits(days []time.Weekday) (int, error) {
	bits := 0
	for _, d := range days {
		if d < time.Sunday || d > time.Saturday {
			return 0, service.Invalid("bad_duty", "值班日无效", map[string]string{"duty_days": "值班日无效"})
		}
		bits |= 1 << d
	}
	return bits, nil
}

// OnDuty reports whether bits include weekday d.
func OnDuty(bits int, d time.Weekday) bool { return bits&(1<<d) != 0 }

// AddMember adds (or updates) a team member of university uni's station.
// The member's account must belong to the same university; a student
// becomes a 站点管理员. There is at most one lead.
func (s *Service) AddMember(ctx context.Context, actor model.User, uni uint64, m Member) (model.StationAdmin, error) {
	ok, err := s.canManage(ctx, actor, uni)
	if err != nil {
		return model.StationAdmin{}, service.Wrap("添加管理员", err)
	}
	if !ok {
		return model.StationAdmin{}, service.Forbidden("not_station_manager", "只有本校团委管理员或服务站负责人可以管理团队")
	}
	m.RealName, m.Position = service.CleanLine(m.RealName), service.CleanLine(m.Position)
	m.Phone, m.QQ, m.WeChatID = strings.TrimSpace(m.Phone), strings.TrimSpace(m.QQ), strings.TrimSpace(m.WeChatID)
	switch {
	case m.Category != model.CategoryLead && m.Category != model.CategoryAdmin:
		return model.StationAdmin{}, service.Invalid("bad_category", "类别只能是负责人或管理员", map[string]string{"category": "请选择类别"})
	case utf8.RuneCountInString(m.RealName) < 2 || utf8.RuneCountInString(m.RealName) > MaxMemberName:
		msg := fmt.Sprintf("请填写真实姓名（2–%d 个字）", MaxMemberName)
		return model.StationAdmin{}, service.Invalid("bad_name", msg, map[string]string{"real_name": msg})
	case utf8.RuneCountInString(m.Position) > MaxMemberPosition:
		msg := fmt.Sprintf("职务不能超过 %d 个字", MaxMemberPosition)
		return model.StationAdmin{}, service.Invalid("bad_position", msg, map[string]string{"position": msg})
	case !phoneRE.MatchString(m.Phone):
		return model.StationAdmin{}, service.Invalid("bad_phone", "请填写 11 位中国大陆手机号", map[string]string{"phone": "请填写 11 位手机号"})
	case m.QQ != "" && (len(m.QQ) < 5 || len(m.QQ) > 12 || strings.Trim(m.QQ, "0123456789") != ""):
		return model.StationAdmin{}, service.Invalid("bad_qq", "QQ 号应为 5–12 位数字", map[string]string{"qq": "QQ 号应为 5–12 位数字"})
	case utf8.RuneCountInString(m.WeChatID) > MaxMemberWeChatID:
		msg := fmt.Sprintf("微信号不能超过 %d 个字符", MaxMemberWeChatID)
		return model.StationAdmin{}, service.Invalid("bad_wechat", msg, map[string]string{"wechat_id": msg})
	}
	bits, err := dutyBits(m.DutyDays)
	if err != nil {
		return model.StationAdmin{}, err
	}
	var row model.StationAdmin
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		st, err := s.stationOf(ctx, uni, true)
		if err != nil {
			return err
		}
		var u model.User
		err = s.db.ForUpdate(ctx).Where("account_key = ?", strings.ToLower(strings.TrimSpace(m.Account))).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("user_not_found", "账号不存在，请先让对方激活账号")
		}
		if err != nil {
			return err
		}
		if u.UniversityID == nil || *u.UniversityID != uni {
			return service.Invalid("other_university", "只能添加本校的账号", map[string]string{"account": "该账号不属于本校"})
		}
		if m.Category == model.CategoryLead {
			var leads int64
			if err := s.db.Conn(ctx).Model(&model.StationAdmin{}).
				Where("station_id = ? AND category = ? AND user_id <> ?", st.ID, model.CategoryLead, u.ID).Count(&leads).Error; err != nil {
				return err
			}
			if leads > 0 {
				return service.Conflict("lead_exists", "服务站已有负责人，请先移除原负责人", nil)
			}
		}
		now := s.now()
		err = s.db.Conn(ctx).Where("station_id = ? AND user_id = ?", st.ID, u.ID).Take(&row).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			row = model.StationAdmin{StationID: st.ID, UserID: u.ID, CreatedAt: now}
		case err != nil:
			return err
		}
		row.Category, row.RealName, row.Position, row.Phone, row.QQ, row.WeChatID = m.Category, m.RealName, m.Position, m.Phone, m.QQ, m.WeChatID
		row.DutyDays, row.UpdatedAt = bits, now
		if err := s.db.Conn(ctx).Save(&row).Error; err != nil {
			return err
		}
		// Every team member is a 站点管理员, besides any role it has
		// (a cadre or a university admin keeps theirs).
		if _, err = account.GrantRole(ctx, s.db, u.ID, model.RoleStationAdmin, now); err != nil {
			return err
		}
		return recordTeam(ctx, s.db, actor, uni, audit.ActionTeamAdd, row, u.Account)
	})
	if err != nil {
		return model.StationAdmin{}, service.Wrap("添加管理员", err)
	}
	return row, nil
}

// RemoveMember takes a member off the team; who is on no team any more
// is no longer a 站点管理员 (and keeps any other role).
func (s *Service) RemoveMember(ctx context.Context, actor model.User, uni uint64, memberID uint64) error {
	ok, err := s.canManage(ctx, actor, uni)
	if err != nil {
		return service.Wrap("移除管理员", err)
	}
	if !ok {
		return service.Forbidden("not_station_manager", "只有本校团委管理员或服务站负责人可以管理团队")
	}
	return service.Wrap("移除管理员", s.db.WithTx(ctx, func(ctx context.Context) error {
		st, err := s.stationOf(ctx, uni, true)
		if err != nil {
			return err
		}
		var row model.StationAdmin
		err = s.db.Conn(ctx).Where("id = ? AND station_id = ?", memberID, st.ID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return service.NotFound("member_not_found", "该成员不在本站团队中")
		}
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Delete(&row).Error; err != nil {
			return err
		}
		if err := recordTeam(ctx, s.db, actor, uni, audit.ActionTeamRemove, row, ""); err != nil {
			return err
		}
		var left int64
		if err := s.db.Conn(ctx).Model(&model.StationAdmin{}).Where("user_id = ?", row.UserID).Count(&left).Error; err != nil {
			return err
		}
		if left == 0 {
			_, err := account.RevokeRole(ctx, s.db, row.UserID, model.RoleStationAdmin, s.now())
			return err
		}
		return nil
	}))
}

// Team lists a station's team, lead first. Only the station's managers
// (its lead, the university's admin, the province) see the members'
// accounts, positions, contacts and duty days; others see 类别 and 姓名.
func (s *Service) Team(ctx context.Context, viewer model.User, uni uint64) ([]TeamMember, error) {
	st, err := s.stationOf(ctx, uni, false)
	if err != nil {
		return nil, service.Wrap("读取团队", err)
	}
	manage, err := s.canManage(ctx, viewer, uni)
	if err != nil {
		return nil, service.Wrap("读取团队", err)
	}
	var rows []model.StationAdmin
	if err := s.db.Conn(ctx).Where("station_id = ?", st.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, service.Wrap("读取团队", err)
	}
	ids := make([]uint64, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	var users []model.User
	if len(ids) > 0 {
		if err := s.db.Conn(ctx).Select("id", "account").Where("id IN ?", ids).Find(&users).Error; err != nil {
			return nil, service.Wrap("读取团队", err)
		}
	}
	accounts := map[uint64]string{}
	for _, u := range users {
		accounts[u.ID] = u.Account
	}
	out := make([]TeamMember, 0, len(rows))
	for _, r := range rows {
		if !manage {
			// Only who runs the station sees how to reach or sign in as
			// its members: a login name shown to everyone lets anyone lock
			// a member out with wrong passwords.
			out = append(out, TeamMember{StationAdmin: model.StationAdmin{ID: r.ID, StationID: r.StationID,
				UserID: r.UserID, Category: r.Category, RealName: r.RealName}})
			continue
		}
		out = append(out, TeamMember{StationAdmin: r, Account: accounts[r.UserID]})
	}
	slices.SortStableFunc(out, func(a, b TeamMember) int {
		return boolRank(b.Category == model.CategoryLead) - boolRank(a.Category == model.CategoryLead)
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Construction statuses.
const (
	StatusBuilt   = "built"   // 已建成 (confirmed by the province)
	StatusReady   = "ready"   // meets the requirements, awaiting confirmation (also after the deadline: Overdue)
	StatusPending = "pending" // not yet meeting them, before the deadline
	StatusLate    = "late"    // not built after the batch deadline
)

// Construction is a university's station construction status.
type Construction struct {
	University model.University `json:"university"`
	StationID  uint64           `json:"station_id,omitempty"`
	Batch      int              `json:"batch"`
	Deadline   time.Time        `json:"deadline"`
	Status     string           `json:"status"`
	// Overdue: the batch deadline passed without the station confirmed
	// built (every late station, and a ready one still awaiting
	// confirmation).
	Overdue bool       `json:"overdue"`
	Missing []string   `json:"missing"`
	BuiltAt *time.Time `json:"built_at,omitempty"`
}

// deadlines of the batches: 4月30日, 6月30日, 10月30日 (end of day, Beijing).
func (s *Service) deadline(batch int) time.Time {
	year := s.year
	if year == 0 {
		year = s.clk.Now().In(clock.Beijing).Year()
	}
	month := map[int]time.Month{model.BatchUndergraduate: time.April, model.BatchPublicVocational: time.June, model.BatchPrivateVocational: time.October}[batch]
	if month == 0 {
		month = time.October
	}
	return time.Date(year, month, 30, 23, 59, 59, 0, clock.Beijing)
}

// missing lists the notice's requirements a station does not meet yet.
func missing(st *model.Station, team []model.StationAdmin) []string {
	if st == nil {
		return []string{"尚未建立服务站"}
	}
	var out []string
	add := func(ok bool, what string) {
		if !ok {
			out = append(out, what)
		}
	}
	add(st.Building != "" && st.Room != "", "固定场所（楼宇和房间）")
	add(st.HasOffice, "固定办公场所")
	add(st.HasPlaque, "门口挂牌")
	add(st.HasComputer, "至少一台联网电脑")
	add(st.HasServicePost, "青年之声服务岗及宣传资料")
	add(st.Services != "" && st.Services != "[]", "服务项目")
	cal, err := ParseCalendar(st.Hours, st.ClosedDates)
	add(err == nil && cal.HasHours(), "工作时间")
	lead, admins := false, 0
	for _, m := range team {
		if m.Category == model.CategoryLead {
			lead = true
		} else {
			admins++
		}
	}
	add(lead, "负责人")
	add(admins > 0, "至少一名管理员")
	return out
}

// construction is u's status given its station (nil: none) and team.
func (s *Service) construction(u model.University, st *model.Station, team []model.StationAdmin) Construction {
	c := Construction{University: u, Batch: u.Batch, Deadline: s.deadline(u.Batch)}
	if st != nil {
		c.StationID, c.BuiltAt = st.ID, st.BuiltAt
	}
	c.Missing = missing(st, team)
	late := s.clk.Now().After(c.Deadline)
	switch {
	case st != nil && st.BuiltAt != nil:
		// The province's confirmation stands, but what the station has
		// lost since (a lead who left, a profile emptied) is still listed,
		// for the university to restore and the province to see.
		c.Status = StatusBuilt
	case len(c.Missing) == 0:
		// Ready stays ready after the deadline, so the province admin
		// finds it among those awaiting confirmation; Overdue says it is
		// late all the same.
		c.Status, c.Overdue = StatusReady, late
	case late:
		c.Status, c.Overdue = StatusLate, true
	default:
		c.Status = StatusPending
	}
	return c
}

// ConstructionOf is one university's status, for anyone of that university
// (students see whether their 青年之家 is built) or the province admin.
func (s *Service) ConstructionOf(ctx context.Context, viewer model.User, uni uint64) (Construction, error) {
	if !viewer.Has(model.RoleProvinceAdmin) && (viewer.UniversityID == nil || *viewer.UniversityID != uni) {
		return Construction{}, service.Forbidden("forbidden", "只能查看本校服务站的建设情况")
	}
	u, err := s.university(ctx, uni)
	if err != nil {
		return Construction{}, service.Wrap("读取建设情况", err)
	}
	st, err := s.stationOf(ctx, uni, false)
	switch {
	case errors.Is(err, service.ErrNotFound):
		return s.construction(u, nil, nil), nil
	case err != nil:
		return Construction{}, service.Wrap("读取建设情况", err)
	}
	var team []model.StationAdmin
	if err := s.db.Conn(ctx).Where("station_id = ?", st.ID).Find(&team).Error; err != nil {
		return Construction{}, service.Wrap("读取建设情况", err)
	}
	return s.construction(u, &st, team), nil
}

// Overview lists every university's construction status (province admin).
func (s *Service) Overview(ctx context.Context, viewer model.User) ([]Construction, error) {
	if !viewer.Has(model.RoleProvinceAdmin) {
		return nil, service.Forbidden("forbidden", "只有省级管理员可以查看全省服务站建设情况")
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Order("batch").Order("id").Find(&unis).Error; err != nil {
		return nil, service.Wrap("读取建设情况", err)
	}
	var stations []model.Station
	if err := s.db.Conn(ctx).Find(&stations).Error; err != nil {
		return nil, service.Wrap("读取建设情况", err)
	}
	var members []model.StationAdmin
	if err := s.db.Conn(ctx).Find(&members).Error; err != nil {
		return nil, service.Wrap("读取建设情况", err)
	}
	byUni := map[uint64]*model.Station{}
	for i := range stations {
		byUni[stations[i].UniversityID] = &stations[i]
	}
	teams := map[uint64][]model.StationAdmin{}
	for _, m := range members {
		teams[m.StationID] = append(teams[m.StationID], m)
	}
	// Three queries for the whole province, not one per station.
	out := make([]Construction, 0, len(unis))
	for _, u := range unis {
		st := byUni[u.ID]
		var team []model.StationAdmin
		if st != nil {
			team = teams[st.ID]
		}
		out = append(out, s.construction(u, st, team))
	}
	return out, nil
}

// ConfirmBuilt records the province's confirmation that a station is
// built; it must meet every requirement.
func (s *Service) ConfirmBuilt(ctx context.Context, viewer model.User, uni uint64) error {
	if !viewer.Has(model.RoleProvinceAdmin) {
		return service.Forbidden("forbidden", "只有省级管理员可以确认建成")
	}
	return service.Wrap("确认建成", s.db.WithTx(ctx, func(ctx context.Context) error {
		st, err := s.stationOf(ctx, uni, true)
		if err != nil {
			return err
		}
		if st.BuiltAt != nil {
			return service.Conflict("already_built", "该服务站已确认建成", nil)
		}
		var team []model.StationAdmin
		if err := s.db.Conn(ctx).Where("station_id = ?", st.ID).Find(&team).Error; err != nil {
			return err
		}
		if m := missing(&st, team); len(m) > 0 {
			return service.Conflict("requirements_unmet", fmt.Sprintf("尚未达到建设要求：%s", strings.Join(m, "、")), nil)
		}
		now := s.now()
		if err := s.db.Conn(ctx).Model(&model.Station{}).Where("id = ?", st.ID).
			Updates(map[string]any{"built_at": now, "built_by": viewer.ID, "updated_at": now}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, s.db, audit.Entry{Actor: &viewer, UniversityID: &uni, Action: audit.ActionStationConfirm,
			ObjectType: "station", ObjectID: audit.ID(st.ID), Summary: "确认服务站「" + st.Name + "」已建成"})
	}))
}
