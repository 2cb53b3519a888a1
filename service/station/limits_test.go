package station_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/station"
)

// Each text field is taken up to its exported limit and refused one
// character past it, with a message on the field naming it and the
// limit: the pages and the API show what the service enforces.
func TestFieldLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		at := func(n int) string { return strings.Repeat("字", n) }

		// At the limits: accepted.
		p := fullProfile(at(station.MaxName))
		p.Building, p.Room, p.Address, p.Directions = at(station.MaxBuilding), at(station.MaxRoom), at(station.MaxAddress), at(station.MaxDirections)
		p.Closed = []station.Closure{{Date: "2026-10-01", Reason: at(station.MaxClosureReason)}}
		f.save(t, f.adminA, f.uniA.ID, p)
		if _, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, station.Member{Account: f.studentA2.Account, Category: model.CategoryAdmin,
			RealName: at(station.MaxMemberName), Position: at(station.MaxMemberPosition), Phone: "13912345678",
			WeChatID: strings.Repeat("w", station.MaxMemberWeChatID)}); err != nil {
			t.Fatalf("member at the limits: %v", err)
		}
		if _, err := f.svc.Book(f.ctx, f.studentA, station.BookInput{Service: "心理咨询", Phone: "13800138000", Description: at(station.MaxDescription)}); err != nil {
			t.Fatalf("booking at the limit: %v", err)
		}

		profile := func(edit func(p *station.Profile, v string)) func(string) error {
			return func(v string) error {
				p := fullProfile("青年之家甲站")
				edit(&p, v)
				_, err := f.svc.SaveProfile(f.ctx, f.adminA, f.uniA.ID, p)
				return err
			}
		}
		member := func(edit func(m *station.Member, v string)) func(string) error {
			return func(v string) error {
				m := station.Member{Account: f.studentA2.Account, Category: model.CategoryAdmin, RealName: "王五", Phone: "13912345678"}
				edit(&m, v)
				_, err := f.svc.AddMember(f.ctx, f.adminA, f.uniA.ID, m)
				return err
			}
		}
		respond := func(edit func(r *station.Response, v string)) func(string) error {
			return func(v string) error {
				r := station.Response{Action: station.ActionDecline, Reason: "无法安排"}
				edit(&r, v)
				_, err := f.svc.Respond(f.ctx, f.duty1, 0, r)
				return err
			}
		}
		cases := []struct {
			name, field, label string
			limit              int
			try                func(over string) error
		}{
			{"station name", "name", "站点名称", station.MaxName, profile(func(p *station.Profile, v string) { p.Name = v })},
			{"building", "building", "楼宇", station.MaxBuilding, profile(func(p *station.Profile, v string) { p.Building = v })},
			{"room", "room", "房间", station.MaxRoom, profile(func(p *station.Profile, v string) { p.Room = v })},
			{"address", "address", "地址", station.MaxAddress, profile(func(p *station.Profile, v string) { p.Address = v })},
			{"directions", "directions", "到达方式", station.MaxDirections, profile(func(p *station.Profile, v string) { p.Directions = v })},
			{"closure reason", "closed", "闭站原因", station.MaxClosureReason, profile(func(p *station.Profile, v string) {
				p.Closed = []station.Closure{{Date: "2026-10-01", Reason: v}}
			})},
			{"member name", "real_name", "姓名", station.MaxMemberName, member(func(m *station.Member, v string) { m.RealName = v })},
			{"member position", "position", "职务", station.MaxMemberPosition, member(func(m *station.Member, v string) { m.Position = v })},
			{"member WeChat id", "wechat_id", "微信号", station.MaxMemberWeChatID, member(func(m *station.Member, v string) { m.WeChatID = v })},
			{"booking description", "description", "需求描述", station.MaxDescription, func(v string) error {
				_, err := f.svc.Book(f.ctx, f.studentA, station.BookInput{Service: "心理咨询", Phone: "13800138000", Description: v})
				return err
			}},
			{"referral note", "note", "说明", station.MaxReferNote, func(v string) error {
				_, err := f.svc.Refer(f.ctx, f.cadreA, 0, "心理咨询", v)
				return err
			}},
			{"place", "place", "地点", station.MaxPlace, respond(func(r *station.Response, v string) { r.Place = v })},
			{"note", "note", "备注", station.MaxNote, respond(func(r *station.Response, v string) { r.Note = v })},
			{"decline reason", "reason", "原因", station.MaxDeclineReason, respond(func(r *station.Response, v string) { r.Reason = v })},
			{"alternatives", "alternatives", "替代建议", station.MaxAlternatives, respond(func(r *station.Response, v string) { r.Alternatives = v })},
			{"service result", "result", "服务结果", station.MaxResult, func(v string) error {
				_, err := f.svc.Serve(f.ctx, f.duty1, 0, v, false)
				return err
			}},
			{"rating comment", "comment", "评价", station.MaxRatingComment, func(v string) error {
				_, err := f.svc.Rate(f.ctx, f.studentA, 0, 5, v)
				return err
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				over := at(tc.limit + 1)
				if tc.field == "wechat_id" {
					over = strings.Repeat("w", tc.limit+1)
				}
				servicetest.WantFieldError(t, tc.name, tc.try(over), tc.field, tc.label, strconv.Itoa(tc.limit))
			})
		}
	})
}
