package wechat

import (
	"encoding/xml"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// silenceperTextReply is what silenceper's server (buildResponse) sends
// for a text reply: the setters it calls by reflection, then xml.Marshal.
func silenceperTextReply(t testing.TB, user, account string, createTime int64, content string) []byte {
	t.Helper()
	txt := message.NewText(content)
	txt.SetToUserName(message.CDATA(user))
	txt.SetFromUserName(message.CDATA(account))
	txt.SetMsgType(message.MsgTypeText)
	txt.SetCreateTime(createTime)
	raw, err := xml.Marshal(txt)
	if err != nil {
		t.Fatalf("xml.Marshal: %v", err)
	}
	return raw
}

func TestTextReplyXMLMatchesSilenceper(t *testing.T) {
	for _, tc := range []struct {
		name, user, account, content string
		ts                           int64
	}{
		{"welcome", "oUser000000000000000000001", "gh_0123456789ab", "欢迎关注广东青年之声！\n点击<a href=\"https://yv.example.cn/h5/\">主页</a>", 1764000000},
		{"markup and entities", "o1", "gh_1", `<b>&amp; "q" 'a'</b> & < >`, 1},
		{"CDATA terminator", "o]]>1", "gh_]]>", "a]]>b]]>]]>c]]", 1764000000},
		{"empty names", "", "", "x", 0},
		{"negative time", "o", "g", "x", -5},
		{"control characters", "o", "g", "a\x00b\x1fc\r\n\t", 9},
		{"invalid UTF-8", "o\xff", "g", "\xfe\xff中文", 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := silenceperTextReply(t, tc.user, tc.account, tc.ts, tc.content)
			if got := appendTextReplyXML(nil, tc.user, tc.account, tc.ts, tc.content); string(got) != string(want) {
				t.Fatalf("reply XML differs from silenceper's\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// FuzzTextReplyXML holds the hand-built reply equal to silenceper's for
// any names, time and content.
func FuzzTextReplyXML(f *testing.F) {
	f.Add("oUser", "gh_1", int64(1764000000), "帮助]]>")
	f.Add("", "", int64(0), "")
	f.Fuzz(func(t *testing.T, user, account string, ts int64, content string) {
		want := silenceperTextReply(t, user, account, ts, content)
		if got := appendTextReplyXML(nil, user, account, ts, content); string(got) != string(want) {
			t.Fatalf("reply XML differs from silenceper's\n got: %q\nwant: %q", got, want)
		}
	})
}
