# sofort — the two commands that matter: `make run` and `make test`.
GO        ?= go
DATA      ?= data
EVAL_DIR  ?= ../shared/eval
SUITES    ?= covid-de covid-en clinc150 banking77
MODES     ?= bm25,vector,hybrid
BENCHTIME ?= 1x

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

## eval: retrieval figures on the dev suites for every mode
eval:
	@for s in $(SUITES); do \
		$(GO) run ./cmd/sofort eval --corpus $(EVAL_DIR)/$$s/corpus.jsonl --cases $(EVAL_DIR)/$$s/dev.jsonl --mode $(MODES) || exit 1; \
	done

## bench: speed and memory benchmarks (query latency, import throughput, sizes)
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 60m ./index/ ./index/vecindex/ ./corpus/

## lint: vet plus formatting check
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## lexicon: regenerate the embedded thesaurus data from Debian packages
lexicon:
	apt-get install -y openthesaurus-de-text wordnet-base
	$(GO) run ./internal/lexicon/gen -out internal/lexicon/data
