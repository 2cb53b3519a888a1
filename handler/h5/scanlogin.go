package h5

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/session"
)

// registerScanLoginPages mounts 微信扫码登录: the PC's QR code page, its
// image, its status poll (and the same check without script), and the
// phone's confirmation page.
func (w *Pages) registerScanLoginPages(h gin.IRouter) {
	h.GET("/login/scan", w.scanLoginPage)
	h.GET("/login/scan/qr.png", w.scanLoginQR)
	h.POST("/login/scan/status", w.scanLoginStatus)
	h.POST("/login/scan/check", w.scanLoginCheck)
	h.GET(scanlogin.ConfirmPath[len("/h5"):], w.scanConfirmPage)
	h.POST(scanlogin.ConfirmPath[len("/h5"):], w.scanConfirmSubmit)
}

// scanCookie ties a login ticket to the PC browser that asked for it.
const scanCookie = "yv_scan"

// scanLanding is where an admin signed in by a scan lands.
const scanLanding = "/h5/admin"

// scanBrowser is the PC browser's secret for its tickets: the cookie's,
// or with create a new one. create also sets the cookie again, so that it
// outlives the ticket about to be made (刷新二维码 keeps the secret).
func (w *Pages) scanBrowser(c *gin.Context, create bool) string {
	b := w.kit.Cookie(c, scanCookie)
	valid := len(b) >= 32 && len(b) <= 64
	if !create {
		if !valid {
			return ""
		}
		return b
	}
	if !valid {
		b = session.NewToken()
	}
	w.kit.SetCookie(c, scanCookie, b, int((scanlogin.TTL + 2*time.Minute).Seconds()))
	return b
}

// scanPage is the QR code page's own data.
type scanPage struct {
	Token     string
	QRURL     string
	ExpiresAt time.Time
	// State and Message are the ticket's state as the no-script check
	// found it ("" on a fresh code).
	State   string
	Message string
	// Left is how many seconds the code has left (the page's countdown
	// counts from it, whatever the PC's clock says).
	Left int
}

// scanMessages are what the PC page says in each state; the script
// (scanlogin.js) shows the same texts.
var scanMessages = map[string]string{
	scanlogin.StatePending:   "请使用已绑定管理员账号的微信扫描二维码",
	scanlogin.StateScanned:   "已扫码，请在手机上确认",
	scanlogin.StateConfirmed: "已确认，正在登录…",
	scanlogin.StateRefused:   "登录失败，请刷新二维码后重试",
	scanlogin.StateExpired:   "二维码已过期，请刷新二维码",
}

