# auditship: `make run` shows the pipeline end to end, `make test` runs every test.
# Tools are installed, pinned, into .tools/bin from the Go module proxy; nothing else is needed.

SHELL := /bin/bash
GO ?= go

OCB_VERSION         := v0.164.0
VERSITYGW_VERSION   := v1.8.0
STATICCHECK_VERSION := v0.8.2

TOOLS       := $(CURDIR)/.tools/bin
OCB         := $(TOOLS)/builder
VERSITYGW   := $(TOOLS)/versitygw
STATICCHECK := $(TOOLS)/staticcheck
COLLECTOR   := bin/otelcol-audit
VERIFY      := bin/otelcol-audit-verify

GO_SOURCES := $(shell find . -name '*.go' -not -path './build/*' -not -path './.tools/*' -not -path './.run/*' -not -path './deploy/check/*') go.mod go.sum

# Tests reach the pinned binaries through these.
export VERSITYGW
export AUDITSHIP_COLLECTOR := $(CURDIR)/$(COLLECTOR)

.PHONY: all build run test test-deploy fuzz docker bench bench-e2e pgo lint tools clean

all: build

# A tool is reinstalled when its pinned version changes: the stamp names the version.
$(TOOLS)/.builder-$(OCB_VERSION):
	GOBIN=$(TOOLS) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	rm -f $(TOOLS)/.builder-* && touch $@
$(OCB): $(TOOLS)/.builder-$(OCB_VERSION)

$(TOOLS)/.versitygw-$(VERSITYGW_VERSION):
	@echo "installing versitygw $(VERSITYGW_VERSION) (first time only, a few minutes)"
	GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	rm -f $(TOOLS)/.versitygw-* && touch $@
$(VERSITYGW): $(TOOLS)/.versitygw-$(VERSITYGW_VERSION)

$(TOOLS)/.staticcheck-$(STATICCHECK_VERSION):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	rm -f $(TOOLS)/.staticcheck-* && touch $@
$(STATICCHECK): $(TOOLS)/.staticcheck-$(STATICCHECK_VERSION)

tools: $(OCB) $(VERSITYGW) $(STATICCHECK)

build: $(COLLECTOR) $(VERIFY)

# Profile-guided optimisation: the compiler inlines and lays out the paths that a CPU profile of
# the collector under `make bench-e2e` names as hot (about 4% fewer instructions in the
# receiver's decoding, ocsf, mask and the encoder). `make pgo` takes a new profile.
PGO_PROFILE := otelcol-audit.pgo

$(COLLECTOR): $(OCB) builder-config.yaml $(PGO_PROFILE) $(GO_SOURCES)
	@mkdir -p build
	GOFLAGS=-pgo=$(CURDIR)/$(PGO_PROFILE) $(OCB) --config builder-config.yaml
	@mkdir -p bin
	cp build/otelcol-audit/otelcol-audit $@

# Checks every audits3 destination of a collector config without starting the collector
# (docs/operations.md).
$(VERIFY): $(GO_SOURCES)
	@mkdir -p bin
	$(GO) build -o $@ ./cmd/otelcol-audit-verify

run: $(COLLECTOR) $(VERSITYGW)
	$(GO) run ./internal/cmd/rundemo -collector $(COLLECTOR) -versitygw $(VERSITYGW) \
		-config testdata/demo.yaml -samples testdata/samples -workdir .run

