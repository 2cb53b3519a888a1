package h5_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/station"
)

var reRowCode = regexp.MustCompile(`class="st-row" data-code="(\d+)"`)

func rowCodes(body string) []string {
	var out []string
	for _, m := range reRowCode.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestStationListPageAndExports: the province's station list is 50 rows a
// page; the query string's search, city and status filter it (and stay in
// the form); the exports hold the filtered rows, CSV with a BOM and a
// formula-looking name defused, XLSX with numbers as numbers.
func TestStationListPageAndExports(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, _ := stationStack(t, db, store)
		ctx := context.Background()
		openStation(s, s.Member("ladm", webtest.CodeSZU, model.RoleUniversityAdm), 0)
		scut := s.Member("lscut", webtest.CodeSCUT, model.RoleUniversityAdm)
		if _, err := s.Stations.SaveProfile(ctx, scut.User, *scut.User.UniversityID, station.Profile{Name: "=华工青年之家"}); err != nil {
			t.Fatal(err)
		}
		var total, shenzhen int64
		db.Conn(ctx).Model(&model.University{}).Count(&total)
		db.Conn(ctx).Model(&model.University{}).Where("city = ?", "深圳市").Count(&shenzhen)
		pp := s.Phone(s.Member("lprov", webtest.CodeSZU, model.RoleProvinceAdmin))

		r := pp.Get("/h5/admin/stations")
		webtest.WantStatus(t, r, http.StatusOK)
		if n := len(rowCodes(r.Body)); n != station.ListPageSize {
			t.Fatalf("first page has %d rows", n)
		}
		webtest.WantBody(t, r, "共 "+strconv.FormatInt(total, 10)+" 所", `id="page-next"`, `id="list-city"`, `<option value="深圳市">深圳市</option>`)

		r = pp.Get("/h5/admin/stations?city=" + url.QueryEscape("深圳市"))
		codes := rowCodes(r.Body)
		if len(codes) != int(shenzhen) || !slices.Contains(codes, webtest.CodeSZU) || slices.Contains(codes, webtest.CodeSCUT) {
			t.Fatalf("深圳市: %d rows %v, want %d with 深圳大学", len(codes), codes, shenzhen)
		}
		webtest.WantBody(t, r, `<option value="深圳市" selected>`, "已开放", `href="/h5/admin/stations.xlsx?city=`+url.QueryEscape("深圳市")+`"`)

		r = pp.Get("/h5/admin/stations?q=" + url.QueryEscape("华工青年"))
		if codes := rowCodes(r.Body); len(codes) != 1 || codes[0] != webtest.CodeSCUT {
			t.Fatalf("search 华工青年: %v", codes)
		}
		webtest.WantBody(t, r, `value="华工青年"`, "未设置时段", "共 1 所（全部 "+strconv.FormatInt(total, 10)+" 所）")
		if codes := rowCodes(pp.Get("/h5/admin/stations?status=no_hours").Body); len(codes) != 1 || codes[0] != webtest.CodeSCUT {
			t.Fatalf("未设置时段: %v", codes)
		}
		r = pp.Get("/h5/admin/stations?status=everything")
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, `id="form-error"`, "未知的状态")
		r = pp.Get("/h5/admin/stations?batch=x")
		webtest.WantStatus(t, r, http.StatusBadRequest)
		webtest.WantBody(t, r, `id="form-error"`)

		// CSV of 深圳市: BOM, header, one line per university.
		r = pp.Get("/h5/admin/stations.csv?city=" + url.QueryEscape("深圳市"))
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("CSV content type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
			t.Fatalf("CSV disposition %q", cd)
		}
		if !strings.HasPrefix(r.Body, "\ufeff") {
			t.Fatal("the CSV has no BOM: Excel would garble the Chinese")
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != int(shenzhen)+1 || recs[0][0] != "学校标识码" || recs[0][7] != "每周开放小时" {
			t.Fatalf("CSV: %d records, header %v (%v)", len(recs), recs[0], err)
		}
		found := false
		for _, rec := range recs[1:] {
			if rec[0] == webtest.CodeSZU {
				found = rec[4] == "深圳大学青年之家" && rec[5] == "已开放" && rec[7] == "35"
			}
		}
		if !found {
			t.Fatalf("深圳大学's CSV row missing or wrong: %v", recs)
		}
		recs, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(pp.Get("/h5/admin/stations.csv?q="+url.QueryEscape("华工青年")).Body, "\ufeff"))).ReadAll()
		if len(recs) != 2 || recs[1][4] != "'=华工青年之家" {
			t.Fatalf("CSV of 华工: %v", recs)
		}

		// XLSX of the search: one row, numbers stored as numbers.
		r = pp.Get("/h5/admin/stations.xlsx?q=" + url.QueryEscape("华工青年"))
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("XLSX content type %q", ct)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("服务站")
		if err != nil || len(rows) != 2 || rows[1][1] != "华南理工大学" || rows[1][5] != "未设置时段" {
			t.Fatalf("XLSX rows %v (%v)", rows, err)
		}
		if typ, _ := f.GetCellType("服务站", "H2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Fatalf("每周开放小时 stored as %v", typ)
		}

		// Others: refused, exports too.
		stu := s.Phone(s.Member("lstu", webtest.CodeSZU, model.RoleStudent))
		for _, p := range []string{"/h5/admin/stations", "/h5/admin/stations.csv", "/h5/admin/stations.xlsx"} {
			webtest.WantStatus(t, stu.Get(p), http.StatusForbidden)
		}
	})
}
