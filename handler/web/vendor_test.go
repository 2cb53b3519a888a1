package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// TestEChartsVendored: the vendored ECharts is the version the Makefile's
// `make echarts` names, with its licence and notice beside it.
func TestEChartsVendored(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ECHARTS_VERSION \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no ECHARTS_VERSION in the Makefile")
	}
	js, err := os.ReadFile("static/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `.version="`+string(m[1])+`"`) {
		t.Fatalf("static/echarts.min.js is not ECharts %s: run make echarts", m[1])
	}
	for file, want := range map[string]string{
		"static/echarts-LICENSE.txt": "Apache License",
		"static/echarts-NOTICE.txt":  "Apache ECharts",
	} {
		b, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, want it to contain %q", file, err, want)
		}
	}
}

// TestStaticGzipped: ECharts goes compressed to a browser that takes
// gzip, as is to one that does not, and its compressed copy is the file.
func TestStaticGzipped(t *testing.T) {
	js, err := os.ReadFile("static/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile("static/echarts.min.js.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, js) {
		t.Fatalf("echarts.min.js.gz is not echarts.min.js (%v): run make echarts", err)
	}
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		get := func(path, accept string) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			// Set explicitly, so the client does not decompress itself.
			req.Header.Set("Accept-Encoding", accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, body
		}
		resp, body := get("/static/echarts.min.js", "gzip, deflate, br")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, gz) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("with gzip: %d %v, %d bytes", resp.StatusCode, resp.Header, len(body))
		}
		for _, accept := range []string{"identity", "gzip;q=0, br"} {
			resp, body = get("/static/echarts.min.js", accept)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, js) || resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("%s: %d %v, %d bytes", accept, resp.StatusCode, resp.Header, len(body))
			}
		}
		// The other files as before; the copy is no file of its own.
		if resp, _ = get("/static/app.js", "gzip"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("app.js: %d %v", resp.StatusCode, resp.Header)
		}
		if resp, _ = get("/static/echarts.min.js.gz", "gzip"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("echarts.min.js.gz: %d", resp.StatusCode)
		}
	})
}

// TestJWeixinVendored: the vendored JSSDK is the weixin-js-sdk version the
// Makefile's `make jweixin` names, unwrapped from CommonJS so that a page
// gets window.wx, with its licence beside it.
func TestJWeixinVendored(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^JWEIXIN_VERSION \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no JWEIXIN_VERSION in the Makefile")
	}
	js, err := os.ReadFile("static/jweixin.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(js), "/* weixin-js-sdk "+string(m[1])+" ") {
		t.Fatalf("static/jweixin.js is not weixin-js-sdk %s: run make jweixin", m[1])
	}
	if strings.Contains(string(js), "module.exports") || !strings.Contains(string(js), "n(e, !0);") ||
		!strings.Contains(string(js), "chooseImage") || !strings.Contains(string(js), "r.wx = r.jWeixin") {
		t.Fatal("static/jweixin.js is not the page script make jweixin writes")
	}
	if b, err := os.ReadFile("static/jweixin-LICENSE.txt"); err != nil || !strings.Contains(string(b), "MIT License") {
		t.Errorf("jweixin-LICENSE.txt: %v", err)
	}
}
