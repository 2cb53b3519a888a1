package api_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/station"
)

// TestAPIStationList: GET /admin/stations filters like the page (city,
// status, search) and says each row's figures and statuses.
func TestAPIStationList(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		adm := s.Member("ladm", webtest.CodeSZU, model.RoleUniversityAdm)
		var w [7][]station.Range
		w[1] = []station.Range{{Open: "09:00", Close: "12:00"}, {Open: "14:00", Close: "17:30"}}
		w = station.CopyHours(w, 1, station.Weekdays...)
		if _, err := s.Stations.SaveProfile(context.Background(), adm.User, *adm.User.UniversityID, station.Profile{Name: "深大青年之家", Weekly: w}); err != nil {
			t.Fatal(err)
		}
		prov := s.Phone(s.Member("lprov", webtest.CodeSZU, model.RoleProvinceAdmin))
		var got struct {
			Data []struct {
				University struct {
					Code string `json:"code"`
				} `json:"university"`
				StationName string   `json:"station_name"`
				HasHours    bool     `json:"has_hours"`
				WeeklyHours float64  `json:"weekly_hours"`
				Statuses    []string `json:"statuses"`
			}
		}
		prov.API(http.MethodGet, "/api/v1/admin/stations?status=open&city="+url.QueryEscape("深圳市"), nil).Decode(t, &got)
		if len(got.Data) != 1 || got.Data[0].University.Code != webtest.CodeSZU || got.Data[0].StationName != "深大青年之家" ||
			!got.Data[0].HasHours || got.Data[0].WeeklyHours != 32.5 || got.Data[0].Statuses[0] != "open" {
			t.Fatalf("open stations in 深圳市: %+v", got.Data)
		}
		prov.API(http.MethodGet, "/api/v1/admin/stations?city="+url.QueryEscape("广州市")+"&status=open", nil).Decode(t, &got)
		if len(got.Data) != 0 {
			t.Fatalf("open stations in 广州市: %+v", got.Data)
		}
		prov.API(http.MethodGet, "/api/v1/admin/stations?q="+url.QueryEscape("深大青年"), nil).Decode(t, &got)
		if len(got.Data) != 1 {
			t.Fatalf("search: %+v", got.Data)
		}
		webtest.WantAPIError(t, prov.API(http.MethodGet, "/api/v1/admin/stations?status=all", nil), http.StatusBadRequest, "bad_status", "")
		webtest.WantAPIError(t, s.Phone(s.Member("lstu", webtest.CodeSZU, model.RoleStudent)).API(http.MethodGet, "/api/v1/admin/stations", nil),
			http.StatusForbidden, "forbidden", "")
	})
}
