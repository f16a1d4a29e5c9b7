// The simulator's sign-in pages in a real browser: Debian's Chromium driven by playwright-core.
//
//   node --test pages.test.mjs          (run.sh builds oobe first and sets OOBE_BIN)
//
// Each flow runs twice, at a desktop size and at a phone's (390x844, mobile viewport, so the
// page's viewport meta tag decides the layout width), and every page state is checked for
// legibility and saved as a PNG under $OOBE_ARTIFACTS/browser (default ${TMPDIR:-/tmp}/oobe-artifacts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes, createPublicKey, createVerify } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { startServe } from './serve.mjs';

const USER = { upn: 'adele.vance@contoso.com', password: 'Restore-2026!', name: 'Adele Vance', oid: '6f162abf-414f-4b42-bd2a-7ff532bb3859' };
const SCOPE = 'openid profile offline_access User.Read';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const artifacts = join(process.env.OOBE_ARTIFACTS || join(process.env.TMPDIR || tmpdir(), 'oobe-artifacts'), 'browser');

const VIEWPORTS = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 800 } } },
  // isMobile makes Chromium lay the page out as a phone does: at 980 px unless the page's
  // <meta name="viewport"> says device-width.
  { name: 'phone', options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];

let sim, tenant, browser;

before(async () => {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  sim = await startServe();
  tenant = sim.tenants.find((t) => t.name === 'Contoso');
  assert.ok(tenant, `no Contoso tenant in ${JSON.stringify(sim.tenants)}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // Playwright adds --headless and --no-sandbox itself and gives every launch a fresh profile
    // in a temporary directory (it refuses --user-data-dir in args). Without the
    // background-networking flags Chromium keeps trying Google's hosts on this closed network.
    args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await sim?.stop();
  console.log(`screenshots: ${artifacts}`);
});

// ---- helpers ---------------------------------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function jwtParts(token) {
  const [h, p, s] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')), signed: `${h}.${p}`, sig: Buffer.from(s, 'base64url') };
}

// verifyIDToken checks the RS256 signature against the tenant's published keys, and the claims
// a client must check.
async function verifyIDToken(raw, { nonce } = {}) {
  const t = jwtParts(raw);
  assert.equal(t.header.alg, 'RS256');
  const disco = await (await fetch(`${tenant.authority}/v2.0/.well-known/openid-configuration`)).json();
  const jwks = await (await fetch(disco.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === t.header.kid);
  assert.ok(jwk, `kid ${t.header.kid} is not in ${disco.jwks_uri}`);
  const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  assert.ok(createVerify('RSA-SHA256').update(t.signed).verify(key, t.sig), 'ID token signature');
  const c = t.payload;
  assert.equal(c.iss, disco.issuer);
  assert.equal(c.aud, tenant.clientId);
  assert.equal(c.tid, tenant.id);
  assert.equal(c.oid, USER.oid);
  assert.equal(c.preferred_username, USER.upn);
  if (nonce !== undefined) assert.equal(c.nonce, nonce);
  const now = Date.now() / 1000;
  assert.ok(c.exp > now && c.iat <= now + 300, `exp ${c.exp} iat ${c.iat} now ${now}`);
  return c;
}

async function tokenRequest(params) {
  const res = await fetch(`${tenant.authority}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(params) });
  return { status: res.status, body: await res.json() };
}

