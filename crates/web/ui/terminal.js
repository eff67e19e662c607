// The field terminal (警务终端): a unit's phone or in-car tablet. It receives
// its orders over pingan's own WebSocket (no public push service), answers
// from the road through an outbox kept in IndexedDB (sent one at a time, in
// the order made, each with the device's time and an idempotency key, when
// the network returns), keeps the screen on, and shows the route with its
// turn-by-turn steps on pingan's own map.
import * as maplibregl from '/assets/ml/maplibre-gl.mjs';

const S = {
  zh: {
    title: '平安 · 警务终端', login: '登录', username: '警力账号', password: '密码', bad_login: '账号或密码错误', logout: '退出',
    online: '在线', offline: '离线', waiting: '条待发送', sending: '正在补发', connected: '已连接指挥中心', reconnecting: '正在重连…',
    no_order: '暂无指令', order: '当前指令', new_order: '新指令', ack: '签收指令', acked: '已签收', released: '已解除出警',
    priority: '等级', address: '地点', caller: '报警人', description: '简要情况', other_units: '同去警力',
    status: '状态', en_route: '出发', on_scene: '到场', returning: '返回', available: '待命', dispatched: '已派警', off_duty: '下班',
    route: '路线', steps: '逐向导航', minutes: '分钟', km: '公里', no_route: '暂无路线',
    reinforce: '请求增援', how_many: '增援数量', why: '原因', ask: '发送请求', asked: '增援请求已发送',
    messages: '消息', message: '写消息', send: '发送', centre: '指挥中心', me: '本车',
    crew: '本车警员', crew_hint: '姓名或警号, 用逗号分隔', save: '保存', saved: '已保存',
    report: '现场反馈', report_text: '简要情况', photos: '照片 (最多10张, 每张≤5MB)', send_report: '提交反馈', report_needs: '需要当前警情和文字', photo_refused: '只收 JPEG/PNG/WebP 且不超过 5MB', report_queued: '反馈已保存, 将按顺序发送',
    refused: '服务器拒绝', wake: '屏幕常亮', wake_off: '屏幕可能熄灭', language: 'English', message_order: '指挥中心消息',
    reinforcement_coming: '增援警力已派出', history: '此地警情', history_none: '无', history_in: '天内', history_m: '米内', history_count: '起',
    open_nearby: '附近在办警情', venues: '重点场所', key_persons: '登记重点人员', registered: '此地址登记人口',
  },
  en: {
    title: 'pingan · field terminal', login: 'Log in', username: 'Unit account', password: 'Password', bad_login: 'Wrong account or password', logout: 'Log out',
    online: 'Online', offline: 'Offline', waiting: 'waiting to send', sending: 'Sending', connected: 'Connected to the command centre', reconnecting: 'Reconnecting…',
    no_order: 'No order', order: 'Current order', new_order: 'New order', ack: 'Acknowledge', acked: 'Acknowledged', released: 'Released',
    priority: 'Priority', address: 'Place', caller: 'Caller', description: 'Details', other_units: 'Also sent',
    status: 'Status', en_route: 'En route', on_scene: 'On scene', returning: 'Returning', available: 'Available', dispatched: 'Dispatched', off_duty: 'Off duty',
    route: 'Route', steps: 'Turn by turn', minutes: 'min', km: 'km', no_route: 'No route yet',
    reinforce: 'Ask for reinforcement', how_many: 'How many', why: 'Why', ask: 'Send request', asked: 'Reinforcement asked',
    messages: 'Messages', message: 'Write a message', send: 'Send', centre: 'Command centre', me: 'This unit',
    crew: 'Crew on board', crew_hint: 'Names or badge numbers, comma-separated', save: 'Save', saved: 'Saved',
    report: 'Report from the scene', report_text: 'What you found', photos: 'Photos (up to 10, 5 MB each)', send_report: 'Send report', report_needs: 'A report needs a current incident and text', photo_refused: 'only JPEG/PNG/WebP up to 5 MB', report_queued: 'Report saved; it is sent in order',
    refused: 'Refused by the server', wake: 'Screen kept on', wake_off: 'Screen may sleep', language: '中文', message_order: 'Message from the command centre',
    reinforcement_coming: 'Reinforcement on its way', history: 'Here before', history_none: 'nothing', history_in: 'days', history_m: 'm', history_count: 'earlier',
    open_nearby: 'Open nearby', venues: 'Regulated venues', key_persons: 'Key persons registered', registered: 'People registered at this address',
  },
};
const st = {
  lang: localStorage.getItem('pingan.lang') || ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en'),
  token: localStorage.getItem('pingan.terminal.token'),
  me: null, unit: null, config: null, settings: null,
  orders: new Map(), lastSeq: 0, incident: null, route: null, talk: [],
  socket: null, connected: false, pending: 0, flushing: false, wake: null, map: null, lastFix: null,
};
window.terminal = st;
// The server's clock as this device reads it: the device's own clock may be
// wrong (or pinned), so every answer's time is the device's clock corrected
// by the offset measured when last online (kept for a reload offline).
st.skew = Number(localStorage.getItem('pingan.terminal.skew') || 0);
const deviceNow = () => Date.now() + st.skew;
const deviceIso = () => new Date(deviceNow()).toISOString();
const t = (k) => S[st.lang][k] ?? k;
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const clock = (at) => new Date(at).toLocaleTimeString(st.lang === 'zh' ? 'zh-CN' : 'en-GB');

