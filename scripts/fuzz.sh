#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 3m), one
# after another. Targets are listed with `go test -list '^Fuzz'` in each
# package that has a `func Fuzz…` in its tests, so new targets join by
# themselves. A failing input is written by go test to the package's
# testdata/fuzz/FuzzXxx/ (commit it: it becomes a regression seed); the
# script goes on with the other targets and exits non-zero at the end.
#
#   FUZZTIME=30s scripts/fuzz.sh            # every target, 30 s each
#   FUZZTIME=2m scripts/fuzz.sh ./importers # one package
#   FUZZPARALLEL=2                          # fuzzing workers (default 1)
set -u
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3m}
FUZZPARALLEL=${FUZZPARALLEL:-1}
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	mapfile -t pkgs < <($GO list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
		if grep -qs '^func Fuzz' "$dir"/*_test.go; then echo "$pkg"; fi
	done)
fi
failed=()
ran=0
for pkg in "${pkgs[@]}"; do
	targets=$($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for t in $targets; do
		echo "== $pkg $t ($FUZZTIME)"
		ran=$((ran + 1))
		if ! $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" "$pkg"; then
			failed+=("$pkg $t")
		fi
	done
done
echo "== $ran fuzz targets run for $FUZZTIME each"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	echo "the failing inputs are in each package's testdata/fuzz/<target>/ (go test -run '<target>/<file>' reproduces one)"
	exit 1
fi
