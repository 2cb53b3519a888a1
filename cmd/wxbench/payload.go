package main

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What every benchmark request carries: a plaintext text message from one
// of a pool of senders, with a MsgId never sent before, signed as WeChat
// signs its pushes (sha1 over the sorted token, timestamp and nonce).

const (
	toUser = "gh_sandbox0000"
	// MsgIds are kept below 2^53 so that wrk's LuaJIT (doubles) computes
	// them exactly: base + thread*threadSpan + counter.
	msgIDMin   = 1_000_000_000_000_000
	msgIDRange = 7_000_000_000_000_000
	threadSpan = 100_000_000_000
)

// contents are the texts sent, cycling: keyword replies and the default.
var contents = []string{"你好", "帮助", "我想预约青年之家的服务", "激活", "请问怎么提问？"}

// signature is WeChat's: sha1 of the sorted strings, hex.
func signature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	h := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(h[:])
}

// signedQueries returns n query strings signed with token at now.
func signedQueries(token string, n int, now time.Time) []string {
	ts := strconv.FormatInt(now.Unix(), 10)
	out := make([]string, n)
	for i := range out {
		nonce := strconv.FormatUint(randUint64()%10_000_000_000, 10)
		out[i] = "timestamp=" + ts + "&nonce=" + nonce + "&signature=" + signature(token, ts, nonce)
	}
	return out
}

// senderID names sender i of the pool (an openid-like string).
func senderID(i int) string { return fmt.Sprintf("obench_%06d_sender", i) }

// textMessage is WeChat's plaintext push of a user's text message.
func textMessage(from string, createTime int64, content string, msgID int64) string {
	return "<xml><ToUserName><![CDATA[" + toUser + "]]></ToUserName><FromUserName><![CDATA[" + from +
		"]]></FromUserName><CreateTime>" + strconv.FormatInt(createTime, 10) +
		"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + content +
		"]]></Content><MsgId>" + strconv.FormatInt(msgID, 10) + "</MsgId></xml>"
}

// A text reply says so: silenceper writes the type without CDATA, WeChat's
// documentation with it.
const (
	textReplyMarker      = "<MsgType>text</MsgType>"
	textReplyMarkerCDATA = "<MsgType><![CDATA[text]]></MsgType>"
)

func isTextReply(body []byte) bool {
	s := string(body)
	return strings.Contains(s, textReplyMarker) || strings.Contains(s, textReplyMarkerCDATA)
}

// isTextReplyTo reports whether body is a text reply addressed to from.
func isTextReplyTo(body []byte, from string) bool {
	return isTextReply(body) && strings.Contains(string(body), "<ToUserName><![CDATA["+from+"]]></ToUserName>")
}

// newMsgIDBase picks a random base for one run's MsgIds, so that runs
// never repeat a MsgId still remembered by the dedupe store.
func newMsgIDBase() int64 {
	b := int64(randUint64() % msgIDRange)
	b -= b % threadSpan
	return msgIDMin + b
}

func randUint64() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return binary.LittleEndian.Uint64(b[:])
}
