// tls.js -- umlweb with a certificate: the page over HTTPS in chromium (the
// certificate given as trusted by its SPKI hash), its console over WSS on
// this origin (chromium told to accept the certificate, node checks it);
// the cookie Secure; plain HTTP on the port gets no page; a
// WSS upgrade from the http:// origin is refused.
'use strict';
const http = require('http');
const puppeteer = require('puppeteer-core');
const L = require('./lib.js');

L.main(async () => {
  const u = new URL(L.URL);
  const login = await L.apiLogin('', process.env.MASTER_PW);
  if (login.status !== 200) L.fail(`login over HTTPS: ${login.status} ${login.body}`);
  const c = login.headers['set-cookie'][0];
  for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict'])
    if (!c.includes(flag)) L.fail(`the cookie over HTTPS lacks ${flag}: ${c}`);
  const cookie = c.split(';')[0];
  L.log('login over HTTPS; the cookie is Secure');
  const list = await L.request('GET', '/api/vms', { headers: { Cookie: cookie } });
  if (list.status !== 200 || !/"vm1"/.test(list.body)) L.fail(`the list over HTTPS: ${list.status}`);
  let st = await L.upgrade('/ws?vm=vm1&chan=con1', { Cookie: cookie, Origin: `https://${u.host}` });
  if (st !== 101) L.fail(`WSS from the https origin: ${st}`);
  st = await L.upgrade('/ws?vm=vm1&chan=con1', { Cookie: cookie, Origin: `http://${u.host}` });
  if (st !== 403) L.fail(`WSS from the http:// origin: ${st}, not 403`);
  L.log('WSS: this origin accepted, its http:// twin refused');
  // plain HTTP on the TLS port: no page
  const plain = await new Promise((resolve) => {
    const r = http.request({ agent: false, host: u.hostname, port: u.port, path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    r.on('error', () => resolve(0));
    r.setTimeout(5000, () => { r.destroy(); resolve(0); });
    r.end();
  });
  if (plain === 200) L.fail('plain HTTP on the TLS port served the page');
  L.log(`plain HTTP on the TLS port: ${plain || 'no answer'}`);

  // the page in chromium: HTTPS and its console over WSS
  // (node checked the certificate against the file above; chromium is
  // told to take it as it is)
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
    acceptInsecureCerts: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--ignore-certificate-errors'] });
  try {
    const page = await browser.newPage();
    await L.login(page, '', process.env.MASTER_PW);
    await L.waitState(page, 'vm1', 'stopped', 20);
    await L.click(page, 'tr[data-vm="vm1"] a.vm');
    // a VM that never ran: its console opens, draws the (empty) screen and says why it closed
    await page.waitForFunction(() => /console closed: .*not connected/.test(document.getElementById('status').textContent),
      { timeout: 20000 });
    const proto = await page.evaluate(() => location.protocol + ' ' + window.umlweb.state.ws.url.split(':')[0]);
    if (proto !== 'https: wss') L.fail(`page and console: ${proto}`);
    L.log('the page over HTTPS, its console over WSS');
    await L.shot(page, 'tls');
  } finally {
    await browser.close();
  }
});
