# sofort — the two commands that matter: `make run` and `make test`.
GO        ?= go
DATA      ?= data
EVAL_DIR  ?= ../shared/eval
SUITES    ?= covid-de covid-en clinc150 banking77
MODES     ?= bm25,vector,hybrid,bot
BENCH_QUERIES ?= 1000
BENCH_SIZES   ?= 1000,10000,22500
BENCH_IMPORT_SIZES ?= 10000
BENCH_ENV      = SOFORT_EVAL_DIR=$(abspath $(EVAL_DIR)) SOFORT_BENCH_SIZES=$(BENCH_SIZES) SOFORT_BENCH_IMPORT_SIZES=$(BENCH_IMPORT_SIZES)

.PHONY: run test bench bench-web eval lint build deps-test lexicon

## run: serve the chat on http://localhost:8080 from ./data with the bundled
## demo corpus (no network, no setup); it prints the URL and how to create
## the first staff account. `sofort shell` is the old search prompt.
ADDR ?= localhost:8080
run:
	$(GO) run ./cmd/sofort serve --data $(DATA) --addr $(ADDR)

build:
	$(GO) build -o bin/sofort ./cmd/sofort

## test: vet and the whole test suite with the race detector
# SOFORT_BROWSER_TEST=1: under make test a missing browser fails the
# browser test instead of skipping it.
test: deps-test
	$(GO) vet ./...
	SOFORT_BROWSER_TEST=1 $(GO) test -race -count=1 ./...

# The browser test (web/browser_test.go) drives Debian's chromium; install
# it when missing (root, or sudo).
deps-test:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "deps-test: installing chromium for the browser test"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## eval: retrieval figures for every mode and the bot's decisions (mode bot, docs/bot.md) on the dev suites
eval:
	@for s in $(SUITES); do \
		$(GO) run ./cmd/sofort eval --corpus $(EVAL_DIR)/$$s/corpus.jsonl --cases $(EVAL_DIR)/$$s/dev.jsonl --mode $(MODES) || exit 1; \
	done

## bench: speed and memory benchmarks (query latency, import throughput, sizes); see docs/bench.md
# Footprint runs first, in a fresh process, and builds every corpus size
# (cached under $TMPDIR/sofort-bench for the runs after it); search needs
# many queries per benchmark for its percentiles, import one corpus each.
# 100k documents are left out of the default to keep the run near 15
# minutes: make bench BENCH_SIZES=1000,10000,22500,100000
bench:
	$(BENCH_ENV) $(GO) test -run '^$$' -bench 'Footprint' -benchtime 1x -timeout 60m ./index/
	$(BENCH_ENV) $(GO) test -run '^$$' -bench 'Search' -benchtime $(BENCH_QUERIES)x -timeout 60m ./index/
	$(BENCH_ENV) $(GO) test -run '^$$' -bench 'Import' -benchtime 1x -timeout 60m ./index/
	$(GO) test -run '^$$' -bench 'Search$$/n=100k/dim=384' -benchtime $(BENCH_QUERIES)x -timeout 60m ./index/vecindex/
	$(MAKE) bench-crawl
	$(MAKE) bench-web

.PHONY: bench-crawl
## bench-crawl: crawl a 10,000-page loopback site and recrawl it unchanged; see docs/crawl.md
bench-crawl:
	$(GO) test -run '^$$' -bench 'Crawl' -benchtime 1x -timeout 30m ./corpus/crawl/

## lint: vet plus formatting check
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## lexicon: regenerate the embedded thesaurus data from Debian packages
lexicon:
	apt-get install -y openthesaurus-de-text wordnet-base
	$(GO) run ./internal/lexicon/gen -out internal/lexicon/data

## bench-web: chat API load test (req/s at p99 <= 50 ms, demo and 10k corpora)
## and memory per conversation and event stream; see docs/web.md
bench-web:
	SOFORT_EVAL_DIR=$(abspath $(EVAL_DIR)) $(GO) test -run '^$$' -bench 'ChatAPI|Footprint' -benchtime 1x -timeout 30m ./web/
