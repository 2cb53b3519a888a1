package main

// Photos in a real (headless) browser at a 375-px phone: a student in an
// ordinary phone browser attaches a phone photo with the file input;
// another, in the sandbox's WeChat, taps 拍照或从相册选择 — the JSSDK is
// the sandbox's shim, so chooseImage/uploadImage go to the fake WeChat
// and the server fetches the photo with media/get, as from WeChat. The
// question pages show the thumbnails in a grid, the cadre sees them and
// opens one.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/photo/phototest"
)

// brPlainPhone is an ordinary phone browser (not WeChat) 375 px wide.
type brPlainPhone struct{}

func (brPlainPhone) Device() device.Info {
	return device.Info{Name: "Android Chrome", Width: 375, Height: 812, Scale: 2, Mobile: true, Touch: true,
		UserAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"}
}

// brNarrowWeChat is WeChat on a 375-px phone.
type brNarrowWeChat struct{}

func (brNarrowWeChat) Device() device.Info {
	return device.Info{Name: "WeChat 375", UserAgent: brUserAgent, Width: 375, Height: 812, Scale: 2, Mobile: true, Touch: true}
}

// brAllImagesLoaded reports whether every img under sel has loaded.
func brAllImagesLoaded(p *brTab, sel string) int {
	p.t.Helper()
	// The thumbnails load lazily after the page: wait (bounded) until
	// every one has loaded; -1 when one never does.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`(function(){var a=document.querySelectorAll(`+"`"+sel+" img`"+`);
for (var i=0;i<a.length;i++){ if(!a[i].complete||a[i].naturalWidth===0) return -1; } return a.length;})()`))
		if err != nil {
			p.fail("count loaded images", err)
		}
		if n >= 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestBrowserPhotos(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)
	dir := t.TempDir()
	notice := filepath.Join(dir, "notice.jpg")
	form := filepath.Join(dir, "form.png")
	if err := os.WriteFile(notice, phototest.JPEGWithEXIF(1200, 900, 6), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(form, phototest.PNG(800, 600), 0o600); err != nil {
		t.Fatal(err)
	}

	cadre := newPhone("cadre")
	brMember(t, b, cadre, "周老师", "zhouls2026", model.RoleCadre)
	wechat := newPhone("wechat-student")
	brMember(t, b, wechat, "小王", "xiaowang2026", model.RoleStudent)
	setup := newPhone("browser-student-setup")
	brMember(t, b, setup, "小李", "xiaoli2026", model.RoleStudent)

	// An ordinary phone browser: the file input.
	plain := newPhone("browser-student")
	plain.do("be an ordinary phone browser", chromedp.Emulate(brPlainPhone{}))
	plain.nav("/h5/login", "login-submit")
	plain.do("log in", chromedp.SendKeys(chromedp.ID("account"), "xiaoli2026"), chromedp.SendKeys(chromedp.ID("password"), "Pass2026x"))
	plain.tap("#login-submit", "#profile")
	plain.nav("/h5/ask", "ask-form")
	if hidden, err := chromedp.Run(plain.ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById('wx-choose')).display === 'none' && typeof window.wx === 'undefined'`)); err != nil || !hidden {
		t.Fatalf("an ordinary browser shows the WeChat picker (%v)", err)
	}
	plain.do("type the question and choose two photos",
		chromedp.SendKeys(chromedp.ID("title"), "宿舍楼下的通知是什么意思"),
		chromedp.SendKeys(chromedp.ID("body"), "拍了通知和报名表，看不懂第二条。"),
		chromedp.SetUploadFiles(chromedp.ID("images"), []string{notice, form}))
	plain.wantText("#photo-status", "已选 2 张图片")
	plain.shot("browser-ask-with-photos")
	plain.tap("#ask-submit", "#question-photos")
	plain.wantText("#notice", "提问成功")
	if n := brAllImagesLoaded(plain, "#question-photos"); n != 2 {
		t.Fatalf("%d thumbnails loaded on the asker's page", n)
	}
	plainQuestion := plain.location().Path
	plain.shot("browser-question-with-photos")

	// WeChat (the sandbox): 拍照或从相册选择 through the JSSDK shim.
	wechat.do("be WeChat on a 375-px phone", chromedp.Emulate(brNarrowWeChat{}))
	wechat.nav("/h5/ask", "ask-form")
	wechat.do("wait for wx.config", chromedp.WaitVisible(chromedp.ID("wx-choose")))
	if cfg, err := chromedp.Run(wechat.ctx, chromedp.Evaluate[string](`wx.lastConfig.signature + ' ' + wx.lastConfig.jsApiList.join()`)); err != nil ||
		len(cfg) < 41 || !strings.Contains(cfg, "chooseImage,uploadImage") {
		t.Fatalf("wx.config was given %q (%v)", cfg, err)
	}
	wechat.do("type the question", chromedp.SendKeys(chromedp.ID("title"), "这张成绩单截图对吗"))
	wechat.do("choose a photo in WeChat",
		chromedp.Click(chromedp.ID("wx-choose")),
		chromedp.SetUploadFiles(chromedp.ID("wx-shim-file"), []string{notice}),
		chromedp.WaitVisible(chromedp.CSS("#photo-chosen .photo-chip")))
	mediaIDs, err := chromedp.Run(wechat.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('input[name=media_id]')).map(function(i){return i.value})`))
	if err != nil || len(mediaIDs) != 1 || !strings.HasPrefix(mediaIDs[0], "MEDIA_") {
		t.Fatalf("serverIds on the form: %v %v", mediaIDs, err)
	}
	wechat.wantText("#photo-status", "已选 1 张图片")
	wechat.shot("wechat-ask-with-photo")
	wechat.tap("#ask-submit", "#question-photos")
	if n := brAllImagesLoaded(wechat, "#question-photos"); n != 1 {
		t.Fatalf("%d thumbnails loaded after the WeChat path", n)
	}
	wechat.shot("wechat-question-with-photo")

	// The cadre sees the thumbnails and opens one; the page fits 375 px.
	cadre.do("be WeChat on a 375-px phone", chromedp.Emulate(brNarrowWeChat{}))
	cadre.nav(plainQuestion, "question-photos")
	if n := brAllImagesLoaded(cadre, "#question-photos"); n != 2 {
		t.Fatalf("%d thumbnails loaded for the cadre", n)
	}
	w, err := chromedp.Run(cadre.ctx, chromedp.Evaluate[float64](`document.querySelector('#question-photos .photo-thumb').getBoundingClientRect().width`))
	if err != nil || w < 80 || w > 130 {
		t.Fatalf("a thumbnail is %v px wide on a 375-px phone: %v", w, err)
	}
	cadre.shot("cadre-question-photos")
	cadre.do("open the photo", chromedp.Click(chromedp.CSS("#question-photos .photo-thumb")), chromedp.WaitReady(chromedp.CSS("img")))
	if loc := cadre.location().Path; !strings.HasPrefix(loc, "/h5/images/") {
		t.Fatalf("tapping a thumbnail opened %s", loc)
	}
}