// ---------------------------------------------------------------- IndexedDB: outbox and orders

let dbOpen;
function db() {
  dbOpen ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('pingan-terminal', 1);
    req.onupgradeneeded = () => {
      const d = req.result;
      d.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
      d.createObjectStore('orders', { keyPath: 'seq' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbOpen;
}
async function store(name, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(name, mode);
    const out = fn(tx.objectStore(name));
    tx.oncomplete = () => resolve(out?.result ?? out);
    tx.onerror = () => reject(tx.error);
  });
}
const all = (name) => store(name, 'readonly', (s) => s.getAll());

// A fresh idempotency key. crypto.randomUUID exists only in secure
// contexts, and a terminal may reach pingan over plain HTTP on a police LAN.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// An answer from the road: kept before anything is sent, so a crash, a
// reload or a dead network loses nothing.
async function enqueue(path, body, label, extra) {
  await store('outbox', 'readwrite', (s) => s.add({ path, body, label, made: Date.now(), ...extra }));
  await countPending();
  flush();
}
// Fixes join the newest queued batch (a 30-minute tunnel is one request).
async function enqueueFix(fix) {
  const d = await db();
  await new Promise((resolve, reject) => {
    const tx = d.transaction('outbox', 'readwrite');
    const s = tx.objectStore('outbox');
    const cur = s.openCursor(null, 'prev');
    cur.onsuccess = () => {
      const c = cur.result;
      if (c && c.value.label === 'position' && c.value.body.length < 500) { c.value.body.push(fix); c.update(c.value); }
      else s.add({ path: `/units/${encodeURIComponent(st.me.unit_id)}/position`, body: [fix], label: 'position', made: Date.now() });
    };
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  await countPending();
  flush();
}
async function countPending() {
  st.pending = await store('outbox', 'readonly', (s) => s.count());
  renderNet();
}

// One at a time, oldest first; stops at the first network failure and
// tries again later. A refusal (4xx) is shown and dropped: resending it
// would be refused again and hold up every answer behind it.
async function flush() {
  if (st.flushing || !st.token) return;
  st.flushing = true;
  renderNet();
  try {
    for (;;) {
      const next = (await store('outbox', 'readonly', (s) => s.getAll(null, 1)))[0];
      if (!next) break;
      let res;
      try {
        res = await fetch('/api/v1' + next.path, {
          method: next.method || 'POST',
          headers: { Authorization: 'Bearer ' + st.token, 'Content-Type': next.contentType || 'application/json' },
          body: next.blob || JSON.stringify(next.body),
        });
      } catch { break; }
      if (res.status === 401) { logout(); break; }
      if (res.status >= 500 || res.status === 408 || res.status === 429) break;
      const data = await res.json().catch(() => null);
      if (!res.ok) toast(`${t('refused')}: ${data?.field ? data.field + ': ' : ''}${data?.message || res.status}`, true);
      else if (data && data.id === st.me.unit_id && data.status) { st.unit = data; }
      await store('outbox', 'readwrite', (s) => s.delete(next.id));
      await countPending();
      if (next.label === 'ack' || next.label === 'status') render();
    }
  } finally {
    st.flushing = false;
    renderNet();
  }
}
setInterval(flush, 3000);
addEventListener('online', () => { renderNet(); flush(); connect(); });
addEventListener('offline', renderNet);

// ---------------------------------------------------------------- API and feed

async function api(method, path, body) {
  const res = await fetch('/api/v1' + path, {
    method, headers: { Authorization: 'Bearer ' + st.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) { logout(); throw new Error('unauthorized'); }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(data?.message || res.statusText), { data });
  return data;
}

async function keepOrder(o) {
  const known = st.orders.get(o.seq);
  const merged = { ...known, ...o, acked_at: o.acked_at || known?.acked_at || null, acking: known?.acking };
  st.orders.set(o.seq, merged);
  st.lastSeq = Math.max(st.lastSeq, o.seq);
  await store('orders', 'readwrite', (s) => s.put(merged));
  return !known;
}

// What a terminal that was away missed: every order after the last it has.
async function catchUp() {
  for (;;) {
    const out = await api('GET', `/units/${encodeURIComponent(st.me.unit_id)}/orders?after=${st.lastSeq}&limit=500`);
    for (const o of out.orders) await keepOrder(o);
    if (out.orders.length < 500) break;
  }
}

function connect() {
  if (!st.token || !st.me || (st.socket && st.socket.readyState <= 1)) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/feed?token=${encodeURIComponent(st.token)}`);
  st.socket = ws;
  ws.onopen = async () => {
    st.connected = true;
    renderNet();
    try {
      await catchUp();
      await refresh();
    } catch { /* the next reconnect tries again */ }
  };
  ws.onmessage = async (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'order') {
      const fresh = await keepOrder(msg.order);
      if (fresh || !msg.order.acked_at) alertOrder(msg.order);
      // On screen at once; the incident's details and the route follow.
      if (msg.order.kind === 'dispatch' && st.unit) st.unit = { ...st.unit, incident_id: msg.order.incident_id };
      render();
      await refresh();
    } else if (msg.type === 'unit' && msg.unit.id === st.me.unit_id) {
      st.unit = msg.unit;
      render();
    } else if (msg.type === 'incident' && msg.incident.id === st.incident?.id) {
      st.incident = msg.incident;
      render();
    } else if (msg.type === 'event' && msg.event.event === 'message_from_unit') {
      loadTalk();
    }
  };
  ws.onclose = () => {
    st.connected = false;
    st.socket = null;
    renderNet();
    setTimeout(connect, 2000);
  };
}

function alertOrder(o) {
  navigator.vibrate?.([300, 100, 300]);
  toast(o.kind === 'message' ? `${t('message_order')}: ${o.text}`
    : o.kind === 'reinforcement' ? `${t('reinforcement_coming')}: ${(o.units || []).join(', ')}`
    : `${t('new_order')} #${o.incident_id ?? ''}`);
}

// The unit, its incident and the route to it, when the network allows.
async function refresh() {
  try {
    st.unit = await api('GET', `/units/${encodeURIComponent(st.me.unit_id)}`);
    localStorage.setItem('pingan.terminal.unit', JSON.stringify(st.unit));
    const id = st.unit.incident_id;
    st.incident = id ? await api('GET', `/incidents/${id}`) : null;
    if (id && st.history?.incident_id !== id) {
      const h = await api('GET', `/incidents/${id}/history`).catch(() => null);
      st.history = h && { ...h, incident_id: id };
    }
    st.route = null;
    if (st.incident && ['dispatched', 'en_route'].includes(st.unit.status)) {
      st.route = await api('GET', `/route?from=${st.unit.lat},${st.unit.lon}&to=${st.incident.lat},${st.incident.lon}${st.lang === 'zh' ? '&lang=zh' : ''}`).catch(() => null);
    }
  } catch { /* offline: show what we have */ }
  render();
  loadTalk();
}

async function loadTalk() {
  try {
    st.talk = (await api('GET', `/units/${encodeURIComponent(st.me.unit_id)}/messages?limit=100`)).messages;
    renderTalk();
  } catch { /* offline */ }
}

// ---------------------------------------------------------------- answers

const STATUS_NEXT = { dispatched: ['en_route', 'on_scene'], en_route: ['on_scene'], on_scene: ['returning', 'available'], returning: ['available'], available: [], off_duty: ['available'] };
const STATUS_ORDER = ['en_route', 'on_scene', 'returning', 'available'];

// The status the unit will have once the outbox is sent.
async function pendingStatus() {
  const queued = (await all('outbox')).filter((e) => e.label === 'status');
  return queued.length ? queued[queued.length - 1].body.status : st.unit?.status;
}

async function report(status) {
  await enqueue(`/units/${encodeURIComponent(st.me.unit_id)}/status`, { status, at: deviceIso(), idempotency_key: newKey() }, 'status');
  st.shownStatus = status;
  render();
}

async function acknowledge(seq) {
  const o = st.orders.get(seq);
  if (!o) return;
  o.acking = true;
  await store('orders', 'readwrite', (s) => s.put(o));
  await enqueue(`/units/${encodeURIComponent(st.me.unit_id)}/orders/${seq}/ack`, { at: deviceIso(), idempotency_key: newKey() }, 'ack');
  render();
}

// Positions at the advised rate: every N seconds or M metres moving, less often stopped.
function track() {
  if (!navigator.geolocation || !st.settings) return;
  navigator.geolocation.watchPosition((p) => {
    const c = p.coords;
    const now = (p.timestamp || Date.now()) + st.skew;
    const last = st.lastFix;
    const moving = (c.speed ?? 0) > 1;
    const metres = last ? haversine(last.lat, last.lon, c.latitude, c.longitude) : Infinity;
    const wait = (moving ? st.settings.moving_every_s : st.settings.stopped_every_s) * 1000;
    if (last && now - last.at < wait && !(moving && metres >= st.settings.moving_every_m)) return;
    st.lastFix = { lat: c.latitude, lon: c.longitude, at: now };
    enqueueFix({ lat: c.latitude, lon: c.longitude, at: new Date(now).toISOString(), accuracy: c.accuracy ?? undefined, speed: c.speed ?? undefined, heading: Number.isFinite(c.heading) ? c.heading : undefined });
  }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
}
function haversine(a, b, c, d) {
  const r = Math.PI / 180;
  const x = Math.sin((c - a) * r / 2) ** 2 + Math.cos(a * r) * Math.cos(c * r) * Math.sin((d - b) * r / 2) ** 2;
  return 12742000 * Math.asin(Math.sqrt(x));
}

// An in-car terminal must not sleep while on duty.
async function keepAwake() {
  try {
    if (document.visibilityState === 'visible' && navigator.wakeLock && !st.wake) {
      st.wake = await navigator.wakeLock.request('screen');
      st.wake.addEventListener('release', () => { st.wake = null; renderNet(); });
    }
  } catch { st.wake = null; }
  renderNet();
}
document.addEventListener('visibilitychange', keepAwake);

// ---------------------------------------------------------------- screens

function toast(text, bad) {
  const el = document.createElement('div');
  el.className = 'toast' + (bad ? ' bad' : '');
  el.setAttribute('role', 'status');
  el.textContent = text;
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}

function renderLogin(message) {
  document.documentElement.lang = st.lang === 'zh' ? 'zh-CN' : 'en';
  $('#app').innerHTML = `
    <form class="login" id="login">
      <h1>${t('title')}</h1>
      <label>${t('username')}<input name="username" autocomplete="username" autocapitalize="none" required></label>
      <label>${t('password')}<input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">${t('login')}</button>
      <button type="button" class="secondary" id="lang">${t('language')}</button>
      <p class="error" role="alert">${esc(message || '')}</p>
    </form>`;
  $('#lang').onclick = () => { setLang(); renderLogin(); };
  $('#login').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const res = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) }).catch(() => null);
    if (!res || !res.ok) return renderLogin(t('bad_login'));
    const out = await res.json();
    if (!out.user.unit_id) return renderLogin(t('bad_login'));
    st.token = out.token;
    localStorage.setItem('pingan.terminal.token', out.token);
    localStorage.setItem('pingan.terminal.me', JSON.stringify(out.user));
    start();
  };
}

function setLang() {
  st.lang = st.lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('pingan.lang', st.lang);
}

function logout() {
  st.token = null;
  localStorage.removeItem('pingan.terminal.token');
  if (st.socket) { st.socket.onclose = null; st.socket.close(); }
  renderLogin();
}

function renderShell() {
  document.documentElement.lang = st.lang === 'zh' ? 'zh-CN' : 'en';
  $('#app').innerHTML = `
    <header class="bar"><h1 data-test="t-unit">${esc(st.unit?.callsign || st.me.unit_id)}</h1>
      <button id="lang" aria-label="language">${t('language')}</button><button id="out">${t('logout')}</button></header>
    <div class="net" id="net" data-test="t-net" role="status" aria-live="polite"></div>
    <main>
      <section class="card order" id="order" data-test="t-order"></section>
      <section class="card" id="status"></section>
      <section class="card span2" id="routecard"><h2>${t('route')}</h2><div id="map"></div><div id="steps"></div></section>
      <section class="card" id="reinforce">
        <h2>${t('reinforce')}</h2>
        <form id="rf" class="row"><label>${t('how_many')}<select name="count">${[1, 2, 3, 4, 5].map((n) => `<option>${n}</option>`).join('')}</select></label>
        <label>${t('why')}<input name="reason" maxlength="500"></label><button data-test="t-reinforce">${t('ask')}</button></form>
      </section>
      <section class="card" id="crewcard">
        <h2>${t('crew')}</h2>
        <form id="crew" class="row"><input name="names" data-test="t-crew" aria-label="${t('crew')}" placeholder="${t('crew_hint')}" value="${esc((st.unit?.crew_names || []).join(', '))}"><button>${t('save')}</button></form>
      </section>
      <section class="card" id="reportcard">
        <h2>${t('report')}</h2>
        <form id="rp"><label>${t('report_text')}<textarea name="text" maxlength="2000" rows="3" data-test="t-report-text"></textarea></label>
        <label>${t('photos')}<input type="file" name="photos" accept="image/jpeg,image/png,image/webp" capture="environment" multiple data-test="t-report-photos"></label>
        <button data-test="t-report-send">${t('send_report')}</button></form>
      </section>
      <section class="card" id="talkcard"><h2>${t('messages')}</h2><ul class="talk" id="talk" data-test="t-talk"></ul>
        <form id="say" class="row"><input name="text" maxlength="500" aria-label="${t('message')}" placeholder="${t('message')}"><button>${t('send')}</button></form></section>
    </main>`;
  $('#lang').onclick = () => { setLang(); renderShell(); refresh(); };
  $('#out').onclick = logout;
  $('#rf').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    await enqueue(`/units/${encodeURIComponent(st.me.unit_id)}/reinforcement`, { count: Number(f.get('count')), reason: f.get('reason') || undefined, idempotency_key: newKey() }, 'reinforcement');
    toast(t('asked'));
    e.target.reset();
  };
  $('#crew').onsubmit = async (e) => {
    e.preventDefault();
    const names = String(new FormData(e.target).get('names') || '').split(/[,，、;]/).map((x) => x.trim()).filter(Boolean);
    if (!names.length) return;
    await enqueue(`/units/${encodeURIComponent(st.me.unit_id)}/crew`, { names, idempotency_key: newKey() }, 'crew', { method: 'PUT' });
    toast(t('saved'));
  };
  $('#rp').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const incident = st.unit?.incident_id || currentOrder()?.incident_id;
    const text = String(f.get('text') || '').trim();
    if (!incident || !text) return toast(t('report_needs'), true);
    const files = [...e.target.photos.files].slice(0, 10);
    const big = files.find((x) => x.size > 5 * 1024 * 1024 || !['image/jpeg', 'image/png', 'image/webp'].includes(x.type));
    if (big) return toast(`${big.name}: ${t('photo_refused')}`, true);
    const key = newKey();
    await enqueue(`/incidents/${incident}/reports`, { text, at: deviceIso(), idempotency_key: key }, 'report');
    for (const [i, file] of files.entries()) {
      await enqueue(`/incidents/${incident}/reports/${incident}-${key}/photos/${i + 1}`, null, 'photo', { method: 'PUT', blob: file, contentType: file.type });
    }
    toast(t('report_queued'));
    e.target.reset();
  };
  $('#say').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    if (!String(f.get('text')).trim()) return;
    await enqueue(`/units/${encodeURIComponent(st.me.unit_id)}/messages`, { text: f.get('text'), idempotency_key: newKey() }, 'message');
    st.talk.push({ direction: 'from_unit', text: f.get('text'), at: deviceIso(), pending: true });
    renderTalk();
    e.target.reset();
  };
  initMap();
  render();
  renderNet();
}

