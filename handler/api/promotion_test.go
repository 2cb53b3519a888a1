package api_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/promotion"
)

// decodePNG reads a PNG answer and the QR code in it.
func decodePNG(t *testing.T, r *webtest.Resp) (text string, w, h int) {
	t.Helper()
	webtest.WantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("%s: Content-Type %q", r.URL, ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline;") || !strings.Contains(cd, "filename") {
		t.Fatalf("%s: Content-Disposition %q", r.URL, cd)
	}
	img, err := png.Decode(bytes.NewReader([]byte(r.Body)))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", r.URL, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("%s: no QR code in the image: %v", r.URL, err)
	}
	return res.GetText(), img.Bounds().Dx(), img.Bounds().Dy()
}

func cjkFont() bool {
	for _, f := range promotion.DefaultFonts {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

// The downloads: the province any school's, a university admin their
// own; others 403, an unknown school 404, in the JSON envelope.
func TestAPIPromotionDownloads(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("qrPrv", webtest.CodeSCUT, model.RoleProvinceAdmin))
		adminSZU := s.Phone(s.Member("qrAdm", webtest.CodeSZU, model.RoleUniversityAdm))
		student := s.Phone(s.Member("qrStu", webtest.CodeSZU, model.RoleStudent))
		base := "/api/v1/admin/universities/"

		text, w, h := decodePNG(t, province.Get(base+webtest.CodeSZU+"/qrcode.png"))
		if !strings.HasPrefix(text, "http://weixin.qq.com/q/") || w != h || w > promotion.QRSize {
			t.Fatalf("code %q, %d×%d", text, w, h)
		}
		own, _, _ := decodePNG(t, adminSZU.Get(base+webtest.CodeSZU+"/qrcode.png"))
		if own != text {
			t.Fatalf("the admin's download encodes %q, the province's %q: one code per school", own, text)
		}
		var creates int
		for _, c := range webtest.Fake().CallsTo("/cgi-bin/qrcode/create") {
			if c.AppID == s.AppID {
				creates++
			}
		}
		if creates != 1 {
			t.Fatalf("%d qrcode/create calls, want 1", creates)
		}

		webtest.WantAPIError(t, adminSZU.Get(base+webtest.CodeSCUT+"/qrcode.png"), http.StatusForbidden, "other_university", "")
		webtest.WantAPIError(t, adminSZU.Get(base+webtest.CodeSCUT+"/poster.png"), http.StatusForbidden, "other_university", "")
		webtest.WantAPIError(t, student.Get(base+webtest.CodeSZU+"/qrcode.png"), http.StatusForbidden, "not_admin", "")
		webtest.WantAPIError(t, province.Get(base+"4144099999/qrcode.png"), http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, province.Get(base+"nonsense/poster.png"), http.StatusNotFound, "university_not_found", "")
		webtest.WantAPIError(t, s.Browser(webtest.UAPlain).Get(base+webtest.CodeSZU+"/qrcode.png"), http.StatusUnauthorized, "login_required", "")

		poster := adminSZU.Get(base + webtest.CodeSZU + "/poster.png")
		if !cjkFont() {
			webtest.WantAPIError(t, poster, http.StatusServiceUnavailable, "poster_font_missing", "")
			t.Skip("no CJK font installed (apt-get install fonts-noto-cjk); .ci/run installs one")
		}
		ptext, pw, ph := decodePNG(t, poster)
		if ptext != text || pw != promotion.PosterWidth || ph != promotion.PosterHeight {
			t.Fatalf("poster %d×%d encodes %q, want %d×%d with %q", pw, ph, ptext, promotion.PosterWidth, promotion.PosterHeight, text)
		}
		// Without a font the poster is 503 and the plain code still works.
		s2 := webtest.New(t, db, store, webtest.Opts{PosterFont: "/nonexistent.ttc"})
		p2 := s2.Phone(s2.Member("qrPr2", webtest.CodeSCUT, model.RoleProvinceAdmin))
		e := webtest.WantAPIError(t, p2.Get(base+webtest.CodeSZU+"/poster.png"), http.StatusServiceUnavailable, "poster_font_missing", "")
		if !strings.Contains(e.Message, "中文字体") {
			t.Fatalf("message %q", e.Message)
		}
		decodePNG(t, p2.Get(base+webtest.CodeSZU+"/qrcode.png"))
	})
}

