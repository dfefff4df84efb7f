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

// rtt-node: the same round trip from node's own WebSocket (undici), no
// browser: what umlweb adds, without chromium's event loop
async function rttNode(n, vm) {
  const url = new URL(process.env.WEB_URL);
  const r = await fetch(`${url.origin}/api/login`, { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vm: '', password: process.env.MASTER_PW }).toString() });
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const ws = new WebSocket(`ws://${url.host}/ws?vm=${vm}&chan=con1&rows=24&cols=80`,
    { protocols: ['umlweb-console'], headers: { Cookie: cookie, Origin: url.origin } });
  ws.binaryType = 'arraybuffer';
  let waiting = null;
  ws.onmessage = (ev) => {
    const b = new Uint8Array(ev.data);
    if (b[0] === 111 && waiting && b.indexOf(waiting.key, 1) > 0) { const w = waiting; waiting = null; w.done(); }
  };
  await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws')); });
  await new Promise((res) => setTimeout(res, 300));
  const keys = 'abcdefghijklmnopqrstuvwxyz', t = [];
  for (let i = 0; i < n; i++) {
    const key = keys.charCodeAt(i % 26);
    const p = new Promise((done) => { waiting = { key, done }; });
    const t0 = process.hrtime.bigint();
    ws.send(new Uint8Array([105, key]));
    await p;
    t.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  ws.close();
  t.sort((a, b) => a - b);
  const q = (f) => t[Math.min(t.length - 1, Math.floor(f * t.length))].toFixed(1);
  return `rtt n=${n} median_us=${q(0.5)} p99_us=${q(0.99)} max_us=${t[t.length - 1].toFixed(1)}`;
}

(async () => {
  const [mode, arg, vm] = process.argv.slice(2);
  if (mode === 'rtt-node') {
    console.log(await rttNode(Number(arg), vm));
    return;
  }
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
        // the VM starts after the page is ready: open again until it runs
        const end = Date.now() + arg * 1000;
        let cur = ws;
        const attach = () => new Promise((res) => {
          const w = new WebSocket(`ws://${location.host}/ws?vm=${vm}&chan=con1&rows=24&cols=80`, ['umlweb-console']);
          w.binaryType = 'arraybuffer';
          w.onmessage = (ev) => {
            const b = new Uint8Array(ev.data);
            if (b[0] === 111) bytes += b.length - 1;
            else if (b[0] === 99) { w.close(); res(false); }
          };
          w.onclose = () => res(false);
          cur = w;
        });
        ws.close();
        bytes = 0;
        while (Date.now() < end) {
          await Promise.race([attach(), new Promise((res) => setTimeout(res, end - Date.now()))]);
          if (Date.now() < end) await new Promise((res) => setTimeout(res, 20));
        }
        cur.close();
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
