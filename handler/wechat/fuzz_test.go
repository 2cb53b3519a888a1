package wechat_test

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// Bits of FuzzCallback's mode byte.
const (
	fzNow      = 1 << iota // replace the timestamp with the clock's now
	fzSign                 // replace signature with the right one for token/timestamp/nonce
	fzSignMsg              // replace msg_signature with the right one for the body's <Encrypt>
	fzGet                  // GET (URL verification) instead of POST
	fzJSON                 // Content-Type: application/json
	fzNoLength             // no Content-Length (as with chunked transfer encoding)
)

// FuzzCallback throws arbitrary query parameters and bodies at
// /wechat/callback, signed correctly or not: whatever arrives, the answer
// is never a 5xx (which includes a recovered panic). Storage is healthy
// SQLite, so even 503 would be a bug.
//
//	go test -run='^$' -fuzz=FuzzCallback -fuzztime=60s ./handler/
func FuzzCallback(f *testing.F) {
	s := newCBStack(f, dbtest.SQLite(f), kvtest.Memory(f, nil), cbStackOpts{})
	now := s.clock.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	random := []byte("0123456789abcdef") // fixed, so the seeds are stable
	encrypt := func(plain, appID string) string {
		out, err := util.EncryptMsg(random, []byte(plain), appID, cbAESKey)
		if err != nil {
			f.Fatal(err)
		}
		return string(out)
	}
	valid := []string{
		cbTextXML("oFuzz_user_00000000000000001", "帮助", 1, now),
		cbTextXML("oFuzz_user_00000000000000001", "你好", 2, now),
		cbEventXML("oFuzz_user_00000000000000001", "subscribe", "qrscene_fuzz", now),
		cbEventXML("oFuzz_user_00000000000000001", "unsubscribe", "", now),
		cbEventXML("oFuzz_user_00000000000000001", "CLICK", "HELP_GUIDE", now),
		cbEventXML("oFuzz_user_00000000000000001", "VIEW", cbPublicURL+"/h5/home", now),
		cbEventXML("oFuzz_user_00000000000000001", "NEW_EVENT", "", now),
		cbTemplateFinishXML("oFuzz_user_00000000000000001", 77, "success", now),
	}
	signed := byte(fzNow | fzSign)
	for _, body := range valid {
		f.Add(signed, "", ts, "1234", "", "", "", []byte(body))
		enc := encrypt(body, cbAppID)
		f.Add(signed|fzSignMsg, "", ts, "1234", "aes", "", "", []byte(cbEnvelope(cbOfficial, enc)))
		// compatible mode: plaintext and ciphertext side by side
		f.Add(signed|fzSignMsg, "", ts, "1234", "aes", "", "", []byte(strings.Replace(body, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)))
	}
	f.Add(signed|fzSignMsg, "", ts, "1", "aes", "", "", []byte(cbEnvelope(cbOfficial, encrypt(valid[0], "wx_other_app_id"))))
	f.Add(signed|fzSignMsg, "", ts, "1", "aes", "", "", []byte(cbEnvelope(cbOfficial, encrypt("<xml><MsgType>text", cbAppID))))
	f.Add(signed|fzSignMsg, "", ts, "1", "aes", "", "", []byte(cbEnvelope(cbOfficial, "AAAA")))
	f.Add(byte(0), "", tencentTimestamp, tencentNonce, "aes", tencentMsgSig, "", []byte(tencentBody))
	f.Add(signed|fzSignMsg, "", ts, tencentNonce, "aes", "", "", []byte(tencentBody))
	f.Add(signed|fzGet, "", ts, "1", "", "", "echo-me", []byte(nil))
	f.Add(byte(fzGet), "0000", "1", "1", "", "", "echo-me", []byte(nil))
	f.Add(signed|fzJSON, "", ts, "1", "", "", "", []byte(`{"ToUserName":"gh","FromUserName":"oFuzz","CreateTime":1,"MsgType":"event","Event":"subscribe","List":{"TemplateId":"x"}}`))
	f.Add(signed|fzNoLength, "", ts, "1", "", "", "", []byte(valid[0]))
	f.Add(signed, "", ts, "1", "", "", "echo-in-post", []byte(valid[0]))
	f.Add(signed, "", ts, "1", "", "", "", []byte(`<xml><FromUserName>&#0;</FromUserName></xml>`))
	f.Add(signed, "", ts, "1", "", "", "", []byte(`<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><xml><FromUserName>&a;</FromUserName><MsgType>text</MsgType></xml>`))
	f.Add(byte(0), "bad", "-1", "", "raw", "bad", "", []byte("\x00\xff"))

	f.Fuzz(func(t *testing.T, mode byte, signature, timestamp, nonce, encryptType, msgSignature, echostr string, body []byte) {
		if mode&fzNow != 0 {
			timestamp = ts
		}
		if mode&fzSign != 0 {
			signature = cbSHA1Sorted(cbToken, timestamp, nonce)
		}
		if mode&fzSignMsg != 0 {
			var env struct {
				Encrypt string `xml:"Encrypt"`
			}
			_ = xml.Unmarshal(body, &env)
			msgSignature = cbSHA1Sorted(cbToken, timestamp, nonce, env.Encrypt)
		}
		q := url.Values{}
		for k, v := range map[string]string{
			"signature": signature, "timestamp": timestamp, "nonce": nonce,
			"encrypt_type": encryptType, "msg_signature": msgSignature, "echostr": echostr,
		} {
			if v != "" {
				q.Set(k, v)
			}
		}
		method := http.MethodPost
		if mode&fzGet != 0 {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, "/wechat/callback?"+q.Encode(), bytes.NewReader(body))
		if mode&fzJSON != 0 {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "text/xml")
		}
		if mode&fzNoLength != 0 {
			req.ContentLength = -1
		}
		w := s.serve(req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %q", method, req.URL.RawQuery, w.Code, w.Body)
		}
		if w.Code == http.StatusOK && method == http.MethodPost && w.Body.Len() == 0 {
			t.Fatalf("200 with an empty body")
		}
	})
}
