# tudi — `make run` serves the sample district; `make test` runs every test.
GO ?= go
BIN := bin/tudi

.PHONY: all run test build deps test-deps webmap lint bench-import bench-tiles bench-features clean fuzz soak test-scale

all: build

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh --test

# Regenerates webmap/vendor from webmap/package-lock.json (needs npm);
# build, run and test use the committed copy and need no Node.
webmap:
	@$(MAKE) -s -C webmap vendor

build:
	$(GO) build -o $(BIN) ./cmd/tudi

run: deps build
	./$(BIN) serve

test: test-deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

clean:
	rm -rf bin

# Import benchmark: tudi import vs ogr2ogr on the scale-400 sample parcels (SCALE=… to change).
bench-import:
	@bash bench/import.sh

# Tile benchmark: tudi vs pg_tileserv (PG_TILESERV=/path/to/binary, built outside this repository) on the scale-400 sample.
bench-tiles:
	@bash bench/tiles.sh

# OGC API Features benchmark: tudi vs pg_featureserv as shipped and without parallel plans
# (PG_FEATURESERV=/path/to/binary or PG_FEATURESERV_SRC=/path/to/its/source) on the scale-400 sample.
bench-features:
	@bash bench/features.sh

# Fuzzing: every Fuzz target of the module for FUZZTIME each (default 3m), one after another.
fuzz:
	@bash scripts/fuzz.sh

# Soak and attack test: tudi serve on loopback with a temp data dir, 200 clients and the known attacks for DURATION (default 10m).
soak:
	@bash scripts/soak.sh

# Scale test (minutes, not part of make test): a primary and a streaming replica, two tudi serve behind nginx, an import, the replica stopped mid-run.
test-scale:
	@bash scripts/test-scale.sh
