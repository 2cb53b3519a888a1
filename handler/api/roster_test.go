package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

type rosterEntry struct {
	ID         uint64
	Category   string
	Position   string
	RealName   string `json:"real_name"`
	Phone      string
	Status     string
	Account    string
	LeftReason string `json:"left_reason"`
}

// The roster through the API: listing, correcting, linking and ending a
// role, the province's completeness table; scoped as the service scopes
// it, with the error envelope for bad input.
func TestAPIRoster(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		otherAdmin := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))
		secretary := s.Member("sec", webtest.CodeSZU, model.RoleStudent)

		person := map[string]string{"position": "计算机学院团委书记", "real_name": "赵书记", "phone": "13912345611"}
		webtest.WantAPIError(t, admin.API(http.MethodPost, "/api/v1/admin/roster",
			map[string]string{"position": "副书记", "real_name": "赵", "phone": "13912345611"}), http.StatusBadRequest, "invalid_input", "real_name")
		var created struct{ Data rosterEntry }
		r := admin.API(http.MethodPost, "/api/v1/admin/roster", person)
		webtest.WantStatus(t, r, http.StatusCreated)
		r.Decode(t, &created)
		if e := created.Data; e.Category != model.CategoryCollegeSecretary || e.Status != model.RosterPending || e.Phone != "13912345611" {
			t.Fatalf("created %+v; want a 二级院系团委书记, 待注册", e)
		}
		webtest.WantAPIError(t, admin.API(http.MethodPost, "/api/v1/admin/roster", person), http.StatusConflict, "already_listed", "")
		webtest.WantAPIError(t, otherAdmin.API(http.MethodPost, "/api/v1/admin/roster?university="+webtest.CodeSZU, person), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, province.API(http.MethodGet, "/api/v1/admin/roster?university=0000000000", nil), http.StatusNotFound, "university_not_found", "")

		entry := "/api/v1/admin/roster/" + strconv.FormatUint(created.Data.ID, 10)
		for _, c := range []*webtest.Client{otherAdmin, student} {
			webtest.WantStatus(t, c.API(http.MethodGet, "/api/v1/admin/roster?university="+webtest.CodeSZU, nil), http.StatusForbidden)
			webtest.WantStatus(t, c.API(http.MethodPut, entry, person), http.StatusNotFound)
			webtest.WantStatus(t, c.API(http.MethodPost, entry+"/leave", map[string]string{"reason": "外校"}), http.StatusNotFound)
			webtest.WantStatus(t, c.API(http.MethodGet, "/api/v1/admin/roster/completeness", nil), http.StatusForbidden)
		}
		webtest.WantAPIError(t, admin.API(http.MethodPut, "/api/v1/admin/roster/abc", person), http.StatusBadRequest, "bad_id", "id")

		person["category"] = model.CategoryLeagueCadre
		webtest.WantStatus(t, admin.API(http.MethodPut, entry, person), http.StatusOK)
		webtest.WantAPIError(t, admin.API(http.MethodPost, entry+"/link", map[string]string{"account": "nobody-here"}), http.StatusBadRequest, "user_not_found", "account")
		webtest.WantStatus(t, admin.API(http.MethodPost, entry+"/link", map[string]string{"account": secretary.User.Account}), http.StatusOK)

		var list struct{ Data []rosterEntry }
		r = province.API(http.MethodGet, "/api/v1/admin/roster?university="+webtest.CodeSZU, nil)
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &list)
		if len(list.Data) != 1 || list.Data[0].Category != model.CategoryLeagueCadre || list.Data[0].Status != model.RosterRegistered ||
			list.Data[0].Account != secretary.User.Account {
			t.Fatalf("roster = %+v; want the corrected, linked entry", list.Data)
		}
		var table struct {
			Data []struct {
				University           struct{ Code string }
				Expected, Registered int
				Rate                 float64
			}
		}
		province.API(http.MethodGet, "/api/v1/admin/roster/completeness?sort=-rate", nil).Decode(t, &table)
		if len(table.Data) != 166 || table.Data[0].University.Code != webtest.CodeSZU || table.Data[0].Rate != 1 {
			t.Fatalf("completeness: %d lines, first %+v", len(table.Data), table.Data[0])
		}

		webtest.WantAPIError(t, admin.API(http.MethodPost, entry+"/leave", map[string]any{"reason": "调任",
			"successor": map[string]string{"real_name": "钱", "phone": "13912345612"}}), http.StatusBadRequest, "invalid_input", "successor_real_name")
		var left struct{ Data rosterEntry }
		r = admin.API(http.MethodPost, entry+"/leave", map[string]any{"reason": "调任",
			"successor": map[string]string{"real_name": "钱书记", "phone": "13912345612"}})
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &left)
		if left.Data.Status != model.RosterLeft || left.Data.LeftReason != "调任" {
			t.Fatalf("left entry %+v", left.Data)
		}
		admin.API(http.MethodGet, "/api/v1/admin/roster", nil).Decode(t, &list)
		if len(list.Data) != 2 || list.Data[0].RealName != "钱书记" || list.Data[0].Status != model.RosterPending || list.Data[0].Position != "计算机学院团委书记" {
			t.Fatalf("after the transfer: %+v; want the successor 待注册 in the same 职务 first", list.Data)
		}
	})
}

// Revoking a university admin through the API: the province only, the
// account's remaining roles answered.
func TestAPIRevokeUniversityAdmin(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		admin := s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm)
		other := s.Phone(s.Member("oadm", webtest.CodeSCUT, model.RoleUniversityAdm))
		body := map[string]string{"account": admin.User.Account, "reason": "岗位调整"}
		webtest.WantAPIError(t, other.API(http.MethodPost, "/api/v1/admin/university-admins/revoke", body), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, province.API(http.MethodPost, "/api/v1/admin/university-admins/revoke",
			map[string]string{"account": admin.User.Account}), http.StatusBadRequest, "invalid_input", "reason")
		var got struct {
			Roles []string
		}
		webtest.WantData(t, province.API(http.MethodPost, "/api/v1/admin/university-admins/revoke", body), http.StatusOK, &got)
		if len(got.Roles) != 1 || got.Roles[0] != model.RoleStudent || s.UserByAccount(admin.User.Account).Has(model.RoleUniversityAdm) {
			t.Fatalf("after revocation: roles %v", got.Roles)
		}
	})
}
