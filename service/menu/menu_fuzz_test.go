package menu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/service/menu"
)

// FuzzParse feeds arbitrary menu files (JSON, with text templates in the
// replies) to the validator behind `menu sync` and serve: it never
// panics, a refused file names at least one problem, and an accepted one
// is within WeChat's limits and answers any text.
func FuzzParse(f *testing.F) {
	f.Add(config.DefaultMenu, "你好")
	f.Add([]byte(`{"button":[{"name":"主页","type":"view","path":"/h5/home"}],"welcome":"欢迎","default_reply":"请点击菜单"}`), "主页")
	f.Add([]byte(`{"button":[{"name":"帮助","type":"click","key":"HELP","reply":"{{.Base}}/h5"}],"welcome":"{{","default_reply":"x"}`), "帮助")
	f.Add([]byte(`{"button":[],"welcome":"","default_reply":""} {}`), "")
	f.Add([]byte(`{"button":[{"name":"a","sub_button":[{"name":"b","sub_button":[{"name":"c"}]}]}]}`), "b")
	f.Fuzz(func(t *testing.T, raw []byte, text string) {
		m, err := menu.Parse(raw, publicURL)
		if err != nil {
			var ve *menu.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("refused without a problem: %v", err)
			}
			return
		}
		buttons := m.Buttons()
		if len(buttons) == 0 || len(buttons) > menu.MaxButtons {
			t.Fatalf("accepted %d top-level buttons", len(buttons))
		}
		for _, b := range buttons {
			if b.Name == "" || len(b.Name) > menu.MaxTopNameBytes {
				t.Fatalf("accepted top-level name %q", b.Name)
			}
			if len(b.SubButtons) > menu.MaxSubButtons {
				t.Fatalf("accepted %d sub-buttons under %q", len(b.SubButtons), b.Name)
			}
			for _, sb := range b.SubButtons {
				if sb.Name == "" || len(sb.Name) > menu.MaxSubNameBytes || len(sb.SubButtons) > 0 {
					t.Fatalf("accepted sub-button %+v", sb)
				}
			}
		}
		if strings.TrimSpace(m.Welcome()) == "" {
			t.Fatal("accepted an empty welcome")
		}
		if r := m.TextReply(text); strings.TrimSpace(r) == "" || len(r) > menu.MaxTextReplySize {
			t.Fatalf("reply to %q is %d bytes: %q", text, len(r), r)
		}
	})
}
