# o2c — run `make help` for the targets.

GO ?= go
PKGS ?= ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets
	@grep -E '^[a-z/_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the o2c binary into bin/
	$(GO) build -o bin/o2c ./cmd/o2c

.PHONY: demo
demo: ## Run the demo on the embedded PostgreSQL
	$(GO) run ./cmd/o2c demo

.PHONY: fmt-check
fmt-check: ## Fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## Run go vet
	$(GO) vet $(PKGS)

.PHONY: test
test: fmt-check vet ## Check formatting, vet, and run every test with the race detector
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

.PHONY: bench
bench: ## Run the benchmarks (no tests)
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
