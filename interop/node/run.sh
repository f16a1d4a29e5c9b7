#!/usr/bin/env bash
# The msal-node check against a fresh `oobe serve --tls`: builds oobe, starts it with its own
# data and config directories, trusts its CA with NODE_EXTRA_CA_CERTS only, runs msal-node.mjs
# for the demo tenant (OOBE_TENANT_NAME, default Contoso) and stops the server.
# Needs Go and Node 20+; runs `npm ci` here when node_modules is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/oobe" ./cmd/oobe)
cd "$here"
if [ ! -d node_modules/@azure/msal-node ]; then
	npm ci --no-audit --no-fund
fi

XDG_CONFIG_HOME="$tmp/config" "$tmp/oobe" serve --tls --data "$tmp/data" --json --device-code-interval 1s \
	>"$tmp/serve.json" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 200); do
	[ -s "$tmp/serve.json" ] && break
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "msal-node: oobe serve --tls exited before printing its start line:" >&2
		cat "$tmp/serve.log" >&2
		exit 1
	fi
	sleep 0.1
done
if [ ! -s "$tmp/serve.json" ]; then
	echo "msal-node: oobe serve printed nothing in 20 s" >&2
	cat "$tmp/serve.log" >&2
	exit 1
fi

# url, caCert and the tenant's id and public client id, from the one JSON line.
fields=$(OOBE_TENANT_NAME="${OOBE_TENANT_NAME:-Contoso}" node -e '
	const info = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
	const t = info.tenants.find((t) => t.name === process.env.OOBE_TENANT_NAME);
	if (!t) { console.error(`no tenant ${process.env.OOBE_TENANT_NAME} in ${JSON.stringify(info.tenants)}`); process.exit(1); }
	if (!info.url.startsWith("https://") || !info.caCert) { console.error(`want an https url and a caCert, got ${JSON.stringify(info)}`); process.exit(1); }
	console.log(info.url, info.caCert, t.id, t.clientId);
' "$tmp/serve.json")
read -r url ca tenant client <<<"$fields"
echo "msal-node: oobe serve at $url, CA $ca"

status=0
env -u NODE_TLS_REJECT_UNAUTHORIZED NODE_EXTRA_CA_CERTS="$ca" \
	node msal-node.mjs --url "$url" --tenant "$tenant" --client-id "$client" || status=$?
if [ "$status" != 0 ]; then
	echo "msal-node: oobe serve's log:" >&2
	tail -n 40 "$tmp/serve.log" >&2
fi
exit $status
