package api_test

import (
	"net/http"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The liaison directory and naming through the API, scoped as the
// service scopes it.
func TestAPILiaisons(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("prov", webtest.CodeSZU, model.RoleProvinceAdmin))
		adminSZU := s.Phone(s.Member("uadm", webtest.CodeSZU, model.RoleUniversityAdm))
		teacher := s.Member("teach", webtest.CodeSZU, model.RoleCadre)
		student := s.Phone(s.Member("stu", webtest.CodeSZU, model.RoleStudent))

		body := map[string]string{"real_name": "李联络", "position": "校团委副书记", "phone": "13912345678", "account": teacher.User.Account}
		webtest.WantAPIError(t, adminSZU.API(http.MethodPut, "/api/v1/admin/liaisons/"+webtest.CodeSCUT, body), http.StatusForbidden, "forbidden", "")
		webtest.WantAPIError(t, adminSZU.API(http.MethodPut, "/api/v1/admin/liaisons/0000000000", body), http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, adminSZU.API(http.MethodPut, "/api/v1/admin/liaisons/"+webtest.CodeSZU,
			map[string]string{"real_name": "李联络", "position": "校团委副书记", "phone": "139"}), http.StatusBadRequest, "invalid_liaison", "phone")
		r := adminSZU.API(http.MethodPut, "/api/v1/admin/liaisons/"+webtest.CodeSZU, body)
		webtest.WantStatus(t, r, http.StatusOK)

		type entry struct {
			University struct{ Code string }
			Named      bool
			RealName   string `json:"real_name"`
			Account    string
		}
		var dir struct{ Data []entry }
		r = province.API(http.MethodGet, "/api/v1/admin/liaisons", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		r.Decode(t, &dir)
		last := dir.Data[len(dir.Data)-1]
		if len(dir.Data) != 166 || dir.Data[0].Named || last.University.Code != webtest.CodeSZU || !last.Named || last.RealName != "李联络" || last.Account != teacher.User.Account {
			t.Fatalf("province directory: %d entries, first %+v, last %+v", len(dir.Data), dir.Data[0], last)
		}
		var own struct{ Data []entry }
		adminSZU.API(http.MethodGet, "/api/v1/admin/liaisons", nil).Decode(t, &own)
		if len(own.Data) != 1 || own.Data[0].University.Code != webtest.CodeSZU {
			t.Fatalf("university admin sees %+v", own.Data)
		}
		webtest.WantAPIError(t, student.API(http.MethodGet, "/api/v1/admin/liaisons", nil), http.StatusForbidden, "not_admin", "")
	})
}