// scanLoginPage creates a ticket and shows its QR code.
func (w *Pages) scanLoginPage(c *gin.Context) {
	if web.CallerOf(c).User != nil {
		c.Redirect(http.StatusFound, scanLanding)
		return
	}
	browser := w.scanBrowser(c, true)
	st, err := w.svc.ScanLogins.Start(c.Request.Context(), browser, c.ClientIP(), c.GetHeader("User-Agent"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	w.renderScan(c, scanPage{Token: st.Token, QRURL: st.QRURL, ExpiresAt: st.ExpiresAt, State: scanlogin.StatePending})
}

func (w *Pages) renderScan(c *gin.Context, p scanPage) {
	if p.Message == "" {
		p.Message = scanMessages[p.State]
	}
	if !p.ExpiresAt.IsZero() {
		p.Left = max(0, int(time.Until(p.ExpiresAt).Seconds()))
	}
	w.pages.Render(c, http.StatusOK, "login_scan", web.Page{Title: "微信扫码登录", Scripts: []string{"scanlogin.js"}, Extra: p})
}

// scanLoginQR draws the ticket's QR code, for the browser that created it.
func (w *Pages) scanLoginQR(c *gin.Context) {
	u, err := w.svc.ScanLogins.QRURL(c.Request.Context(), c.Query("t"), w.scanBrowser(c, false))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	png, err := promotion.RenderQR(u, 480)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", png)
}

// scanStatusRequest is the poll's (and the check's) ticket token.
type scanStatusRequest struct {
	Token string `form:"t" json:"t" binding:"max=64"`
}

// scanStatusBody is the poll's answer; Redirect is set once signed in.
type scanStatusBody struct {
	State    string `json:"state"`
	Message  string `json:"message"`
	Redirect string `json:"redirect,omitempty"`
}

// scanPoll asks the service for the ticket's state and, when the phone
// has confirmed, signs the browser in: the one place a scan login
// completes in the PC browser.
func (w *Pages) scanPoll(c *gin.Context, token string) (scanlogin.Status, error) {
	st, err := w.svc.ScanLogins.Poll(c.Request.Context(), token, w.scanBrowser(c, false))
	if err != nil || st.User == nil {
		return st, err
	}
	if err := w.kit.SignInByScan(c, *st.User); err != nil {
		return scanlogin.Status{}, err
	}
	w.kit.SetCookie(c, scanCookie, "", -1)
	return st, nil
}

// scanLoginStatus is the page script's poll (every 2 seconds).
func (w *Pages) scanLoginStatus(c *gin.Context) {
	var req scanStatusRequest
	if err := web.Bind(c, &req); err != nil {
		c.JSON(w.kit.Describe(c, err))
		return
	}
	st, err := w.scanPoll(c, req.Token)
	if err != nil {
		c.JSON(w.kit.Describe(c, err))
		return
	}
	body := scanStatusBody{State: st.State, Message: scanMessages[st.State]}
	if st.User != nil {
		body.Redirect = scanLanding
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
}

// scanLoginCheck is 我已在手机上确认 without script: the same check,
// then the admin pages or the QR code page again with its state.
func (w *Pages) scanLoginCheck(c *gin.Context) {
	var req scanStatusRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	st, err := w.scanPoll(c, req.Token)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	if st.User != nil {
		c.Redirect(http.StatusSeeOther, scanLanding)
		return
	}
	p := scanPage{Token: req.Token, ExpiresAt: st.ExpiresAt, State: st.State}
	if st.State == scanlogin.StatePending {
		p.Message = "尚未扫码：请用已绑定管理员账号的微信扫描二维码，并在手机上确认"
	}
	if st.State == scanlogin.StatePending || st.State == scanlogin.StateScanned {
		// The code is still good: show it again.
		p.QRURL, _ = w.svc.ScanLogins.QRURL(c.Request.Context(), req.Token, w.scanBrowser(c, false))
	}
	w.renderScan(c, p)
}

// scanConfirmView is the phone's confirmation page's own data.
type scanConfirmView struct {
	Request scanlogin.Request
	// Done is the outcome after a button: "confirmed" or "cancelled".
	Done string
}

// scanWeChat is the WeChat the phone's page speaks for, through OAuth;
// it responds itself (authorization, or an error page outside WeChat)
// and returns "" when there is none yet.
func (w *Pages) scanWeChat(c *gin.Context, token string) string {
	cl := web.CallerOf(c)
	if cl.Session.OpenID != "" {
		return cl.Session.OpenID
	}
	if w.kit.InWeChat(c) && c.Request.Method == http.MethodGet {
		w.kit.StartOAuth(c, scanlogin.ConfirmPath+"?t="+url.QueryEscape(token))
		return ""
	}
	w.kit.ErrorPage(c, http.StatusForbidden, "请在微信中打开", "请在扫描二维码的微信中打开此页面确认登录。", "")
	return ""
}

// scanConfirmPage asks the WeChat that scanned to confirm the PC login.
func (w *Pages) scanConfirmPage(c *gin.Context) {
	token := c.Query("t")
	openid := w.scanWeChat(c, token)
	if openid == "" {
		return
	}
	req, err := w.svc.ScanLogins.Pending(c.Request.Context(), token, openid)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "login_scan_confirm", web.Page{Title: "确认登录", Extra: scanConfirmView{Request: req}})
}

type scanConfirmRequest struct {
	Token  string `form:"t" binding:"max=64"`
	Action string `form:"action" binding:"max=10"`
}

// scanConfirmSubmit is 确认登录 or 取消 on the phone.
func (w *Pages) scanConfirmSubmit(c *gin.Context) {
	var req scanConfirmRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	openid := w.scanWeChat(c, req.Token)
	if openid == "" {
		return
	}
	ctx := c.Request.Context()
	v := scanConfirmView{Request: scanlogin.Request{Token: req.Token}}
	var err error
	if req.Action == "cancel" {
		err, v.Done = w.svc.ScanLogins.Cancel(ctx, req.Token, openid), "cancelled"
	} else {
		err, v.Done = w.svc.ScanLogins.Confirm(ctx, req.Token, openid), "confirmed"
	}
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "login_scan_confirm", web.Page{Title: "确认登录", Extra: v})
}
