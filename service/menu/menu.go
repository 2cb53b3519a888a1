// Package menu loads config/menu.json: the custom menu pushed to WeChat,
// the replies to its CLICK keys, the welcome message and the keyword
// replies. Loading validates everything against WeChat's limits, so a bad
// file is rejected before anything reaches WeChat or a user.
package menu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/template"
	"text/template/parse"

	wxmenu "github.com/silenceper/wechat/v2/officialaccount/menu"
)

// WeChat's documented limits for the custom menu.
const (
	MaxButtons       = 3
	MaxSubButtons    = 5
	MaxTopNameBytes  = 16
	MaxSubNameBytes  = 60
	MaxKeyBytes      = 128
	MaxURLBytes      = 1024
	MaxTextReplySize = 2048 // bytes; WeChat cuts longer text replies
)

// File is the JSON layout of menu.json.
type File struct {
	Button       []Button  `json:"button"`
	Welcome      string    `json:"welcome"`
	DefaultReply string    `json:"default_reply"`
	Keywords     []Keyword `json:"keywords"`
}

// Button is a top-level button or a sub-button.
type Button struct {
	Type      string   `json:"type,omitempty"`
	Name      string   `json:"name"`
	Key       string   `json:"key,omitempty"`
	Path      string   `json:"path,omitempty"` // VIEW: path under YV_PUBLIC_URL
	URL       string   `json:"url,omitempty"`  // VIEW: absolute URL elsewhere
	Reply     string   `json:"reply,omitempty"`
	SubButton []Button `json:"sub_button,omitempty"`
}

// Keyword is a text-message auto reply.
type Keyword struct {
	Words []string `json:"words"`
	Match string   `json:"match,omitempty"` // "exact" (default) or "contains"
	Reply string   `json:"reply"`
}

// Menu is a validated, rendered menu.json.
type Menu struct {
	buttons      []*wxmenu.Button
	clicks       map[string]string
	views        map[string]string // url -> name, for logs
	welcome      string
	defaultReply string
	keywords     []Keyword
}

// ValidationError lists every problem found in a menu file.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "菜单配置有误:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Parse validates raw (menu.json) and renders its links under publicURL.
func Parse(raw []byte, publicURL string) (*Menu, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, &ValidationError{Problems: []string{"JSON 格式错误: " + err.Error()}}
	}
	// Anything after the object (a second object, a stray bracket left by a
	// bad merge) would otherwise be ignored silently.
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return nil, &ValidationError{Problems: []string{"JSON 格式错误: 文件在菜单对象之后还有多余内容"}}
	}
	base := strings.TrimRight(publicURL, "/")
	var v validator
	m := &Menu{clicks: map[string]string{}, views: map[string]string{}}
	render := func(where, text string) string {
		out, err := renderText(text, base)
		if err != nil {
			v.add("%s: 模板错误: %v", where, err)
			return ""
		}
		if len(out) > MaxTextReplySize {
			v.add("%s: 回复超过 %d 字节（当前 %d）", where, MaxTextReplySize, len(out))
		}
		return out
	}

	if n := len(f.Button); n == 0 || n > MaxButtons {
		v.add("一级菜单必须有 1–%d 个，当前 %d 个", MaxButtons, n)
	}
	for i, b := range f.Button {
		where := fmt.Sprintf("第 %d 个一级菜单「%s」", i+1, b.Name)
		v.name(where, b.Name, MaxTopNameBytes)
		if len(b.SubButton) > 0 {
			if b.Type != "" || b.Key != "" || b.Path != "" || b.URL != "" || b.Reply != "" {
				v.add("%s: 有子菜单的一级菜单不能再设置 type/key/path/url/reply", where)
			}
			if len(b.SubButton) > MaxSubButtons {
				v.add("%s: 子菜单最多 %d 个，当前 %d 个", where, MaxSubButtons, len(b.SubButton))
			}
			top := &wxmenu.Button{Name: b.Name}
			for j, sb := range b.SubButton {
				sw := fmt.Sprintf("%s 的第 %d 个子菜单「%s」", where, j+1, sb.Name)
				v.name(sw, sb.Name, MaxSubNameBytes)
				if len(sb.SubButton) > 0 {
					v.add("%s: 子菜单不能再有子菜单", sw)
				}
				top.SubButtons = append(top.SubButtons, m.leaf(&v, sw, sb, base, render))
			}
			m.buttons = append(m.buttons, top)
			continue
		}
		m.buttons = append(m.buttons, m.leaf(&v, where, b, base, render))
	}
	m.welcome = render("welcome", f.Welcome)
	if strings.TrimSpace(f.Welcome) == "" {
		v.add("welcome（关注欢迎语）不能为空")
	}
	m.defaultReply = render("default_reply", f.DefaultReply)
	if strings.TrimSpace(f.DefaultReply) == "" {
		v.add("default_reply（默认回复）不能为空")
	}
	seen := map[string]bool{}
	for i, k := range f.Keywords {
		where := fmt.Sprintf("第 %d 条关键词回复", i+1)
		if len(k.Words) == 0 {
			v.add("%s: words 不能为空", where)
		}
		switch k.Match {
		case "", "exact", "contains":
		default:
			v.add("%s: match 只能是 exact 或 contains，当前 %q", where, k.Match)
		}
		words := make([]string, len(k.Words))
		for j, w := range k.Words {
			w = normalize(w)
			words[j] = w // matched in this form (TextReply)
			if w == "" {
				v.add("%s: 关键词不能为空白", where)
			}
			if seen[w] {
				v.add("%s: 关键词「%s」重复", where, w)
			}
			seen[w] = true
		}
		if strings.TrimSpace(k.Reply) == "" {
			v.add("%s: reply 不能为空", where)
		}
		k.Reply = render(where, k.Reply)
		k.Words = words
		m.keywords = append(m.keywords, k)
	}
	if len(v.problems) > 0 {
		return nil, &ValidationError{Problems: v.problems}
	}
	return m, nil
}

