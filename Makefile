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

.PHONY: run test bench eval lint build deps-test lexicon

## run: start sofort on ./data with the bundled demo corpus (no network, no setup)
run:
	$(GO) run ./cmd/sofort shell --data $(DATA)

build:
	$(GO) build -o bin/sofort ./cmd/sofort

## test: vet and the whole test suite with the race detector
test: deps-test
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Tests need nothing beyond Go yet; later issues add a browser here.
deps-test:
	@true

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
