// umlweb's page: login, the VM list (polled), per VM a tab per console
// with a live terminal (xterm.js) over a WebSocket, and the console log.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { csrf: null, vms: [], vm: null, chan: null, ws: null, open: false };
const term = new Terminal({ convertEol: false, scrollback: 2000, fontSize: 14 });
const fit = new FitAddon.FitAddon();
term.loadAddon(fit);
// what the tests read: the terminal's text, the socket's state
window.umlweb = { term, state };

async function api(method, path, form) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
  if (form) {
    opt.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    opt.body = new URLSearchParams(form).toString();
  }
  const r = await fetch(path, opt);
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, body };
}

function show(loggedIn) {
  $('login').hidden = loggedIn;
  $('main').hidden = !loggedIn;
  $('logout').hidden = !loggedIn;
}

function size(bytes) {
  return bytes >= 1 << 30 ? (bytes / (1 << 30)).toFixed(1) + 'G' : Math.round(bytes / (1 << 20)) + 'M';
}

function uptime(ms) {
  let s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  return ms ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : '';
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function renderVms() {
  const tb = $('vms').querySelector('tbody');
  tb.textContent = '';
  for (const v of state.vms) {
    const tr = document.createElement('tr');
    tr.dataset.vm = v.name;
    const name = cell(tr, '');
    const a = document.createElement('a');
    a.className = 'vm';
    a.textContent = v.name;
    a.onclick = () => selectVm(v.name);
    name.appendChild(a);
    cell(tr, v.state, 'state state-' + v.state.replace(' ', '-'));
    cell(tr, v.memory ? size(v.memory) : '');
    cell(tr, uptime(v.uptime_ms || 0));
    cell(tr, (v.disks || []).map((d) => `${d.dev}${d.flags} ${d.path}`).join(', '));
    cell(tr, (v.nics || []).map((n) => `${n.name} ${n.kind} ${n.host}`).join(', '));
    const act = cell(tr, '');
    for (const [what, label] of [['start', 'Start'], ['stop', 'Stop'], ['ctrlaltdel', 'Ctrl-Alt-Del'], ['halt', 'Halt']]) {
      const b = document.createElement('button');
      b.textContent = label;
      b.className = 'act-' + what;
      b.onclick = () => action(v.name, what);
      act.appendChild(b);
    }
    cell(tr, v.note || v.error || '', 'note');
    tb.appendChild(tr);
  }
}

async function action(vm, what) {
  const r = await api('POST', `/api/vm/${encodeURIComponent(vm)}/${what}`, {});
  if (r.status !== 202) alert(r.body ? r.body.error : `${what}: HTTP ${r.status}`);
  refresh();
}

async function refresh() {
  const r = await api('GET', '/api/vms');
  if (r.status === 401) { loggedOut(); return; }
  if (r.status !== 200) return;
  state.vms = r.body.vms;
  renderVms();
  const v = state.vms.find((x) => x.name === state.vm);
  if (v) {
    renderTabs(v);
    // a console that ended opens again once its VM runs
    if (!state.open && v.state === 'running' && state.chan) connect();
  }
}

function renderTabs(v) {
  const nav = $('tabs');
  const names = (v.chans || []).map((c) => c.name);
  if (nav.dataset.names === names.join(',') && nav.dataset.vm === v.name) {
    for (const b of nav.children) b.classList.toggle('active', b.dataset.chan === state.chan);
    return;
  }
  nav.dataset.names = names.join(',');
  nav.dataset.vm = v.name;
  nav.textContent = '';
  for (const c of v.chans || []) {
    const b = document.createElement('button');
    b.textContent = c.name;
    b.dataset.chan = c.name;
    b.onclick = () => selectChan(c.name);
    nav.appendChild(b);
  }
  for (const b of nav.children) b.classList.toggle('active', b.dataset.chan === state.chan);
}

function selectVm(vm) {
  state.vm = vm;
  $('vm').hidden = false;
  $('vm-name').textContent = vm;
  location.hash = vm;
  const v = state.vms.find((x) => x.name === vm);
  const chans = v ? (v.chans || []).map((c) => c.name) : [];
  // con1 is where the login prompt is (the default image)
  selectChan(chans.includes('con1') ? 'con1' : chans[0] || 'con0');
  if (v) renderTabs(v);
}

function selectChan(chan) {
  state.chan = chan;
  location.hash = `${state.vm}/${chan}`;
  $('log-download').href = `/api/vm/${encodeURIComponent(state.vm)}/log/${chan}/download`;
  $('log').hidden = true;
  connect();
  const v = state.vms.find((x) => x.name === state.vm);
  if (v) renderTabs(v);
}

function disconnect() {
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close();
  }
  state.ws = null;
  state.open = false;
}

