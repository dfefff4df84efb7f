// console.js -- the web console in real headless chromium: log in with the
// master password, start vm1, its login prompt in the terminal, log in,
// a command and its output, a reload that opens on the same screen, the
// log viewed and downloaded, a second browser on the same console that
// sees what either types, then stop and the state and console change.
'use strict';
const L = require('./lib.js');

L.main(async () => {
  const browser = await L.launch();
  let b2;
  try {
    const page = await browser.newPage();
    await L.login(page, '', process.env.MASTER_PW);
    await L.waitState(page, 'vm1', 'stopped', 20);
    await L.waitState(page, 'vm2', 'no monitor', 20);
    await L.startAndLogin(page, 'vm1');
    await L.typeTerm(page, 'echo RESULT=$((6 * 7)); printf "\\033[31mRED\\033[0m\\n"\r');
    await L.waitTerm(page, /^RESULT=42/m, 20);
    await L.waitTerm(page, /^RED/m, 20);
    await L.shot(page, 'logged-in');

    // ---- reload: the same screen, from the monitor's, colours too ----
    const before = await L.termScreen(page);
    await page.reload();
    await page.waitForSelector('#main:not([hidden])');
    await page.waitForFunction(() => window.umlweb.state.open);
    await L.waitTerm(page, /^RESULT=42/m, 20);
    const after = await L.termScreen(page);
    const trim = (s) => s.rows.map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\s+$/, '');
    if (trim(before) !== trim(after))
      L.fail(`the screen after the reload differs:\n--- before\n${trim(before)}\n--- after\n${trim(after)}`);
    if (before.x !== after.x || before.y !== after.y)
      L.fail(`cursor ${before.x},${before.y} before the reload, ${after.x},${after.y} after`);
    const red = await page.evaluate(() => {
      const b = window.umlweb.term.buffer.active;
      for (let i = 0; i < b.length; i++) {
        const line = b.getLine(i);
        if (line.translateToString(true) === 'RED') return line.getCell(0).getFgColor();
      }
      return -1;
    });
    if (red !== 1) L.fail(`RED after the reload has colour ${red}, not 1 (red)`);
    L.log('the reload showed the same screen, cursor and colours');
    await L.shot(page, 'reloaded');

    // ---- the log, viewed and downloaded ----
    await page.click('#log-show');
    await page.waitForFunction(() => /RESULT=42/.test(document.getElementById('log').textContent));
    const dl = await page.evaluate(async () => {
      const r = await fetch(document.getElementById('log-download').href);
      return { cd: r.headers.get('content-disposition'), text: await r.text() };
    });
    if (!/attachment; filename="vm1-con1.log"/.test(dl.cd || '')) L.fail(`download: ${dl.cd}`);
    if (!/RESULT=42/.test(dl.text)) L.fail('the downloaded log lacks the output');
    L.log('log viewed and downloaded');

    // ---- a second browser on the same console ----
    b2 = await L.launch();
    const page2 = await b2.newPage();
    await L.login(page2, 'vm1', process.env.VM1_PW);
    await L.click(page2, 'tr[data-vm="vm1"] a.vm');
    await page2.waitForFunction(() => window.umlweb.state.open);
    await L.waitTerm(page2, /^RESULT=42/m, 20);
    await L.typeTerm(page2, 'echo TWO=$((40 + 2))\r');
    await L.waitTerm(page2, /^TWO=42/m, 20);
    await L.waitTerm(page, /^TWO=42/m, 20);
    await L.typeTerm(page, 'echo ONE=$((40 + 1))\r');
    await L.waitTerm(page, /^ONE=41/m, 20);
    await L.waitTerm(page2, /^ONE=41/m, 20);
    L.log('two browsers see what either types');
    await L.shot(page2, 'second-browser');

    // ---- stop: the state changes, the console says it ended ----
    await page.click('tr[data-vm="vm1"] button.act-stop');
    await L.waitState(page, 'vm1', 'stopped', 90);
    await page.waitForFunction(() => /console closed/.test(document.getElementById('status').textContent),
      { timeout: 30000 });
    await page2.waitForFunction(() => /console closed/.test(document.getElementById('status').textContent),
      { timeout: 30000 });
    L.log('vm1 stopped; both consoles closed');
    await L.shot(page, 'stopped');
  } finally {
    if (b2) await b2.close();
    await browser.close();
  }
});
