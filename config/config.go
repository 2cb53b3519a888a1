// Package config loads the service configuration from an optional YAML file
// and the YV_* environment variables (environment wins).
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"gopkg.in/yaml.v3"

	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/audit"
)

// Config is the whole runtime configuration. Secrets are tagged so that
// LogValue never prints them.
type Config struct {
	Addr      string `yaml:"addr"`
	DataDir   string `yaml:"data_dir"`
	PublicURL string `yaml:"public_url"`
	LogLevel  string `yaml:"log_level"`
	MenuFile  string `yaml:"menu_file"`
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies
	// whose X-Forwarded-For is believed, for client IPs in login throttles.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// LoginIPFailures is how many failed logins one client IP may make in
	// 15 minutes. A campus network reaches us from a few NAT addresses, so
	// it is far above the per-account limit (5).
	LoginIPFailures int `yaml:"login_ip_failures"`
	// AuditRetentionDays is how long the audit trail is kept
	// (YV_AUDIT_RETENTION_DAYS): 180 days at least, as 等保 2.0 asks.
	AuditRetentionDays int `yaml:"audit_retention_days"`
	// AdminLogin is how province and university admins may sign in
	// (YV_ADMIN_LOGIN): AdminLoginPassword allows both a password and a
	// WeChat scan, AdminLoginScan only the scan.
	AdminLogin string `yaml:"admin_login"`
	// AdminIdleTimeout is the idle expiry of an admin's session begun
	// with a password (YV_ADMIN_IDLE_TIMEOUT), far below everyone else's
	// seven days: a password alone is weaker proof than the bound WeChat.
	AdminIdleTimeout time.Duration `yaml:"admin_idle_timeout"`

	MySQLDSN string `yaml:"mysql_dsn"`
	// MySQLReplicaDSN is a read replica of MySQLDSN for the statistics
	// and other heavy reads (YV_MYSQL_REPLICA_DSN); empty for none.
	MySQLReplicaDSN string `yaml:"mysql_replica_dsn"`
	// ReportTimeout limits each statement of a report (YV_REPORT_TIMEOUT).
	// Below the HTTP write timeout, so that the page can say it tripped.
	ReportTimeout time.Duration `yaml:"report_timeout"`

	// RedisAddr is one address, or a comma-separated list: the Sentinels
	// when RedisMasterName is set, else a Cluster's seed nodes.
	RedisAddr string `yaml:"redis_addr"`
	// RedisMasterName selects Redis Sentinel (YV_REDIS_MASTER_NAME): the
	// master name the Sentinels monitor.
	RedisMasterName string `yaml:"redis_master_name"`
	// RedisCluster selects Redis Cluster with one seed address
	// (YV_REDIS_CLUSTER); several addresses without a master name select
	// it anyway.
	RedisCluster  bool   `yaml:"redis_cluster"`
	RedisPassword string `yaml:"redis_password"`
	// RedisSentinelPassword is the Sentinels' own password
	// (YV_REDIS_SENTINEL_PASSWORD), when they have one.
	RedisSentinelPassword string `yaml:"redis_sentinel_password"`
	RedisDB               int    `yaml:"redis_db"`

	WeChat WeChat `yaml:"wechat"`

	// S3 is S3-compatible object storage for the photos of questions and
	// answers (YV_S3_*); without an endpoint they are files under
	// DataDir/photos, which only this instance reads.
	S3 S3 `yaml:"s3"`

	HTTP HTTP `yaml:"http"`

	// SensitiveWordsFile replaces the built-in sensitive-word list (one
	// word per line, # comments).
	SensitiveWordsFile string `yaml:"sensitive_words_file"`

	// HolidaysFile adds statutory holidays and make-up workdays to the
	// built-in schedules (service/workday), e.g. next year's once the
	// State Council publishes it.
	HolidaysFile string `yaml:"holidays_file"`

	// PosterFont is the CJK font the promotion posters are drawn with
	// (.ttf, .otf or .ttc); empty: the first of service/promotion's
	// DefaultFonts installed (Debian's fonts-noto-cjk, fonts-wqy-*).
	PosterFont string `yaml:"poster_font"`

	Alerts Alerts `yaml:"alerts"`

	// StationYear is the year of the 青年之家 construction deadlines
	// (4月30日, 6月30日, 10月30日); 0 means the current year.
	StationYear int `yaml:"station_year"`

	// GCPercent is the garbage collector's target (Go's GOGC) for serve,
	// unless GOGC itself is set. The live heap is about 7 MB, so at Go's
	// default of 100 the collector ran 30–35 times a second under make
	// bench's pushes (23,000/s); 400 cuts that fourfold for about 30 MB
	// more resident memory (peak 48 → 79 MiB there).
	GCPercent int `yaml:"gc_percent"`

	// MemoryLimitMiB is a soft limit on the memory the Go runtime uses
	// for serve (Go's GOMEMLIMIT, which wins when set), 0 for none. With
	// GCPercent at 400 the heap grows to five times what is live: a few
	// MB under the callback's load, but 1,000 open H5 connections keep
	// about 35 MB live, and the heap grew to 170 MB (283 MB resident).
	// Near the limit the collector runs more often instead.
	MemoryLimitMiB int `yaml:"memory_limit_mib"`

	// Retention: how long the raw WeChat interactions and the messages
	// sent are kept (service/retention).
	Retention Retention `yaml:"retention"`
}

