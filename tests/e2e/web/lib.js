// lib.js -- the web suite's browser helpers: Debian's chromium through
// puppeteer-core, the terminal's text as the page's xterm.js has it,
// waits on events (polled page state with a deadline, never a fixed
// sleep), raw HTTP and WebSocket upgrades for the refusals.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const puppeteer = require('puppeteer-core');

const URL = process.env.WEB_URL;
const SHOTS = process.env.WEB_SHOTS;
const TNAME = process.env.TNAME || path.basename(process.argv[1], '.js');

function log(...a) { console.error(`[${TNAME}]`, ...a); }
function fail(msg) { throw new Error(msg); }

async function launch() {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // root in CI: chromium's sandbox needs an unprivileged user
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1100, height: 800 },
  });
}

async function until(what, fn, secs = 30) {
  const end = Date.now() + secs * 1000;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) fail(`no ${what} within ${secs}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The terminal's lines (the active buffer, scrollback included).
async function termText(page) {
  return page.evaluate(() => {
    const b = window.umlweb.term.buffer.active;
    const out = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true));
    return out.join('\n');
  });
}

// The visible screen's lines, and the cursor.
async function termScreen(page) {
  return page.evaluate(() => {
    const t = window.umlweb.term, b = t.buffer.active;
    const rows = [];
    for (let i = 0; i < t.rows; i++) rows.push(b.getLine(b.viewportY + i).translateToString(true));
    return { rows, x: b.cursorX, y: b.cursorY };
  });
}

async function waitTerm(page, re, secs = 30) {
  try {
    return await until(`${re} in the terminal`, async () => re.test(await termText(page)), secs);
  } catch (e) {
    log('terminal:\n' + (await termText(page)).split('\n').filter((l) => l).slice(-20).join('\n'));
    throw e;
  }
}

async function count(page, re) {
  return (await termText(page)).split('\n').filter((l) => re.test(l)).length;
}

async function shot(page, name) {
  const f = path.join(SHOTS, `${TNAME}-${name}.png`);
  await page.screenshot({ path: f });
  log(`screenshot ${f}`);
}

async function login(page, vm, pw) {
  await page.goto(URL);
  await page.waitForSelector('#login:not([hidden])');
  await page.type('#login-vm', vm);
  await page.type('#login-pw', pw);
  await page.click('#login-go');
  try {
    await page.waitForSelector('#main:not([hidden])', { timeout: 20000 });
  } catch (e) {
    fail(`login: ${await page.evaluate(() => document.getElementById('login-error').textContent)}`);
  }
}

async function vmState(page, vm) {
  return page.evaluate((vm) => {
    const td = document.querySelector(`tr[data-vm="${vm}"] td.state`);
    return td ? td.textContent : null;
  }, vm);
}

async function waitState(page, vm, state, secs = 60) {
  await until(`${vm} ${state} in the list`, async () => (await vmState(page, vm)) === state, secs);
}

// Clicks sel once it is there: the list is drawn by the page's first
// refresh, after the login.
async function click(page, sel, secs = 20) {
  await page.waitForSelector(sel, { timeout: secs * 1000 });
  await page.click(sel);
}

// Types into the terminal as a user does (xterm.js' textarea).
async function typeTerm(page, text) {
  await page.focus('#term textarea');
  await page.keyboard.type(text);
}

// HTTP or HTTPS as the URL says; the server's certificate checked against
// WEB_CERT.
const tls = new global.URL(URL).protocol === 'https:';
const transport = tls ? https : http;
const ca = tls ? fs.readFileSync(process.env.WEB_CERT) : undefined;

// Starts VM from the list, opens its console (con1) and logs in as root
// (the default image has no root password).
async function startAndLogin(page, vm) {
  await click(page, `tr[data-vm="${vm}"] button.act-start`);
  await waitState(page, vm, 'running', 90);
  log(`${vm} running`);
  await page.click(`tr[data-vm="${vm}"] a.vm`);
  await page.waitForFunction(() => window.umlweb.state.chan === 'con1' && window.umlweb.state.open);
  // a prompt may be on the screen already; one printed after Enter is
  // sure to be read by a getty that runs
  await waitTerm(page, /login:/, 90);
  const n = await count(page, /login:/);
  await typeTerm(page, '\r');
  await until('a new login prompt', async () => (await count(page, /login:/)) > n, 30);
  await typeTerm(page, 'root\r');
  await waitTerm(page, /^root@vm1:.*# *$/m, 30);
}

// A request: {status, headers, body}.
function request(method, p, { headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const u = new global.URL(p, URL);
    // a length, as browsers send (not chunked)
    if (body !== null) headers = Object.assign({ 'Content-Length': Buffer.byteLength(body) }, headers);
    const req = transport.request({ agent: false, ca, method, host: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}

// A WebSocket upgrade: the status (101: accepted).
function upgrade(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const u = new global.URL(p, URL);
    const req = transport.request({
      agent: false, ca, host: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: Object.assign({
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'umlweb-console',
      }, headers),
    });
    req.on('upgrade', (res, sock) => { sock.destroy(); resolve(101); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve(0) : reject(e)));
    req.end();
  });
}

async function apiLogin(vm, pw, headers = {}) {
  const r = await request('POST', '/api/login', {
    headers: Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded' }, headers),
    body: new URLSearchParams({ vm, password: pw }).toString(),
  });
  const c = r.headers['set-cookie'];
  r.cookie = c ? c[0].split(';')[0] : null;
  r.json = (() => { try { return JSON.parse(r.body); } catch (e) { return null; } })();
  return r;
}

function main(fn) {
  fn().then(() => process.exit(0), (e) => { log('FAIL:', e.message); process.exit(1); });
}

module.exports = { URL, log, fail, launch, until, termText, termScreen, waitTerm, count, shot,
  click, login, vmState, waitState, typeTerm, startAndLogin, request, upgrade, apiLogin, main };
