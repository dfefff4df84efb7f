// refusals.js -- what umlweb refuses, each beside the same request that it
// accepts (so that each check can fail): every API call and the console's
// WebSocket without a session, wrong passwords, a VM's password for
// another VM (and a VM's session asking for another VM), a foreign
// Origin, actions without or with a wrong CSRF token, the cookie's flags,
// and the login rate limit (last: it locks this address out).
'use strict';
const L = require('./lib.js');

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

async function expect(what, r, status) {
  const got = typeof r === 'number' ? r : r.status;
  if (got !== status) L.fail(`${what}: HTTP ${got}, expected ${status}${r.body ? ': ' + r.body : ''}`);
  L.log(`${what}: ${got}`);
}

L.main(async () => {
  const host = new URL(L.URL).host;
  const own = `http://${host}`;

  // ---- without a session ----
  for (const [m, p] of [['GET', '/api/session'], ['GET', '/api/vms'], ['GET', '/api/vm/vm1/log/con1'],
    ['GET', '/api/vm/vm1/log/con1/download'], ['POST', '/api/vm/vm1/start'], ['POST', '/api/vm/vm1/stop'],
    ['POST', '/api/vm/vm1/ctrlaltdel'], ['POST', '/api/vm/vm1/halt'], ['POST', '/api/logout']])
    await expect(`${m} ${p} without a session`, await L.request(m, p, { headers: form, body: m === 'POST' ? 'x=1' : null }), 401);
  await expect('console without a session', await L.upgrade('/ws?vm=vm1&chan=con1', { Origin: own }), 403);
  // the pages themselves are public, nothing else is there
  await expect('the page', await L.request('GET', '/'), 200);
  await expect('a file not in the table', await L.request('GET', '/../../etc/passwd'), 404);
  await expect('package.json', await L.request('GET', '/package.json'), 404);

  // ---- the master password: a session for every VM ----
  const m = await L.apiLogin('', process.env.MASTER_PW);
  await expect('login with the master password', m, 200);
  const c = m.headers['set-cookie'][0];
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/'])
    if (!c.includes(flag)) L.fail(`the cookie lacks ${flag}: ${c}`);
  if (/Secure/.test(c)) L.fail(`a cookie over plain HTTP says Secure: ${c}`);
  const csrf = m.json.csrf;
  const vms = JSON.parse((await L.request('GET', '/api/vms', { headers: { Cookie: m.cookie } })).body).vms;
  if (vms.map((v) => v.name).join() !== 'vm1,vm2') L.fail(`the master's list: ${vms.map((v) => v.name)}`);

  // ---- actions and the CSRF token ----
  await expect('start without the CSRF token',
    await L.request('POST', '/api/vm/vm1/start', { headers: Object.assign({ Cookie: m.cookie }, form), body: '' }), 403);
  await expect('start with a wrong CSRF token',
    await L.request('POST', '/api/vm/vm1/start', { headers: Object.assign({ Cookie: m.cookie, 'X-CSRF-Token': 'a'.repeat(64) }, form), body: '' }), 403);
  await expect('logout without the CSRF token',
    await L.request('POST', '/api/logout', { headers: Object.assign({ Cookie: m.cookie }, form), body: '' }), 403);
  // with it (ctrl-alt-del to a stopped VM: accepted, the monitor refuses)
  await expect('ctrl-alt-del with the CSRF token',
    await L.request('POST', '/api/vm/vm1/ctrlaltdel', { headers: Object.assign({ Cookie: m.cookie, 'X-CSRF-Token': csrf }, form), body: '' }), 202);
  await L.until('the monitor\'s answer in the list', async () => {
    const v = JSON.parse((await L.request('GET', '/api/vms', { headers: { Cookie: m.cookie } })).body).vms[0];
    return v.note && v.note !== 'ctrlaltdel: asked' && /^ctrlaltdel: /.test(v.note) && v.note;
  }, 20);
  await expect('a POST from a foreign origin',
    await L.request('POST', '/api/vm/vm1/ctrlaltdel', { headers: Object.assign({ Cookie: m.cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' }, form), body: '' }), 403);

  // ---- the console's WebSocket: origin and session ----
  await expect('console with the session and this origin', await L.upgrade('/ws?vm=vm1&chan=con1', { Origin: own, Cookie: m.cookie }), 101);
  await expect('console from a foreign origin', await L.upgrade('/ws?vm=vm1&chan=con1', { Origin: 'http://evil.example', Cookie: m.cookie }), 403);
  await expect('console without an origin', await L.upgrade('/ws?vm=vm1&chan=con1', { Cookie: m.cookie }), 403);
  await expect('console with a forged session', await L.upgrade('/ws?vm=vm1&chan=con1', { Origin: own, Cookie: 'umlweb_session=' + 'b'.repeat(64) }), 403);

  // ---- a VM's password sees that VM only ----
  const v1 = await L.apiLogin('vm1', process.env.VM1_PW);
  await expect('login to vm1 with its password', v1, 200);
  const list = JSON.parse((await L.request('GET', '/api/vms', { headers: { Cookie: v1.cookie } })).body).vms;
  if (list.map((v) => v.name).join() !== 'vm1') L.fail(`vm1's session lists ${list.map((v) => v.name)}`);
  await expect('vm1\'s session starting vm2',
    await L.request('POST', '/api/vm/vm2/start', { headers: Object.assign({ Cookie: v1.cookie, 'X-CSRF-Token': v1.json.csrf }, form), body: '' }), 404);
  await expect('vm1\'s session reading vm2\'s log', await L.request('GET', '/api/vm/vm2/log/con1', { headers: { Cookie: v1.cookie } }), 404);
  await expect('vm1\'s session on vm2\'s console', await L.upgrade('/ws?vm=vm2&chan=con1', { Origin: own, Cookie: v1.cookie }), 403);
  await expect('vm1\'s session on its own console', await L.upgrade('/ws?vm=vm1&chan=con1', { Origin: own, Cookie: v1.cookie }), 101);

  // ---- logout ends the session ----
  await expect('logout', await L.request('POST', '/api/logout', { headers: Object.assign({ Cookie: v1.cookie, 'X-CSRF-Token': v1.json.csrf }, form), body: '' }), 200);
  await expect('the list after logout', await L.request('GET', '/api/vms', { headers: { Cookie: v1.cookie } }), 401);

  // ---- wrong passwords, then the rate limit ----
  await expect('a login from a foreign origin', await L.apiLogin('', process.env.MASTER_PW, { Origin: 'http://evil.example' }), 403);
  await expect('a wrong master password', await L.apiLogin('', 'not-the-password'), 403);
  await expect('a wrong password for vm1', await L.apiLogin('vm1', 'not-the-password'), 403);
  await expect('vm1\'s password for vm2', await L.apiLogin('vm2', process.env.VM1_PW), 403);
  await expect('vm1\'s password for an unknown VM', await L.apiLogin('vm9', process.env.VM1_PW), 403);
  await expect('a fifth wrong password', await L.apiLogin('', 'still-not-it'), 403);
  const limited = await L.apiLogin('', process.env.MASTER_PW);
  await expect('the right password after five wrong ones', limited, 429);
  if (!/wait \d+ s/.test(limited.body)) L.fail(`no wait in: ${limited.body}`);
});