// Retention ages, in days. The bounds are service/retention's (config
// does not import it; a test holds the two together).
type Retention struct {
	// InteractionDays (YV_INTERACTION_RETENTION_DAYS): raw pushes are
	// deleted after this many days, once the statistics have counted
	// them; at least 366, so a year's assessment can still be rebuilt
	// from them.
	InteractionDays int `yaml:"interaction_days"`
	// MessageDays (YV_MESSAGE_RETENTION_DAYS): template messages sent (and
	// their payloads), WeChat's send reports and 我的消息.
	MessageDays int `yaml:"message_days"`
}

// Retention bounds (service/retention's Min*, Default*, MaxDays).
const (
	MinInteractionRetentionDays = 366
	MinMessageRetentionDays     = 30
	MaxRetentionDays            = 3650
)

// Alerts configures the template-message outbox worker and templates.
type Alerts struct {
	// Workers is how many messages one instance sends concurrently.
	Workers int `yaml:"workers"`
	// Batch is how many due messages one claim takes.
	Batch int `yaml:"batch"`
	// PollInterval is how often an idle worker looks for due messages.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Templates maps each alert to its WeChat template.
	Templates Templates `yaml:"templates"`
}

// Template is one WeChat template: its id from the 公众平台 and the
// mapping of our field names to the template's keywords (thing1, time2 …).
type Template struct {
	ID     string            `yaml:"id"`
	Fields map[string]string `yaml:"fields"`
}

// Templates configures every alert the service sends (alertkind.All), by
// kind; in YAML, by the kind's key (alerts.templates.answered).
type Templates map[alertkind.Kind]Template

// defaultTemplates are the registry's field mappings (the 公众平台 library
// templates the deployment guide recommends); ids are per account and
// start empty.
func defaultTemplates() Templates {
	t := make(Templates, len(alertkind.All()))
	for _, k := range alertkind.All() {
		t[k] = Template{Fields: k.DefaultFields()}
	}
	return t
}

// UnmarshalYAML reads alerts.templates: each key names a kind, and its id
// and fields, where given, replace the default (a mapping is not merged
// with the default one: a leftover default would map a second field to
// the same keyword). Unknown kinds and settings are refused, as the rest
// of the file's are.
func (t *Templates) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "templates:" with nothing under it
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("第 %d 行：alerts.templates 应为「提醒名称: {id, fields}」的映射", n.Line)
	}
	if *t == nil {
		*t = defaultTemplates()
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, ok := alertkind.Parse(key.Value)
		if !ok {
			return fmt.Errorf("第 %d 行：alerts.templates 中没有提醒 %q（可用：%s）", key.Line, key.Value, strings.Join(alertkind.Keys(), "、"))
		}
		if val.Kind != yaml.MappingNode {
			return fmt.Errorf("第 %d 行：alerts.templates.%s 应包含 id 和 fields", val.Line, key.Value)
		}
		tpl := (*t)[k]
		for j := 0; j+1 < len(val.Content); j += 2 {
			field, v := val.Content[j], val.Content[j+1]
			switch field.Value {
			case "id":
				if err := v.Decode(&tpl.ID); err != nil {
					return err
				}
			case "fields":
				if v.Tag == "!!null" {
					continue // "fields:" with nothing: the default stays
				}
				var m map[string]string
				if err := v.Decode(&m); err != nil {
					return err
				}
				tpl.Fields = m
			default:
				return fmt.Errorf("第 %d 行：alerts.templates.%s 中没有设置项 %q（只有 id 和 fields）", field.Line, key.Value, field.Value)
			}
		}
		(*t)[k] = tpl
	}
	return nil
}

