package config_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/retention"
)

// env builds a getenv from a map.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A complete set of (fake) WeChat credentials.
var creds = map[string]string{
	"YV_WECHAT_APPID":   "wx1234567890abcdef",
	"YV_WECHAT_SECRET":  "app-secret-0123456789abcdef",
	"YV_WECHAT_TOKEN":   "callback-token-xyz",
	"YV_WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	want := config.Config{
		Addr:               ":8080",
		DataDir:            "./data",
		PublicURL:          "http://localhost:8080",
		LogLevel:           "info",
		TrustedProxies:     []string{"127.0.0.1", "::1"},
		LoginIPFailures:    100,
		AuditRetentionDays: 180,
		AdminLogin:         "password",
		AdminIdleTimeout:   30 * time.Minute,
		GCPercent:          400,
		ReportTimeout:      10 * time.Second,
		MemoryLimitMiB:     100,
		WeChat: config.WeChat{
			APIBase:      "https://api.weixin.qq.com",
			DedupeTTL:    10 * time.Minute,
			MaxClockSkew: 5 * time.Minute,
		},
		S3: config.S3{UseSSL: true},
		HTTP: config.HTTP{
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    15 * time.Second,
			IdleTimeout:     60 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		Alerts: config.Alerts{Workers: 32, Batch: 100, PollInterval: time.Second, Templates: config.Templates{
			alertkind.QuestionNew:        {Fields: map[string]string{"title": "thing1", "board": "thing2", "time": "time3"}},
			alertkind.Answered:           {Fields: map[string]string{"title": "thing1", "answerer": "thing2", "time": "time3"}},
			alertkind.FollowUp:           {Fields: map[string]string{"title": "thing1", "content": "thing2", "time": "time3"}},
			alertkind.Reminder:           {Fields: map[string]string{"title": "thing1", "board": "thing2", "due": "time3"}},
			alertkind.Overdue:            {Fields: map[string]string{"title": "thing1", "university": "thing2", "due": "time3"}},
			alertkind.ApplicationDecided: {Fields: map[string]string{"result": "phrase1", "reason": "thing2", "time": "time3"}},
			alertkind.Moderated:          {Fields: map[string]string{"title": "thing1", "result": "phrase2", "reason": "thing3"}},
			alertkind.BookingNew:         {Fields: map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"}},
			alertkind.BookingReply:       {Fields: map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"}},
			alertkind.BookingReminder:    {Fields: map[string]string{"service": "thing1", "slot": "thing2", "due": "time3"}},
			alertkind.BookingEscalated:   {Fields: map[string]string{"station": "thing1", "service": "thing2", "due": "time3"}},
			alertkind.Appointment:        {Fields: map[string]string{"service": "thing1", "time": "time2", "place": "thing3"}},
			alertkind.BookingServed:      {Fields: map[string]string{"service": "thing1", "result": "thing2"}},
			alertkind.BookingReferral:    {Fields: map[string]string{"title": "thing1", "service": "thing2", "station": "thing3"}},
			alertkind.BookingChanged:     {Fields: map[string]string{"service": "thing1", "result": "phrase2", "detail": "thing3"}},
			alertkind.RoleChanged:        {Fields: map[string]string{"role": "thing1", "result": "phrase2", "reason": "thing3", "time": "time4"}},
			alertkind.OnboardingReminder: {Fields: map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"}},
			alertkind.OnboardingLate:     {Fields: map[string]string{"university": "thing1", "missing": "thing2", "due": "time3"}},
			alertkind.Notice:             {Fields: map[string]string{"title": "thing1", "time": "time2"}},
			alertkind.PasswordChanged:    {Fields: map[string]string{"how": "thing1", "time": "time2"}},
			alertkind.QuestionWithdrawn:  {Fields: map[string]string{"title": "thing1", "board": "thing2", "time": "time3"}},
		}},
		Retention: config.Retention{InteractionDays: 400, MessageDays: 180},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults =\n%+v\nwant\n%+v", cfg, want)
	}
	if cfg.Real() {
		t.Error("Real() with no credentials = true; the default must be the sandbox")
	}
	if cfg.HTTPS() {
		t.Error("HTTPS() for http://localhost:8080 = true")
	}
	// A nil getenv reads no environment.
	if _, err := config.Load("", nil); err != nil {
		t.Fatalf("Load with nil getenv: %v", err)
	}
}

func TestYAMLAndEnvPrecedence(t *testing.T) {
	file := writeFile(t, `
addr: ":9000"
data_dir: /var/lib/yaml
public_url: https://yaml.example.org/
log_level: warn
redis_addr: redis-yaml:6379
redis_db: 3
wechat:
  appid: wxyaml
  secret: yaml-secret
  token: yaml-token
  dedupe_ttl: 2m
http:
  shutdown_timeout: 7s
`)
	cfg, err := config.Load(file, env(map[string]string{
		"YV_ADDR":                  ":9100",
		"YV_REDIS_DB":              "5",
		"YV_WECHAT_TOKEN":          "env-token",
		"YV_HTTP_SHUTDOWN_TIMEOUT": "3s",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"addr (env wins)", cfg.Addr, ":9100"},
		{"redis_db (env wins)", cfg.RedisDB, 5},
		{"wechat.token (env wins)", cfg.WeChat.Token, "env-token"},
		{"http.shutdown_timeout (env wins)", cfg.HTTP.ShutdownTimeout, 3 * time.Second},
		{"data_dir (from YAML)", cfg.DataDir, "/var/lib/yaml"},
		{"public_url (from YAML, slash trimmed)", cfg.PublicURL, "https://yaml.example.org"},
		{"log_level (from YAML)", cfg.LogLevel, "warn"},
		{"redis_addr (from YAML)", cfg.RedisAddr, "redis-yaml:6379"},
		{"wechat.appid (from YAML)", cfg.WeChat.AppID, "wxyaml"},
		{"wechat.dedupe_ttl (from YAML)", cfg.WeChat.DedupeTTL, 2 * time.Minute},
		{"http.read_timeout (default)", cfg.HTTP.ReadTimeout, 10 * time.Second},
		{"wechat.api_base (default)", cfg.WeChat.APIBase, config.DefaultAPIBase},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if !cfg.Real() || !cfg.HTTPS() {
		t.Errorf("Real() = %v, HTTPS() = %v; want both true", cfg.Real(), cfg.HTTPS())
	}
}

func TestEveryEnvName(t *testing.T) {
	cases := []struct {
		name, value string
		get         func(config.Config) any
		want        any
	}{
		{"YV_ADDR", "127.0.0.1:9999", func(c config.Config) any { return c.Addr }, "127.0.0.1:9999"},
		{"YV_DATA_DIR", "/srv/yv", func(c config.Config) any { return c.DataDir }, "/srv/yv"},
		{"YV_MYSQL_DSN", "yv:pw@tcp(db:3306)/youthvoice?parseTime=true", func(c config.Config) any { return c.MySQLDSN }, "yv:pw@tcp(db:3306)/youthvoice?parseTime=true"},
		{"YV_REPORT_TIMEOUT", "5s", func(c config.Config) any { return c.ReportTimeout }, 5 * time.Second},
		{"YV_REDIS_ADDR", "redis:6379", func(c config.Config) any { return c.RedisAddr }, "redis:6379"},
		{"YV_REDIS_PASSWORD", "rpw", func(c config.Config) any { return c.RedisPassword }, "rpw"},
		{"YV_REDIS_DB", "15", func(c config.Config) any { return c.RedisDB }, 15},
		{"YV_REDIS_MASTER_NAME", "yvmaster", func(c config.Config) any { return c.RedisMasterName }, "yvmaster"},
		{"YV_REDIS_SENTINEL_PASSWORD", "spw", func(c config.Config) any { return c.RedisSentinelPassword }, "spw"},
		{"YV_REDIS_CLUSTER", "true", func(c config.Config) any { return c.RedisCluster }, true},
		{"YV_PUBLIC_URL", "https://wx.example.org", func(c config.Config) any { return c.PublicURL }, "https://wx.example.org"},
		{"YV_LOG_LEVEL", "debug", func(c config.Config) any { return c.LogLevel }, "debug"},
		{"YV_MENU_FILE", "/etc/yv/menu.json", func(c config.Config) any { return c.MenuFile }, "/etc/yv/menu.json"},
		{"YV_WECHAT_APPID", "wxother", func(c config.Config) any { return c.WeChat.AppID }, "wxother"},
		{"YV_WECHAT_SECRET", "other-secret", func(c config.Config) any { return c.WeChat.Secret }, "other-secret"},
		{"YV_WECHAT_TOKEN", "other-token", func(c config.Config) any { return c.WeChat.Token }, "other-token"},
		{"YV_WECHAT_AES_KEY", "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg", func(c config.Config) any { return c.WeChat.AESKey }, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg"},
		{"YV_WECHAT_API_BASE", "http://127.0.0.1:9/", func(c config.Config) any { return c.WeChat.APIBase }, "http://127.0.0.1:9"},
		{"YV_WECHAT_REQUIRE_AES", "true", func(c config.Config) any { return c.WeChat.RequireAES }, true},
		{"YV_WECHAT_DEDUPE_TTL", "30m", func(c config.Config) any { return c.WeChat.DedupeTTL }, 30 * time.Minute},
		{"YV_WECHAT_MAX_CLOCK_SKEW", "90s", func(c config.Config) any { return c.WeChat.MaxClockSkew }, 90 * time.Second},
		{"YV_HTTP_READ_TIMEOUT", "1s", func(c config.Config) any { return c.HTTP.ReadTimeout }, time.Second},
		{"YV_HTTP_WRITE_TIMEOUT", "20s", func(c config.Config) any { return c.HTTP.WriteTimeout }, 20 * time.Second},
		{"YV_HTTP_IDLE_TIMEOUT", "3s", func(c config.Config) any { return c.HTTP.IdleTimeout }, 3 * time.Second},
		{"YV_HTTP_SHUTDOWN_TIMEOUT", "4s", func(c config.Config) any { return c.HTTP.ShutdownTimeout }, 4 * time.Second},
		{"YV_SENSITIVE_WORDS_FILE", "/etc/yv/words.txt", func(c config.Config) any { return c.SensitiveWordsFile }, "/etc/yv/words.txt"},
		{"YV_STATION_YEAR", "2026", func(c config.Config) any { return c.StationYear }, 2026},
		{"YV_LOGIN_IP_FAILURES", "300", func(c config.Config) any { return c.LoginIPFailures }, 300},
		{"YV_AUDIT_RETENTION_DAYS", "400", func(c config.Config) any { return c.AuditRetentionDays }, 400},
		{"YV_ADMIN_LOGIN", "scan", func(c config.Config) any { return c.AdminLogin }, "scan"},
		{"YV_ADMIN_IDLE_TIMEOUT", "45m", func(c config.Config) any { return c.AdminIdleTimeout }, 45 * time.Minute},
		{"YV_GC_PERCENT", "200", func(c config.Config) any { return c.GCPercent }, 200},
		{"YV_MEMORY_LIMIT_MIB", "512", func(c config.Config) any { return c.MemoryLimitMiB }, 512},
		{"YV_MEMORY_LIMIT_MIB", "0", func(c config.Config) any { return c.MemoryLimitMiB }, 0},
		{"YV_ALERT_WORKERS", "3", func(c config.Config) any { return c.Alerts.Workers }, 3},
		{"YV_ALERT_BATCH", "20", func(c config.Config) any { return c.Alerts.Batch }, 20},
		{"YV_INTERACTION_RETENTION_DAYS", "730", func(c config.Config) any { return c.Retention.InteractionDays }, 730},
		{"YV_MESSAGE_RETENTION_DAYS", "365", func(c config.Config) any { return c.Retention.MessageDays }, 365},
		{"YV_ALERT_POLL_INTERVAL", "250ms", func(c config.Config) any { return c.Alerts.PollInterval }, 250 * time.Millisecond},
		{"YV_TEMPLATE_ANSWERED_ID", "tmplAnswered", func(c config.Config) any { return c.Alerts.Templates[alertkind.Answered].ID }, "tmplAnswered"},
		{"YV_TEMPLATE_OVERDUE_FIELDS", "title=thing4, due=time5", func(c config.Config) any { return c.Alerts.Templates[alertkind.Overdue].Fields },
			map[string]string{"title": "thing4", "due": "time5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Credentials are all set so a single one never reads as partial,
			// and the Redis options get the address they qualify.
			e := with(creds, tc.name, tc.value)
			if strings.HasPrefix(tc.name, "YV_REDIS_") && tc.name != "YV_REDIS_ADDR" {
				e = with(e, "YV_REDIS_ADDR", "redis:6379")
			}
			cfg, err := config.Load("", env(e))
			if err != nil {
				t.Fatalf("Load with %s=%q: %v", tc.name, tc.value, err)
			}
			if got := tc.get(cfg); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%s=%q gave %v, want %v", tc.name, tc.value, got, tc.want)
			}
			// Guard against a test value that would pass without the variable.
			if got := tc.get(config.Default()); reflect.DeepEqual(got, tc.want) {
				t.Fatalf("test value for %s equals the default; it proves nothing", tc.name)
			}
		})
	}
	// Surrounding blanks (a common .env mistake) are ignored.
	cfg, err := config.Load("", env(map[string]string{"YV_ADDR": " :7000 \n"}))
	if err != nil || cfg.Addr != ":7000" {
		t.Fatalf("YV_ADDR with blanks: %q, %v", cfg.Addr, err)
	}
}

// TestYAMLTemplateFieldsReplaceTheDefault: a template's fields given in
// the file are its whole mapping, as with YV_TEMPLATE_*_FIELDS; the
// default's other fields do not linger (they could claim a keyword the
// operator gave to another field).
func TestYAMLTemplateFieldsReplaceTheDefault(t *testing.T) {
	file := writeFile(t, `
alerts:
  templates:
    answered:
      fields: {title: thing2, time: time4}
    overdue:
      id: T_OVERDUE
      fields:
`)
	cfg, err := config.Load(file, env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := cfg.Alerts.Templates[alertkind.Answered].Fields, map[string]string{"title": "thing2", "time": "time4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("answered fields = %v, want exactly %v", got, want)
	}
	if got := cfg.Alerts.Templates[alertkind.Overdue]; got.ID != "T_OVERDUE" || !reflect.DeepEqual(got.Fields, config.Default().Alerts.Templates[alertkind.Overdue].Fields) {
		t.Errorf("overdue = %+v, want id T_OVERDUE with the default fields (not in the file)", got)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		file string
		want []string // fragments of the error
	}{
		{"unparsable YV_MYSQL_DSN", map[string]string{"YV_MYSQL_DSN": "not a dsn"}, "", []string{"YV_MYSQL_DSN", "无法解析"}},
		{"YV_MYSQL_DSN without database", map[string]string{"YV_MYSQL_DSN": "yv:pw@tcp(db:3306)/"}, "", []string{"YV_MYSQL_DSN", "数据库名"}},
		{"YV_MYSQL_REPLICA_DSN without YV_MYSQL_DSN", map[string]string{"YV_MYSQL_REPLICA_DSN": "yv:pw@tcp(replica:3306)/youthvoice"}, "", []string{"YV_MYSQL_REPLICA_DSN", "YV_MYSQL_DSN"}},
		{"unparsable YV_MYSQL_REPLICA_DSN", map[string]string{"YV_MYSQL_DSN": "yv:pw@tcp(db:3306)/youthvoice", "YV_MYSQL_REPLICA_DSN": "not a dsn"}, "", []string{"YV_MYSQL_REPLICA_DSN", "无法解析"}},
		{"YV_MYSQL_REPLICA_DSN without database", map[string]string{"YV_MYSQL_DSN": "yv:pw@tcp(db:3306)/youthvoice", "YV_MYSQL_REPLICA_DSN": "yv:pw@tcp(replica:3306)/"}, "", []string{"YV_MYSQL_REPLICA_DSN", "数据库名"}},
		{"YV_REPORT_TIMEOUT unparsable", map[string]string{"YV_REPORT_TIMEOUT": "ten seconds"}, "", []string{"YV_REPORT_TIMEOUT", "ten seconds"}},
		{"YV_REPORT_TIMEOUT under a second", map[string]string{"YV_REPORT_TIMEOUT": "500ms"}, "", []string{"YV_REPORT_TIMEOUT", "1s–10m"}},
		{"YV_REPORT_TIMEOUT not under the write timeout", map[string]string{"YV_REPORT_TIMEOUT": "30s"}, "", []string{"YV_REPORT_TIMEOUT", "YV_HTTP_WRITE_TIMEOUT", "15s"}},
		{"report_timeout over 10m in YAML", nil, "report_timeout: 1h\nhttp:\n  write_timeout: 2h\n", []string{"YV_REPORT_TIMEOUT", "1h0m0s"}},
		{"YV_STATION_YEAR of 1999", map[string]string{"YV_STATION_YEAR": "1999"}, "", []string{"YV_STATION_YEAR", "2016–2100"}},
		{"YV_LOGIN_IP_FAILURES of 4", map[string]string{"YV_LOGIN_IP_FAILURES": "4"}, "", []string{"YV_LOGIN_IP_FAILURES", "5–100000"}},
		{"YV_AUDIT_RETENTION_DAYS under six months", map[string]string{"YV_AUDIT_RETENTION_DAYS": "179"}, "", []string{"YV_AUDIT_RETENTION_DAYS", "180", "六个月", "179"}},
		{"audit_retention_days of 90 in YAML", nil, "audit_retention_days: 90\n", []string{"YV_AUDIT_RETENTION_DAYS", "180"}},
		{"YV_ADMIN_LOGIN of qr", map[string]string{"YV_ADMIN_LOGIN": "qr"}, "", []string{"YV_ADMIN_LOGIN", "password", "scan", "qr"}},
		{"admin_login of both in YAML", nil, "admin_login: both\n", []string{"YV_ADMIN_LOGIN", "both"}},
		{"YV_ADMIN_IDLE_TIMEOUT of 1m", map[string]string{"YV_ADMIN_IDLE_TIMEOUT": "1m"}, "", []string{"YV_ADMIN_IDLE_TIMEOUT", "5m–168h"}},
		{"YV_ADMIN_IDLE_TIMEOUT of 30 days", map[string]string{"YV_ADMIN_IDLE_TIMEOUT": "720h"}, "", []string{"YV_ADMIN_IDLE_TIMEOUT", "720h"}},
		{"YV_GC_PERCENT of -1", map[string]string{"YV_GC_PERCENT": "-1"}, "", []string{"YV_GC_PERCENT", "50–2000", "GOGC=off"}},
		{"gc_percent of 5000 in YAML", nil, "gc_percent: 5000\n", []string{"YV_GC_PERCENT", "5000"}},
		{"YV_MEMORY_LIMIT_MIB of 10", map[string]string{"YV_MEMORY_LIMIT_MIB": "10"}, "", []string{"YV_MEMORY_LIMIT_MIB", "64–1048576", "0"}},
		{"YV_ALERT_WORKERS of 0", map[string]string{"YV_ALERT_WORKERS": "0"}, "", []string{"YV_ALERT_WORKERS", "1–64"}},
		{"YV_INTERACTION_RETENTION_DAYS of 365", map[string]string{"YV_INTERACTION_RETENTION_DAYS": "365"}, "", []string{"YV_INTERACTION_RETENTION_DAYS", "366–3650", "至少保留一年"}},
		{"YV_MESSAGE_RETENTION_DAYS of 7", map[string]string{"YV_MESSAGE_RETENTION_DAYS": "7"}, "", []string{"YV_MESSAGE_RETENTION_DAYS", "30–3650"}},
		{"YV_ALERT_BATCH not a number", map[string]string{"YV_ALERT_BATCH": "many"}, "", []string{"YV_ALERT_BATCH", "整数"}},
		{"YV_TEMPLATE_ANSWERED_FIELDS without =", map[string]string{"YV_TEMPLATE_ANSWERED_FIELDS": "title"}, "", []string{"YV_TEMPLATE_ANSWERED_FIELDS", "字段=关键词"}},
		{"template keyword with a space", map[string]string{"YV_TEMPLATE_ANSWERED_FIELDS": "title=thing 1"}, "", []string{"answered", "thing 1"}},
		{"two fields on one keyword", map[string]string{"YV_TEMPLATE_ANSWERED_FIELDS": "title=thing2,answerer=thing2,time=time3"}, "", []string{"answered", "answerer", "title", "thing2"}},
		{"two fields on one keyword in YAML", nil, "alerts:\n  templates:\n    overdue:\n      fields: {title: thing1, university: thing1, due: time3}\n", []string{"overdue", "thing1"}},
		{"YV_WECHAT_AES_KEY of 10 chars", with(creds, "YV_WECHAT_AES_KEY", "0123456789"), "", []string{"YV_WECHAT_AES_KEY", "43", "10"}},
		{"YV_WECHAT_AES_KEY of 44 chars", with(creds, "YV_WECHAT_AES_KEY", strings.Repeat("a", 44)), "", []string{"YV_WECHAT_AES_KEY", "43"}},
		{"YV_WECHAT_AES_KEY with symbols", with(creds, "YV_WECHAT_AES_KEY", strings.Repeat("a", 42)+"="), "", []string{"YV_WECHAT_AES_KEY"}},
		{"YV_WECHAT_REQUIRE_AES not a bool", with(creds, "YV_WECHAT_REQUIRE_AES", "是"), "", []string{"YV_WECHAT_REQUIRE_AES", "true 或 false"}},
		{"YV_WECHAT_REQUIRE_AES without a key", with(creds, "YV_WECHAT_REQUIRE_AES", "true", "YV_WECHAT_AES_KEY", ""), "", []string{"YV_WECHAT_REQUIRE_AES", "YV_WECHAT_AES_KEY"}},
		{"YV_REDIS_DB not a number", map[string]string{"YV_REDIS_DB": "one"}, "", []string{"YV_REDIS_DB", `"one"`}},
		{"YV_REDIS_DB out of range", map[string]string{"YV_REDIS_DB": "16"}, "", []string{"YV_REDIS_DB", "0–15"}},
		{"redis_db out of range in YAML", nil, "redis_db: 99\n", []string{"YV_REDIS_DB"}},
		{"YV_REDIS_MASTER_NAME without an address", map[string]string{"YV_REDIS_MASTER_NAME": "yvmaster"}, "", []string{"YV_REDIS_MASTER_NAME", "YV_REDIS_ADDR"}},
		{"YV_REDIS_ADDR list with a bad address", map[string]string{"YV_REDIS_ADDR": "10.0.0.1:26379,sentinel-b"}, "", []string{"YV_REDIS_ADDR", "sentinel-b", "host:port"}},
		{"sentinel and cluster at once", map[string]string{"YV_REDIS_ADDR": "a:26379,b:26379", "YV_REDIS_MASTER_NAME": "m", "YV_REDIS_CLUSTER": "true"}, "", []string{"YV_REDIS_MASTER_NAME", "YV_REDIS_CLUSTER"}},
		{"cluster with a database number", map[string]string{"YV_REDIS_ADDR": "a:6379,b:6379", "YV_REDIS_DB": "2"}, "", []string{"Cluster", "YV_REDIS_DB", "YV_REDIS_MASTER_NAME"}},
		{"YV_REDIS_CLUSTER not a bool", map[string]string{"YV_REDIS_ADDR": "a:6379", "YV_REDIS_CLUSTER": "yes please"}, "", []string{"YV_REDIS_CLUSTER"}},
		{"YV_PUBLIC_URL without scheme", map[string]string{"YV_PUBLIC_URL": "wx.example.org"}, "", []string{"YV_PUBLIC_URL"}},
		{"YV_PUBLIC_URL with a path", map[string]string{"YV_PUBLIC_URL": "https://wx.example.org/h5"}, "", []string{"YV_PUBLIC_URL"}},
		{"YV_PUBLIC_URL ftp", map[string]string{"YV_PUBLIC_URL": "ftp://wx.example.org"}, "", []string{"YV_PUBLIC_URL"}},
		{"YV_LOG_LEVEL", map[string]string{"YV_LOG_LEVEL": "verbose"}, "", []string{"YV_LOG_LEVEL", "verbose"}},
		{"YV_WECHAT_API_BASE", map[string]string{"YV_WECHAT_API_BASE": "api.weixin.qq.com"}, "", []string{"YV_WECHAT_API_BASE"}},
		{"YV_WECHAT_DEDUPE_TTL too short", map[string]string{"YV_WECHAT_DEDUPE_TTL": "10s"}, "", []string{"YV_WECHAT_DEDUPE_TTL", "1m"}},
		{"YV_WECHAT_DEDUPE_TTL unparsable", map[string]string{"YV_WECHAT_DEDUPE_TTL": "ten minutes"}, "", []string{"YV_WECHAT_DEDUPE_TTL", "ten minutes"}},
		{"YV_HTTP_READ_TIMEOUT negative", map[string]string{"YV_HTTP_READ_TIMEOUT": "-1s"}, "", []string{"YV_HTTP_READ_TIMEOUT"}},
		{"YV_HTTP_WRITE_TIMEOUT zero", map[string]string{"YV_HTTP_WRITE_TIMEOUT": "0s"}, "", []string{"YV_HTTP_WRITE_TIMEOUT"}},
		{"YV_ADDR blank", map[string]string{"YV_ADDR": " "}, "", []string{"YV_ADDR"}},
		{"unknown YAML key", nil, "addr: \":8080\"\nlisten_port: 80\n", []string{"listen_port", "格式错误"}},
		{"unknown nested YAML key", nil, "wechat:\n  app_id: wx1\n", []string{"app_id"}},
		{"unknown alert in YAML", nil, "alerts:\n  templates:\n    answerd:\n      id: T1\n", []string{"answerd", "answered", "格式错误"}},
		{"unknown template setting in YAML", nil, "alerts:\n  templates:\n    answered:\n      template_id: T1\n", []string{"answered", "template_id", "id 和 fields"}},
		{"YAML type error", nil, "redis_db: abc\n", []string{"格式错误", "abc"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = writeFile(t, tc.file)
			}
			_, err := config.Load(file, env(tc.env))
			if err == nil {
				t.Fatal("Load accepted the bad value")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := config.Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("missing config file: %v, want an error naming %s", err, p)
	}
	// An empty file is fine: everything takes its default.
	cfg, err := config.Load(writeFile(t, "# nothing\n"), env(nil))
	if err != nil || cfg.Addr != ":8080" {
		t.Fatalf("empty file: %+v, %v", cfg, err)
	}
}

func TestMySQLDSNErrorHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"yv:Sup3rSecretPw@tcp(db:3306)",
		"yv:Sup3rSecretPw@tcp(db:3306)/yv?timeout=forever",
		"yv:Sup3rSecretPw@tcp(db:3306/yv",
	} {
		for _, e := range []struct{ name, primary, replica string }{
			{"YV_MYSQL_DSN", dsn, ""},
			{"YV_MYSQL_REPLICA_DSN", "yv:pw@tcp(db:3306)/yv", dsn},
		} {
			_, err := config.Load("", env(map[string]string{"YV_MYSQL_DSN": e.primary, "YV_MYSQL_REPLICA_DSN": e.replica}))
			if err == nil {
				t.Fatalf("%s %q accepted", e.name, dsn)
			}
			if strings.Contains(err.Error(), "Sup3rSecretPw") {
				t.Errorf("error for %s %q shows the password: %v", e.name, dsn, err)
			}
			if !strings.Contains(err.Error(), e.name) {
				t.Errorf("error for %q does not name %s: %v", dsn, e.name, err)
			}
		}
	}
}

func TestPartialWeChatCredentials(t *testing.T) {
	names := []string{"YV_WECHAT_APPID", "YV_WECHAT_SECRET", "YV_WECHAT_TOKEN"}
	for _, missing := range names {
		t.Run("without "+missing, func(t *testing.T) {
			e := with(creds)
			delete(e, missing)
			_, err := config.Load("", env(e))
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Fatalf("credentials without %s: %v, want an error naming it", missing, err)
			}
		})
	}
	for _, only := range append(names, "YV_WECHAT_AES_KEY") {
		t.Run("only "+only, func(t *testing.T) {
			_, err := config.Load("", env(map[string]string{only: creds[only]}))
			if err == nil || !strings.Contains(err.Error(), "部分微信凭据") {
				t.Fatalf("only %s set: %v, want a partial-credentials error", only, err)
			}
		})
	}
	// AES key is optional (plaintext mode).
	e := with(creds)
	delete(e, "YV_WECHAT_AES_KEY")
	cfg, err := config.Load("", env(e))
	if err != nil || !cfg.Real() {
		t.Fatalf("credentials without AES key: Real=%v, %v", cfg.Real(), err)
	}
	cfg, err = config.Load("", env(creds))
	if err != nil || !cfg.Real() {
		t.Fatalf("full credentials: Real=%v, %v", cfg.Real(), err)
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	secrets := map[string]string{
		"YV_WECHAT_SECRET":           "wxSecretValue123",
		"YV_WECHAT_TOKEN":            "wxTokenValue456",
		"YV_WECHAT_AES_KEY":          "AESKEYabcdefghijklmnopqrstuvwxyz0123456789A",
		"YV_REDIS_PASSWORD":          "redisPassword789",
		"YV_REDIS_SENTINEL_PASSWORD": "sentinelPassword321",
		"YV_MYSQL_DSN":               "youthvoice:mysqlPassw0rd@tcp(db.internal:3306)/youthvoice?parseTime=true",
		"YV_MYSQL_REPLICA_DSN":       "reports:replicaPassw0rd@tcp(replica.internal:3306)/youthvoice?parseTime=true",
	}
	e := with(secrets, "YV_WECHAT_APPID", "wxVisibleAppID", "YV_REDIS_ADDR", "redis.internal:6379,redis2.internal:26379", "YV_REDIS_MASTER_NAME", "yvmaster")
	cfg, err := config.Load("", env(e))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("youthvoice starting", "config", cfg)
	out := buf.String()
	for _, s := range []string{"wxSecretValue123", "wxTokenValue456", secrets["YV_WECHAT_AES_KEY"], "redisPassword789", "sentinelPassword321", "mysqlPassw0rd", "replicaPassw0rd"} {
		if strings.Contains(out, s) {
			t.Errorf("log line contains the secret %q:\n%s", s, out)
		}
	}
	// Useful, non-secret facts are still there.
	for _, s := range []string{"wxVisibleAppID", "youthvoice@tcp(db.internal:3306)/youthvoice", "reports@tcp(replica.internal:3306)/youthvoice",
		"redis sentinel redis.internal:6379,redis2.internal:26379", "master=yvmaster", "(已设置)", `"sandbox":false`, `"report_timeout":10000000000`} {
		if !strings.Contains(out, s) {
			t.Errorf("log line lacks %q:\n%s", s, out)
		}
	}

	// The sandbox default says so and marks secrets as unset.
	buf.Reset()
	def, _ := config.Load("", env(nil))
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "config", def)
	if !strings.Contains(buf.String(), `"sandbox":true`) || !strings.Contains(buf.String(), "(未设置)") {
		t.Errorf("sandbox config log: %s", buf.String())
	}
}

func TestExampleFileLoadsAndDocumentsEveryKey(t *testing.T) {
	const example = "config.example.yaml"
	cfg, err := config.Load(example, env(nil))
	if err != nil {
		t.Fatalf("config.Load(%s): %v", example, err)
	}
	def, _ := config.Load("", env(nil))
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("the example's values differ from the defaults it documents:\n%+v\n%+v", cfg, def)
	}

	raw, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlKeys(reflect.TypeOf(config.Config{}), "") {
		if !hasKey(doc, strings.Split(key, ".")) {
			t.Errorf("%s does not document %q", example, key)
		}
	}
	for _, k := range alertkind.All() {
		for _, setting := range []string{"id", "fields"} {
			if !hasKey(doc, []string{"alerts", "templates", k.Key(), setting}) {
				t.Errorf("%s does not document alerts.templates.%s.%s", example, k.Key(), setting)
			}
		}
	}
	// Comments are in Chinese.
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# 公众号 AppID") {
			return
		}
	}
	t.Errorf("%s lacks the Chinese comment for wechat.appid", example)
}

// yamlKeys lists the dotted YAML keys of a struct type.
func yamlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			out = append(out, yamlKeys(f.Type, prefix+tag+".")...)
			continue
		}
		out = append(out, prefix+tag)
	}
	return out
}

