package wechat_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/callback"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// --- URL verification (GET) -----------------------------------------------

func TestCallbackVerify(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		const echo = "7283749184019283746"
		now := s.clock.Now().Unix()
		good := func() url.Values {
			q := cbSignedQuery(cbToken, now, "1372623149")
			q.Set("echostr", echo)
			return q
		}
		without := func(key string) url.Values { q := good(); q.Del(key); return q }
		tests := []struct {
			name   string
			q      url.Values
			status int
			reason string
		}{
			{"right signature", good(), http.StatusOK, ""},
			{"wrong signature", func() url.Values {
				q := good()
				q.Set("signature", cbSHA1Sorted("other-token", q.Get("timestamp"), q.Get("nonce")))
				return q
			}(), http.StatusForbidden, "bad_signature"},
			{"signature for another nonce", func() url.Values { q := good(); q.Set("nonce", "1"); return q }(), http.StatusForbidden, "bad_signature"},
			{"missing signature", without("signature"), http.StatusBadRequest, "missing_params"},
			{"missing timestamp", without("timestamp"), http.StatusBadRequest, "missing_params"},
			{"missing nonce", without("nonce"), http.StatusBadRequest, "missing_params"},
			{"no parameters", url.Values{}, http.StatusBadRequest, "missing_params"},
			{"missing echostr", without("echostr"), http.StatusBadRequest, "missing_echostr"},
			{"stale timestamp", func() url.Values {
				q := cbSignedQuery(cbToken, now-int64(cbMaxSkew/time.Second)-1, "5")
				q.Set("echostr", echo)
				return q
			}(), http.StatusForbidden, "stale_timestamp"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var before float64
				if tc.reason != "" {
					before = cbRejected(t, s, tc.reason)
				}
				w := s.get(tc.q)
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d (body %q)", w.Code, tc.status, w.Body)
				}
				if tc.status == http.StatusOK {
					if w.Body.String() != echo {
						t.Fatalf("body %q, want the echostr %q", w.Body, echo)
					}
					return
				}
				if strings.Contains(w.Body.String(), echo) {
					t.Fatalf("rejected verification echoed echostr: %q", w.Body)
				}
				if got := cbRejected(t, s, tc.reason); got != before+1 {
					t.Fatalf("rejected_total{reason=%q} = %v, want %v", tc.reason, got, before+1)
				}
			})
		}
	})
}

// --- plaintext pushes ----------------------------------------------------

