// Signs in to `oobe serve` with Microsoft's own Node library, @azure/msal-node, exactly as an app
// would sign in to Entra ID: device code sign-in, a forced refresh (a real refresh_token grant),
// then Graph's GET /v1.0/me with the access token.
//
//   NODE_EXTRA_CA_CERTS=/path/ca.pem node msal-node.mjs --url https://127.0.0.1:PORT \
//       --tenant <tenant id> --client-id <public client id>
//
// Every option may come from the environment instead: OOBE_URL, OOBE_TENANT, OOBE_CLIENT_ID,
// OOBE_CA (the CA to trust; the script re-runs itself with NODE_EXTRA_CA_CERTS set to it),
// OOBE_USER, OOBE_PASSWORD, OOBE_USER_OID (default: the demo tenant's Adele Vance).
// MSAL_LOG=verbose prints MSAL's own log (without PII). Exits 0 when every step passed, else 1
// with the step that failed. Tokens are never printed.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PublicClientApplication, LogLevel } from '@azure/msal-node';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' }, tenant: { type: 'string' }, 'client-id': { type: 'string' }, ca: { type: 'string' },
    user: { type: 'string' }, password: { type: 'string' }, 'user-oid': { type: 'string' },
  },
});
const base = (args.url ?? process.env.OOBE_URL ?? '').replace(/\/+$/, '');
const tenantId = args.tenant ?? process.env.OOBE_TENANT;
const clientId = args['client-id'] ?? process.env.OOBE_CLIENT_ID;
const ca = args.ca ?? process.env.OOBE_CA;
const user = args.user ?? process.env.OOBE_USER ?? 'adele.vance@contoso.com';
const password = args.password ?? process.env.OOBE_PASSWORD ?? 'Restore-2026!';
const userOid = (args['user-oid'] ?? process.env.OOBE_USER_OID ?? '6f162abf-414f-4b42-bd2a-7ff532bb3859').toLowerCase();

function fail(step, message, err) {
  console.error(`msal-node: FAIL at ${step}: ${message}`);
  if (err?.errorCode) console.error(`  MSAL errorCode: ${err.errorCode}${err.subError ? `, subError: ${err.subError}` : ''}`);
  if (err?.errorMessage && err.errorMessage !== message) console.error(`  MSAL errorMessage: ${err.errorMessage.split('\n')[0]}`);
  for (let c = err?.cause; c; c = c.cause) console.error(`  cause: ${c.code ? c.code + ': ' : ''}${c.message ?? c}`);
  if (err && !err.errorCode && !(err instanceof Error)) console.error(`  ${err}`);
  process.exit(1);
}

if (!base || !tenantId || !clientId) {
  fail('arguments', 'need --url, --tenant and --client-id (or OOBE_URL, OOBE_TENANT, OOBE_CLIENT_ID)');
}
// Node reads NODE_EXTRA_CA_CERTS once, at start: to trust --ca, run again with it set.
if (ca && process.env.NODE_EXTRA_CA_CERTS !== ca) {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } });
  process.exit(r.status ?? 1);
}
if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
  fail('arguments', 'NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off; trust the CA with NODE_EXTRA_CA_CERTS instead');
}

const authority = `${base}/${tenantId}`;
const host = new URL(base).host; // 127.0.0.1:PORT
const step = (name, detail) => console.log(`msal-node: ok   ${name}${detail ? ': ' + detail : ''}`);
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// 0. The discovery document MSAL is about to fetch, fetched here first, so that a TLS or network
//    problem is named plainly rather than as MSAL's endpoints_resolution_error.
try {
  const res = await fetch(`${authority}/v2.0/.well-known/openid-configuration`);
  if (res.status !== 200) fail('discovery', `GET ${authority}/v2.0/.well-known/openid-configuration answered ${res.status}`);
  const disco = await res.json();
  step('discovery', `issuer ${disco.issuer}`);
} catch (e) {
  const hint = base.startsWith('https:') ? ' (is the simulator\'s CA trusted? --ca FILE or NODE_EXTRA_CA_CERTS=FILE)' : '';
  fail('discovery', `GET ${authority}/v2.0/.well-known/openid-configuration: ${e.message}${hint}`, e);
}

const pca = new PublicClientApplication({
  auth: {
    clientId,
    // The tenant's authority, as for Entra: https://{host}/{tenant id}. MSAL fetches
    // {authority}/v2.0/.well-known/openid-configuration itself.
    authority,
    // A host MSAL does not know as a Microsoft cloud is refused ("untrusted authority") unless it is
    // listed here; listed, MSAL skips instance discovery (login.microsoftonline.com/common/discovery/instance)
    // and uses the host as its own cache alias. Entries are host[:port].
    knownAuthorities: [host],
  },
  system: {
    loggerOptions: {
      logLevel: process.env.MSAL_LOG === 'verbose' ? LogLevel.Verbose : LogLevel.Warning,
      piiLoggingEnabled: false,
      loggerCallback: (_level, message) => console.error(`  [msal] ${message}`),
    },
  },
});

const scopes = ['User.Read'];

