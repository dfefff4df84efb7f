// stall.js -- web_stall.sh's client (node's WebSocket, no browser).
//   stalled: vm2's monitor is stopped. A client types into vm1's console
//     and gets its echoes while umlweb waits for vm2: the VM list (vm2
//     shown not answering), a console of vm2 (told why it does not open),
//     vm2's log (refused as not answering). Each wait of umlweb on vm2
//     lasts its deadline; the echoes that come meanwhile show that its
//     loop went on.
//   resumed: vm2's monitor runs again: the list shows it answering; a
//     log of many pieces (UM_DATA_MAX each) comes whole: root on vm1's
//     console prints 40000 lines, the log has them all.
'use strict';
const L = require('./lib');

const own = new URL(L.URL);
// echoes that must come while umlweb waits for vm2 (a wait lasts 1 s at
// least, an echo through vm1 takes milliseconds)
const ECHOES = 3;

function consoleOf(vm, cookie) {
  const ws = new WebSocket(`ws://${own.host}/ws?vm=${vm}&chan=con1&rows=24&cols=80`,
    { protocols: ['umlweb-console'], headers: { Cookie: cookie, Origin: own.origin } });
  ws.binaryType = 'arraybuffer';
  ws.text = '';
  ws.ended = null;
  ws.want = null;
  ws.onmessage = (ev) => {
    const b = new Uint8Array(ev.data), s = Buffer.from(b.subarray(1)).toString('latin1');
    if (b[0] === 111) ws.text += s;         // 'o'
    else if (b[0] === 99) ws.ended = s;     // 'c'
    if (ws.want && ws.text.indexOf(ws.want.key, ws.want.mark) >= 0) ws.want.done();
  };
  ws.opened = new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = () => rej(new Error(`${vm}: the console's WebSocket failed`));
  });
  return ws;
}

// A key typed into ws, resolved when its echo came; then erased (vm1's
// getty takes a name of limited length).
function typeKey(ws, key, secs = 20) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no echo of ${key} within ${secs}s`)), secs * 1000);
    ws.want = { key, mark: ws.text.length, done: () => {
      clearTimeout(t);
      ws.want = null;
      ws.send(new Uint8Array([105, 127]));
      res();
    } };
    ws.send(new Uint8Array([105, key.charCodeAt(0)]));
  });
}

// Types into ws until op settles: op's result and the echoes before it.
async function typingDuring(ws, what, op) {
  let settled = false, echoes = 0;
  const t0 = Date.now();
  const p = op().finally(() => { settled = true; });
  while (!settled) {
    await typeKey(ws, 'abcdefghijklmnopqrstuvwxyz'[echoes % 26]);
    if (!settled) echoes++;
  }
  const r = await p;
  L.log(`${what}: answered after ${Date.now() - t0} ms, ${echoes} echoes from vm1 meanwhile`);
  if (echoes < ECHOES) L.fail(`${what}: only ${echoes} echoes from vm1 while it waited (umlweb's loop stalled)`);
  return r;
}

async function list(cookie) {
  const r = await L.request('GET', '/api/vms', { headers: { Cookie: cookie } });
  if (r.status !== 200) L.fail(`the list: HTTP ${r.status}: ${r.body}`);
  const vms = {};
  for (const v of JSON.parse(r.body).vms) vms[v.name] = v;
  return vms;
}

async function stalled(cookie) {
  const vm1 = consoleOf('vm1', cookie);
  await vm1.opened;
  // the console works before anything waits for vm2
  await typeKey(vm1, 'z');

  const vms = await typingDuring(vm1, 'the list', () => list(cookie));
  if (vms.vm1.state !== 'running') L.fail(`vm1 in the list: ${JSON.stringify(vms.vm1)}`);
  if (vms.vm2.state !== 'no monitor' || !/not answering/.test(vms.vm2.error || ''))
    L.fail(`vm2 in the list: ${JSON.stringify(vms.vm2)}`);

  const vm2 = consoleOf('vm2', cookie);
  await vm2.opened;
  const why = await typingDuring(vm1, 'vm2\'s console', () =>
    L.until('the end of vm2\'s console', async () => vm2.ended, 30));
  if (!/vm2: monitor not answering/.test(why)) L.fail(`vm2's console ended with: ${why}`);
  vm2.close();

  const log = await typingDuring(vm1, 'vm2\'s log', () =>
    L.request('GET', '/api/vm/vm2/log/con1', { headers: { Cookie: cookie } }));
  if (log.status !== 504 || !/vm2: monitor not answering/.test(log.body))
    L.fail(`vm2's log: HTTP ${log.status}: ${log.body}`);
  vm1.close();
}

// Types text into ws (no echo awaited) and waits for re in its output.
async function typeAndWait(ws, text, re, secs = 60) {
  const mark = ws.text.length;
  ws.send(Buffer.concat([Buffer.from('i'), Buffer.from(text)]));
  await L.until(`${re} on vm1's console`, async () => re.test(ws.text.slice(mark)), secs);
}

async function resumed(cookie) {
  // the monitor answers the connections that waited, then the new ones
  const vms = await L.until('vm2 answering in the list', async () => {
    const v = await list(cookie);
    return v.vm2.state !== 'no monitor' && v;
  }, 60);
  L.log(`vm2 answers again: ${vms.vm2.state}`);

  const vm1 = consoleOf('vm1', cookie);
  await vm1.opened;
  await typeAndWait(vm1, '\r', /login:/);
  // (the shell's prompt ends in a cursor query that a browser answers)
  await typeAndWait(vm1, 'root\r', /root@vm1:[^\n]*# /);
  await typeAndWait(vm1, 'seq 1 40000; echo SEQ-$((6*7))-DONE\r', /SEQ-42-DONE/);
  vm1.close();
  const log = await L.request('GET', '/api/vm/vm1/log/con1/download', { headers: { Cookie: cookie } });
  if (log.status !== 200) L.fail(`vm1's log: HTTP ${log.status}: ${log.body}`);
  const len = Number(log.headers['content-length']);
  if (len < 3 * 65536) L.fail(`vm1's log: only ${len} bytes`);
  // every line of seq once, in order, across the pieces' seams
  const lines = log.body.split(/\r?\n/);
  const i = lines.findIndex((l, k) => l === '1' && lines[k + 1] === '2');
  if (i < 0) L.fail(`vm1's log (${len} bytes) has no seq output`);
  for (let k = 0; k < 40000; k++)
    if (lines[i + k] !== String(k + 1)) L.fail(`vm1's log (${len} bytes): line ${k + 1} of seq is '${lines[i + k]}'`);
  if (lines[i + 40000] !== 'SEQ-42-DONE') L.fail(`vm1's log: after seq comes '${lines[i + 40000]}'`);
  L.log(`vm1's log: ${len} bytes in one answer, whole`);
}

L.main(async () => {
  const m = await L.apiLogin('', process.env.MASTER_PW);
  if (m.status !== 200) L.fail(`master login: HTTP ${m.status}`);
  if (process.argv[2] === 'stalled') await stalled(m.cookie);
  else await resumed(m.cookie);
});