func TestCallbackPlaintext(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		ctx := context.Background()
		const (
			user  = "oUser_plaintext_0000000000001"
			other = "oUser_plaintext_0000000000002"
		)
		home := `<a href="` + cbPublicURL + `/h5/home">`
		// WeChat's CreateTime: a little before delivery, distinct per push.
		seq := int64(0)
		next := func() int64 { seq++; return s.clock.Now().Unix() - 60 + seq }
		pushes := 0

		// expectText asserts a passive text reply from the account to the user.
		expectText := func(t *testing.T, w *httptest.ResponseRecorder, to string) string {
			t.Helper()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, body %q", w.Code, w.Body)
			}
			r := cbParseReply(t, w.Body.Bytes())
			if r.MsgType != "text" || r.ToUserName != to || r.FromUserName != cbOfficial {
				t.Fatalf("reply envelope %+v, want a text from %s to %s", r, cbOfficial, to)
			}
			if r.CreateTime != s.clock.Now().Unix() {
				t.Fatalf("reply CreateTime %d, want the clock's %d", r.CreateTime, s.clock.Now().Unix())
			}
			return r.Content
		}
		expectSuccess := func(t *testing.T, w *httptest.ResponseRecorder) {
			t.Helper()
			if w.Code != http.StatusOK || w.Body.String() != "success" {
				t.Fatalf("got %d %q, want 200 \"success\"", w.Code, w.Body)
			}
		}
		push := func(body string) *httptest.ResponseRecorder {
			pushes++
			return s.postPlain(body)
		}

		t.Run("subscribe via QR code welcomes and creates the follower", func(t *testing.T) {
			w := push(cbEventXML(user, "subscribe", "qrscene_campus_42", next()))
			got := expectText(t, w, user)
			if !strings.Contains(got, "欢迎关注广东青年之声") || !strings.Contains(got, home) {
				t.Fatalf("welcome %q lacks the greeting or the link %s", got, home)
			}
			f, ok := cbFollower(t, s.db, user)
			if !ok || !f.Subscribed || f.SceneKey != "campus_42" {
				t.Fatalf("follower %+v (found %v), want subscribed with scene campus_42", f, ok)
			}
			if f.SubscribedAt == nil || !f.SubscribedAt.Equal(s.clock.Now()) {
				t.Fatalf("subscribed_at %v, want %v", f.SubscribedAt, s.clock.Now())
			}
		})

		t.Run("unsubscribe keeps the row", func(t *testing.T) {
			s.clock.Advance(time.Hour)
			expectSuccess(t, push(cbEventXML(user, "unsubscribe", "", next())))
			f, ok := cbFollower(t, s.db, user)
			if !ok || f.Subscribed || f.SceneKey != "campus_42" {
				t.Fatalf("follower %+v (found %v), want the row kept with subscribed=false", f, ok)
			}
			if f.UnsubscribedAt == nil || !f.UnsubscribedAt.Equal(s.clock.Now()) {
				t.Fatalf("unsubscribed_at %v, want %v", f.UnsubscribedAt, s.clock.Now())
			}
		})

		t.Run("re-subscribe revives the row", func(t *testing.T) {
			s.clock.Advance(time.Hour)
			w := push(cbEventXML(user, "subscribe", "", next()))
			if got := expectText(t, w, user); !strings.Contains(got, home) {
				t.Fatalf("welcome %q lacks %s", got, home)
			}
			f, ok := cbFollower(t, s.db, user)
			if !ok || !f.Subscribed || f.SceneKey != "campus_42" {
				t.Fatalf("follower %+v, want subscribed again with the scene kept", f)
			}
			if f.SubscribedAt == nil || !f.SubscribedAt.Equal(s.clock.Now()) {
				t.Fatalf("subscribed_at %v, want the re-subscription time %v", f.SubscribedAt, s.clock.Now())
			}
			if n := cbCount(t, s.db, &model.Follower{}); n != 1 {
				t.Fatalf("%d follower rows, want 1", n)
			}
		})

		for _, key := range []string{"HELP_GUIDE", "HELP_CONTACT"} {
			t.Run("CLICK "+key+" replies the configured text", func(t *testing.T) {
				want, ok := s.menu.ClickReply(key)
				if !ok || want == "" || strings.Contains(want, "{{") || !strings.Contains(want, cbPublicURL+"/h5/") {
					t.Fatalf("config/menu.json has no rendered reply for %s: %q", key, want)
				}
				if got := expectText(t, push(cbEventXML(user, "CLICK", key, next())), user); got != want {
					t.Fatalf("reply %q, want %q", got, want)
				}
			})
		}
		t.Run("CLICK with an unknown key answers success", func(t *testing.T) {
			expectSuccess(t, push(cbEventXML(user, "CLICK", "REMOVED_BUTTON", next())))
		})
		t.Run("VIEW answers success", func(t *testing.T) {
			expectSuccess(t, push(cbEventXML(user, "VIEW", cbPublicURL+"/h5/ask", next())))
		})
		t.Run("text 帮助 gets the keyword reply", func(t *testing.T) {
			got := expectText(t, push(cbTextXML(user, "帮助", 7001, next())), user)
			if !strings.HasPrefix(got, "回复以下关键词获取指引") || !strings.Contains(got, home) {
				t.Fatalf("reply %q is not the 帮助 keyword reply", got)
			}
			if got2 := expectText(t, push(cbTextXML(user, "  HELP ", 7002, next())), user); got2 != got {
				t.Fatalf("keyword matching is not case/space-insensitive: %q", got2)
			}
		})
		t.Run("other text gets the default reply pointing to 主页", func(t *testing.T) {
			got := expectText(t, push(cbTextXML(other, "请问青年大学习在哪里看", 7003, next())), other)
			if !strings.Contains(got, home+"主页</a>") {
				t.Fatalf("default reply %q does not link 主页 to %s/h5/home", got, cbPublicURL)
			}
		})
		t.Run("an image answers success", func(t *testing.T) {
			body := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>7004</MsgId></xml>`, cbOfficial, other, next())
			expectSuccess(t, push(body))
		})
		t.Run("an unknown event answers success", func(t *testing.T) {
			expectSuccess(t, push(cbEventXML(user, "SOME_FUTURE_EVENT", "x", next())))
		})
		t.Run("TEMPLATESENDJOBFINISH stores the delivery status", func(t *testing.T) {
			const msgID = 200163836
			tm := model.TemplateMessage{
				OpenID: user, TemplateKey: "reply_notice", TemplateID: "tpl-1", Data: "{}",
				Status: model.TemplateSent, MsgID: msgID, NextAttemptAt: s.clock.Now(),
				CreatedAt: s.clock.Now(), UpdatedAt: s.clock.Now(),
			}
			if err := s.db.Conn(ctx).Create(&tm).Error; err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(time.Minute)
			expectSuccess(t, push(cbTemplateFinishXML(user, msgID, "failed:user block", next())))
			var got model.TemplateMessage
			if err := s.db.Conn(ctx).First(&got, tm.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got.DeliveryStatus != "failed:user block" || got.DeliveredAt == nil || !got.DeliveredAt.Equal(s.clock.Now()) {
				t.Fatalf("template message %+v, want delivery_status %q delivered at %v", got, "failed:user block", s.clock.Now())
			}
			var rep model.TemplateSendReport
			if err := s.db.Conn(ctx).Where("msg_id = ?", msgID).Take(&rep).Error; err != nil {
				t.Fatalf("no template_send_reports row: %v", err)
			}
			if rep.Status != "failed:user block" || rep.OpenID != user {
				t.Fatalf("report %+v", rep)
			}
			if st, err := s.svc.DeliveryStatus(ctx, msgID); err != nil || st != "failed:user block" {
				t.Fatalf("DeliveryStatus = %q, %v", st, err)
			}
		})

		t.Run("every push is recorded as an interaction", func(t *testing.T) {
			s.rec.Close() // flushes what is queued
			if n := cbCount(t, s.db, &model.Interaction{}); n != int64(pushes) {
				t.Fatalf("%d interactions, want one per push (%d)", n, pushes)
			}
			its := cbInteractions(t, s.db, user)
			first := its[0]
			if first.MsgType != "event" || first.Event != "subscribe" || first.EventKey != "qrscene_campus_42" ||
				first.SentAt.Unix() != cbEpoch.Unix()-59 || !first.CreatedAt.Equal(cbEpoch) {
				t.Fatalf("subscribe interaction %+v", first)
			}
			var texts []model.Interaction
			for _, it := range its {
				if it.MsgType == "text" {
					texts = append(texts, it)
				}
			}
			if len(texts) != 2 || texts[0].Content != "帮助" || texts[0].MsgID != 7001 {
				t.Fatalf("text interactions %+v", texts)
			}
			if n := cbCount(t, s.db, &model.Interaction{}, "openid = ? AND event = ? AND event_key = ?", user, "VIEW", cbPublicURL+"/h5/ask"); n != 1 {
				t.Fatalf("VIEW recorded %d times, want 1", n)
			}
			if n := cbCount(t, s.db, &model.Interaction{}, "openid = ? AND msg_type = ?", other, "image"); n != 1 {
				t.Fatalf("image recorded %d times, want 1", n)
			}
		})
	})
}

// --- safe and compatible mode --------------------------------------------

// Tencent's published sample (WXBizMsgCrypt Sample.cs / Sample.py and the
// 加解密方案说明 page): the request below decrypts to a text message
// "hello" from "mycreate".
const (
	tencentToken     = "QDG6eK"
	tencentAppID     = "wx5823bf96d3bd56c7"
	tencentAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	tencentMsgSig    = "477715d11cdb4164915debcba66cb864d751f3e6"
	tencentTimestamp = "1409659813"
	tencentNonce     = "1372623149"
	tencentEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	tencentBody      = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<Encrypt><![CDATA[" + tencentEncrypt + "]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>"
	tencentMsgID     = 4561255354251345929
)

// TestCallbackCryptoKnownAnswer pins the primitives the suite relies on to
// Tencent's published vectors, so the round trips below cannot agree with
// a wrong implementation.
func TestCallbackCryptoKnownAnswer(t *testing.T) {
	t.Run("sample msg_signature is sha1(sort(token, timestamp, nonce, Encrypt))", func(t *testing.T) {
		if got := cbSHA1Sorted(tencentToken, tencentTimestamp, tencentNonce, tencentEncrypt); got != tencentMsgSig {
			t.Fatalf("got %s, want %s", got, tencentMsgSig)
		}
		if got := wechat.Signature(tencentToken, tencentTimestamp, tencentNonce, tencentEncrypt); got != tencentMsgSig {
			t.Fatalf("wechat.Signature = %s, want %s", got, tencentMsgSig)
		}
	})
	t.Run("sample ciphertext decrypts to the sample message", func(t *testing.T) {
		msg, appID, err := cbDecrypt(tencentAESKey, tencentEncrypt)
		if err != nil || appID != tencentAppID || !bytes.Contains(msg, []byte("<Content><![CDATA[hello]]></Content>")) {
			t.Fatalf("decrypt: %v, appid %q, msg %q", err, appID, msg)
		}
	})
	t.Run("reply encryption matches the official-account vector", func(t *testing.T) {
		// WXBizMsgCryptTest: key abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG,
		// appid wxb11529c136998cb6, random aaaabbbbccccdddd.
		const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
		got, err := util.EncryptMsg([]byte("aaaabbbbccccdddd"), []byte("我是中文abcd123"), "wxb11529c136998cb6", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
		if err != nil || string(got) != want {
			t.Fatalf("EncryptMsg = %s, %v; want %s", got, err, want)
		}
		msg, appID, err := cbDecrypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", want)
		if err != nil || string(msg) != "我是中文abcd123" || appID != "wxb11529c136998cb6" {
			t.Fatalf("independent decrypt: %q %q %v", msg, appID, err)
		}
	})
}

// checkEncryptedReply verifies a safe-mode answer as WeChat does and
// returns the decrypted reply XML.
func checkEncryptedReply(t *testing.T, w *httptest.ResponseRecorder, creds cbCreds, q url.Values) []byte {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	var env cbEncryptedReply
	if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Encrypt == "" {
		t.Fatalf("reply is not an encrypted envelope (%v): %q", err, w.Body)
	}
	if env.TimeStamp != q.Get("timestamp") || env.Nonce != q.Get("nonce") {
		t.Fatalf("reply TimeStamp/Nonce %s/%s, want the request's %s/%s", env.TimeStamp, env.Nonce, q.Get("timestamp"), q.Get("nonce"))
	}
	if want := cbSHA1Sorted(creds.Token, env.TimeStamp, env.Nonce, env.Encrypt); env.MsgSignature != want {
		t.Fatalf("reply MsgSignature %s, want sha1(sort(token, timestamp, nonce, Encrypt)) = %s", env.MsgSignature, want)
	}
	msg, appID, err := cbDecrypt(creds.AESKey, env.Encrypt)
	if err != nil {
		t.Fatalf("reply does not decrypt with the account's key: %v", err)
	}
	if appID != creds.AppID {
		t.Fatalf("reply encrypted for appid %q, want %q", appID, creds.AppID)
	}
	return msg
}

func TestCallbackSafeMode(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		t.Run("Tencent sample", func(t *testing.T) {
			sampleTime, _ := strconv.ParseInt(tencentTimestamp, 10, 64)
			creds := cbCreds{Token: tencentToken, AppID: tencentAppID, AESKey: tencentAESKey}
			s := newCBStack(t, b.db, b.store, cbStackOpts{creds: &creds, clock: clock.NewFake(time.Unix(sampleTime, 0))})
			q := cbSignedQuery(tencentToken, sampleTime, tencentNonce)
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", tencentMsgSig)
			q.Set("openid", "mycreate")
			w := s.post(q, tencentBody)
			got := checkEncryptedReply(t, w, creds, q)
			want := fmt.Sprintf("<xml><ToUserName><![CDATA[mycreate]]></ToUserName><FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName>"+
				"<CreateTime>%d</CreateTime><MsgType>text</MsgType><Content><![CDATA[%s]]></Content></xml>",
				sampleTime, s.menu.TextReply("hello"))
			if string(got) != want {
				t.Fatalf("decrypted reply\n%s\nwant\n%s", got, want)
			}
			s.rec.Close()
			its := cbInteractions(t, s.db, "mycreate")
			if len(its) != 1 || its[0].MsgType != "text" || its[0].Content != "hello" || its[0].MsgID != tencentMsgID {
				t.Fatalf("interactions %+v, want the sample's text message", its)
			}
		})

		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		t.Run("subscribe is answered encrypted", func(t *testing.T) {
			const user = "oSafe_subscriber_000000000001"
			w, q := s.postSafe(cbEventXML(user, "subscribe", "qrscene_fair", s.clock.Now().Unix()), cbAppID)
			r := cbParseReply(t, checkEncryptedReply(t, w, s.creds, q))
			if r.ToUserName != user || r.MsgType != "text" || r.Content != s.menu.Welcome() {
				t.Fatalf("decrypted reply %+v, want the welcome to %s", r, user)
			}
			if f, ok := cbFollower(t, s.db, user); !ok || !f.Subscribed || f.SceneKey != "fair" {
				t.Fatalf("follower %+v (found %v)", f, ok)
			}
		})
		t.Run("nothing to say answers plain success", func(t *testing.T) {
			// An encrypted empty message is not a valid reply: WeChat wants
			// "success" (or nothing), unencrypted, in every mode.
			w, _ := s.postSafe(cbEventXML("oSafe_subscriber_000000000001", "VIEW", cbPublicURL+"/h5/home", s.clock.Now().Unix()), cbAppID)
			if w.Code != http.StatusOK || w.Body.String() != "success" {
				t.Fatalf("got %d %q, want 200 \"success\"", w.Code, w.Body)
			}
		})
	})
}

func TestCallbackCompatibleMode(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		const user = "oCompat_user_0000000000000001"
		plain := cbTextXML(user, "帮助", 9100, s.clock.Now().Unix())
		enc := cbEncrypt(t, []byte(plain), cbAppID, cbAESKey)
		// Compatible mode: the plaintext fields and the ciphertext side by side.
		body := strings.Replace(plain, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
		q := s.signedQuery()
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", cbSHA1Sorted(cbToken, q.Get("timestamp"), q.Get("nonce"), enc))
		r := cbParseReply(t, checkEncryptedReply(t, s.post(q, body), s.creds, q))
		if r.ToUserName != user || r.Content != s.menu.TextReply("帮助") {
			t.Fatalf("decrypted reply %+v, want the 帮助 reply to %s", r, user)
		}

		t.Run("the signed ciphertext wins over tampered plaintext fields", func(t *testing.T) {
			const victim = "oCompat_victim_00000000000001"
			plain := cbEventXML(victim, "subscribe", "", s.clock.Now().Unix())
			enc := cbEncrypt(t, []byte(plain), cbAppID, cbAESKey)
			forged := strings.Replace(cbEventXML("oForged_0000000000000000000001", "subscribe", "", s.clock.Now().Unix()),
				"</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
			q := s.signedQuery()
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", cbSHA1Sorted(cbToken, q.Get("timestamp"), q.Get("nonce"), enc))
			r := cbParseReply(t, checkEncryptedReply(t, s.post(q, forged), s.creds, q))
			if r.ToUserName != victim {
				t.Fatalf("reply to %q, want %q", r.ToUserName, victim)
			}
			if _, ok := cbFollower(t, s.db, "oForged_0000000000000000000001"); ok {
				t.Fatal("the unsigned plaintext FromUserName created a follower")
			}
			if _, ok := cbFollower(t, s.db, victim); !ok {
				t.Fatal("the encrypted subscribe was not processed")
			}
		})
	})
}

// With YV_WECHAT_REQUIRE_AES, a push signed with the token alone is
// refused: only compatible and safe mode (signed ciphertext) get through.
func TestCallbackRequireAES(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{requireAES: true})
		const forged = "oPlain_forged_000000000000001"
		w := s.postPlain(cbEventXML(forged, "subscribe", "", s.clock.Now().Unix()))
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "只接受加密推送") {
			t.Fatalf("plaintext push: %d %q, want 403 naming the setting", w.Code, w.Body)
		}
		if _, ok := cbFollower(t, s.db, forged); ok {
			t.Fatal("the refused plaintext subscribe created a follower")
		}

		const user = "oAES_only_user_0000000000001"
		w, q := s.postSafe(cbEventXML(user, "subscribe", "", s.clock.Now().Unix()), cbAppID)
		if r := cbParseReply(t, checkEncryptedReply(t, w, s.creds, q)); r.ToUserName != user || r.Content != s.menu.Welcome() {
			t.Fatalf("safe-mode reply %+v, want the welcome", r)
		}
		plain := cbTextXML(user, "帮助", 9200, s.clock.Now().Unix())
		enc := cbEncrypt(t, []byte(plain), cbAppID, cbAESKey)
		q = s.signedQuery()
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", cbSHA1Sorted(cbToken, q.Get("timestamp"), q.Get("nonce"), enc))
		compat := strings.Replace(plain, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
		if r := cbParseReply(t, checkEncryptedReply(t, s.post(q, compat), s.creds, q)); r.Content != s.menu.TextReply("帮助") {
			t.Fatalf("compatible-mode reply %+v", r)
		}
		s.rec.Close()
		if its := cbInteractions(t, s.db, forged); len(its) != 0 {
			t.Fatalf("the refused push was recorded: %+v", its)
		}
		if its := cbInteractions(t, s.db, user); len(its) != 2 {
			t.Fatalf("%d interactions of the encrypted pushes, want 2", len(its))
		}
		if v := cbRejected(t, s, "plaintext_refused"); v != 1 {
			t.Fatalf("rejected{plaintext_refused} = %v", v)
		}
	})
}

// --- rejections ------------------------------------------------------------

// cbChunkedReader hides its length so the request is sent without
// Content-Length.
type cbChunkedReader struct{ r io.Reader }

func (c cbChunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestCallbackRejections(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		const user = "oRejected_user_0000000000001"
		now := s.clock.Now().Unix()
		subscribe := cbEventXML(user, "subscribe", "qrscene_x", now)
		safeQuery := func(enc string) url.Values {
			q := s.signedQuery()
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", cbSHA1Sorted(cbToken, q.Get("timestamp"), q.Get("nonce"), enc))
			return q
		}
		skew := int64(cbMaxSkew / time.Second)
		huge := cbTextXML(user, strings.Repeat("长", wechat.MaxBody/3+10), 1, now)
		otherKey := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"

		tests := []struct {
			name   string
			req    func() *http.Request
			status int
			reason string
		}{
			{"wrong signature", func() *http.Request {
				q := s.signedQuery()
				q.Set("signature", strings.Repeat("0", 40))
				return cbPostReq(q, subscribe)
			}, http.StatusForbidden, "bad_signature"},
			{"signature with another token", func() *http.Request {
				return cbPostReq(cbSignedQuery("not-our-token", now, "42"), subscribe)
			}, http.StatusForbidden, "bad_signature"},
			{"missing signature parameters", func() *http.Request {
				return cbPostReq(url.Values{"timestamp": {strconv.FormatInt(now, 10)}}, subscribe)
			}, http.StatusBadRequest, "missing_params"},
			{"timestamp not a number", func() *http.Request {
				q := url.Values{"signature": {cbSHA1Sorted(cbToken, "soon", "1")}, "timestamp": {"soon"}, "nonce": {"1"}}
				return cbPostReq(q, subscribe)
			}, http.StatusBadRequest, "bad_timestamp"},
			{"timestamp more than 5 minutes old", func() *http.Request {
				return cbPostReq(cbSignedQuery(cbToken, now-skew-1, "42"), subscribe)
			}, http.StatusForbidden, "stale_timestamp"},
			{"timestamp more than 5 minutes ahead", func() *http.Request {
				return cbPostReq(cbSignedQuery(cbToken, now+skew+1, "42"), subscribe)
			}, http.StatusForbidden, "stale_timestamp"},
			{"replay of an hour-old signed request", func() *http.Request {
				return cbPostReq(cbSignedQuery(cbToken, now-3600, "42"), subscribe)
			}, http.StatusForbidden, "stale_timestamp"},
			{"body over 64 KiB", func() *http.Request {
				return cbPostReq(s.signedQuery(), huge)
			}, http.StatusRequestEntityTooLarge, "too_large"},
			{"body over 64 KiB without Content-Length", func() *http.Request {
				r := cbPostReq(s.signedQuery(), "")
				r.Body = io.NopCloser(cbChunkedReader{strings.NewReader(huge)})
				r.ContentLength = -1
				return r
			}, http.StatusRequestEntityTooLarge, "too_large"},
			{"body that fails mid-read", func() *http.Request {
				r := cbPostReq(s.signedQuery(), "")
				r.Body = io.NopCloser(io.MultiReader(strings.NewReader(subscribe[:40]), iotest.ErrReader(errors.New("connection reset"))))
				r.ContentLength = -1
				return r
			}, http.StatusBadRequest, "read_error"},
			{"safe-mode body that fails mid-read", func() *http.Request {
				enc := cbEncrypt(t, []byte(subscribe), cbAppID, cbAESKey)
				r := cbPostReq(safeQuery(enc), "")
				r.Body = io.NopCloser(io.MultiReader(strings.NewReader(cbEnvelope(cbOfficial, enc)[:40]), iotest.ErrReader(errors.New("connection reset"))))
				r.ContentLength = -1
				return r
			}, http.StatusBadRequest, "read_error"},
			{"a second, right signature after a wrong one", func() *http.Request {
				q := s.signedQuery()
				raw := "signature=" + strings.Repeat("0", 40) + "&" + q.Encode()
				r := cbPostReq(nil, subscribe)
				r.URL.RawQuery = raw
				return r
			}, http.StatusForbidden, "bad_signature"},
			{"malformed XML", func() *http.Request {
				return cbPostReq(s.signedQuery(), `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName>`)
			}, http.StatusBadRequest, "malformed"},
			{"not XML at all", func() *http.Request {
				return cbPostReq(s.signedQuery(), `{"FromUserName":"x","MsgType":"text"}`)
			}, http.StatusBadRequest, "malformed"},
			{"empty body", func() *http.Request {
				return cbPostReq(s.signedQuery(), "")
			}, http.StatusBadRequest, "malformed"},
			{"XML without FromUserName", func() *http.Request {
				return cbPostReq(s.signedQuery(), `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>`)
			}, http.StatusBadRequest, "malformed"},
			{"XML without MsgType", func() *http.Request {
				return cbPostReq(s.signedQuery(), fmt.Sprintf(`<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>1</CreateTime><Event><![CDATA[subscribe]]></Event></xml>`, user))
			}, http.StatusBadRequest, "malformed"},
			{"wrong msg_signature", func() *http.Request {
				enc := cbEncrypt(t, []byte(subscribe), cbAppID, cbAESKey)
				q := safeQuery(enc)
				q.Set("msg_signature", cbSHA1Sorted(cbToken, q.Get("timestamp"), q.Get("nonce"), enc+"x"))
				return cbPostReq(q, cbEnvelope(cbOfficial, enc))
			}, http.StatusForbidden, "bad_msg_signature"},
			{"missing msg_signature", func() *http.Request {
				enc := cbEncrypt(t, []byte(subscribe), cbAppID, cbAESKey)
				q := safeQuery(enc)
				q.Del("msg_signature")
				return cbPostReq(q, cbEnvelope(cbOfficial, enc))
			}, http.StatusForbidden, "bad_msg_signature"},
			{"safe mode without Encrypt", func() *http.Request {
				q := safeQuery("")
				return cbPostReq(q, subscribe)
			}, http.StatusBadRequest, "malformed"},
			{"ciphertext for another appid", func() *http.Request {
				enc := cbEncrypt(t, []byte(subscribe), "wx_some_other_app", cbAESKey)
				return cbPostReq(safeQuery(enc), cbEnvelope(cbOfficial, enc))
			}, http.StatusBadRequest, "malformed"},
			{"ciphertext under another key", func() *http.Request {
				enc := cbEncrypt(t, []byte(subscribe), cbAppID, otherKey)
				return cbPostReq(safeQuery(enc), cbEnvelope(cbOfficial, enc))
			}, http.StatusBadRequest, "malformed"},
			{"ciphertext not base64", func() *http.Request {
				enc := "%%% not base64 %%%"
				return cbPostReq(safeQuery(enc), cbEnvelope(cbOfficial, enc))
			}, http.StatusBadRequest, "malformed"},
			{"ciphertext of malformed XML", func() *http.Request {
				enc := cbEncrypt(t, []byte("<xml><FromUserName>"), cbAppID, cbAESKey)
				return cbPostReq(safeQuery(enc), cbEnvelope(cbOfficial, enc))
			}, http.StatusBadRequest, "malformed"},
			{"ciphertext of XML without FromUserName", func() *http.Request {
				enc := cbEncrypt(t, []byte(`<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>`), cbAppID, cbAESKey)
				return cbPostReq(safeQuery(enc), cbEnvelope(cbOfficial, enc))
			}, http.StatusBadRequest, "malformed"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := cbRejected(t, s, tc.reason)
				w := s.serve(tc.req())
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d (body %q)", w.Code, tc.status, w.Body)
				}
				if w.Body.String() == "success" || strings.Contains(w.Body.String(), "<xml>") {
					t.Fatalf("rejection answered like a processed push: %q", w.Body)
				}
				if got := cbRejected(t, s, tc.reason); got != before+1 {
					t.Fatalf("youthvoice_wechat_rejected_total{reason=%q} = %v, want %v", tc.reason, got, before+1)
				}
			})
		}

		t.Run("over 64 KiB chunked over a real connection", func(t *testing.T) {
			srv := httptest.NewServer(s.router)
			defer srv.Close()
			before := cbRejected(t, s, "too_large")
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.Copy(pw, strings.NewReader(huge))
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/wechat/callback?"+s.signedQuery().Encode(), pr)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			if got := cbRejected(t, s, "too_large"); got != before+1 {
				t.Fatalf("too_large = %v, want %v", got, before+1)
			}
		})

		t.Run("nothing rejected was processed", func(t *testing.T) {
			s.rec.Close()
			if _, ok := cbFollower(t, s.db, user); ok {
				t.Fatal("a rejected subscribe created a follower")
			}
			if n := cbCount(t, s.db, &model.Interaction{}); n != 0 {
				t.Fatalf("%d interactions recorded from rejected pushes", n)
			}
			if n := servicetest.Metric(t, s.reg, "youthvoice_wechat_callbacks_total", nil); n != 0 {
				t.Fatalf("callbacks_total = %v after rejections only", n)
			}
		})
	})
}

func cbPostReq(q url.Values, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	return req
}

func TestCallbackLimits(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		now := s.clock.Now().Unix()
		skew := int64(cbMaxSkew / time.Second)
		t.Run("a body of exactly 64 KiB is accepted", func(t *testing.T) {
			body := cbTextXML("oLimit_user_00000000000000001", "hi", 8801, now)
			body = strings.Replace(body, "</xml>", strings.Repeat(" ", wechat.MaxBody-len(body))+"</xml>", 1)
			if len(body) != wechat.MaxBody {
				t.Fatalf("body is %d bytes", len(body))
			}
			if w := s.postPlain(body); w.Code != http.StatusOK {
				t.Fatalf("status %d (%q)", w.Code, w.Body)
			}
		})
		for _, d := range []int64{-skew, skew} {
			t.Run(fmt.Sprintf("timestamp %+ds from now is accepted", d), func(t *testing.T) {
				body := cbTextXML("oLimit_user_00000000000000001", "hi", 8802+d, now+d)
				if w := s.post(cbSignedQuery(cbToken, now+d, "9"), body); w.Code != http.StatusOK {
					t.Fatalf("status %d (%q)", w.Code, w.Body)
				}
			})
		}
	})
}

// TestCallbackOddButSigned covers pushes that pass authentication but
// carry values WeChat never sends: none may fail with a 5xx, and none may
// stop later interactions from being stored.
func TestCallbackOddButSigned(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		now := s.clock.Now().Unix()
		long := strings.Repeat("o", 200)
		tests := []struct {
			name string
			body string
		}{
			{"CreateTime far in the future", cbTextXML("oOdd_user_0000000000000000001", "a", 8901, 1<<62)},
			{"largest CreateTime", cbTextXML("oOdd_user_0000000000000000001", "a2", 8908, 1<<63-1)},
			{"negative CreateTime", cbTextXML("oOdd_user_0000000000000000001", "b", 8902, -5)},
			{"subscribe with CreateTime beyond year 9999", cbEventXML("oOdd_user_0000000000000000002", "subscribe", "", 253402300800+1)},
			{"FromUserName longer than any openid", cbTextXML(long, "c", 8903, now)},
			{"subscribe from an overlong FromUserName", cbEventXML(long, "subscribe", "qrscene_"+long, now)},
			{"huge EventKey and Event", cbEventXML("oOdd_user_0000000000000000003", strings.Repeat("E", 300), strings.Repeat("键", 400), now)},
			{"long Chinese text", cbTextXML("oOdd_user_0000000000000000004", strings.Repeat("青年", 500), 8904, now)},
			{"emoji", cbTextXML("oOdd_user_0000000000000000005", "👍🏻🇨🇳", 8905, now)},
			{"TEMPLATESENDJOBFINISH with a long status", cbTemplateFinishXML("oOdd_user_0000000000000000006", 8906, strings.Repeat("状态", 100), now)},
			{"unknown MsgType", strings.Replace(cbTextXML("oOdd_user_0000000000000000007", "d", 8907, now), "[text]", "[hologram]", 1)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				w := s.postPlain(tc.body)
				if w.Code >= 500 {
					t.Fatalf("status %d (%q)", w.Code, w.Body)
				}
			})
		}
		t.Run("echostr on a push is not echoed", func(t *testing.T) {
			const user = "oOdd_echostr_00000000000000001"
			q := s.signedQuery()
			q.Set("echostr", "echo-me-back")
			w := s.post(q, cbTextXML(user, "帮助", 8950, now))
			if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "echo-me-back") || !strings.Contains(w.Body.String(), "<MsgType>text</MsgType>") {
				t.Fatalf("status %d, body %q: want the text reply to the message", w.Code, w.Body)
			}
			cbEventually(t, "the push to be stored", func() bool {
				return len(cbInteractions(t, s.db, user)) == 1
			})
		})
		t.Run("later interactions are still stored", func(t *testing.T) {
			const user = "oOdd_after_000000000000000001"
			if w := s.postPlain(cbTextXML(user, "still here", 8999, now)); w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			cbEventually(t, "the normal interaction to be stored", func() bool {
				return len(cbInteractions(t, s.db, user)) == 1
			})
			s.rec.Close()
			for _, it := range cbInteractions(t, s.db, "oOdd_user_0000000000000000004") {
				if len(it.Content) > 200 || !utf8.ValidString(it.Content) {
					t.Fatalf("stored content is %d bytes, valid UTF-8 %v", len(it.Content), utf8.ValidString(it.Content))
				}
			}
			if n := servicetest.Metric(t, s.reg, "youthvoice_interactions_dropped_total", nil); n != 0 {
				t.Fatalf("%v interactions dropped", n)
			}
			if n := servicetest.Metric(t, s.reg, "youthvoice_wechat_callbacks_total", map[string]string{"msg_type": "other"}); n != 1 {
				t.Fatalf("callbacks_total{msg_type=other} = %v, want 1 (label values kept to a known set)", n)
			}
		})
	})
}

// --- dedupe ----------------------------------------------------------------

// cbConcurrent delivers the same push through each stack at once and
// returns the answers in order.
func cbConcurrent(t *testing.T, stacks []*cbStack, q url.Values, body string) []*httptest.ResponseRecorder {
	t.Helper()
	out := make([]*httptest.ResponseRecorder, len(stacks))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = s.serve(cbPostReq(q, body))
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func cbSum(t *testing.T, stacks []*cbStack, name string, labels map[string]string) float64 {
	var n float64
	for _, s := range stacks {
		n += servicetest.Metric(t, s.reg, name, labels)
	}
	return n
}

func TestCallbackDedupe(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		clk := clock.NewFake(cbEpoch)
		now := clk.Now().Unix()

		for i, setup := range []struct {
			name    string
			pattern []int // which instance receives each delivery
		}{
			{"one instance", []int{0, 0, 0}},
			{"two instances", []int{0, 1, 0}},
		} {
			t.Run(setup.name, func(t *testing.T) {
				// Two instances share the database and the kv store.
				both := []*cbStack{
					newCBStack(t, b.db, b.store, cbStackOpts{clock: clk}),
					newCBStack(t, b.db, b.peerStore(t), cbStackOpts{clock: clk}),
				}
				var stacks []*cbStack
				for _, k := range setup.pattern {
					stacks = append(stacks, both[k])
				}
				textUser := fmt.Sprintf("oDedupe_text_%016d", i)
				subsUser := fmt.Sprintf("oDedupe_subs_%016d", i)

				t.Run("three deliveries of one message", func(t *testing.T) {
					q := both[0].signedQuery()
					ws := cbConcurrent(t, stacks, q, cbTextXML(textUser, "帮助", int64(5_000_000+i), now))
					for j, w := range ws {
						if w.Code != http.StatusOK {
							t.Fatalf("delivery %d: status %d (%q)", j, w.Code, w.Body)
						}
						if !bytes.Equal(w.Body.Bytes(), ws[0].Body.Bytes()) {
							t.Fatalf("delivery %d answered\n%s\nfirst answered\n%s", j, w.Body, ws[0].Body)
						}
					}
					if r := cbParseReply(t, ws[0].Body.Bytes()); r.Content != both[0].menu.TextReply("帮助") {
						t.Fatalf("reply %q", r.Content)
					}
					if got := cbSum(t, both, "youthvoice_wechat_duplicates_total", nil); got != 2 {
						t.Fatalf("duplicates_total = %v, want 2", got)
					}
				})

				t.Run("three deliveries of one subscribe", func(t *testing.T) {
					q := both[0].signedQuery()
					ws := cbConcurrent(t, stacks, q, cbEventXML(subsUser, "subscribe", "qrscene_dup", now))
					for j, w := range ws {
						if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), ws[0].Body.Bytes()) {
							t.Fatalf("delivery %d: %d %q; first %q", j, w.Code, w.Body, ws[0].Body)
						}
					}
					if r := cbParseReply(t, ws[0].Body.Bytes()); r.Content != both[0].menu.Welcome() {
						t.Fatalf("reply %q, want the welcome", r.Content)
					}
					if f, ok := cbFollower(t, b.db, subsUser); !ok || !f.Subscribed || f.SceneKey != "dup" {
						t.Fatalf("follower %+v (found %v)", f, ok)
					}
					if got := cbSum(t, both, "youthvoice_wechat_duplicates_total", nil); got != 4 {
						t.Fatalf("duplicates_total = %v, want 4 (2 per push)", got)
					}
				})

				t.Run("each push processed once", func(t *testing.T) {
					for _, s := range both {
						s.rec.Close()
					}
					for _, user := range []string{textUser, subsUser} {
						if its := cbInteractions(t, b.db, user); len(its) != 1 {
							t.Fatalf("%s: %d interactions, want 1", user, len(its))
						}
					}
					if got := cbSum(t, both, "youthvoice_wechat_callbacks_total", nil); got != 2 {
						t.Fatalf("callbacks_total = %v, want 2 (each push processed once)", got)
					}
					if got := cbSum(t, both, "youthvoice_wechat_callbacks_total", map[string]string{"event": "subscribe"}); got != 1 {
						t.Fatalf("subscribe processed %v times, want once", got)
					}
				})
			})
		}

		t.Run("events are told apart by CreateTime, sender and key", func(t *testing.T) {
			s := newCBStack(t, b.db, b.store, cbStackOpts{clock: clk})
			const user = "oDedupe_events_0000000000001"
			bodies := []string{
				cbEventXML(user, "CLICK", "HELP_GUIDE", now-10),
				cbEventXML(user, "CLICK", "HELP_GUIDE", now-9),                           // another CreateTime
				cbEventXML(user, "CLICK", "HELP_CONTACT", now-9),                         // another key
				cbEventXML("oDedupe_events_0000000000002", "CLICK", "HELP_GUIDE", now-9), // another sender
				cbEventXML(user, "subscribe", "", now-20),
				cbEventXML(user, "subscribe", "", now-19),
			}
			for _, body := range bodies {
				if w := s.postPlain(body); w.Code != http.StatusOK || w.Body.String() == "success" {
					t.Fatalf("%d %q for %s", w.Code, w.Body, body)
				}
			}
			if n := servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil); n != 0 {
				t.Fatalf("duplicates_total = %v, want 0", n)
			}
			// The same event again is a retry.
			again := s.postPlain(bodies[0])
			if again.Code != http.StatusOK || servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil) != 1 {
				t.Fatalf("retry of the first event: %d, duplicates %v", again.Code, servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil))
			}
			s.rec.Close()
			if n := len(cbInteractions(t, b.db, user)); n != 5 {
				t.Fatalf("%d interactions for %s, want 5", n, user)
			}
		})

		t.Run("a retry during processing waits for the first reply", func(t *testing.T) {
			s := newCBStack(t, b.db, b.store, cbStackOpts{clock: clk})
			const user = "oDedupe_waiting_000000000001"
			body := cbTextXML(user, "帮助", 6_100_001, now)
			m := &message.MixMessage{MsgID: 6_100_001}
			m.MsgType = message.MsgTypeText
			key := callback.DedupeKey(m)
			// The first delivery is in progress on another instance.
			if won, err := b.store.SetNX(context.Background(), key, "p", time.Minute); err != nil || !won {
				t.Fatalf("claim: %v %v", won, err)
			}
			done := make(chan *httptest.ResponseRecorder, 1)
			go func() { done <- s.postPlain(body) }()
			cbEventually(t, "the retry to be recognised", func() bool {
				return servicetest.Metric(t, s.reg, "youthvoice_wechat_duplicates_total", nil) == 1
			})
			select {
			case w := <-done:
				t.Fatalf("the retry answered %d %q before the first delivery finished", w.Code, w.Body)
			default:
			}
			// The first delivery finishes and stores its reply.
			if err := b.store.Set(context.Background(), key, "r:first reply", time.Minute); err != nil {
				t.Fatal(err)
			}
			var w *httptest.ResponseRecorder
			select {
			case w = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the retry never answered")
			}
			if r := cbParseReply(t, w.Body.Bytes()); w.Code != http.StatusOK || r.Content != "first reply" || r.ToUserName != user {
				t.Fatalf("retry got %d %+v, want the first delivery's reply", w.Code, r)
			}
			s.rec.Close()
			if n := len(cbInteractions(t, b.db, user)); n != 0 {
				t.Fatalf("the retry was processed too (%d interactions)", n)
			}
		})

		t.Run("a failed first attempt answers 503 and the retry succeeds", func(t *testing.T) {
			broken := b.newDB(t)
			if err := broken.Close(); err != nil {
				t.Fatal(err)
			}
			down := newCBStack(t, broken, b.store, cbStackOpts{clock: clk})
			up := newCBStack(t, b.db, b.peerStore(t), cbStackOpts{clock: clk})
			const user = "oDedupe_failure_000000000001"
			body := cbEventXML(user, "subscribe", "qrscene_retry", now)
			q := down.signedQuery()

			w := down.serve(cbPostReq(q, body))
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d (%q), want 503 so WeChat retries", w.Code, w.Body)
			}
			if w.Body.String() == "success" || strings.Contains(w.Body.String(), "<xml>") {
				t.Fatalf("failed attempt answered %q", w.Body)
			}
			m := &message.MixMessage{EventKey: "qrscene_retry"}
			m.FromUserName, m.CreateTime, m.MsgType, m.Event = message.CDATA(user), now, message.MsgTypeEvent, message.EventSubscribe
			if _, err := b.store.Get(context.Background(), callback.DedupeKey(m)); !errors.Is(err, kv.ErrMiss) {
				t.Fatalf("dedupe claim still held after the failure (err %v)", err)
			}

			// WeChat's retry reaches a healthy instance.
			w = up.serve(cbPostReq(q, body))
			if r := cbParseReply(t, w.Body.Bytes()); w.Code != http.StatusOK || r.Content != up.menu.Welcome() {
				t.Fatalf("retry got %d %q, want the welcome", w.Code, w.Body)
			}
			if f, ok := cbFollower(t, b.db, user); !ok || !f.Subscribed || f.SceneKey != "retry" {
				t.Fatalf("follower %+v (found %v)", f, ok)
			}
			if n := servicetest.Metric(t, up.reg, "youthvoice_wechat_duplicates_total", nil); n != 0 {
				t.Fatalf("the retry after a failure counted as a duplicate (%v)", n)
			}
			up.rec.Close()
			if n := len(cbInteractions(t, b.db, user)); n != 1 {
				t.Fatalf("%d interactions, want 1", n)
			}
		})
	})
}

// --- operator view -----------------------------------------------------------

func TestCallbackRejectionsOnMetricsEndpoint(t *testing.T) {
	cbEachBackend(t, func(t *testing.T, b cbBackend) {
		s := newCBStack(t, b.db, b.store, cbStackOpts{})
		q := s.signedQuery()
		q.Set("signature", "forged")
		for range 2 {
			if w := s.post(q, cbTextXML("oMetrics_000000000000000000001", "x", 1, s.clock.Now().Unix())); w.Code != http.StatusForbidden {
				t.Fatalf("status %d", w.Code)
			}
		}
		w := s.get(url.Values{})
		if w.Code != http.StatusBadRequest {
			t.Fatalf("GET without parameters: %d", w.Code)
		}
		m := s.serve(httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if m.Code != http.StatusOK {
			t.Fatalf("/metrics: %d", m.Code)
		}
		for _, want := range []string{
			`youthvoice_wechat_rejected_total{reason="bad_signature"} 2`,
			`youthvoice_wechat_rejected_total{reason="missing_params"} 1`,
			`youthvoice_http_requests_total{method="POST",route="/wechat/callback",status="403"} 2`,
		} {
			if !strings.Contains(m.Body.String(), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}
