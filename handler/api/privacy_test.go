package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// figures are the reports a university and the province are assessed
// by, without the time they were generated.
func figures(t *testing.T, w *webtest.StatsWorld) map[string]any {
	t.Helper()
	if _, err := w.S.Stats.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for name, r := range map[string]*webtest.Resp{
		"province":   w.Province.API(http.MethodGet, "/api/v1/admin/stats", nil),
		"university": w.AdminSZU.API(http.MethodGet, "/api/v1/admin/stats", nil),
		"trends":     w.Province.API(http.MethodGet, "/api/v1/admin/stats/trends", nil),
	} {
		var v struct {
			Data map[string]any `json:"data"`
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", name, r.Status, r.Body)
		}
		r.Decode(t, &v)
		delete(v.Data, "generated_at")
		delete(v.Data, "as_of")
		out[name] = v.Data
	}
	return out
}

// 注销 through the API: confirmed by typing 注销, refused to a cadre
// still in office, then the account cannot sign in, its question is
// shown as 已注销用户, its personal fields and WeChat are gone, and the
// university's statistics are exactly what they were.
func TestAPICloseAccountKeepsStatistics(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		ctx := context.Background()
		var mine []struct {
			ID uint64 `json:"id"`
		}
		webtest.WantData(t, w.Asker.API(http.MethodGet, "/api/v1/questions/mine", nil), http.StatusOK, &mine)
		if len(mine) != 1 {
			t.Fatalf("my questions %+v", mine)
		}
		qid := mine[0].ID
		before := figures(t, w)

		webtest.WantAPIError(t, w.Asker.API(http.MethodPost, "/api/v1/me/delete", map[string]string{"confirm": "删除"}),
			http.StatusBadRequest, "confirm_required", "confirm")
		e := webtest.WantAPIError(t, w.Cadre.API(http.MethodPost, "/api/v1/me/delete", map[string]string{"confirm": "注销"}),
			http.StatusConflict, "still_staff", "")
		if !strings.Contains(e.Message, "团学干部") || !strings.Contains(e.Message, "交接") {
			t.Fatalf("cadre refused with %q", e.Message)
		}

		webtest.WantStatus(t, w.Asker.API(http.MethodPost, "/api/v1/me/delete", map[string]string{"confirm": " 注销 "}), http.StatusNoContent)
		webtest.WantAPIError(t, w.Asker.API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")
		login := w.S.Browser(webtest.UAPlain)
		webtest.WantStatus(t, login.API(http.MethodGet, "/api/v1/session", nil), http.StatusOK)
		if r := login.API(http.MethodPost, "/api/v1/session", map[string]string{"account": w.StuSZU.User.Account, "password": "secret123"}); r.Status == http.StatusOK {
			t.Fatalf("a closed account signed in: %s", r.Body)
		}
		// Its WeChat is no longer bound: opening the menu asks to activate.
		if u, err := w.S.Accounts.UserByOpenID(ctx, w.StuSZU.OpenID); err == nil {
			t.Fatalf("the WeChat still finds account %d", u.ID)
		}

		var q struct {
			AskerName string `json:"asker_name"`
		}
		r := w.Cadre.API(http.MethodGet, qaPath(qid, ""), nil)
		webtest.WantData(t, r, http.StatusOK, &q)
		if q.AskerName != model.ClosedName || strings.Contains(r.Body, w.StuSZU.User.Account) {
			t.Fatalf("the cadre sees the asker as %q", q.AskerName)
		}
		u, err := w.S.Accounts.UserByID(ctx, w.StuSZU.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.ClosedAt == nil || u.Name != "" || u.Nickname != "" || u.PasswordHash != "" || u.UniversityID == nil ||
			u.OpenID == nil || *u.OpenID == w.StuSZU.OpenID || strings.Contains(u.Account, "stStu") {
			t.Fatalf("closed account row %+v", u)
		}
		var left int64
		db.Conn(ctx).Model(&model.Interaction{}).Where("openid = ?", w.StuSZU.OpenID).Count(&left)
		if left != 0 {
			t.Fatalf("%d interactions keep the openid", left)
		}

		if after := figures(t, w); !reflect.DeepEqual(before, after) {
			b, _ := json.MarshalIndent(before, "", " ")
			a, _ := json.MarshalIndent(after, "", " ")
			t.Fatalf("statistics changed:\nbefore %s\nafter  %s", b, a)
		}
	})
}