func (m *Menu) leaf(v *validator, where string, b Button, base string, render func(string, string) string) *wxmenu.Button {
	out := &wxmenu.Button{Name: b.Name, Type: b.Type}
	switch b.Type {
	case "click":
		if b.Key == "" {
			v.add("%s: click 菜单必须设置 key", where)
		}
		if len(b.Key) > MaxKeyBytes {
			v.add("%s: key 超过 %d 字节", where, MaxKeyBytes)
		}
		if _, dup := m.clicks[b.Key]; dup && b.Key != "" {
			v.add("%s: key「%s」重复", where, b.Key)
		}
		if strings.TrimSpace(b.Reply) == "" {
			v.add("%s: click 菜单必须设置 reply（点击后的回复）", where)
		}
		m.clicks[b.Key] = render(where, b.Reply)
		out.Key = b.Key
	case "view":
		var u string
		switch {
		case b.Path != "" && b.URL != "":
			v.add("%s: path 和 url 只能设置一个", where)
		case b.Path != "":
			if !strings.HasPrefix(b.Path, "/") {
				v.add("%s: path 必须以 / 开头", where)
			}
			u = base + b.Path
		case b.URL != "":
			u = b.URL
		default:
			v.add("%s: view 菜单必须设置 path 或 url", where)
		}
		if u != "" {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				v.add("%s: 链接 %q 不是有效的 http(s) 地址", where, u)
			}
			if len(u) > MaxURLBytes {
				v.add("%s: 链接超过 %d 字节", where, MaxURLBytes)
			}
		}
		out.URL = u
		m.views[u] = b.Name
	case "":
		v.add("%s: 缺少 type（click 或 view），或者应当设置 sub_button", where)
	default:
		v.add("%s: 不支持的菜单类型 %q（只支持 click、view）", where, b.Type)
	}
	return out
}

type validator struct{ problems []string }

func (v *validator) add(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) name(where, name string, limit int) {
	switch {
	case strings.TrimSpace(name) == "":
		v.add("%s: 名称不能为空", where)
	case len(name) > limit:
		v.add("%s: 名称「%s」为 %d 字节，超过微信限制的 %d 字节（约 %d 个汉字）", where, name, len(name), limit, limit/3)
	}
}

// renderText renders a reply: plain text with {{url "/path"}} links.
// Nothing else of Go's template language is allowed: a loop
// ({{range 1000000000}}), a recursive {{template}} or a {{printf}} with a
// huge width would make rendering run or grow without bound, and serve
// renders every reply at start.
func renderText(text, base string) (string, error) {
	t, err := template.New("reply").Funcs(template.FuncMap{
		"url": func(path string) (string, error) {
			if !strings.HasPrefix(path, "/") {
				return "", errors.New("url 的参数必须以 / 开头")
			}
			return base + path, nil
		},
	}).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	if len(t.Templates()) > 1 {
		return "", errUnsupportedTemplate
	}
	if t.Tree != nil && !onlyLinks(t.Root) {
		return "", errUnsupportedTemplate
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

var errUnsupportedTemplate = errors.New(`只支持 {{url "/路径"}} 形式的链接，不支持其他模板语法（range、template、define、printf 等）`)

// onlyLinks reports whether a parsed reply holds nothing but text,
// comments and {{url "..."}} actions.
func onlyLinks(list *parse.ListNode) bool {
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode, *parse.CommentNode:
		case *parse.ActionNode:
			if !isURLCall(n.Pipe) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isURLCall: a pipeline of one command, url with one string argument.
func isURLCall(p *parse.PipeNode) bool {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 2 {
		return false
	}
	fn, ok := p.Cmds[0].Args[0].(*parse.IdentifierNode)
	if !ok || fn.Ident != "url" {
		return false
	}
	_, ok = p.Cmds[0].Args[1].(*parse.StringNode)
	return ok
}

func normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Buttons returns the menu in WeChat's menu/create form.
func (m *Menu) Buttons() []*wxmenu.Button { return m.buttons }

// ClickReply returns the reply to a CLICK key.
func (m *Menu) ClickReply(key string) (string, bool) {
	r, ok := m.clicks[key]
	return r, ok
}

// Welcome is the reply to a new follower.
func (m *Menu) Welcome() string { return m.welcome }

// TextReply answers a text message: the first matching keyword reply, or
// the default reply.
func (m *Menu) TextReply(text string) string {
	t := normalize(text)
	for _, k := range m.keywords {
		for _, w := range k.Words { // normalized when loaded
			if t == w || (k.Match == "contains" && strings.Contains(t, w)) {
				return k.Reply
			}
		}
	}
	return m.defaultReply
}
