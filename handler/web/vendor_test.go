package web_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEChartsVendored: the vendored ECharts is the version the Makefile's
// `make echarts` names, with its licence and notice beside it.
func TestEChartsVendored(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ECHARTS_VERSION \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no ECHARTS_VERSION in the Makefile")
	}
	js, err := os.ReadFile("static/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `.version="`+string(m[1])+`"`) {
		t.Fatalf("static/echarts.min.js is not ECharts %s: run make echarts", m[1])
	}
	for file, want := range map[string]string{
		"static/echarts-LICENSE.txt": "Apache License",
		"static/echarts-NOTICE.txt":  "Apache ECharts",
	} {
		b, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, want it to contain %q", file, err, want)
		}
	}
}