// WeChat holds the official-account credentials and endpoints.
type WeChat struct {
	AppID   string `yaml:"appid"`
	Secret  string `yaml:"secret"`
	Token   string `yaml:"token"`
	AESKey  string `yaml:"aes_key"`
	APIBase string `yaml:"api_base"`
	// RequireAES refuses plaintext pushes: once the console is in safe
	// mode, a forged push then needs the AES key as well as the token.
	RequireAES bool `yaml:"require_aes"`
	// DedupeTTL is how long a callback's dedupe key and reply are kept.
	DedupeTTL time.Duration `yaml:"dedupe_ttl"`
	// MaxClockSkew rejects callbacks whose timestamp is further from now.
	MaxClockSkew time.Duration `yaml:"max_clock_skew"`
}

// S3 configures S3-compatible object storage (AWS S3, MinIO, Tencent COS,
// Aliyun OSS …). The secret key is never logged.
type S3 struct {
	Endpoint  string `yaml:"endpoint"` // host[:port], without https://
	Bucket    string `yaml:"bucket"`
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	Region    string `yaml:"region"`
	UseSSL    bool   `yaml:"use_ssl"`
}

// Enabled reports whether photos go to object storage.
func (s S3) Enabled() bool { return s.Endpoint != "" }

// PhotoDir is where photos are kept without object storage.
func (c *Config) PhotoDir() string { return filepath.Join(c.DataDir, "photos") }

