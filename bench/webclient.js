// webclient.js -- the browser side of bench/web.sh: headless chromium
// (Debian's, through puppeteer-core) logs in to umlweb and opens a
// console's WebSocket in the page, as the web console does.
//   node webclient.js rtt N VM      N keys, each timed from the page's send
//                                   to its echo's arrival in the page
//   node webclient.js drain SECS VM reads the console for SECS seconds,
//                                   prints the bytes it got
// Env: WEB_URL, MASTER_PW. Prints "rtt n=N median_us=... p99_us=...".
'use strict';
const puppeteer = require('puppeteer-core');

(async () => {
  const [mode, arg, vm] = process.argv.slice(2);
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.goto(process.env.WEB_URL);
    const out = await page.evaluate(async (mode, arg, vm, pw) => {
      const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ vm: '', password: pw }).toString() });
      if (r.status !== 200) return `login: HTTP ${r.status}`;
      const ws = new WebSocket(`ws://${location.host}/ws?vm=${vm}&chan=con1&rows=24&cols=80`, ['umlweb-console']);
      ws.binaryType = 'arraybuffer';
      let waiting = null, bytes = 0;
      ws.onmessage = (ev) => {
        const b = new Uint8Array(ev.data);
        if (b[0] !== 111) return;  // 'o'
        bytes += b.length - 1;
        if (waiting && b.indexOf(waiting.key, 1) > 0) { const w = waiting; waiting = null; w.done(); }
      };
      await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws')); });
      // the screen comes first: let it pass
      await new Promise((res) => setTimeout(res, 300));
      if (mode === 'drain') {
        await new Promise((res) => setTimeout(res, arg * 1000));
        return `drain bytes=${bytes}`;
      }
      const keys = 'abcdefghijklmnopqrstuvwxyz', t = [];
      for (let i = 0; i < arg; i++) {
        const key = keys.charCodeAt(i % 26);
        const p = new Promise((done) => { waiting = { key, done }; });
        const t0 = performance.now();
        ws.send(new Uint8Array([105, key]));  // 'i' key
        await p;
        t.push((performance.now() - t0) * 1000);
      }
      t.sort((a, b) => a - b);
      const q = (f) => t[Math.min(t.length - 1, Math.floor(f * t.length))].toFixed(1);
      return `rtt n=${arg} median_us=${q(0.5)} p99_us=${q(0.99)} max_us=${t[t.length - 1].toFixed(1)}`;
    }, mode, Number(arg), vm, process.env.MASTER_PW);
    console.log(out);
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