// The funnel end to end: sandbox phones scan schools' codes (a new
// follower subscribes with the scene, a follower sends SCAN), the
// activation page pre-selects the school, and the statistics count the
// follows, the activations and the askers per school.
func TestAPIPromotionFunnel(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		province := s.Phone(s.Member("fnPrv", webtest.CodeSCUT, model.RoleProvinceAdmin))
		console := s.Browser(webtest.UAPlain)
		identity := func(name string) string {
			r := console.Post("/sandbox/identities", url.Values{"nickname": {name}})
			u, err := url.Parse(r.Location)
			if err != nil || r.Status != http.StatusSeeOther {
				t.Fatalf("identity: HTTP %d %q", r.Status, r.Location)
			}
			return u.Query().Get("openid")
		}
		send := func(openid string, form url.Values) {
			t.Helper()
			form.Set("openid", openid)
			r := console.Post("/sandbox/phone/send", form)
			webtest.WantRedirect(t, r, http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(openid))
		}
		scan := func(openid, code string) { send(openid, url.Values{"action": {"scan"}, "code": {code}}) }
		a, b, c, d := identity("扫码新关注"), identity("已关注扫码"), identity("华工扫码"), identity("普通关注")
		scan(a, webtest.CodeSZU)
		send(b, url.Values{"action": {"subscribe"}})
		scan(b, webtest.CodeSZU)
		scan(c, webtest.CodeSCUT)
		send(d, url.Values{"action": {"subscribe"}})
		// c scans 深圳大学's code later: the first attribution stays.
		scan(c, webtest.CodeSZU)

		phone := console.Get("/sandbox/phone?openid=" + url.QueryEscape(b))
		webtest.WantBody(t, phone, "扫描了推广二维码 u-"+webtest.CodeSZU, `id="scan"`, "欢迎关注广东青年之声")
		webtest.WantBody(t, console.Get("/sandbox/phone?openid="+url.QueryEscape(a)), "扫描推广二维码 u-"+webtest.CodeSZU+" 关注了公众号")
		bad := console.Post("/sandbox/phone/send", url.Values{"openid": {a}, "action": {"scan"}, "code": {"abc"}})
		webtest.WantStatus(t, bad, http.StatusBadRequest)
		webtest.WantBody(t, bad, "请填写学校标识码")

		sources := map[string]string{}
		var fs []model.QRFollow
		if err := db.Conn(context.Background()).Find(&fs).Error; err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			sources[f.OpenID] = f.Source
		}
		if len(fs) != 3 || sources[a] != model.QRSourceSubscribe || sources[b] != model.QRSourceScan || sources[c] != model.QRSourceSubscribe {
			t.Fatalf("attributions %+v", fs)
		}

		// The activation page of a's WeChat has 深圳大学 chosen; d's none.
		pa := s.Browser(webtest.UAWeChat)
		pa.OAuth(a, "/h5/home")
		form := pa.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome")
		webtest.WantStatus(t, form, http.StatusOK)
		if got := webtest.SelectedUniversity(form.Body); got != webtest.CodeSZU {
			t.Fatalf("a's activation page selects %q, want 深圳大学", got)
		}
		pd := s.Browser(webtest.UAWeChat)
		pd.OAuth(d, "/h5/home")
		if got := webtest.SelectedUniversity(pd.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome").Body); got != "" {
			t.Fatalf("d's activation page selects %q, want none", got)
		}
		// a activates (keeping the choice) and asks; b activates at
		// another school (still 深圳大学's follow); d activates.
		f := webtest.ActivationForm("funnelA01", "pass2026", "pass2026", webtest.CodeSZU, "/h5/home")
		f.Set("_csrf", webtest.PageCSRF(t, form))
		webtest.WantRedirect(t, pa.Post("/h5/activate/gaoxiao", f), http.StatusSeeOther, "/h5/home?notice=activated")
		webtest.WantStatus(t, pa.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "扫码来的提问"}), http.StatusCreated)
		s.Activate("funnelB01", "pass2026", webtest.CodeSCUT, b)
		s.Activate("funnelD01", "pass2026", webtest.CodeSZU, d)

		var rep struct {
			Total        map[string]any   `json:"total"`
			Universities []map[string]any `json:"universities"`
		}
		webtest.WantData(t, province.API(http.MethodGet, "/api/v1/admin/stats", nil), http.StatusOK, &rep)
		want := map[string][3]float64{webtest.CodeSZU: {2, 2, 1}, webtest.CodeSCUT: {1, 0, 0}}
		for _, row := range rep.Universities {
			code := row["university"].(map[string]any)["code"].(string)
			w := want[code]
			got := [3]float64{row["qr_follows"].(float64), row["qr_activations"].(float64), row["qr_askers"].(float64)}
			if got != w {
				t.Errorf("%s: funnel %v, want %v", code, got, w)
			}
		}
		if got := [3]float64{rep.Total["qr_follows"].(float64), rep.Total["qr_activations"].(float64), rep.Total["qr_askers"].(float64)}; got != [3]float64{3, 2, 1} {
			t.Errorf("total funnel %v, want [3 2 1]", got)
		}
		// The page's table has the columns.
		webtest.WantBody(t, province.Get("/h5/admin/stats"), "扫码关注", "扫码激活", "扫码提问")
	})
}