function renderNet() {
  const el = $('#net');
  if (!el) return;
  const online = navigator.onLine && st.connected;
  const waiting = st.pending ? ` · ${st.pending} ${t('waiting')}` : '';
  el.className = 'net ' + (!navigator.onLine ? 'offline' : st.pending ? 'waiting' : 'online');
  el.dataset.pending = String(st.pending);
  el.dataset.online = String(online);
  el.textContent = `${!navigator.onLine ? t('offline') : online ? t('connected') : t('reconnecting')}${waiting} · ${st.wake ? t('wake') : t('wake_off')}`;
}

// The order shown: the newest dispatch not released, else the newest message.
function currentOrder() {
  const list = [...st.orders.values()].sort((a, b) => b.seq - a.seq);
  return list.find((o) => o.kind === 'dispatch' && o.incident_id === st.unit?.incident_id) || list.find((o) => o.kind !== 'release' && !o.acked_at && !o.acking) || null;
}

// What the place has seen: earlier incidents by kind, open ones nearby,
// the registries' cautions (counts only).
function history(id, kindName) {
  const h = st.history;
  if (!h || !id || h.incident_id !== id) return '';
  const kinds = {};
  for (const p of h.prior) kinds[p.kind] = (kinds[p.kind] || 0) + 1;
  const prior = h.prior_count ? `${h.prior_count} ${t('history_count')}: ${Object.entries(kinds).map(([k, n]) => `${esc(kindName(k))}${n > 1 ? ` ×${n}` : ''}`).join(', ')}` : t('history_none');
  return `<div class="history" data-test="t-history" data-prior="${h.prior_count}">
    <p><b>${t('history')}</b> <small class="muted">(${h.days} ${t('history_in')}, ${Math.round(h.radius_m)} ${t('history_m')})</small>: ${prior}</p>
    ${h.open_nearby.length ? `<p><b>${t('open_nearby')}:</b> ${h.open_nearby.map((x) => `#${x.id} ${esc(kindName(x.kind))} ${Math.round(x.meters)} m`).join(', ')}</p>` : ''}
    ${h.venues.length ? `<p><b>${t('venues')}:</b> ${h.venues.map((v) => esc(v.name)).join(', ')}</p>` : ''}
    ${h.key_persons ? `<p class="warn-text"><b>${t('key_persons')}:</b> ${h.key_persons}</p>` : ''}
    ${people(h) ? `<p><b>${t('registered')}:</b> ${people(h)}</p>` : ''}</div>`;
}