# Every test: unit tests, integration tests against versitygw, the end-to-end test of the
# ocb-built binary, and lint.
test: $(COLLECTOR) $(VERSITYGW) lint
	$(GO) test -race -count=1 -timeout 20m ./...
	cd deploy/check && AUDITSHIP_COLLECTOR=$(CURDIR)/$(COLLECTOR) $(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz

# Each fuzz target for FUZZTIME beyond its seeds (a minute and a half in all): a regression on
# the paths the seeds reach shows up in every `make test`. Longer runs: `make fuzz FUZZTIME=10m`.
# go test fuzzes one target of one package at a time.
FUZZTIME ?= 12s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./receiver/auditlogreceiver/
	$(GO) test -run '^$$' -fuzz '^FuzzDecompressAndDecode$$' -fuzztime $(FUZZTIME) ./receiver/auditlogreceiver/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./internal/auditevent/
	$(GO) test -run '^$$' -fuzz '^FuzzParseTimestampNTZ$$' -fuzztime $(FUZZTIME) ./internal/auditevent/
	$(GO) test -run '^$$' -fuzz '^FuzzMask$$' -fuzztime $(FUZZTIME) ./processor/maskprocessor/
	$(GO) test -run '^$$' -fuzz '^FuzzFrames$$' -fuzztime $(FUZZTIME) ./exporter/audits3exporter/internal/spool/

# The deployment files alone: the Kubernetes manifests (decoded strictly into the Kubernetes
# API types), the Helm values and the Dockerfile, and every collector configuration in them run
# through the built binary's `validate`. A nested module, so that the k8s.io dependencies stay
# out of ours; AUDITSHIP_COLLECTOR (exported above) points it at the binary.
test-deploy: $(COLLECTOR)
	cd deploy/check && AUDITSHIP_COLLECTOR=$(CURDIR)/$(COLLECTOR) $(GO) test -count=1 ./...

# The container image. Its build stage runs `make build` itself, so this needs only a Docker
# engine (with BuildKit, the default).
IMAGE ?= otelcol-audit:$(shell awk '$$1 == "version:" {print $$2; exit}' builder-config.yaml)
docker:
	docker build -t $(IMAGE) .

# The comparisons with the stock processors (ocsf against the contrib transform processor, mask
# against the contrib redaction processor) are nested modules, so that the contrib dependencies
# stay out of ours: ./... does not reach them.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd processor/ocsfprocessor/internal/benchcompare && $(GO) test -run '^TestSameClassification$$' -bench . -benchmem
	cd processor/maskprocessor/internal/benchcompare && $(GO) test -run '^Test(RedactionMisses|RecordShape)$$' -v -bench . -benchmem

# The whole collector under load: 1M events, 20 tenants, a fifth carrying credentials.
# BENCH_E2E_FLAGS adds flags, e.g. the Go runtime's settings for the collector:
#   make bench-e2e BENCH_E2E_FLAGS='-env GOGC=400 -env GOMEMLIMIT=110MiB'
# or a comparison with another build, run in turn with this one, round by round (a shared
# machine's speed drifts between runs more than a change of a few percent):
#   make bench-e2e BENCH_E2E_FLAGS='-baseline /tmp/otelcol-audit-before -rounds 8'
BENCH_E2E_FLAGS ?=
bench-e2e: $(COLLECTOR) $(VERSITYGW)
	$(GO) run ./internal/cmd/benche2e -collector $(COLLECTOR) -versitygw $(VERSITYGW) \
		-config testdata/bench.yaml -workdir .run/bench -events 1000000 -tenants 20 $(BENCH_E2E_FLAGS)

# A new PGO_PROFILE: the CPU profiles of three runs of the end-to-end benchmark (the first 10 s
# of load each), merged. Commit it with the code it was taken on; the next build uses it.
pgo: $(COLLECTOR) $(VERSITYGW)
	for i in 1 2 3; do \
		$(GO) run ./internal/cmd/benche2e -collector $(COLLECTOR) -versitygw $(VERSITYGW) -profile \
			-config testdata/bench.yaml -workdir .run/pgo-$$i -events 1000000 -tenants 20 || exit 1; \
	done
	$(GO) tool pprof -proto .run/pgo-1/cpu.pprof .run/pgo-2/cpu.pprof .run/pgo-3/cpu.pprof > .run/pgo.pprof
	mv .run/pgo.pprof $(PGO_PROFILE)

lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l receiver processor exporter extension internal cmd deploy); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd deploy/check && $(GO) vet ./...

clean:
	rm -rf bin build .run