// shot saves a full-page PNG of the current page state.
let shotNo = 0;
async function shot(page, vp, name) {
  const file = join(artifacts, `${String(++shotNo).padStart(2, '0')}-${vp}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// assertLegible: nothing scrolls sideways, the page is laid out at the device's width, every
// field and button is on screen with text of at least 16 px (below that iOS zooms into a field
// when it gets focus, and the page no longer fits), buttons on a phone are 44 px tall (Apple's
// smallest touch target), and no text is under 12 px.
async function assertLegible(page, where) {
  const m = await page.evaluate(() => {
    const vw = window.innerWidth;
    const controls = [];
    for (const el of document.querySelectorAll('input:not([type=hidden]), button, select, textarea')) {
      const st = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (inside <noscript>, say)
      controls.push({
        what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.name ? '[name=' + el.name + ']' : ''}${el.value && el.tagName === 'BUTTON' ? '=' + el.value : ''}`,
        fontSize: parseFloat(st.fontSize), left: r.left, right: r.right, height: r.height,
        visible: st.visibility !== 'hidden' && st.display !== 'none' && parseFloat(st.opacity) > 0,
      });
    }
    let smallest = Infinity;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim() || !n.parentElement.getClientRects().length) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(n.parentElement).fontSize));
    }
    return {
      vw, scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth,
      viewportMeta: document.querySelector('meta[name=viewport]')?.content ?? null, controls, smallestText: smallest,
    };
  });
  const vp = page.viewportSize();
  assert.equal(m.vw, vp.width, `${where}: laid out ${m.vw} px wide in a ${vp.width} px viewport (viewport meta: ${m.viewportMeta})`);
  assert.ok(m.scrollWidth <= m.vw, `${where}: scrolls sideways: scrollWidth ${m.scrollWidth} > innerWidth ${m.vw}`);
  assert.ok(m.bodyScrollWidth <= m.vw, `${where}: body scrollWidth ${m.bodyScrollWidth} > innerWidth ${m.vw}`);
  for (const c of m.controls) {
    assert.ok(c.visible, `${where}: ${c.what} is hidden`);
    assert.ok(c.left >= 0 && c.right <= m.vw, `${where}: ${c.what} sticks out (${c.left}..${c.right} of ${m.vw})`);
    assert.ok(c.fontSize >= 16, `${where}: ${c.what} has ${c.fontSize} px text (want at least 16 px)`);
    if (c.what.startsWith('button') && m.vw <= 480) {
      assert.ok(c.height >= 44, `${where}: ${c.what} is ${c.height} px tall, a small target for a finger (want 44 px)`);
    }
  }
  assert.ok(m.smallestText >= 12, `${where}: text as small as ${m.smallestText} px`);
  return m;
}

// submit clicks a submit button and resolves with the response of the page it leads to (after
// redirects).
async function submit(page, selector) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  return res;
}

