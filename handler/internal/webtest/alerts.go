package webtest

import (
	"encoding/json"
	"testing"
)

type SentTemplate struct {
	ToUser      string `json:"touser"`
	TemplateID  string `json:"template_id"`
	URL         string `json:"url"`
	ClientMsgID string `json:"client_msg_id"`
	Data        map[string]struct {
		Value string `json:"value"`
	} `json:"data"`
}

// Inbox lists the template messages the fake WeChat accepted for openid.
func Inbox(t *testing.T, openid string) []SentTemplate {
	t.Helper()
	var out []SentTemplate
	for _, c := range Fake().CallsTo("/cgi-bin/message/template/send") {
		if c.ErrCode != 0 {
			continue
		}
		var m SentTemplate
		if err := json.Unmarshal([]byte(c.Body), &m); err != nil {
			t.Fatalf("template body: %v", err)
		}
		if m.ToUser == openid {
			out = append(out, m)
		}
	}
	return out
}

func WithTemplate(ms []SentTemplate, id string) []SentTemplate {
	var out []SentTemplate
	for _, m := range ms {
		if m.TemplateID == id {
			out = append(out, m)
		}
	}
	return out
}
