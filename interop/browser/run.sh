#!/usr/bin/env bash
# The sign-in pages in Debian's Chromium: builds oobe, then runs pages.test.mjs, which starts
# `oobe serve` itself. Screenshots go to ${OOBE_ARTIFACTS:-${TMPDIR:-/tmp}/oobe-artifacts}/browser.
# Needs Go, Node 20+, and /usr/bin/chromium (apt-get install chromium); CHROMIUM overrides the path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$root" && go build -o "$tmp/oobe" ./cmd/oobe)
cd "$here"
if [ ! -d node_modules/playwright-core ]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
status=0
OOBE_BIN="$tmp/oobe" node --test --test-reporter=spec pages.test.mjs || status=$?
echo "browser: screenshots in ${OOBE_ARTIFACTS:-${TMPDIR:-/tmp}/oobe-artifacts}/browser"
exit $status
