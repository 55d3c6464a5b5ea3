#!/usr/bin/env bash
# The test corpora live in tests/data, copied from ../shared (where updates come from):
#   scripts/test-data.sh           refresh the copy from ../shared
#   scripts/test-data.sh --check   fail when the copy differs from ../shared (CI)
# Without ../shared beside the repository, --check has nothing to compare and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared
dst=tests/data
# What the tests read, and the README and licence of each corpus.
parts=(conformance/cases conformance/histories conformance/README.md
       realworld/definitions realworld/README.md realworld/LICENSE
       projects tools/compare-history.py)
if [ ! -d "$src" ]; then
    echo "test-data: no $src beside the repository; nothing to compare"
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    status=0
    for p in "${parts[@]}"; do
        if ! diff -rq "$src/$p" "$dst/$p" >/dev/null 2>&1; then
            echo "test-data: $dst/$p differs from $src/$p; run scripts/test-data.sh"
            diff -rq "$src/$p" "$dst/$p" | head -5 || true
            status=1
        fi
    done
    [ $status -eq 0 ] && echo "test-data: tests/data matches $src"
    exit $status
fi
for p in "${parts[@]}"; do
    mkdir -p "$dst/$(dirname "$p")"
    rm -rf "${dst:?}/$p"
    cp -R "$src/$p" "$dst/$p"
done
echo "test-data: copied ${parts[*]} from $src to $dst"
