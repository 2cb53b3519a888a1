package h5_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/photo/phototest"
)

var (
	questionLoc = regexp.MustCompile(`^/h5/questions/(\d+)\?notice=asked$`)
	imageSrc    = regexp.MustCompile(`<img src="(/h5/images/\d+)/thumb"`)
)

// A student asks with two photos chosen on the ask form (one a phone
// photo with GPS in its EXIF); the question page shows their thumbnails
// to a cadre, who answers with a photo picked in WeChat (a JSSDK
// serverId the server fetches with media/get). The photos come back as
// clean JPEGs to those who may see the post, and go with it when it is
// hidden. Four photos, or a file that is no picture, are refused with
// the text kept.
func TestPhotoPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		askerP := s.Member("phst", webtest.CodeSZU, model.RoleStudent)
		asker := s.Phone(askerP)
		other := s.Phone(s.Member("phot", webtest.CodeSZU, model.RoleStudent))
		cadre := s.Phone(s.Member("phcd", webtest.CodeSZU, model.RoleCadre))
		admin := s.Phone(s.Member("phad", webtest.CodeSZU, model.RoleUniversityAdm))

		form := asker.Get("/h5/ask")
		webtest.WantBody(t, form, `enctype="multipart/form-data"`, `name="images"`, `accept="image/*"`, `multiple`,
			`id="wx-choose" hidden`, `src="/sandbox/jweixin-shim.js"`, "/static/photos.js")
		// A plain browser gets no JSSDK at all.
		desk := s.Browser("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")
		webtest.WantStatus(t, desk.Post("/h5/login", url.Values{"account": {askerP.User.Account}, "password": {"secret123"}, "next": {"/h5/home"}}), http.StatusSeeOther)
		plain := desk.Get("/h5/ask")
		webtest.WantBody(t, plain, `name="images"`)
		webtest.WantNoBody(t, plain, "jweixin")

		fields := url.Values{"title": {"奖学金申请表第二页怎么填"}, "body": {"见照片中的红框"}}
		r := asker.UploadFiles("/h5/ask", fields, "images", [][]byte{
			phototest.JPEG(40, 40), phototest.JPEG(40, 40), phototest.JPEG(40, 40), phototest.JPEG(40, 40)}, false)
		// Refused: back to the form (POST-redirect-GET) with the text kept.
		wantFlashRedirect(t, r, "/h5/ask")
		r = asker.Get(r.Location)
		webtest.WantBody(t, r, "每条最多 3 张图片", "已填写的文字已保留，请重新选择图片", "奖学金申请表第二页怎么填", "见照片中的红框")
		if got := webtest.FieldError(r.Body, "images"); got == "" {
			t.Fatal("no field error on the photos")
		}
		r = asker.UploadFiles("/h5/ask", fields, "images", [][]byte{[]byte("%PDF-1.4 not a photo")}, false)
		wantFlashRedirect(t, r, "/h5/ask")
		r = asker.Get(r.Location)
		webtest.WantBody(t, r, "只能上传 JPEG、PNG、GIF 或 WebP 格式的图片", "见照片中的红框")

		r = asker.UploadFiles("/h5/ask", fields, "images", [][]byte{phototest.JPEGWithEXIF(800, 600, 6), phototest.PNG(300, 200)}, false)
		m := questionLoc.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("ask with photos: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		page := cadre.Get("/h5/questions/" + m[1])
		webtest.WantBody(t, page, `class="photo-grid" id="question-photos"`, `enctype="multipart/form-data"`)
		imgs := imageSrc.FindAllStringSubmatch(page.Body, -1)
		if len(imgs) != 2 {
			t.Fatalf("%d thumbnails on the question page", len(imgs))
		}
		for _, im := range imgs {
			for _, path := range []string{im[1], im[1] + "/thumb"} {
				got := cadre.Get(path)
				webtest.WantStatus(t, got, http.StatusOK)
				if got.Header.Get("Content-Type") != "image/jpeg" || got.Header.Get("X-Content-Type-Options") != "nosniff" ||
					!strings.HasPrefix(got.Header.Get("Cache-Control"), "private") {
					t.Fatalf("%s headers: %v", path, got.Header)
				}
				if strings.Contains(got.Body, "Exif") || strings.Contains(got.Body, phototest.GPSMarker) || !bytes.HasPrefix([]byte(got.Body), []byte{0xFF, 0xD8}) {
					t.Fatalf("%s is not a clean JPEG", path)
				}
			}
		}

		// The cadre answers with a photo uploaded in WeChat: the form
		// carries its serverId.
		mediaID := webtest.Fake().AddMedia(phototest.JPEGWithEXIF(500, 500, 1), "image/jpeg")
		r = cadre.UploadFiles("/h5/questions/"+m[1]+"/answer", url.Values{"body": {"填第二栏即可。"}, "media_id": {mediaID}}, "images", nil, false)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("answer with a WeChat photo: %d\n%s", r.Status, r.Body)
		}
		if len(webtest.Fake().CallsTo("/cgi-bin/media/get")) == 0 {
			t.Fatal("the server did not fetch the media from WeChat")
		}
		page = asker.Get("/h5/questions/" + m[1])
		webtest.WantBody(t, page, `id="answer-photos-`)
		all := imageSrc.FindAllStringSubmatch(page.Body, -1)
		if len(all) != 3 {
			t.Fatalf("%d thumbnails after the answer", len(all))
		}
		// An expired serverId: the answer is refused, its text kept.
		r = cadre.UploadFiles("/h5/questions/"+m[1]+"/answer", url.Values{"body": {"补充一张图"}, "media_id": {"MEDIA_gone"}}, "images", nil, false)
		wantFlashRedirect(t, r, "/h5/questions/"+m[1])
		r = cadre.Get(r.Location)
		webtest.WantBody(t, r, "从微信获取图片失败", "补充一张图")

		// Hidden: the question's photos are the asker's and the admin's only.
		webtest.WantStatus(t, other.Get(imgs[0][1]), http.StatusOK)
		r = admin.Post("/h5/moderate", url.Values{"target": {"question"}, "id": {m[1]}, "action": {"hide"}, "reason": {"重复提问"}})
		webtest.WantStatus(t, r, http.StatusSeeOther)
		webtest.WantStatus(t, other.Get(imgs[0][1]), http.StatusNotFound)
		webtest.WantStatus(t, cadre.Get(imgs[0][1]+"/thumb"), http.StatusNotFound)
		webtest.WantStatus(t, asker.Get(imgs[0][1]), http.StatusOK)
		webtest.WantStatus(t, admin.Get(imgs[0][1]), http.StatusOK)
		webtest.WantStatus(t, other.Get("/h5/images/99999999"), http.StatusNotFound)
	})
}

// The JSSDK shim and its media upload exist in the sandbox only; with
// real credentials the pages' WeChat script is the vendored jweixin.
func TestJSSDKShimOnlyInSandbox(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		r := s.Browser("").Get("/sandbox/jweixin-shim.js")
		webtest.WantStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(r.Body, "uploadImage") {
			t.Fatalf("shim: %s", r.Header.Get("Content-Type"))
		}
		phone := s.Phone(s.Member("shim", webtest.CodeSZU, model.RoleStudent))
		up := phone.Upload("/sandbox/media", nil, "media", "a.jpg", phototest.JPEG(10, 10), true)
		webtest.WantStatus(t, up, http.StatusOK)
		webtest.WantBody(t, up, `"serverId":"MEDIA_`)

		realMode := webtest.New(t, db, store, webtest.Opts{Real: true, PublicURL: "https://yv.example.org"})
		webtest.WantStatus(t, realMode.Browser("").Get("/sandbox/jweixin-shim.js"), http.StatusNotFound)
		js := realMode.Browser("").Get("/static/jweixin.js")
		webtest.WantStatus(t, js, http.StatusOK)
		webtest.WantBody(t, js, "chooseImage")
	})
}