// HTTP holds the server timeouts.
type HTTP struct {
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	IdleTimeout     time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// DefaultGCPercent is the default of GCPercent (YV_GC_PERCENT).
const DefaultGCPercent = 400

// DefaultReportTimeout is the default of ReportTimeout (YV_REPORT_TIMEOUT).
const DefaultReportTimeout = 10 * time.Second

// DefaultMemoryLimitMiB is the default of MemoryLimitMiB (YV_MEMORY_LIMIT_MIB).
const DefaultMemoryLimitMiB = 100

// Values of AdminLogin (YV_ADMIN_LOGIN).
const (
	AdminLoginPassword = "password"
	AdminLoginScan     = "scan"
)

// DefaultAdminIdleTimeout is the default of AdminIdleTimeout.
const DefaultAdminIdleTimeout = 30 * time.Minute

// DefaultAPIBase is WeChat's API origin.
const DefaultAPIBase = "https://api.weixin.qq.com"

// Default returns the embedded-default configuration.
func Default() Config {
	return Config{
		Addr:               ":8080",
		DataDir:            "./data",
		PublicURL:          "http://localhost:8080",
		LogLevel:           "info",
		TrustedProxies:     []string{"127.0.0.1", "::1"},
		LoginIPFailures:    100,
		AuditRetentionDays: audit.MinRetentionDays,
		AdminLogin:         AdminLoginPassword,
		AdminIdleTimeout:   DefaultAdminIdleTimeout,
		GCPercent:          DefaultGCPercent,
		ReportTimeout:      DefaultReportTimeout,
		MemoryLimitMiB:     DefaultMemoryLimitMiB,
		S3:                 S3{UseSSL: true},
		WeChat: WeChat{
			APIBase:      DefaultAPIBase,
			DedupeTTL:    10 * time.Minute,
			MaxClockSkew: 5 * time.Minute,
		},
		HTTP: HTTP{
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    15 * time.Second,
			IdleTimeout:     60 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		Alerts:    Alerts{Workers: 32, Batch: 100, PollInterval: time.Second, Templates: defaultTemplates()},
		Retention: Retention{InteractionDays: 400, MessageDays: 180},
	}
}

// Load reads file (optional, "" for none), then applies environment
// overrides from getenv, then validates.
func Load(file string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("读取配置文件 %s 失败: %w", file, err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("配置文件 %s 格式错误: %w", file, err)
		}
	}
	if err := cfg.applyEnv(getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

type envVar struct {
	name string
	set  func(c *Config, v string) error
}

func str(p func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(name string, p func(c *Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("%s 必须是时长（如 30s、5m），当前值 %q 无法解析", name, v)
		}
		*p(c) = d
		return nil
	}
}

// EnvVars lists every environment variable the service reads, in the
// order they are documented.
var envVars = []envVar{
	{"YV_ADDR", str(func(c *Config) *string { return &c.Addr })},
	{"YV_DATA_DIR", str(func(c *Config) *string { return &c.DataDir })},
	{"YV_PUBLIC_URL", str(func(c *Config) *string { return &c.PublicURL })},
	{"YV_LOG_LEVEL", str(func(c *Config) *string { return &c.LogLevel })},
	{"YV_MENU_FILE", str(func(c *Config) *string { return &c.MenuFile })},
	{"YV_TRUSTED_PROXIES", func(c *Config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
		return nil
	}},
	{"YV_MYSQL_DSN", str(func(c *Config) *string { return &c.MySQLDSN })},
	{"YV_MYSQL_REPLICA_DSN", str(func(c *Config) *string { return &c.MySQLReplicaDSN })},
	{"YV_REPORT_TIMEOUT", dur("YV_REPORT_TIMEOUT", func(c *Config) *time.Duration { return &c.ReportTimeout })},
	{"YV_REDIS_ADDR", str(func(c *Config) *string { return &c.RedisAddr })},
	{"YV_REDIS_PASSWORD", str(func(c *Config) *string { return &c.RedisPassword })},
	{"YV_REDIS_MASTER_NAME", str(func(c *Config) *string { return &c.RedisMasterName })},
	{"YV_REDIS_SENTINEL_PASSWORD", str(func(c *Config) *string { return &c.RedisSentinelPassword })},
	{"YV_REDIS_CLUSTER", boolean("YV_REDIS_CLUSTER", func(c *Config) *bool { return &c.RedisCluster })},
	{"YV_REDIS_DB", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 15 {
			return fmt.Errorf("YV_REDIS_DB 必须是 0–15 的整数，当前值 %q", v)
		}
		c.RedisDB = n
		return nil
	}},
	{"YV_WECHAT_APPID", str(func(c *Config) *string { return &c.WeChat.AppID })},
	{"YV_WECHAT_SECRET", str(func(c *Config) *string { return &c.WeChat.Secret })},
	{"YV_WECHAT_TOKEN", str(func(c *Config) *string { return &c.WeChat.Token })},
	{"YV_WECHAT_AES_KEY", str(func(c *Config) *string { return &c.WeChat.AESKey })},
	{"YV_WECHAT_API_BASE", str(func(c *Config) *string { return &c.WeChat.APIBase })},
	{"YV_WECHAT_REQUIRE_AES", boolean("YV_WECHAT_REQUIRE_AES", func(c *Config) *bool { return &c.WeChat.RequireAES })},
	{"YV_WECHAT_DEDUPE_TTL", dur("YV_WECHAT_DEDUPE_TTL", func(c *Config) *time.Duration { return &c.WeChat.DedupeTTL })},
	{"YV_WECHAT_MAX_CLOCK_SKEW", dur("YV_WECHAT_MAX_CLOCK_SKEW", func(c *Config) *time.Duration { return &c.WeChat.MaxClockSkew })},
	{"YV_S3_ENDPOINT", str(func(c *Config) *string { return &c.S3.Endpoint })},
	{"YV_S3_BUCKET", str(func(c *Config) *string { return &c.S3.Bucket })},
	{"YV_S3_ACCESS_KEY", str(func(c *Config) *string { return &c.S3.AccessKey })},
	{"YV_S3_SECRET_KEY", str(func(c *Config) *string { return &c.S3.SecretKey })},
	{"YV_S3_REGION", str(func(c *Config) *string { return &c.S3.Region })},
	{"YV_S3_USE_SSL", boolean("YV_S3_USE_SSL", func(c *Config) *bool { return &c.S3.UseSSL })},
	{"YV_HTTP_READ_TIMEOUT", dur("YV_HTTP_READ_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTP.ReadTimeout })},
	{"YV_HTTP_WRITE_TIMEOUT", dur("YV_HTTP_WRITE_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTP.WriteTimeout })},
	{"YV_HTTP_IDLE_TIMEOUT", dur("YV_HTTP_IDLE_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTP.IdleTimeout })},
	{"YV_HTTP_SHUTDOWN_TIMEOUT", dur("YV_HTTP_SHUTDOWN_TIMEOUT", func(c *Config) *time.Duration { return &c.HTTP.ShutdownTimeout })},
	{"YV_SENSITIVE_WORDS_FILE", str(func(c *Config) *string { return &c.SensitiveWordsFile })},
	{"YV_HOLIDAYS_FILE", str(func(c *Config) *string { return &c.HolidaysFile })},
	{"YV_POSTER_FONT", str(func(c *Config) *string { return &c.PosterFont })},
	{"YV_STATION_YEAR", num("YV_STATION_YEAR", func(c *Config) *int { return &c.StationYear })},
	{"YV_LOGIN_IP_FAILURES", num("YV_LOGIN_IP_FAILURES", func(c *Config) *int { return &c.LoginIPFailures })},
	{"YV_AUDIT_RETENTION_DAYS", num("YV_AUDIT_RETENTION_DAYS", func(c *Config) *int { return &c.AuditRetentionDays })},
	{"YV_ADMIN_LOGIN", str(func(c *Config) *string { return &c.AdminLogin })},
	{"YV_ADMIN_IDLE_TIMEOUT", dur("YV_ADMIN_IDLE_TIMEOUT", func(c *Config) *time.Duration { return &c.AdminIdleTimeout })},
	{"YV_GC_PERCENT", num("YV_GC_PERCENT", func(c *Config) *int { return &c.GCPercent })},
	{"YV_MEMORY_LIMIT_MIB", num("YV_MEMORY_LIMIT_MIB", func(c *Config) *int { return &c.MemoryLimitMiB })},
	{"YV_ALERT_WORKERS", num("YV_ALERT_WORKERS", func(c *Config) *int { return &c.Alerts.Workers })},
	{"YV_ALERT_BATCH", num("YV_ALERT_BATCH", func(c *Config) *int { return &c.Alerts.Batch })},
	{"YV_INTERACTION_RETENTION_DAYS", num("YV_INTERACTION_RETENTION_DAYS", func(c *Config) *int { return &c.Retention.InteractionDays })},
	{"YV_MESSAGE_RETENTION_DAYS", num("YV_MESSAGE_RETENTION_DAYS", func(c *Config) *int { return &c.Retention.MessageDays })},
	{"YV_ALERT_POLL_INTERVAL", dur("YV_ALERT_POLL_INTERVAL", func(c *Config) *time.Duration { return &c.Alerts.PollInterval })},
}

func num(name string, p func(c *Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s 必须是整数，当前值 %q", name, v)
		}
		*p(c) = n
		return nil
	}
}

func boolean(name string, p func(c *Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s 必须是 true 或 false，当前值 %q", name, v)
		}
		*p(c) = b
		return nil
	}
}

// templateEnv adds YV_TEMPLATE_<KEY>_ID and YV_TEMPLATE_<KEY>_FIELDS
// ("title=thing1,time=time3") for every alert kind.
func templateEnv() []envVar {
	var out []envVar
	for _, k := range alertkind.All() {
		up := k.EnvPrefix()
		out = append(out,
			envVar{up + "_ID", func(c *Config, v string) error {
				t := c.Alerts.Templates[k]
				t.ID = v
				c.Alerts.Templates[k] = t
				return nil
			}},
			envVar{up + "_FIELDS", func(c *Config, v string) error {
				m := map[string]string{}
				for _, pair := range strings.Split(v, ",") {
					f, kw, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok || strings.TrimSpace(f) == "" || strings.TrimSpace(kw) == "" {
						return fmt.Errorf("%s_FIELDS 格式应为 字段=关键词,…（如 title=thing1,time=time3），当前值 %q", up, v)
					}
					m[strings.TrimSpace(f)] = strings.TrimSpace(kw)
				}
				t := c.Alerts.Templates[k]
				t.Fields = m
				c.Alerts.Templates[k] = t
				return nil
			}})
	}
	return out
}

func init() { envVars = append(envVars, templateEnv()...) }

func (c *Config) applyEnv(getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	for _, ev := range envVars {
		v, ok := lookup(getenv, ev.name)
		if !ok {
			continue
		}
		if err := ev.set(c, v); err != nil {
			return err
		}
	}
	return nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return strings.TrimSpace(v), v != ""
}

// Validate checks every value and names the setting at fault.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return errors.New("YV_ADDR 不能为空")
	}
	if c.DataDir == "" {
		return errors.New("YV_DATA_DIR 不能为空")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("YV_PUBLIC_URL 必须是 http(s) 源地址（如 https://wx.example.org），当前值 %q", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("YV_LOG_LEVEL 只能是 debug、info、warn、error，当前值 %q", c.LogLevel)
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("YV_TRUSTED_PROXIES 中的 %q 不是 IP 地址或 CIDR 网段", p)
			}
		}
	}
	if c.MySQLDSN != "" {
		if err := checkMySQLDSN("YV_MYSQL_DSN", c.MySQLDSN); err != nil {
			return err
		}
	}
	if c.MySQLReplicaDSN != "" {
		if c.MySQLDSN == "" {
			return errors.New("YV_MYSQL_REPLICA_DSN 是 MySQL/MariaDB 主库的只读副本，需要同时配置 YV_MYSQL_DSN")
		}
		if err := checkMySQLDSN("YV_MYSQL_REPLICA_DSN", c.MySQLReplicaDSN); err != nil {
			return err
		}
	}
	if c.RedisDB < 0 || c.RedisDB > 15 {
		return fmt.Errorf("YV_REDIS_DB 必须是 0–15 的整数，当前值 %d", c.RedisDB)
	}
	if err := c.checkRedis(); err != nil {
		return err
	}
	w := c.WeChat
	if w.AESKey != "" && len(w.AESKey) != 43 {
		return fmt.Errorf("YV_WECHAT_AES_KEY（EncodingAESKey）必须是 43 个字符，当前为 %d 个字符", len(w.AESKey))
	}
	if w.AESKey != "" && !isBase64Key(w.AESKey) {
		return errors.New("YV_WECHAT_AES_KEY（EncodingAESKey）只能包含字母和数字")
	}
	if w.RequireAES && w.AESKey == "" {
		return errors.New("YV_WECHAT_REQUIRE_AES 要求安全模式，但没有配置 YV_WECHAT_AES_KEY（EncodingAESKey）")
	}
	if c.Real() {
		for _, need := range []struct{ name, v string }{
			{"YV_WECHAT_APPID", w.AppID}, {"YV_WECHAT_SECRET", w.Secret}, {"YV_WECHAT_TOKEN", w.Token},
		} {
			if need.v == "" {
				return fmt.Errorf("已配置部分微信凭据，但缺少 %s", need.name)
			}
		}
	}
	bu, err := url.Parse(w.APIBase)
	if err != nil || (bu.Scheme != "http" && bu.Scheme != "https") || bu.Host == "" {
		return fmt.Errorf("YV_WECHAT_API_BASE 必须是 http(s) 地址，当前值 %q", w.APIBase)
	}
	c.WeChat.APIBase = strings.TrimRight(w.APIBase, "/")
	if err := c.S3.validate(); err != nil {
		return err
	}
	if w.DedupeTTL < time.Minute {
		return fmt.Errorf("YV_WECHAT_DEDUPE_TTL 不能小于 1m（微信会在约 15 秒内重试三次）")
	}
	if w.MaxClockSkew <= 0 {
		return fmt.Errorf("YV_WECHAT_MAX_CLOCK_SKEW 必须大于 0")
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"YV_HTTP_READ_TIMEOUT", c.HTTP.ReadTimeout}, {"YV_HTTP_WRITE_TIMEOUT", c.HTTP.WriteTimeout},
		{"YV_HTTP_IDLE_TIMEOUT", c.HTTP.IdleTimeout}, {"YV_HTTP_SHUTDOWN_TIMEOUT", c.HTTP.ShutdownTimeout},
	} {
		if t.d <= 0 {
			return fmt.Errorf("%s 必须大于 0", t.name)
		}
	}
	if c.ReportTimeout < time.Second || c.ReportTimeout > 10*time.Minute {
		return fmt.Errorf("YV_REPORT_TIMEOUT 必须在 1s–10m 之间，当前值 %s", c.ReportTimeout)
	}
	if c.ReportTimeout >= c.HTTP.WriteTimeout {
		return fmt.Errorf("YV_REPORT_TIMEOUT（%s）必须小于 YV_HTTP_WRITE_TIMEOUT（%s）：否则统计超时时，页面已经无法告诉管理员原因", c.ReportTimeout, c.HTTP.WriteTimeout)
	}
	if c.StationYear != 0 && (c.StationYear < 2016 || c.StationYear > 2100) {
		return fmt.Errorf("YV_STATION_YEAR 必须是 2016–2100 之间的年份（或 0 表示当年），当前值 %d", c.StationYear)
	}
	if c.GCPercent < 50 || c.GCPercent > 2000 {
		return fmt.Errorf("YV_GC_PERCENT 必须在 50–2000 之间（关闭回收请改用 Go 自己的 GOGC=off 与 GOMEMLIMIT），当前值 %d", c.GCPercent)
	}
	if c.MemoryLimitMiB != 0 && (c.MemoryLimitMiB < 64 || c.MemoryLimitMiB > 1<<20) {
		return fmt.Errorf("YV_MEMORY_LIMIT_MIB 必须在 64–1048576 之间（MiB），或为 0 表示不限制，当前值 %d", c.MemoryLimitMiB)
	}
	if c.LoginIPFailures < 5 || c.LoginIPFailures > 100000 {
		return fmt.Errorf("YV_LOGIN_IP_FAILURES 必须在 5–100000 之间，当前值 %d", c.LoginIPFailures)
	}
	if r := c.Retention.InteractionDays; r < MinInteractionRetentionDays || r > MaxRetentionDays {
		return fmt.Errorf("YV_INTERACTION_RETENTION_DAYS 必须在 %d–%d 天之间（考核按年统计，原始互动记录至少保留一年），当前值 %d",
			MinInteractionRetentionDays, MaxRetentionDays, r)
	}
	if r := c.Retention.MessageDays; r < MinMessageRetentionDays || r > MaxRetentionDays {
		return fmt.Errorf("YV_MESSAGE_RETENTION_DAYS 必须在 %d–%d 天之间，当前值 %d", MinMessageRetentionDays, MaxRetentionDays, r)
	}
	if c.AuditRetentionDays < audit.MinRetentionDays || c.AuditRetentionDays > 36500 {
		return fmt.Errorf("YV_AUDIT_RETENTION_DAYS 必须在 %d–36500 之间（天）：等保 2.0 要求审计记录至少保留六个月，当前值 %d", audit.MinRetentionDays, c.AuditRetentionDays)
	}
	if c.AdminLogin != AdminLoginPassword && c.AdminLogin != AdminLoginScan {
		return fmt.Errorf("YV_ADMIN_LOGIN 只能是 password（密码和微信扫码均可）或 scan（管理员只能微信扫码登录），当前值 %q", c.AdminLogin)
	}
	if c.AdminIdleTimeout < 5*time.Minute || c.AdminIdleTimeout > 7*24*time.Hour {
		return fmt.Errorf("YV_ADMIN_IDLE_TIMEOUT 必须在 5m–168h 之间，当前值 %s", c.AdminIdleTimeout)
	}
	if c.Alerts.Workers < 1 || c.Alerts.Workers > 64 {
		return fmt.Errorf("YV_ALERT_WORKERS 必须在 1–64 之间，当前值 %d", c.Alerts.Workers)
	}
	if c.Alerts.Batch < 1 || c.Alerts.Batch > 1000 {
		return fmt.Errorf("YV_ALERT_BATCH 必须在 1–1000 之间，当前值 %d", c.Alerts.Batch)
	}
	if c.Alerts.PollInterval < 10*time.Millisecond {
		return fmt.Errorf("YV_ALERT_POLL_INTERVAL 不能小于 10ms")
	}
	for _, k := range alertkind.All() {
		t := c.Alerts.Templates[k]
		key := k.Key()
		if len(t.Fields) == 0 {
			return fmt.Errorf("模板 %s 缺少字段映射（alerts.templates.%s.fields 或 %s_FIELDS）", key, key, k.EnvPrefix())
		}
		fields := make([]string, 0, len(t.Fields))
		for f := range t.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields) // the same message for the same mistake
		seen := make(map[string]string, len(fields))
		for _, f := range fields {
			kw := t.Fields[f]
			if !templateKeywordRE.MatchString(kw) {
				return fmt.Errorf("模板 %s 的字段 %s 对应的关键词 %q 无效（应形如 thing1、time3）", key, f, kw)
			}
			if other, dup := seen[kw]; dup {
				return fmt.Errorf("模板 %s 的字段 %s 和 %s 对应同一个关键词 %s", key, other, f, kw)
			}
			seen[kw] = f
		}
	}
	return nil
}

func (s S3) validate() error {
	if !s.Enabled() {
		if s.Bucket != "" || s.AccessKey != "" || s.SecretKey != "" {
			return errors.New("已配置 YV_S3_BUCKET 或密钥，但缺少 YV_S3_ENDPOINT（对象存储地址，如 cos.ap-guangzhou.myqcloud.com）")
		}
		return nil
	}
	if strings.Contains(s.Endpoint, "://") || strings.ContainsAny(s.Endpoint, "/?# ") {
		return fmt.Errorf("YV_S3_ENDPOINT 只写主机名和端口（如 cos.ap-guangzhou.myqcloud.com 或 127.0.0.1:9000），不带 https:// 和路径，当前值 %q", s.Endpoint)
	}
	for _, need := range []struct{ name, v string }{
		{"YV_S3_BUCKET", s.Bucket}, {"YV_S3_ACCESS_KEY", s.AccessKey}, {"YV_S3_SECRET_KEY", s.SecretKey},
	} {
		if need.v == "" {
			return fmt.Errorf("已配置 YV_S3_ENDPOINT，但缺少 %s", need.name)
		}
	}
	return nil
}

// templateKeywordRE matches a template keyword such as thing1 or time12.
var templateKeywordRE = regexp.MustCompile(`^[a-z_]+[0-9]{1,2}$`)

// Real reports whether real WeChat credentials are configured. Without them
// the server runs in the sandbox.
func (c *Config) Real() bool {
	w := c.WeChat
	return w.AppID != "" || w.Secret != "" || w.Token != "" || w.AESKey != ""
}

// HTTPS reports whether users reach the service over https.
func (c *Config) HTTPS() bool { return strings.HasPrefix(c.PublicURL, "https://") }

func isBase64Key(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// LogValue renders the configuration for the startup log without secrets.
func (c Config) LogValue() slog.Value {
	mysql := "sqlite (" + c.DataDir + ")"
	if c.MySQLDSN != "" {
		mysql = "mysql " + redactDSN(c.MySQLDSN)
	}
	replica := "(未设置)"
	if c.MySQLReplicaDSN != "" {
		replica = "mysql " + redactDSN(c.MySQLReplicaDSN)
	}
	redis := "in-process"
	if c.RedisAddr != "" {
		redis = fmt.Sprintf("redis %s %s db=%d password=%s", c.RedisMode(), c.RedisAddr, c.RedisDB, setOrNot(c.RedisPassword))
		if c.RedisMasterName != "" {
			redis += fmt.Sprintf(" master=%s sentinel_password=%s", c.RedisMasterName, setOrNot(c.RedisSentinelPassword))
		}
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("public_url", c.PublicURL),
		slog.String("database", mysql),
		slog.String("reports_replica", replica),
		slog.Duration("report_timeout", c.ReportTimeout),
		slog.String("kv", redis),
		slog.String("wechat_appid", c.WeChat.AppID),
		slog.String("wechat_secret", setOrNot(c.WeChat.Secret)),
		slog.String("wechat_token", setOrNot(c.WeChat.Token)),
		slog.String("wechat_aes_key", setOrNot(c.WeChat.AESKey)),
		slog.Bool("wechat_require_aes", c.WeChat.RequireAES),
		slog.String("wechat_api_base", c.WeChat.APIBase),
		slog.String("photos", c.photoStore()),
		slog.String("s3_access_key", setOrNot(c.S3.AccessKey)),
		slog.String("s3_secret_key", setOrNot(c.S3.SecretKey)),
		slog.Bool("sandbox", !c.Real()),
		slog.Int("interaction_retention_days", c.Retention.InteractionDays),
		slog.Int("message_retention_days", c.Retention.MessageDays),
	)
}

// photoStore names where photos are kept, without keys.
func (c Config) photoStore() string {
	if !c.S3.Enabled() {
		return "dir " + c.PhotoDir()
	}
	scheme := "http"
	if c.S3.UseSSL {
		scheme = "https"
	}
	return fmt.Sprintf("s3 %s://%s/%s region=%s", scheme, c.S3.Endpoint, c.S3.Bucket, c.S3.Region)
}

func setOrNot(s string) string {
	if s == "" {
		return "(未设置)"
	}
	return "(已设置)"
}

func checkMySQLDSN(name, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("%s 无法解析（格式如 user:pass@tcp(127.0.0.1:3306)/youthvoice?parseTime=true）: %s", name, redactErr(err, dsn))
	}
	if cfg.DBName == "" {
		return fmt.Errorf("%s 缺少数据库名（…/youthvoice?parseTime=true）", name)
	}
	return nil
}

// redactDSN prints a DSN without its password.
func redactDSN(dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "(无法解析)"
	}
	return fmt.Sprintf("%s@%s(%s)/%s", cfg.User, cfg.Net, cfg.Addr, cfg.DBName)
}