var reBeijing = regexp.MustCompile(`"created_at":"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"`)

// 导出我的数据 through the API: a ZIP of JSON files with the person's own
// account, questions and messages in Beijing time; once a minute.
func TestAPIExportMyData(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		w.S.Deliver()
		r := w.Asker.API(http.MethodGet, "/api/v1/me/export", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), ".zip") {
			t.Fatalf("Content-Type %q, disposition %q", ct, r.Header.Get("Content-Disposition"))
		}
		files := unzip(t, []byte(r.Body))
		for _, name := range []string{"说明.txt", "account.json", "questions.json", "answers.json", "metoos.json", "bookings.json", "messages.json"} {
			if _, ok := files[name]; !ok {
				t.Fatalf("export lacks %s (has %v)", name, keys(files))
			}
		}
		if !strings.Contains(files["account.json"], w.StuSZU.User.Account) || strings.Contains(files["account.json"], w.StuSZU.OpenID) {
			t.Fatalf("account.json: %s", files["account.json"])
		}
		if !strings.Contains(files["questions.json"], "图书馆几点关门") || strings.Contains(files["questions.json"], "宿舍空调报修") ||
			!reBeijing.MatchString(files["questions.json"]) {
			t.Fatalf("questions.json: %s", files["questions.json"])
		}
		if !strings.Contains(files["messages.json"], "title") {
			t.Fatalf("messages.json has none of the alerts: %s", files["messages.json"])
		}
		for name, body := range files {
			if strings.HasSuffix(name, ".json") {
				var v []any
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatalf("%s is not a JSON array: %v", name, err)
				}
			}
		}
		webtest.WantAPIError(t, w.Asker.API(http.MethodGet, "/api/v1/me/export", nil), http.StatusTooManyRequests, "export_too_often", "")
		// Another person's export is their own and not limited by it.
		r = w.StudentSCUT.API(http.MethodGet, "/api/v1/me/export", nil)
		webtest.WantStatus(t, r, http.StatusOK)
		if qs := unzip(t, []byte(r.Body))["questions.json"]; strings.Contains(qs, "图书馆几点关门") || !strings.Contains(qs, "宿舍空调报修") {
			t.Fatalf("the other student's questions.json: %s", qs)
		}
		webtest.WantAPIError(t, w.S.Browser(webtest.UAPlain).API(http.MethodGet, "/api/v1/me/export", nil), http.StatusUnauthorized, "login_required", "")
	})
}

// The display name through the API: set, refused with a field error, and
// shown in /me.
func TestAPIDisplayName(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		w := webtest.NewStatsWorld(t, db, store)
		var me struct {
			DisplayName string `json:"display_name"`
		}
		webtest.WantData(t, w.Asker.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK, &me)
		if me.DisplayName != model.DefaultDisplayName {
			t.Fatalf("default display name %q", me.DisplayName)
		}
		for _, bad := range []string{strings.Repeat("名", 21), "call 138 0013 8000", "代考找我"} {
			webtest.WantAPIError(t, w.Asker.API(http.MethodPut, "/api/v1/me/display-name", map[string]string{"display_name": bad}),
				http.StatusBadRequest, "invalid_display_name", "display_name")
		}
		webtest.WantData(t, w.Asker.API(http.MethodPut, "/api/v1/me/display-name", map[string]string{"display_name": " 阿明 "}), http.StatusOK, &me)
		if me.DisplayName != "阿明" {
			t.Fatalf("display name %q", me.DisplayName)
		}
	})
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	out := map[string]string{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(data)
	}
	return out
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
