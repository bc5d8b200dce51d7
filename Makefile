# goswan - see README.md. `make demo` and `make test` are the two entry points.
GO        ?= go
BIN       := bin
TOOLS     := $(CURDIR)/.tools
STATICCHECK := $(TOOLS)/staticcheck
FUZZTIME  ?= 5m
# strongSwan's own scenarios, when a copy is at hand (optional; the project's
# scenarios in testing/tests always run)
SS_SCENARIOS ?= $(wildcard ../shared/lab/scenarios)

export GOFLAGS ?= -trimpath

.PHONY: all build deps deps-build test unit lint lab demo fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/charon ./cmd/charon
	$(GO) build -o $(BIN)/ipsec ./cmd/ipsec
	$(GO) build -o $(BIN)/lab ./testing/cmd/lab

deps-build:
	testing/install-deps --build

deps:
	testing/install-deps

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	$(GO) test -count=1 ./...

# every scenario in testing/tests with strongSwan on all hosts, with our
# daemon on all hosts and mixed both ways (testing/lab-matrix); then
# strongSwan's own rw-cert if at hand. Both run even if one fails.
lab: build
	status=0; \
	LAB=$(abspath $(BIN))/lab GOSWAN_IPSEC=$(abspath $(BIN))/ipsec testing/lab-matrix || status=1; \
	$(if $(SS_SCENARIOS),$(BIN)/lab run --compat libipsec $(SS_SCENARIOS)/ikev2-stroke/rw-cert || status=1;) \
	exit $$status

test: deps build lint unit lab

demo: deps-build build
	testing/demo

fuzz:
	testing/fuzz-all $(FUZZTIME)

# Go benchmarks (handshakes/s on 1 and 2 cores, memory per SA at 10,000 and
# 100,000 SAs, ESP seal/open, pools...), then testing/cmd/bench: iperf3 and
# UDP packets/s through our datapath vs strongSwan's kernel-libipsec in
# network namespaces, a CPU profile, IKE setups/s and RSS per SA of both
# daemons. Needs root and the lab packages (make deps).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) test -run '^$$' -bench Handshake -cpu 1,2 -benchtime 5000x ./internal/ike/sa/
	$(GO) build -o $(BIN)/bench ./testing/cmd/bench
	$(BIN)/bench

clean:
	rm -rf $(BIN) $(TOOLS)
