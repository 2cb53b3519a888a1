package api_test

import (
	"crypto/sha1" //nolint:gosec // WeChat's JSSDK signature is SHA-1
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/photo/phototest"
)

// An API client asks with photos (multipart create), reads them back in
// the question's details and by their URLs, and is refused a fourth
// photo with the JSON error envelope; the JSSDK signature is WeChat's
// for the page's URL without its fragment, and only for this site.
func TestAPIPhotos(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		student := s.Phone(s.Member("apst", webtest.CodeSZU, model.RoleStudent))
		cadre := s.Phone(s.Member("apcd", webtest.CodeSZU, model.RoleCadre))

		four := [][]byte{phototest.JPEG(30, 30), phototest.JPEG(30, 30), phototest.JPEG(30, 30), phototest.JPEG(30, 30)}
		r := student.UploadFiles("/api/v1/questions", url.Values{"title": {"四张图"}}, "images", four, true)
		webtest.WantAPIError(t, r, http.StatusBadRequest, "too_many_images", "images")
		r = student.UploadFiles("/api/v1/questions", url.Values{"title": {"炸弹"}}, "images", [][]byte{phototest.Bomb(30000, 30000)}, true)
		webtest.WantAPIError(t, r, http.StatusBadRequest, "image_too_many_pixels", "images")

		r = student.UploadFiles("/api/v1/questions", url.Values{"title": {"课表截图看不懂"}, "body": {"见图"}}, "images",
			[][]byte{phototest.JPEGWithEXIF(2400, 1200, 1)}, true)
		var q struct {
			ID uint64 `json:"id"`
		}
		webtest.WantData(t, r, http.StatusCreated, &q)
		r = cadre.UploadFiles(fmt.Sprintf("/api/v1/questions/%d/answers", q.ID), url.Values{"body": {"第三节在教三。"}}, "images",
			[][]byte{phototest.PNG(100, 100)}, true)
		webtest.WantStatus(t, r, http.StatusCreated)
		// JSON without photos still works as before.
		webtest.WantStatus(t, cadre.API(http.MethodPost, fmt.Sprintf("/api/v1/questions/%d/answers", q.ID), map[string]string{"body": "补充说明。"}), http.StatusCreated)

		type image struct {
			ID       uint64 `json:"id"`
			URL      string `json:"url"`
			ThumbURL string `json:"thumb_url"`
			Width    int    `json:"width"`
			Height   int    `json:"height"`
		}
		var d struct {
			Images  []image `json:"images"`
			Answers []struct {
				Images []image `json:"images"`
			} `json:"answers"`
		}
		webtest.WantData(t, student.API(http.MethodGet, fmt.Sprintf("/api/v1/questions/%d", q.ID), nil), http.StatusOK, &d)
		if len(d.Images) != 1 || d.Images[0].Width != 1600 || d.Images[0].Height != 800 || len(d.Answers) != 2 || len(d.Answers[0].Images) != 1 || len(d.Answers[1].Images) != 0 {
			t.Fatalf("details: %+v", d)
		}
		for _, u := range []string{d.Images[0].URL, d.Images[0].ThumbURL, d.Answers[0].Images[0].URL} {
			got := cadre.Get(u)
			webtest.WantStatus(t, got, http.StatusOK)
			if got.Header.Get("Content-Type") != "image/jpeg" || got.Header.Get("X-Content-Type-Options") != "nosniff" || strings.Contains(got.Body, "Exif") {
				t.Fatalf("%s: %v", u, got.Header)
			}
		}
		webtest.WantAPIError(t, cadre.Get("/api/v1/images/99999999"), http.StatusNotFound, "image_not_found", "")

		// wx.config's signature, as WeChat checks it.
		page := s.PublicURL + "/h5/ask?board=x"
		var cfg struct {
			AppID     string `json:"appId"`
			Timestamp int64  `json:"timestamp"`
			NonceStr  string `json:"nonceStr"`
			Signature string `json:"signature"`
		}
		webtest.WantData(t, student.Get("/api/v1/wechat/jssdk-config?url="+url.QueryEscape(page+"#photos")), http.StatusOK, &cfg)
		ticket, err := store.Get(t.Context(), "gowechat_officialaccount__jsapi_ticket_"+s.AppID)
		if err != nil {
			t.Fatalf("the jsapi ticket is not in the shared store: %v", err)
		}
		sum := sha1.Sum([]byte(fmt.Sprintf("jsapi_ticket=%s&noncestr=%s&timestamp=%d&url=%s", ticket, cfg.NonceStr, cfg.Timestamp, page))) //nolint:gosec // WeChat's algorithm
		if cfg.AppID != s.AppID || cfg.Signature != hex.EncodeToString(sum[:]) {
			t.Fatalf("config %+v does not sign %s", cfg, page)
		}
		webtest.WantAPIError(t, student.Get("/api/v1/wechat/jssdk-config?url="+url.QueryEscape("https://evil.example.org/h5/ask")), http.StatusBadRequest, "bad_url", "url")
	})
}