// Residents and floating population at the place's standard address (a count).
function people(h) {
  return (h.registered || []).filter((r) => r.register === 'resident' || r.register === 'floating_population').reduce((n, r) => n + r.count, 0);
}

function render() {
  const el = $('#order');
  if (!el) return;
  $('[data-test=t-unit]').textContent = st.unit?.callsign || st.me.unit_id;
  const o = currentOrder();
  const inc = st.incident;
  const kindName = (code) => {
    const k = st.config?.kinds?.find((x) => x.code === code);
    return k ? (st.lang === 'zh' ? k.name_zh : k.name_en || k.name_zh) : code;
  };
  const others = (inc?.units || []).filter((a) => a.active && a.unit_id !== st.me.unit_id).map((a) => a.unit_id);
  const unacked = [...st.orders.values()].filter((x) => !x.acked_at && !x.acking && x.kind !== 'release');
  const help = o && [...st.orders.values()].filter((x) => x.kind === 'reinforcement' && x.incident_id === o.incident_id).sort((a, b) => b.seq - a.seq)[0];
  el.classList.toggle('new', unacked.length > 0);
  el.innerHTML = !o ? `<h2>${t('no_order')}</h2>` : o.kind === 'message' ? `<h2>${t('message_order')}</h2><p data-test="t-message">${esc(o.text)}</p>` : `
    <h2>${t('order')} #${esc(o.incident_id)} ${inc ? `<span class="prio p${inc.priority}">${inc.priority}</span> <span data-test="t-kind">${esc(kindName(inc.kind))}</span>` : ''}</h2>
    ${inc ? `<p><b>${t('address')}:</b> <span data-test="t-address">${esc(inc.address || `${inc.lat.toFixed(5)}, ${inc.lon.toFixed(5)}`)}</span></p>
    ${inc.caller_name || inc.caller_phone ? `<p><b>${t('caller')}:</b> ${esc(inc.caller_name || '')} <a href="tel:${esc(inc.caller_phone || '')}">${esc(inc.caller_phone || '')}</a></p>` : ''}
    ${inc.description ? `<p><b>${t('description')}:</b> ${esc(inc.description)}</p>` : ''}
    ${others.length ? `<p><b>${t('other_units')}:</b> ${others.map(esc).join(', ')}</p>` : ''}` : ''}
    ${help ? `<p data-test="t-reinforcement"><b>${t('reinforcement_coming')}:</b> ${help.units.map(esc).join(', ')}</p>` : ''}
    ${history(o.incident_id, kindName)}
    <p class="muted">${clock(o.issued_at)}</p>`;
  if (unacked.length) {
    el.insertAdjacentHTML('beforeend', unacked.map((x) => `<button class="warn" data-ack="${x.seq}" data-test="t-ack">${t('ack')} #${x.seq}${x.kind === 'message' ? ' ✉' : x.kind === 'reinforcement' ? ' ＋' : ''}</button>`).join(' '));
  } else if (o && o.kind !== 'release') {
    el.insertAdjacentHTML('beforeend', `<p data-test="t-acked">✓ ${t('acked')}</p>`);
  }
  el.querySelectorAll('[data-ack]').forEach((b) => { b.onclick = () => acknowledge(Number(b.dataset.ack)); });
  renderStatus();
  renderRoute();
}

