package service_test

import (
	"testing"

	"github.com/gdyouth/youthvoice/service"
)

func TestCleanText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "奖学金什么时候申请？", "奖学金什么时候申请？"},
		{"trimmed", "  \t标题\u3000\n", "标题"},
		{"line breaks normalised", "第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"},
		{"inner tab and newline kept", "甲\t乙\n丙", "甲\t乙\n丙"},
		{"control characters dropped", "a\x00b\x1bc\x7f", "abc"},
		{"invalid UTF-8 dropped", "ok\xffok", "okok"},
		{"zero-width only is empty", "\u200b\u200b\u200b", ""},
		{"bidi override and zero-width dropped", "\u202e\u200b张三\u200d", "张三"},
		{"BOM and word joiner dropped", "\ufeff标\u2060题", "标题"},
		{"blank letters dropped", "\u3164\u2800\uffa0", ""},
		{"emoji kept", "谢谢👍", "谢谢👍"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := service.CleanText(tc.in); got != tc.want {
				t.Fatalf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleanLine(t *testing.T) {
	if got := service.CleanLine(" 甲  乙\n\n丙\u200b "); got != "甲 乙 丙" {
		t.Fatalf("CleanLine = %q", got)
	}
}
