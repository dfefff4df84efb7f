// remote.js -- a VM of another host in the web console: umlweb lists it
// as VM@HOST (from umldir there), starts it, opens its console through
// the monitor's authenticated TCP port, a command and its output, stops it.
'use strict';
const L = require('./lib.js');

L.main(async () => {
  const vm = process.env.WEB_VM;
  // another host's VMs are the master password's: a VM's password does
  // not log in to them, and nothing is seen without a session
  let r = await L.apiLogin(vm, process.env.VM1_PW);
  if (r.status !== 403) L.fail(`login to ${vm} with its VM password: ${r.status}`);
  r = await L.request('GET', `/api/vm/${encodeURIComponent(vm)}/log/con1`);
  if (r.status !== 401) L.fail(`${vm}'s log without a session: ${r.status}`);
  r = await L.upgrade(`/ws?vm=${encodeURIComponent(vm)}&chan=con1`, { Origin: L.URL });
  if (r !== 403) L.fail(`${vm}'s console without a session: ${r}`);
  const browser = await L.launch();
  try {
    const page = await browser.newPage();
    await L.login(page, '', process.env.MASTER_PW);
    await L.waitState(page, vm, 'stopped', 30);
    L.log(`${vm} listed`);
    await L.startAndLogin(page, vm);
    await L.typeTerm(page, 'echo REMOTE=$((6 * 7))\r');
    await L.waitTerm(page, /^REMOTE=42/m, 20);
    L.log('a command and its output through the remote console');
    await L.shot(page, 'remote');
    await page.click(`tr[data-vm="${vm}"] button.act-stop`);
    await L.waitState(page, vm, 'stopped', 90);
    await page.waitForFunction(() => /console closed/.test(document.getElementById('status').textContent),
      { timeout: 30000 });
    L.log(`${vm} stopped`);
  } finally {
    await browser.close();
  }
});