async function renderStatus() {
  const el = $('#status');
  if (!el) return;
  const now = await pendingStatus();
  const next = STATUS_NEXT[now] || [];
  el.innerHTML = `<h2>${t('status')}: <span data-test="t-status">${esc(t(now || ''))}</span></h2>
    <div class="row statuses">${STATUS_ORDER.map((s) => `<button data-st="${s}" data-test="t-${s}" ${next.includes(s) ? '' : 'disabled'} aria-pressed="${s === now}">${t(s)}</button>`).join('')}</div>`;
  el.querySelectorAll('[data-st]').forEach((b) => { b.onclick = () => report(b.dataset.st); });
}

function renderRoute() {
  const el = $('#steps');
  if (!el) return;
  const r = st.route;
  el.innerHTML = !r ? `<p class="muted">${t('no_route')}</p>` : `
    <p data-test="t-route"><b>${Math.round(r.seconds / 60 * 10) / 10} ${t('minutes')}</b> · ${(r.meters / 1000).toFixed(1)} ${t('km')}</p>
    <ol class="steps" data-test="t-steps">${r.steps.map((s) => `<li>${esc(s.instruction)} <small class="muted">${Math.round(s.meters)} m</small></li>`).join('')}</ol>`;
  const map = st.map;
  if (!map || !map.loaded()) return;
  map.getSource('route')?.setData(r ? { type: 'Feature', properties: {}, geometry: r.geometry } : { type: 'FeatureCollection', features: [] });
  const pts = [];
  if (st.unit) pts.push([st.unit.lon, st.unit.lat]);
  if (st.incident) pts.push([st.incident.lon, st.incident.lat]);
  map.getSource('ends')?.setData({ type: 'FeatureCollection', features: pts.map((c, i) => ({ type: 'Feature', properties: { end: i }, geometry: { type: 'Point', coordinates: c } })) });
  if (r && r.geometry.coordinates.length > 1) {
    const xs = r.geometry.coordinates.map((c) => c[0]); const ys = r.geometry.coordinates.map((c) => c[1]);
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 40, duration: 0, maxZoom: 17 });
  } else if (pts.length) map.jumpTo({ center: pts[pts.length - 1], zoom: 15 });
}