// loopbackClient is the app's side of the auth code flow: a server on 127.0.0.1 that takes the
// redirect, checks state, redeems the code with the PKCE verifier and shows what it got.
async function loopbackClient() {
  const pending = new Map(); // state -> { verifier, nonce, resolve }
  const server = createServer(async (req, res) => {
    const u = new URL(req.url, `http://${req.headers.host}`);
    if (u.pathname !== '/' || req.method !== 'GET') { res.writeHead(404).end(); return; }
    const state = u.searchParams.get('state');
    const p = pending.get(state);
    if (!p) { res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown state'); return; }
    pending.delete(state);
    const result = { params: Object.fromEntries(u.searchParams) };
    let line;
    if (result.params.code) {
      result.token = await tokenRequest({
        client_id: tenant.clientId, grant_type: 'authorization_code', code: result.params.code,
        redirect_uri: p.redirectUri, code_verifier: p.verifier, scope: SCOPE,
      });
      line = result.token.status === 200 ? `Signed in: token endpoint answered 200 with ${Object.keys(result.token.body).join(', ')}` : `Token endpoint: ${result.token.status} ${result.token.body.error}`;
    } else {
      line = `Sign-in ended: ${result.params.error}`;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!DOCTYPE html><meta name="viewport" content="width=device-width, initial-scale=1"><title>loopback client</title>
<body style="font:16px sans-serif;margin:16px;overflow-wrap:anywhere"><h1>Loopback client</h1><p>${line.replace(/[<&]/g, '')}</p></body>`);
    p.resolve(result);
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    // start makes a PKCE verifier, state and nonce and returns the authorize URL and a promise of
    // what arrives at the redirect URI.
    start({ redirectPath = '/' } = {}) {
      const verifier = b64url(randomBytes(32));
      const state = b64url(randomBytes(16));
      const nonce = b64url(randomBytes(16));
      const redirectUri = origin + redirectPath;
      const url = new URL(`${tenant.authority}/oauth2/v2.0/authorize`);
      url.search = new URLSearchParams({
        client_id: tenant.clientId, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE,
        state, nonce, code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
      });
      let resolve;
      const arrived = new Promise((r) => { resolve = r; });
      pending.set(state, { verifier, nonce, redirectUri, resolve });
      return { url: url.toString(), state, nonce, arrived };
    },
    close: () => new Promise((res) => server.close(res)),
  };
}

async function deviceCode() {
  const res = await fetch(`${tenant.authority}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams({ client_id: tenant.clientId, scope: SCOPE }) });
  assert.equal(res.status, 200);
  const dc = await res.json();
  assert.match(dc.user_code, /^[A-Z0-9]{9}$/);
  assert.equal(dc.verification_uri, `${sim.url}/devicelogin`);
  return dc;
}

const poll = (dc) => tokenRequest({ client_id: tenant.clientId, grant_type: DEVICE_CODE_GRANT, device_code: dc.device_code });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the flows, once per viewport ------------------------------------------------------

for (const vp of VIEWPORTS) {
  describe(`sign-in pages at ${vp.name} size`, () => {
    let context, page, client;
    before(async () => {
      context = await browser.newContext({ ...vp.options, locale: 'en-US' });
      page = await context.newPage();
      client = await loopbackClient();
    });
    after(async () => {
      await context?.close();
      await client?.close();
    });

    it('authorize page: wrong password, then the right one, lands on the client with a code it redeems', async () => {
      const req = client.start();
      const first = await page.goto(req.url);
      assert.equal(first.status(), 200);
      await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in' }).waitFor());
      assert.match(await page.locator('main').innerText(), /Contoso/);
      await assertLegible(page, 'authorize');
      await shot(page, vp.name, 'authorize');

      await page.fill('#username', USER.upn);
      await page.fill('#password', 'not-the-password');
      const wrong = await submit(page, 'button[value=signin]');
      assert.equal(wrong.status(), 400);
      const alert = page.getByRole('alert');
      assert.match(await alert.innerText(), /AADSTS50126: Error validating credentials due to invalid username or password\./);
      assert.match(await alert.innerText(), /Correlation ID: [0-9a-f-]{36}/);
      assert.equal(new URL(page.url()).origin, sim.url, 'a wrong password stays on the sign-in page');
      assert.equal(await page.inputValue('#username'), USER.upn, 'the username is kept');
      assert.equal(await page.inputValue('#password'), '', 'the password is not');
      await assertLegible(page, 'authorize, wrong password');
      await shot(page, vp.name, 'authorize-wrong-password');

      await page.fill('#password', USER.password);
      const landed = await submit(page, 'button[value=signin]');
      assert.equal(new URL(page.url()).origin, client.origin, `landed on ${page.url()}`);
      assert.equal(landed.status(), 200);
      const got = await req.arrived;
      assert.equal(got.params.state, req.state);
      assert.ok(got.params.code, 'a code');
      assert.equal(got.params.error, undefined);
      assert.equal(got.token.status, 200, JSON.stringify(got.token.body));
      const tok = got.token.body;
      assert.equal(tok.token_type, 'Bearer');
      assert.ok(tok.access_token && tok.refresh_token && tok.id_token, `tokens: ${Object.keys(tok)}`);
      await verifyIDToken(tok.id_token, { nonce: req.nonce });
      await assertLegible(page, 'loopback client');
      await shot(page, vp.name, 'client-signed-in');

      // The code works once.
      const again = await tokenRequest({ client_id: tenant.clientId, grant_type: 'authorization_code', code: got.params.code,
        redirect_uri: `${client.origin}/`, code_verifier: 'x'.repeat(43) });
      assert.equal(again.body.error, 'invalid_grant');
    });

    it('authorize page: Cancel sends access_denied back to the client', async () => {
      const req = client.start();
      await page.goto(req.url);
      await page.fill('#username', USER.upn); // Cancel needs no password (formnovalidate)
      const landed = await submit(page, 'button[value=cancel]');
      assert.equal(landed.status(), 200);
      const got = await req.arrived;
      assert.equal(got.params.error, 'access_denied');
      assert.match(got.params.error_description, /^AADSTS65004:/);
      assert.equal(got.params.state, req.state);
      assert.equal(got.params.code, undefined);
      await shot(page, vp.name, 'client-cancelled');
    });

    it('authorize page: a redirect URI whose path is not registered gets an error page, not a redirect', async () => {
      const req = client.start({ redirectPath: '/callback' });
      const res = await page.goto(req.url);
      assert.equal(res.status(), 400);
      assert.equal(new URL(page.url()).origin, sim.url);
      assert.match(await page.getByRole('alert').innerText(), /AADSTS50011/);
      await assertLegible(page, 'authorize error page');
      await shot(page, vp.name, 'authorize-redirect-mismatch');
    });

    it('device login page: wrong code, right code, wrong password, approve; the poll gets tokens', async () => {
      const dc = await deviceCode();
      const pending = await poll(dc);
      assert.equal(pending.body.error, 'authorization_pending', JSON.stringify(pending.body));

      assert.equal((await page.goto(dc.verification_uri)).status(), 200);
      await page.getByRole('heading', { name: 'Enter code' }).waitFor();
      await assertLegible(page, 'devicelogin');
      await shot(page, vp.name, 'devicelogin');

      const wrong = dc.user_code.slice(0, 8) + (dc.user_code[8] === 'B' ? 'C' : 'B'); // no other code is live
      await page.fill('#user_code', wrong);
      const wrongCode = await submit(page, 'button[type=submit]');
      assert.equal(wrongCode.status(), 400);
      assert.match(await page.getByRole('alert').innerText(), /AADSTS70018: Invalid verification code/);
      await assertLegible(page, 'devicelogin, wrong code');
      await shot(page, vp.name, 'devicelogin-wrong-code');

      // People type codes in lower case with dashes; the page takes that.
      await page.fill('#user_code', `${dc.user_code.slice(0, 4)}-${dc.user_code.slice(4)}`.toLowerCase());
      assert.equal((await submit(page, 'button[type=submit]')).status(), 200);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.match(await page.locator('main').innerText(), /signing in to oobe on another device/);
      await assertLegible(page, 'devicelogin, sign in');
      await shot(page, vp.name, 'devicelogin-signin');

      await page.fill('#username', USER.upn);
      await page.fill('#password', 'not-the-password');
      assert.equal((await submit(page, 'button[value=approve]')).status(), 400);
      assert.match(await page.getByRole('alert').innerText(), /AADSTS50126/);
      await assertLegible(page, 'devicelogin, wrong password');
      await shot(page, vp.name, 'devicelogin-wrong-password');

      await page.fill('#password', USER.password);
      assert.equal((await submit(page, 'button[value=approve]')).status(), 200);
      await page.getByRole('heading', { name: `${USER.name}, you're signed in` }).waitFor();
      await assertLegible(page, 'devicelogin, signed in');
      await shot(page, vp.name, 'devicelogin-signed-in');

      await sleep(dc.interval * 1000);
      const done = await poll(dc);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.ok(done.body.access_token && done.body.refresh_token && done.body.id_token, `tokens: ${Object.keys(done.body)}`);
      await verifyIDToken(done.body.id_token);
    });

    it('device login page: Cancel declines, and the poll gets authorization_declined', async () => {
      const dc = await deviceCode();
      await page.goto(dc.verification_uri);
      await page.fill('#user_code', dc.user_code);
      await submit(page, 'button[type=submit]');
      await page.fill('#username', USER.upn);
      await page.fill('#password', USER.password);
      assert.equal((await submit(page, 'button[value=deny]')).status(), 200);
      await page.getByRole('heading', { name: 'Sign-in declined' }).waitFor();
      assert.match(await page.locator('main').innerText(), /You declined to sign in to oobe/);
      await assertLegible(page, 'devicelogin, declined');
      await shot(page, vp.name, 'devicelogin-declined');

      const declined = await poll(dc);
      assert.equal(declined.status, 400);
      assert.equal(declined.body.error, 'authorization_declined', JSON.stringify(declined.body));

      // The code is spent: entering it again says so.
      await page.goto(dc.verification_uri);
      await page.fill('#user_code', dc.user_code);
      assert.equal((await submit(page, 'button[type=submit]')).status(), 400);
      assert.match(await page.getByRole('alert').innerText(), /AADSTS70018: Invalid verification code: this code was already used/);
    });
  });
}
