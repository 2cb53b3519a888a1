# youthvoice — common tasks. `make help` lists them.

GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
BIN     := bin/youthvoice

# Local servers for test-all (and CI, see .ci/run). The DSN's database
# must exist: the test helpers create and drop their own databases with
# its credentials.
YV_TEST_MYSQL_DSN  ?= root@tcp(127.0.0.1:3306)/yv_test?parseTime=true
YV_TEST_REDIS_ADDR ?= 127.0.0.1:6379

# golangci-lint, pinned (v2 configuration format, see .golangci.yml):
#   go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
GOLANGCI_LINT         ?= golangci-lint
GOLANGCI_LINT_VERSION := v2.15.0

# Flags for cmd/wxbench, e.g. make bench BENCH_FLAGS="-rounds 3 -strict".
BENCH_FLAGS ?=

# Flags for cmd/alertbench, e.g. make bench-alerts ALERTBENCH_FLAGS="-rounds 3 -latency 1ms".
ALERTBENCH_FLAGS ?=

# Flags for cmd/scalebench, e.g. make bench-scale SCALE_FLAGS="-tries 3 -rate-duration 10s".
SCALE_FLAGS ?=

.PHONY: help build test test-all lint fmt bench fuzz run clean echarts jweixin

# Apache ECharts, vendored into the embedded static assets for the charts
# of 考核统计: `make echarts` fetches this version from npm and replaces
# the minified build, its licence and its notice (then commit them).
ECHARTS_VERSION ?= 6.1.0
# WeChat's JSSDK (jweixin 1.6.0) as the npm package weixin-js-sdk
# publishes it (MIT licence for the packaging; the code is Tencent's
# jweixin-1.6.0.js): `make jweixin` fetches this version and vendors it
# for the pages with photos, which load it only inside WeChat.
JWEIXIN_VERSION ?= 1.6.5
ECHARTS_DIR     := handler/web/static
NPM             ?= npm

help:
	@echo "make build     build $(BIN) (version $(VERSION))"
	@echo "make test      go test -race -count=1 ./... (SQLite and in-process kv only)"
	@echo "make test-all  the same against local MariaDB and Redis too"
	@echo "make lint      go vet, gofmt check, golangci-lint $(GOLANGCI_LINT_VERSION) if installed"
	@echo "make bench     load /wechat/callback of the project and of the baseline (wrk, MariaDB, Redis)"
	@echo "make bench-alerts  drain 10,000 queued alerts to the fake WeChat API with 1 and 2 instances (MariaDB, Redis)"
	@echo "make bench-scale  load province volume into MariaDB yv_scale if empty (~5 min), run the server on it, print issue 19's table"
	@echo "make fuzz      run every fuzz target for FUZZTIME (60s) each"
	@echo "make run       go run ./cmd/youthvoice"
	@echo "make echarts   vendor Apache ECharts $(ECHARTS_VERSION) from npm into $(ECHARTS_DIR)"
	@echo "make jweixin   vendor WeChat's JSSDK (npm weixin-js-sdk $(JWEIXIN_VERSION)) into $(ECHARTS_DIR)"

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/youthvoice

test:
	$(GO) test -race -count=1 ./...

