package handler

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
)

// MaxCallbackBody is the largest push accepted (WeChat's are a few KiB).
const MaxCallbackBody = 64 << 10

// maxOpenIDBytes is the longest FromUserName accepted: the openid column's
// size. Real openids are 28 bytes; a longer one could not be stored.
const maxOpenIDBytes = 64

// callbackBudget bounds the work between WeChat and its answer; WeChat
// gives up after 5 seconds.
const callbackBudget = 4 * time.Second

// WeChat serves /wechat/callback: it authenticates every request itself
// (signature, timestamp window, size) before silenceper's server parses,
// decrypts and answers it.
type WeChat struct {
	oa       *officialaccount.OfficialAccount
	token    string
	svc      *callback.Service
	clock    clock.Clock
	maxSkew  time.Duration
	log      *slog.Logger
	rejected *prometheus.CounterVec
}

// NewWeChat builds the callback handler.
func NewWeChat(oa *officialaccount.OfficialAccount, token string, svc *callback.Service, clk clock.Clock, maxSkew time.Duration, log *slog.Logger, reg prometheus.Registerer) (*WeChat, error) {
	if oa == nil || svc == nil || clk == nil || log == nil || reg == nil {
		return nil, errNilDependency("NewWeChat")
	}
	if token == "" {
		return nil, errNilDependency("NewWeChat: token")
	}
	h := &WeChat{
		oa: oa, token: token, svc: svc, clock: clk, maxSkew: maxSkew, log: log,
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "youthvoice_wechat_rejected_total",
			Help: "Requests to the WeChat callback rejected before processing, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(h.rejected)
	return h, nil
}

// Register mounts the callback routes.
func (h *WeChat) Register(r gin.IRouter) {
	r.GET("/wechat/callback", h.verify)
	r.POST("/wechat/callback", h.push)
}

func (h *WeChat) reject(c *gin.Context, status int, reason, msg string) {
	h.rejected.WithLabelValues(reason).Inc()
	h.log.WarnContext(c.Request.Context(), "wechat callback rejected",
		"reason", reason, "status", status, "remote", c.ClientIP(), "method", c.Request.Method)
	c.Header("Connection", "close")
	c.String(status, msg)
	c.Abort()
}

// authenticate checks the signature and the timestamp window; it answers
// and returns false when the request is not from WeChat.
func (h *WeChat) authenticate(c *gin.Context, q url.Values) bool {
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("signature")
	if ts == "" || nonce == "" || sig == "" {
		h.reject(c, http.StatusBadRequest, "missing_params", "缺少 signature/timestamp/nonce 参数")
		return false
	}
	if !equalSig(Signature(h.token, ts, nonce), sig) {
		h.reject(c, http.StatusForbidden, "bad_signature", "签名校验失败")
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		h.reject(c, http.StatusBadRequest, "bad_timestamp", "timestamp 不是有效的整数")
		return false
	}
	if d := h.clock.Now().Sub(time.Unix(sec, 0)); d > h.maxSkew || d < -h.maxSkew {
		h.reject(c, http.StatusForbidden, "stale_timestamp", "timestamp 超出允许范围（疑似重放）")
		return false
	}
	return true
}

// verify answers WeChat's URL verification by echoing echostr.
func (h *WeChat) verify(c *gin.Context) {
	q := c.Request.URL.Query()
	if !h.authenticate(c, q) {
		return
	}
	echo := q.Get("echostr")
	if echo == "" {
		h.reject(c, http.StatusBadRequest, "missing_echostr", "缺少 echostr 参数")
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echo))
}