// redactErr keeps a parser error from echoing the DSN (and its password).
func redactErr(err error, dsn string) string {
	msg := err.Error()
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "…")
	}
	return msg
}

// RedisMode names the Redis deployment the settings select: "single",
// "sentinel" or "cluster" (as kv.RedisOptions.Mode decides it).
func (c Config) RedisMode() string {
	switch {
	case c.RedisMasterName != "":
		return "sentinel"
	case c.RedisCluster || len(redisAddrs(c.RedisAddr)) > 1:
		return "cluster"
	default:
		return "single"
	}
}

func redisAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// checkRedis refuses Redis settings that cannot work together, before the
// first connection attempt says something vaguer.
func (c Config) checkRedis() error {
	addrs := redisAddrs(c.RedisAddr)
	if c.RedisAddr == "" {
		if c.RedisMasterName != "" || c.RedisCluster || c.RedisSentinelPassword != "" {
			return errors.New("YV_REDIS_MASTER_NAME / YV_REDIS_CLUSTER / YV_REDIS_SENTINEL_PASSWORD 需要同时配置 YV_REDIS_ADDR")
		}
		return nil
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("YV_REDIS_ADDR 中的地址 %q 不是 host:port 形式", a)
		}
	}
	if c.RedisMasterName != "" && c.RedisCluster {
		return errors.New("YV_REDIS_MASTER_NAME（哨兵）与 YV_REDIS_CLUSTER（集群）只能选一种")
	}
	if c.RedisMode() == "cluster" && c.RedisDB != 0 {
		return fmt.Errorf("集群模式的 Redis（Redis Cluster）只有 0 号库：使用集群（YV_REDIS_ADDR 含多个地址或 YV_REDIS_CLUSTER=true）时 YV_REDIS_DB 必须为 0，当前值 %d；哨兵模式请同时设置 YV_REDIS_MASTER_NAME", c.RedisDB)
	}
	return nil
}
