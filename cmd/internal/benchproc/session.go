package benchproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"time"
)

// Login signs in to a youthvoice server at base through its API (CSRF
// double submit) and returns the Cookie header of the session, for load
// generators that send it with every request.
func Login(ctx context.Context, base, account, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/session", nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	var s struct {
		Data struct {
			CSRF string `json:"csrf_token"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if err != nil {
		return "", fmt.Errorf("GET /api/v1/session: %w", err)
	}
	body, _ := json.Marshal(map[string]string{"account": account, "password": password})
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.Data.CSRF)
	resp, err = c.Do(req)
	if err != nil {
		return "", err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /api/v1/session: %s %s", resp.Status, out)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// LoadAvg is the machine's 1, 5 and 15-minute load average ("?" when
// unknown): a shared machine skews every figure a bench prints.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
