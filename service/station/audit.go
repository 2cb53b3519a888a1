package station

import (
	"context"
	"strings"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/audit"
)

// recordStation adds a save of the station's profile, hours or holidays
// to the audit trail: the fields that changed, before and after.
func recordStation(ctx context.Context, db *model.DB, actor model.User, before, after model.Station) error {
	changed := map[string]any{}
	diff := func(name string, b, a any) {
		if b != a {
			changed[name] = map[string]any{"before": b, "after": a}
		}
	}
	diff("name", before.Name, after.Name)
	diff("building", before.Building, after.Building)
	diff("room", before.Room, after.Room)
	diff("address", before.Address, after.Address)
	diff("directions", before.Directions, after.Directions)
	diff("services", before.Services, after.Services)
	diff("hours", before.Hours, after.Hours)
	diff("closed_dates", before.ClosedDates, after.ClosedDates)
	diff("slot_minutes", before.SlotMinutes, after.SlotMinutes)
	diff("slot_capacity", before.SlotCapacity, after.SlotCapacity)
	diff("has_office", before.HasOffice, after.HasOffice)
	diff("has_plaque", before.HasPlaque, after.HasPlaque)
	diff("has_computer", before.HasComputer, after.HasComputer)
	diff("has_service_post", before.HasServicePost, after.HasServicePost)
	var names []string
	for _, f := range []struct{ key, name string }{{"name", "名称"}, {"building", "楼宇"}, {"room", "房间"}, {"address", "地址"},
		{"directions", "到达方式"}, {"services", "服务项目"}, {"hours", "开放时间"}, {"closed_dates", "闭站日期"},
		{"slot_minutes", "时段长度"}, {"slot_capacity", "时段人数"}} {
		if changed[f.key] != nil {
			names = append(names, f.name)
		}
	}
	summary := "修改服务站「" + after.Name + "」"
	switch {
	case before.ID == 0:
		summary = "创建服务站「" + after.Name + "」"
	case len(names) > 0:
		summary += "：" + strings.Join(names, "、")
	}
	return audit.Record(ctx, db, audit.Entry{Actor: &actor, UniversityID: &after.UniversityID, Action: audit.ActionStationUpdate,
		ObjectType: "station", ObjectID: audit.ID(after.ID), Summary: summary, Detail: changed})
}

// recordTeam adds a team change to the audit trail; the member's phone is
// masked (the record is about the appointment, not the number).
func recordTeam(ctx context.Context, db *model.DB, actor model.User, uni uint64, action string, row model.StationAdmin, account string) error {
	verb := "添加服务站成员 "
	if action == audit.ActionTeamRemove {
		verb = "移除服务站成员 "
	}
	return audit.Record(ctx, db, audit.Entry{Actor: &actor, UniversityID: &uni, Action: action,
		ObjectType: "station_admin", ObjectID: audit.ID(row.ID), Summary: verb + row.RealName + "（" + row.Category + "）",
		Detail: map[string]any{"user_id": row.UserID, "account": account, "category": row.Category, "position": row.Position,
			"phone": audit.MaskPhone(row.Phone), "duty_days": row.DutyDays}})
}

// recordBooking adds what an admin or cadre did to a booking to the audit
// trail; the student is named by id only.
func recordBooking(ctx context.Context, db *model.DB, actor model.User, b model.Booking, action, summary string) error {
	return audit.Record(ctx, db, audit.Entry{Actor: &actor, UniversityID: &b.UniversityID, Action: action,
		ObjectType: "booking", ObjectID: audit.ID(b.ID), Summary: "预约 #" + audit.ID(b.ID) + "（" + b.Service + "）：" + summary,
		Detail: map[string]any{"status": b.Status, "student_id": b.StudentID}})
}
