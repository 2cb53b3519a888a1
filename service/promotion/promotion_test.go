package promotion_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

const createPath = "/cgi-bin/qrcode/create"

// fakeWeChat is the fake WeChat API of the test binary (silenceper keeps
// its HTTP settings globally); qrcode/create answers after a pause, so
// that requests made together overlap.
var fakeWeChat = sync.OnceValue(func() *wxfake.Server {
	f := wxfake.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == createPath {
			time.Sleep(150 * time.Millisecond)
		}
		f.ServeHTTP(w, r)
	}))
	wxapi.Configure(srv.URL, 5*time.Second)
	return f
})

var appSeq int

type env struct {
	db     *model.DB
	fake   *wxfake.Server
	appID  string
	svc    *promotion.Service
	newSvc func() *promotion.Service // another instance on the same database and WeChat account
	uniA   model.University          // 深圳大学
	uniB   model.University          // 华南理工大学
}

func newEnv(t *testing.T, b *servicetest.Backend, font string) *env {
	t.Helper()
	e := &env{db: b.DB(), fake: fakeWeChat()}
	appSeq++
	e.appID = "wxpromo" + strings.Repeat("0", 8) + string(rune('a'+appSeq%26)) + time.Now().Format("150405.000")
	e.fake.AddApp(e.appID, "secret")
	store := b.KV()
	e.newSvc = func() *promotion.Service {
		wx, err := wxapi.New(wxapi.Credentials{AppID: e.appID, Secret: "secret"}, store, servicetest.DiscardLog())
		if err != nil {
			t.Fatal(err)
		}
		s, err := promotion.New(e.db, wx, clock.Real{}, servicetest.DiscardLog(), promotion.Options{FontPath: font})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e.svc = e.newSvc()
	for code, u := range map[string]*model.University{"4144010590": &e.uniA, "4144010561": &e.uniB} {
		if err := e.db.Conn(context.Background()).Where("code = ?", code).Take(u).Error; err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) creates() []wxfake.Call {
	var out []wxfake.Call
	for _, c := range e.fake.CallsTo(createPath) {
		if c.AppID == e.appID {
			out = append(out, c)
		}
	}
	return out
}

// decodeQR reads the QR code in a PNG.
func decodeQR(t *testing.T, b []byte) (string, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code found in the image: %v", err)
	}
	return res.GetText(), img
}

// The code is created through WeChat once per university, even when two
// instances ask at once, kept, and rendered as a PNG holding its URL.
func TestCodeCreatedOnce(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		e := newEnv(t, b, "")
		ctx := context.Background()
		province := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, false)
		other := e.newSvc()
		var wg sync.WaitGroup
		pngs := make([][]byte, 2)
		errs := make([]error, 2)
		for i, s := range []*promotion.Service{e.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, pngs[i], errs[i] = s.QRCodePNG(ctx, province, e.uniA.Code)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if calls := e.creates(); len(calls) != 1 {
			t.Fatalf("%d qrcode/create calls for two requests, want 1", len(calls))
		} else if !strings.Contains(calls[0].Body, `"QR_LIMIT_STR_SCENE"`) || !strings.Contains(calls[0].Body, `"scene_str":"u-4144010590"`) {
			t.Fatalf("qrcode/create body %s", calls[0].Body)
		}
		var row model.UniversityQRCode
		if err := e.db.Conn(ctx).Where("university_id = ?", e.uniA.ID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Scene != "u-4144010590" || !strings.HasPrefix(row.URL, "http://weixin.qq.com/q/") || row.Ticket == "" || row.ClaimedUntil != nil {
			t.Fatalf("stored code %+v", row)
		}
		for i, p := range pngs {
			text, img := decodeQR(t, p)
			if text != row.URL {
				t.Fatalf("PNG %d encodes %q, want %q", i, text, row.URL)
			}
			if bd := img.Bounds(); bd.Dx() != bd.Dy() || bd.Dx() > promotion.QRSize || bd.Dx() < promotion.QRSize*8/10 {
				t.Fatalf("PNG %d is %v, want a square of about %d px", i, bd, promotion.QRSize)
			}
		}
		// Asked again: the stored code, no new call.
		if _, qr, err := e.svc.Code(ctx, province, e.uniA.Code); err != nil || qr.URL != row.URL {
			t.Fatalf("again: %+v %v", qr, err)
		}
		if n := len(e.creates()); n != 1 {
			t.Fatalf("%d create calls after asking again", n)
		}
	})
}