// 1. Device code sign-in. The "person" approves the code on the simulator's device login page,
//    posting the same form fields a browser would.
let approval;
const request = {
  scopes,
  timeout: 120, // seconds of polling before MSAL gives up
  deviceCodeCallback: (r) => {
    step('device code', `${r.userCode} at ${r.verificationUri}, every ${r.interval}s for ${r.expiresIn}s`);
    approval = (async () => {
      if (!r.verificationUri.startsWith(base + '/')) throw new Error(`verification_uri ${r.verificationUri} is not under ${base}`);
      const res = await fetch(r.verificationUri, {
        method: 'POST',
        body: new URLSearchParams({ user_code: r.userCode, username: user, password, action: 'approve' }),
      });
      const page = await res.text();
      if (res.status !== 200) throw new Error(`POST ${r.verificationUri} answered ${res.status}: ${page.match(/AADSTS\d+[^<]*/)?.[0] ?? ''}`);
    })().catch((e) => {
      request.cancel = true; // stops MSAL's polling at its next turn
      throw e;
    });
    approval.catch(() => {}); // awaited below
  },
};
let first;
try {
  first = await pca.acquireTokenByDeviceCode(request);
} catch (e) {
  if (approval) await approval.catch((ae) => fail('device code approval', ae.message, ae));
  fail('acquireTokenByDeviceCode', e.message, e);
}
if (!approval) fail('acquireTokenByDeviceCode', 'deviceCodeCallback was never called');
await approval.catch((e) => fail('device code approval', e.message, e));
if (!first?.accessToken) fail('acquireTokenByDeviceCode', 'no access token in the result');
if (first.account?.username?.toLowerCase() !== user.toLowerCase()) fail('acquireTokenByDeviceCode', `account.username is ${first.account?.username}, want ${user}`);
if (first.tenantId !== tenantId) fail('acquireTokenByDeviceCode', `tenantId is ${first.tenantId}, want ${tenantId}`);
if (first.uniqueId?.toLowerCase() !== userOid) fail('acquireTokenByDeviceCode', `uniqueId (oid) is ${first.uniqueId}, want ${userOid}`);
if (!first.scopes.some((s) => s.toLowerCase() === 'user.read')) fail('acquireTokenByDeviceCode', `scopes ${first.scopes} lack User.Read`);
step('acquireTokenByDeviceCode', `${first.account.username}, home account ${first.account.homeAccountId}, scopes ${first.scopes.join(' ')}`);

// 2. A forced refresh: MSAL skips its cache and redeems the refresh token (grant_type=refresh_token).
//    The simulator rotates refresh tokens, so a changed one in MSAL's cache shows the grant happened.
const refreshTokenInCache = () => Object.values(JSON.parse(pca.getTokenCache().serialize()).RefreshToken ?? {}).map((t) => t.secret);
const before = refreshTokenInCache();
if (before.length !== 1) fail('cache', `MSAL's cache holds ${before.length} refresh tokens after sign-in, want 1`);
let refreshed;
for (const round of [1, 2]) {
  try {
    refreshed = await pca.acquireTokenSilent({ account: first.account, scopes, forceRefresh: true });
  } catch (e) {
    fail(`acquireTokenSilent forceRefresh (round ${round})`, e.message, e);
  }
  if (refreshed.fromCache) fail('acquireTokenSilent forceRefresh', 'the result came from the cache');
  if (!refreshed.accessToken) fail('acquireTokenSilent forceRefresh', 'no access token');
  if (refreshed.uniqueId?.toLowerCase() !== userOid) fail('acquireTokenSilent forceRefresh', `uniqueId is ${refreshed.uniqueId}, want ${userOid}`);
  step(`acquireTokenSilent forceRefresh (round ${round})`, `a new access token for ${refreshed.scopes.join(' ')}`);
}
const after = refreshTokenInCache();
if (after.length !== 1) fail('cache', `MSAL's cache holds ${after.length} refresh tokens after refreshing, want 1`);
if (after[0] === before[0]) fail('cache', 'the refresh token in MSAL\'s cache did not change: no refresh_token grant happened, or it was not rotated');
step('refresh token grant', 'the cached refresh token was rotated');

// 3. Graph: GET /v1.0/me with the refreshed access token.
const at = claimsOf(refreshed.accessToken);
step('access token', `aud ${at.aud}, ver ${at.ver}, scp "${at.scp}"`);
let me;
try {
  const res = await fetch(`${base}/v1.0/me`, { headers: { Authorization: `Bearer ${refreshed.accessToken}` } });
  const body = await res.text();
  if (res.status !== 200) fail('GET /v1.0/me', `status ${res.status}: ${body.slice(0, 400)}`);
  me = JSON.parse(body);
} catch (e) {
  fail('GET /v1.0/me', e.message, e);
}
if (me.id?.toLowerCase() !== userOid) fail('GET /v1.0/me', `id is ${me.id}, want ${userOid}`);
if (me.userPrincipalName?.toLowerCase() !== user.toLowerCase()) fail('GET /v1.0/me', `userPrincipalName is ${me.userPrincipalName}, want ${user}`);
step('GET /v1.0/me', `${me.displayName} <${me.userPrincipalName}> ${me.id}`);
console.log(`msal-node: PASS (@azure/msal-node against ${authority})`);