function connect() {
  disconnect();
  if (!term.element) term.open($('term'));
  fit.fit();
  term.reset();
  $('status').textContent = '';
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ vm: state.vm, chan: state.chan, rows: term.rows, cols: term.cols });
  const ws = new WebSocket(`${proto}//${location.host}/ws?${q}`, ['umlweb-console']);
  ws.binaryType = 'arraybuffer';
  state.ws = ws;
  state.open = true;
  ws.onmessage = (ev) => {
    const b = new Uint8Array(ev.data);
    const kind = String.fromCharCode(b[0]);
    if (kind === 'o') term.write(b.subarray(1));
    else if (kind === 'c') {
      state.open = false;
      $('status').textContent = 'console closed: ' + new TextDecoder().decode(b.subarray(1));
      ws.onclose = null;
      ws.close();
    }
  };
  ws.onclose = () => {
    state.open = false;
    if (!$('status').textContent) $('status').textContent = 'console closed';
  };
  term.focus();
}

const enc = new TextEncoder();
function send(kind, text) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  const data = enc.encode(text);
  const msg = new Uint8Array(data.length + 1);
  msg[0] = kind.charCodeAt(0);
  msg.set(data, 1);
  state.ws.send(msg);
}
term.onData((d) => send('i', d));
term.onBinary((d) => send('i', d));
term.onResize(({ rows, cols }) => send('r', `${rows} ${cols}`));
window.addEventListener('resize', () => { if (term.element) fit.fit(); });

$('log-show').onclick = async () => {
  const r = await fetch(`/api/vm/${encodeURIComponent(state.vm)}/log/${state.chan}`, { credentials: 'same-origin' });
  $('log').textContent = await r.text();
  $('log').hidden = false;
};

let timer = null;
function loggedIn(s) {
  state.csrf = s.csrf;
  $('who').textContent = s.vm ? `VM ${s.vm}` : 'every VM (master password)';
  show(true);
  refresh().then(() => {
    const [vm, chan] = decodeURIComponent(location.hash.slice(1)).split('/');
    if (vm && state.vms.find((x) => x.name === vm)) {
      selectVm(vm);
      if (chan) selectChan(chan);
    }
  });
  if (!timer) timer = setInterval(refresh, 1000);
}

function loggedOut() {
  disconnect();
  state.csrf = null;
  clearInterval(timer);
  timer = null;
  show(false);
}

$('login').onsubmit = async (ev) => {
  ev.preventDefault();
  const r = await api('POST', '/api/login', { vm: $('login-vm').value, password: $('login-pw').value });
  $('login-pw').value = '';
  if (r.status !== 200) {
    $('login-error').textContent = r.body ? r.body.error : `HTTP ${r.status}`;
    return;
  }
  $('login-error').textContent = '';
  loggedIn(r.body);
};

$('logout').onclick = async () => {
  await api('POST', '/api/logout', {});
  loggedOut();
};

(async () => {
  const r = await api('GET', '/api/session');
  if (r.status === 200) loggedIn(r.body);
  else show(false);
})();