function renderTalk() {
  const el = $('#talk');
  if (!el) return;
  el.innerHTML = st.talk.map((m) => `<li class="${m.direction}"><small>${clock(m.at)} ${m.direction === 'from_unit' ? t('me') : t('centre')}${m.pending ? ' …' : ''}</small><br>${esc(m.text)}</li>`).join('');
  el.scrollTop = el.scrollHeight;
}

function initMap() {
  try {
    const map = new maplibregl.Map({
      container: 'map',
      style: {
        version: 8,
        glyphs: location.origin + '/glyphs/{fontstack}/{range}.pbf',
        sources: {
          roads: { type: 'vector', tiles: [location.origin + '/tiles/roads/{z}/{x}/{y}'], maxzoom: 15 },
          route: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
          ends: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
          { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', paint: { 'line-color': '#9aa3ad', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 16, 4] } },
          { id: 'road-names', type: 'symbol', source: 'roads', 'source-layer': 'roads', minzoom: 14, layout: { 'symbol-placement': 'line', 'text-field': ['get', 'n'], 'text-font': ['pingan Sans'], 'text-size': 13 }, paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } },
          { id: 'route', type: 'line', source: 'route', paint: { 'line-color': '#0b3d91', 'line-width': 6, 'line-opacity': 0.85 } },
          { id: 'ends', type: 'circle', source: 'ends', paint: { 'circle-radius': 9, 'circle-color': ['match', ['get', 'end'], 0, '#1b7f3b', '#b00020'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
        ],
      },
      center: st.unit ? [st.unit.lon, st.unit.lat] : [0, 0],
      zoom: st.unit ? 14 : 1,
      attributionControl: false,
      localIdeographFontFamily: false,
    });
    map.on('load', () => { window.terminalMapLoaded = true; renderRoute(); });
    st.map = map;
  } catch { st.map = null; /* no WebGL: steps still show */ }
}

async function start() {
  st.me = JSON.parse(localStorage.getItem('pingan.terminal.me') || 'null');
  if (!st.token || !st.me?.unit_id) return renderLogin();
  // What this device already knows: it opens with no network.
  for (const o of await all('orders')) { st.orders.set(o.seq, o); st.lastSeq = Math.max(st.lastSeq, o.seq); }
  st.unit = JSON.parse(localStorage.getItem('pingan.terminal.unit') || 'null');
  try {
    st.config = await api('GET', '/config');
    localStorage.setItem('pingan.terminal.config', JSON.stringify({ kinds: st.config.kinds }));
    const asked = Date.now();
    st.settings = await api('GET', '/terminal/settings');
    st.skew = Date.parse(st.settings.server_time) - (asked + Date.now()) / 2;
    localStorage.setItem('pingan.terminal.skew', String(st.skew));
  } catch (e) {
    if (!st.token) return;
    st.config = JSON.parse(localStorage.getItem('pingan.terminal.config') || 'null');
  }
  renderShell();
  await countPending();
  connect();
  refresh();
  keepAwake();
  track();
  flush();
  window.terminalReady = true;
}

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/terminal-sw.js', { scope: '/terminal' }).catch(() => {});
start();