// push handles a message or event in plaintext, compatible or safe mode.
func (h *WeChat) push(c *gin.Context) {
	if c.Request.ContentLength > MaxCallbackBody {
		h.reject(c, http.StatusRequestEntityTooLarge, "too_large", "请求体过大")
		return
	}
	q := c.Request.URL.Query()
	if !h.authenticate(c, q) {
		return
	}
	body, err := readBody(c.Request)
	if err != nil {
		h.reject(c, http.StatusBadRequest, "read_error", "读取请求体失败")
		return
	}
	if len(body) > MaxCallbackBody {
		h.reject(c, http.StatusRequestEntityTooLarge, "too_large", "请求体过大")
		return
	}
	safeMode := q.Get("encrypt_type") == "aes"
	if safeMode {
		var env message.EncryptedXMLMsg
		if xml.Unmarshal(body, &env) != nil || env.EncryptedMsg == "" {
			h.reject(c, http.StatusBadRequest, "malformed", "XML 格式错误或缺少 Encrypt")
			return
		}
		if !equalSig(Signature(h.token, q.Get("timestamp"), q.Get("nonce"), env.EncryptedMsg), q.Get("msg_signature")) {
			h.reject(c, http.StatusForbidden, "bad_msg_signature", "msg_signature 校验失败")
			return
		}
	}

	ctx, cancel := context.WithTimeout(c.Request.Context(), callbackBudget)
	defer cancel()
	// silenceper reads the body we have read already, and it does no I/O
	// of its own: ctx reaches the service through the handler below.
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	// It also parses the whole query string again for every parameter it
	// looks up (three times a push); it is shown only the parameters it
	// uses, all of which were checked above.
	u := *c.Request.URL
	u.RawQuery = serverQuery(q, safeMode)
	sreq := c.Request.WithContext(ctx)
	sreq.URL = &u
	buf := newBufferedWriter()
	srv := h.oa.GetServer(sreq, buf)
	// The signature was checked above (constant time, with the replay window).
	srv.SkipValidate(true)

	var (
		invalid  bool
		procErr  error
		reply    callback.Reply
		answered bool
	)
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		answered = true
		if m.FromUserName == "" || m.MsgType == "" || len(m.FromUserName) > maxOpenIDBytes {
			invalid = true
			return nil
		}
		reply, procErr = h.svc.Handle(ctx, m)
		// The reply is built below rather than by the library (see
		// textReplyXML); told nothing, it leaves the response alone.
		return nil
	})
	serveErr := srv.Serve()
	switch {
	case procErr != nil:
		h.log.ErrorContext(ctx, "wechat push not processed; WeChat will retry", "err", procErr)
		c.String(http.StatusServiceUnavailable, "暂时无法处理，请稍后重试")
		return
	case invalid:
		h.reject(c, http.StatusBadRequest, "malformed", "消息缺少 FromUserName 或 MsgType，或 FromUserName 过长")
		return
	case serveErr != nil || !answered:
		// Undecryptable ciphertext, a foreign app id, or malformed XML.
		h.rejected.WithLabelValues("malformed").Inc()
		h.log.WarnContext(ctx, "wechat callback rejected", "reason", "malformed_or_undecryptable",
			"status", http.StatusBadRequest, "remote", c.ClientIP(), "err", serveErr)
		c.String(http.StatusBadRequest, "消息无法解析或解密")
		return
	}
	if reply.Text == "" {
		// Nothing to say: WeChat wants a plain "success" in every mode. In
		// safe mode the library would encrypt an empty message instead,
		// which is not a valid reply.
		c.String(http.StatusOK, "success")
		return
	}
	// Stamped with the service's clock, like everything else it records.
	// srv.RequestMsg is the push the handler above answered.
	m := srv.RequestMsg
	raw := textReplyXML(string(m.FromUserName), string(m.ToUserName), h.clock.Now().Unix(), reply.Text)
	if !safeMode {
		c.Data(http.StatusOK, "application/xml; charset=utf-8", raw)
		return
	}
	// Send encrypts ResponseRawXMLMsg with the push's random and signs it.
	srv.ResponseRawXMLMsg = raw
	if err := srv.Send(); err != nil {
		h.log.ErrorContext(ctx, "encrypting the reply failed", "err", err)
		c.String(http.StatusOK, "success")
		return
	}
	buf.copyTo(c)
}

// The query parameters silenceper's server reads when it does not validate
// the signature itself: openid always; encrypt_type, the message signature
// and what it covers in safe mode. (echostr is never passed on a push: it
// would make the server echo it instead of handling the message.)
var (
	serverParamsPlain = []string{"openid"}
	serverParamsSafe  = []string{"encrypt_type", "msg_signature", "nonce", "openid", "timestamp"}
)

// serverQuery is the query string handed to silenceper's server.
func serverQuery(q url.Values, safeMode bool) string {
	keys := serverParamsPlain
	if safeMode {
		keys = serverParamsSafe
	}
	var b strings.Builder
	for _, k := range keys {
		v, ok := q[k]
		if !ok || len(v) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v[0]))
	}
	return b.String()
}

// readBody reads at most MaxCallbackBody+1 bytes, into a buffer sized from
// Content-Length when the client sent one.
func readBody(r *http.Request) ([]byte, error) {
	size := int64(512)
	if r.ContentLength > 0 && r.ContentLength <= MaxCallbackBody {
		size = r.ContentLength + 1 // +1: the read that sees EOF needs room
	}
	lr := io.LimitReader(r.Body, MaxCallbackBody+1)
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Signature is WeChat's SHA1 over the sorted strings.
func Signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	h := sha1.New()
	for _, s := range p {
		_, _ = io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func equalSig(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// bufferedWriter holds silenceper's answer until the handler knows the
// push was processed, so a failure can still become an error status.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter {
	return &bufferedWriter{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }

func (b *bufferedWriter) copyTo(c *gin.Context) {
	ct := b.header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	c.Data(b.status, ct, b.body.Bytes())
}