// The province admin takes any school's code, a university admin their
// own; anyone else, or another school's admin, is refused; an unknown
// school is not found.
func TestCodeScoping(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		e := newEnv(t, b, "")
		ctx := context.Background()
		adminA := servicetest.NewUser(t, e.db, model.RoleUniversityAdm, &e.uniA.ID, false)
		adminB := servicetest.NewUser(t, e.db, model.RoleUniversityAdm, &e.uniB.ID, false)
		student := servicetest.NewUser(t, e.db, model.RoleStudent, &e.uniA.ID, false)
		cadre := servicetest.NewUser(t, e.db, model.RoleCadre, &e.uniA.ID, false)
		province := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, false)

		if _, _, err := e.svc.QRCodePNG(ctx, adminA, e.uniA.Code); err != nil {
			t.Fatalf("own school: %v", err)
		}
		if _, _, err := e.svc.QRCodePNG(ctx, province, e.uniB.Code); err != nil {
			t.Fatalf("province: %v", err)
		}
		_, _, err := e.svc.QRCodePNG(ctx, adminB, e.uniA.Code)
		servicetest.WantErr(t, "another school's admin", err, service.ErrForbidden, "other_university")
		_, _, err = e.svc.PosterPNG(ctx, adminB, e.uniA.Code)
		servicetest.WantErr(t, "another school's poster", err, service.ErrForbidden, "other_university")
		for _, u := range []model.User{student, cadre} {
			_, _, err := e.svc.QRCodePNG(ctx, u, e.uniA.Code)
			servicetest.WantErr(t, u.Role, err, service.ErrForbidden, "not_admin")
		}
		_, _, err = e.svc.QRCodePNG(ctx, province, "4144099999")
		servicetest.WantErr(t, "unknown school", err, service.ErrNotFound, "university_not_found")
		if unis, err := e.svc.Universities(ctx, adminA); err != nil || len(unis) != 1 || unis[0].ID != e.uniA.ID {
			t.Fatalf("a university admin's list: %v %v", unis, err)
		}
		if unis, err := e.svc.Universities(ctx, province); err != nil || len(unis) < 166 {
			t.Fatalf("the province's list: %d %v", len(unis), err)
		}
		if _, err := e.svc.Universities(ctx, student); err == nil {
			t.Fatal("a student's list")
		}
	})
}

// WeChat refusing leaves no code: the request is told to retry later and
// the next one creates it.
func TestCodeCreationFailure(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		e := newEnv(t, b, "")
		ctx := context.Background()
		province := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, false)
		e.fake.FailNext(createPath, 45009)
		_, _, err := e.svc.QRCodePNG(ctx, province, e.uniB.Code)
		servicetest.WantErr(t, "quota", err, service.ErrUnavailable, "qrcode_unavailable")
		if _, qr, err := e.svc.Code(ctx, province, e.uniB.Code); err != nil || qr.URL == "" {
			t.Fatalf("after the failure: %+v %v", qr, err)
		}
	})
}

// The poster holds the school's code (readable by a scanner); without a
// CJK font it is refused with a clear message.
func TestPoster(t *testing.T) {
	servicetest.Each(t, func(t *testing.T, b *servicetest.Backend) {
		ctx := context.Background()
		t.Run("no font", func(t *testing.T) {
			e := newEnv(t, b, "/nonexistent/font.ttc")
			province := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, false)
			_, _, err := e.svc.PosterPNG(ctx, province, e.uniA.Code)
			se := servicetest.WantErr(t, "no font", err, service.ErrUnavailable, "poster_font_missing")
			if !strings.Contains(se.Message, "字体") {
				t.Fatalf("message %q", se.Message)
			}
			if _, _, err := e.svc.QRCodePNG(ctx, province, e.uniA.Code); err != nil {
				t.Fatalf("the plain code needs no font: %v", err)
			}
		})
		t.Run("a font that has no Chinese", func(t *testing.T) {
			const dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
			if _, err := os.Stat(dejavu); err != nil {
				t.Skip("no DejaVu font to try")
			}
			e := newEnv(t, b, dejavu)
			province := servicetest.NewUser(t, e.db, model.RoleProvinceAdmin, nil, false)
			_, _, err := e.svc.PosterPNG(ctx, province, e.uniA.Code)
			servicetest.WantErr(t, "DejaVu", err, service.ErrUnavailable, "poster_font_missing")
		})
		t.Run("rendered", func(t *testing.T) {
			font := ""
			for _, f := range promotion.DefaultFonts {
				if _, err := os.Stat(f); err == nil {
					font = f
					break
				}
			}
			if font == "" {
				t.Skip("no CJK font installed (apt-get install fonts-noto-cjk); .ci/run installs one")
			}
			e := newEnv(t, b, "")
			admin := servicetest.NewUser(t, e.db, model.RoleUniversityAdm, &e.uniA.ID, false)
			uni, p, err := e.svc.PosterPNG(ctx, admin, e.uniA.Code)
			if err != nil {
				t.Fatal(err)
			}
			text, img := decodeQR(t, p)
			if bd := img.Bounds(); uni.ID != e.uniA.ID || bd.Dx() != promotion.PosterWidth || bd.Dy() != promotion.PosterHeight {
				t.Fatalf("poster %v of %s", bd, uni.Name)
			}
			var row model.UniversityQRCode
			if err := e.db.Conn(ctx).Where("university_id = ?", e.uniA.ID).Take(&row).Error; err != nil || text != row.URL {
				t.Fatalf("poster encodes %q, stored %q (%v)", text, row.URL, err)
			}
			// Text was drawn: the red band's white title and dark ink below.
			ink := 0
			for y := 320; y < 480; y += 2 {
				for x := 0; x < promotion.PosterWidth; x += 2 {
					if r, g, bb, _ := img.At(x, y).RGBA(); r < 0x8000 && g < 0x8000 && bb < 0x8000 {
						ink++
					}
				}
			}
			if ink < 500 {
				t.Fatalf("the school's name looks missing (%d dark pixels)", ink)
			}
		})
	})
}

func TestCodeOfScene(t *testing.T) {
	for key, want := range map[string]string{
		"qrscene_u-4144010590": "4144010590", "u-4144010590": "4144010590",
		"qrscene_campus": "", "u-": "", "u-41440a0590": "", "u-41440105901": "", "": "",
	} {
		got, ok := promotion.CodeOfScene(key)
		if got != want || ok != (want != "") {
			t.Errorf("CodeOfScene(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	if promotion.Scene("4144010590") != "u-4144010590" {
		t.Error("Scene")
	}
}