test-all:
	@db='$(YV_TEST_MYSQL_DSN)'; db=$${db#*/}; db=$${db%%\?*}; \
	if [ -n "$$db" ] && command -v mariadb >/dev/null; then \
		mariadb --protocol=TCP -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS \`$$db\`" || true; \
	fi
	YV_TEST_MYSQL_DSN='$(YV_TEST_MYSQL_DSN)' YV_TEST_REDIS_ADDR='$(YV_TEST_REDIS_ADDR)' \
		$(GO) test -race -count=1 ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard -- '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "not gofmt-ed (run gofmt -w):"; echo "$$out"; exit 1; fi
	@if command -v $(GOLANGCI_LINT) >/dev/null; then \
		$(GOLANGCI_LINT) version; $(GOLANGCI_LINT) run ./...; \
	else \
		echo "golangci-lint not installed; skipped. Install: go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)"; \
	fi

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard -- '*.go')

# Needs MariaDB and Redis on their local ports (see .ci/run) and wrk.
bench:
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(GO) run ./cmd/wxbench $(BENCH_FLAGS)

# Needs MariaDB and Redis on their local ports (see .ci/run). Drains 10,000
# queued template messages to the fake WeChat API with one instance, then
# two; the database is YV_TEST_MYSQL_DSN's server with its own yv_alertbench.
.PHONY: bench-alerts
bench-alerts:
	YV_TEST_MYSQL_DSN='$(YV_TEST_MYSQL_DSN)' YV_TEST_REDIS_ADDR='$(YV_TEST_REDIS_ADDR)' \
		$(GO) run ./cmd/alertbench $(ALERTBENCH_FLAGS)

# Needs MariaDB and Redis on their local ports (see .ci/run) and wrk. Loads
# the province's volume into yv_scale when it is missing or empty
# (`go run ./cmd/scalebench load` reloads it), then measures; see README
# 「省级规模测试」.
.PHONY: bench-scale
bench-scale:
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(GO) run ./cmd/scalebench $(SCALE_FLAGS) all

# Every fuzz target, one after another, FUZZTIME each (go test -fuzz takes
# one target at a time).
FUZZTIME ?= 60s
FUZZ_TARGETS := \
	./handler/wechat/:FuzzCallback ./handler/wechat/:FuzzParseCallbackQuery ./handler/wechat/:FuzzTextReplyXML \
	./service/menu/:FuzzParse ./service/account/:FuzzParseImport ./service/stats/:FuzzParsePeriod \
	./service/question/:FuzzWordsMatch ./service/station/:FuzzParseCalendar ./service/station/:FuzzCalendarDeadline \
	./service/question/:FuzzParseSearchQuery ./model/:FuzzSearchPhrase

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZTIME) "$${t%%:*}"; \
	done

run:
	$(GO) run ./cmd/youthvoice

# npm pack downloads the published tarball (checked against the registry's
# integrity hash) without installing anything; only dist/echarts.min.js,
# the licence (with the d3 licence it refers to) and the notice are kept,
# and a gzipped copy the server sends to browsers that take it (1.1 MB
# becomes 0.37 MB on a phone's connection).
# TestEChartsVendored checks the file's version against ECHARTS_VERSION.
echarts:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && $(NPM) pack --silent echarts@$(ECHARTS_VERSION) >/dev/null ) && \
	tar -xzf "$$tmp"/echarts-$(ECHARTS_VERSION).tgz -C "$$tmp" && \
	grep -q 'version="$(ECHARTS_VERSION)"' "$$tmp"/package/dist/echarts.min.js && \
	cp "$$tmp"/package/dist/echarts.min.js $(ECHARTS_DIR)/echarts.min.js && \
	gzip -9 -n -c $(ECHARTS_DIR)/echarts.min.js > $(ECHARTS_DIR)/echarts.min.js.gz && \
	{ cat "$$tmp"/package/LICENSE; for f in "$$tmp"/package/licenses/*; do printf '\n\n==== %s ====\n\n' "$${f##*/}"; cat "$$f"; done; } \
		> $(ECHARTS_DIR)/echarts-LICENSE.txt && \
	cp "$$tmp"/package/NOTICE $(ECHARTS_DIR)/echarts-NOTICE.txt && \
	sed -i 's/^ECHARTS_VERSION ?= .*/ECHARTS_VERSION ?= $(ECHARTS_VERSION)/' Makefile && \
	echo "vendored echarts $(ECHARTS_VERSION) into $(ECHARTS_DIR)"

# The package wraps jweixin for CommonJS (module.exports = factory(window));
# a page has no module, so the wrapper is turned into the plain script
# WeChat serves (factory(window, true) sets window.wx). The page's CSP
# allows no other origin, so res.wx.qq.com cannot be used.
# TestJWeixinVendored checks the file against JWEIXIN_VERSION.
jweixin:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && $(NPM) pack --silent weixin-js-sdk@$(JWEIXIN_VERSION) >/dev/null ) && \
	tar -xzf "$$tmp"/weixin-js-sdk-$(JWEIXIN_VERSION).tgz -C "$$tmp" && \
	grep -q 'module.exports = n(e);' "$$tmp"/package/index.js && \
	{ printf '/* weixin-js-sdk %s (npm), WeChat JSSDK jweixin 1.6.0; see jweixin-LICENSE.txt */\n' $(JWEIXIN_VERSION); \
	  sed 's/module.exports = n(e);/n(e, !0);/' "$$tmp"/package/index.js; } > $(ECHARTS_DIR)/jweixin.js && \
	cp "$$tmp"/package/LICENSE $(ECHARTS_DIR)/jweixin-LICENSE.txt && \
	sed -i 's/^JWEIXIN_VERSION ?= .*/JWEIXIN_VERSION ?= $(JWEIXIN_VERSION)/' Makefile && \
	echo "vendored weixin-js-sdk $(JWEIXIN_VERSION) into $(ECHARTS_DIR)"

clean:
	rm -rf bin
