package wechat

import (
	"strconv"
	"strings"
)

// appendTextReplyXML appends to b the passive text reply to a push from
// user to account: byte for byte what silenceper's server builds for a message.Text reply
// (xml.Marshal of the struct after its reflective setters), without the
// reflection and the encoder. On the callback's hot path that build cost
// as much as parsing the push; TestTextReplyXMLMatchesSilenceper and its
// fuzz target hold the two outputs equal.
func appendTextReplyXML(b []byte, user, account string, createTime int64, content string) []byte {
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, user)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, account)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, createTime, 10)
	b = append(b, "</CreateTime><MsgType>text</MsgType><Content>"...)
	b = appendCDATA(b, content)
	return append(b, "</Content></xml>"...)
}

// appendCDATA writes s as encoding/xml does for a ",cdata" field: nothing
// when empty, otherwise one CDATA section, split wherever s contains "]]>".
func appendCDATA(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		b = append(b, before...)
		b = append(b, "]]]]><![CDATA[>"...)
		s = after
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}