func hasKey(doc map[string]any, path []string) bool {
	v, ok := doc[path[0]]
	if !ok {
		return false
	}
	if len(path) == 1 {
		return true
	}
	sub, ok := v.(map[string]any)
	return ok && hasKey(sub, path[1:])
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := config.Load("", env(map[string]string{"YV_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.TrustedProxies, []string{"10.0.0.0/8", "192.168.1.5"}) {
		t.Fatalf("TrustedProxies = %v", cfg.TrustedProxies)
	}
	_, err = config.Load("", env(map[string]string{"YV_TRUSTED_PROXIES": "nginx"}))
	if err == nil || !strings.Contains(err.Error(), "YV_TRUSTED_PROXIES") {
		t.Fatalf("bad proxy accepted or not named: %v", err)
	}
}

// TestDeployExamplesListEveryTemplate: an operator following deploy/
// configures every template; one left out of the examples silently
// sends nothing for its alert.
func TestDeployExamplesListEveryTemplate(t *testing.T) {
	for _, file := range []string{"../deploy/.env.example", "../deploy/docker-compose.yml", "../deploy/README.md"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range alertkind.All() {
			name := k.EnvPrefix() + "_ID"
			if !strings.Contains(string(raw), name) {
				t.Errorf("%s does not mention %s", file, name)
			}
		}
	}
}

func TestMySQLReplicaDSN(t *testing.T) {
	const primary, replica = "yv:pw@tcp(db:3306)/youthvoice", "reports:pw@tcp(replica:3306)/youthvoice"
	cfg, err := config.Load("", env(map[string]string{"YV_MYSQL_DSN": primary, "YV_MYSQL_REPLICA_DSN": replica}))
	if err != nil || cfg.MySQLReplicaDSN != replica {
		t.Fatalf("YV_MYSQL_REPLICA_DSN: %q, %v", cfg.MySQLReplicaDSN, err)
	}
	// From the file, and the environment wins.
	file := writeFile(t, "mysql_dsn: \""+primary+"\"\nmysql_replica_dsn: \"file:pw@tcp(r1:3306)/youthvoice\"\n")
	if cfg, err = config.Load(file, env(nil)); err != nil || cfg.MySQLReplicaDSN != "file:pw@tcp(r1:3306)/youthvoice" {
		t.Fatalf("mysql_replica_dsn in the file: %q, %v", cfg.MySQLReplicaDSN, err)
	}
	if cfg, err = config.Load(file, env(map[string]string{"YV_MYSQL_REPLICA_DSN": replica})); err != nil || cfg.MySQLReplicaDSN != replica {
		t.Fatalf("YV_MYSQL_REPLICA_DSN over the file: %q, %v", cfg.MySQLReplicaDSN, err)
	}
}

func TestS3Settings(t *testing.T) {
	full := map[string]string{
		"YV_S3_ENDPOINT": "cos.ap-guangzhou.myqcloud.com", "YV_S3_BUCKET": "yv-photos-1250000000",
		"YV_S3_ACCESS_KEY": "AKIDvisible", "YV_S3_SECRET_KEY": "s3SecretValue999", "YV_S3_REGION": "ap-guangzhou",
		"YV_S3_USE_SSL": "false",
	}
	cfg, err := config.Load("", env(full))
	if err != nil {
		t.Fatal(err)
	}
	want := config.S3{Endpoint: "cos.ap-guangzhou.myqcloud.com", Bucket: "yv-photos-1250000000", AccessKey: "AKIDvisible",
		SecretKey: "s3SecretValue999", Region: "ap-guangzhou", UseSSL: false}
	if cfg.S3 != want || !cfg.S3.Enabled() {
		t.Fatalf("S3 = %+v", cfg.S3)
	}
	if def := config.Default(); def.S3.Enabled() || !def.S3.UseSSL || def.PhotoDir() != filepath.Join("data", "photos") {
		t.Fatalf("default: %+v, photos in %s", def.S3, def.PhotoDir())
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("youthvoice starting", "config", cfg)
	if strings.Contains(buf.String(), "s3SecretValue999") || strings.Contains(buf.String(), "AKIDvisible") {
		t.Fatalf("the log shows an S3 key: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "http://cos.ap-guangzhou.myqcloud.com/yv-photos-1250000000") {
		t.Fatalf("the log does not say where photos go: %s", buf.String())
	}
	for _, c := range []struct {
		drop, set, value, mention string
	}{
		{drop: "YV_S3_BUCKET", mention: "YV_S3_BUCKET"},
		{drop: "YV_S3_SECRET_KEY", mention: "YV_S3_SECRET_KEY"},
		{drop: "YV_S3_ENDPOINT", mention: "YV_S3_ENDPOINT"},
		{set: "YV_S3_ENDPOINT", value: "https://cos.example.com/bucket", mention: "YV_S3_ENDPOINT"},
		{set: "YV_S3_USE_SSL", value: "maybe", mention: "YV_S3_USE_SSL"},
	} {
		e := map[string]string{}
		for k, v := range full {
			if k != c.drop {
				e[k] = v
			}
		}
		if c.set != "" {
			e[c.set] = c.value
		}
		_, err := config.Load("", env(e))
		if err == nil || !strings.Contains(err.Error(), c.mention) || strings.Contains(err.Error(), "s3SecretValue999") {
			t.Errorf("drop %s set %s=%q: %v", c.drop, c.set, c.value, err)
		}
	}
}

// The retention bounds config checks are the purger's own.
func TestRetentionBoundsMatchThePurger(t *testing.T) {
	if config.MinInteractionRetentionDays != retention.MinInteractionDays || config.MinMessageRetentionDays != retention.MinMessageDays ||
		config.MaxRetentionDays != retention.MaxDays {
		t.Fatal("config's retention bounds differ from service/retention's")
	}
	def := config.Default().Retention
	if def.InteractionDays != retention.DefaultInteractionDays || def.MessageDays != retention.DefaultMessageDays {
		t.Fatalf("default retention %+v differs from service/retention's", def)
	}
}
