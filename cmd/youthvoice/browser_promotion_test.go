package main

// The promotion QR code in a real (headless) browser on a phone
// viewport: the university admin opens 推广二维码 from the admin page,
// sees the school's code (an image the browser decoded) and downloads
// the poster (a PNG of the poster's size, or the clear 503 when the
// machine has no CJK font). Screenshots of the page and the poster.

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/promotion"
)

func TestBrowserPromotion(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)
	admin := newPhone("admin")
	brMember(t, b, admin, "推广老师", "tuiguang2026", model.RoleUniversityAdm)

	admin.nav("/h5/admin", "nav-promotion")
	admin.tap("#nav-promotion", "#promotion-own")
	admin.wantText("#promotion-own h3", "深圳大学")
	// The code's image loaded and decoded (naturalWidth is 0 otherwise).
	w, err := chromedp.Run(admin.ctx, chromedp.Evaluate[int](`new Promise(r => {
  const img = document.getElementById("promotion-qrcode");
  const done = () => r(img.naturalWidth);
  if (img.complete) done(); else { img.onload = done; img.onerror = done; }
})`, chromedp.EvalAwaitPromise))
	if err != nil || w < 300 {
		admin.shot("FAILED-qrcode")
		t.Fatalf("the code's image: naturalWidth %d (%v)", w, err)
	}
	admin.shot("promotion-page")

	// The poster link, fetched as the browser would follow it.
	type answer struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Text   string `json:"text"`
	}
	got, err := chromedp.Run(admin.ctx, chromedp.Evaluate[answer](`(async () => {
  const r = await fetch(document.getElementById("download-poster").href);
  const out = {status: r.status, type: r.headers.get("content-type") || "", width: 0, height: 0, text: ""};
  if (r.ok) {
    const bmp = await createImageBitmap(await r.blob());
    out.width = bmp.width; out.height = bmp.height;
  } else {
    out.text = await r.text();
  }
  return out;
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch the poster: %v", err)
	}
	font := false
	for _, f := range promotion.DefaultFonts {
		if _, err := os.Stat(f); err == nil {
			font = true
		}
	}
	if !font {
		if got.Status != 503 || got.Text == "" {
			t.Fatalf("poster without a font: %+v, want 503 with the message", got)
		}
		t.Skip("no CJK font installed: the poster answered 503 as it should; .ci/run installs one")
	}
	if got.Status != 200 || got.Type != "image/png" || got.Width != promotion.PosterWidth || got.Height != promotion.PosterHeight {
		t.Fatalf("poster: %+v", got)
	}
}
