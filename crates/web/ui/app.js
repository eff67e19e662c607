// pingan dashboard: the dispatcher's screen and the commander's overview.
// Plain ES modules, no framework; MapLibre GL JS is served by pingan itself.
import * as maplibregl from '/assets/ml/maplibre-gl.mjs';
import { STRINGS, defaultLang } from '/i18n.js';
import { makeCommunity, renderPhone } from '/community.js';

const state = {
  lang: defaultLang(),
  token: sessionStorage.getItem('pingan.token'),
  config: null,
  incidents: new Map(),
  units: new Map(),
  posts: [],
  stations: [],
  selected: null,
  rec: null,
  tab: 'queue',
  pick: null,
  live: false,
  iso: null, // null, 'posts' or 'units'
  figures: { hours: 24, station: '' },
  ws: null,
  tick: null,
};
window.pingan = state; // for the browser tests and the curious

const t = (k) => STRINGS[state.lang][k] ?? k;
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const kindName = (code) => {
  const k = state.config?.kinds.find((k) => k.code === code);
  return k ? (state.lang === 'zh' ? k.name_zh : k.name_en) : code;
};
const statusName = (s) => t(s === 'dispatched' ? 'dispatched_s' : s);
const eventName = (name) => STRINGS[state.lang][`ev_${name}`] ?? name;
const PRIORITY_COLORS = { 1: '#d7191c', 2: '#fd8d3c', 3: '#fecc5c', 4: '#a6d96a' };
const UNIT_COLORS = { available: '#1a9641', dispatched: '#fdae61', en_route: '#f46d43', on_scene: '#d73027', returning: '#74add1', off_duty: '#999999' };

async function api(method, path, body) {
  const res = await fetch('/api/v1' + path, {
    method,
    headers: { Authorization: 'Bearer ' + state.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) { logout(); throw new Error('unauthorized'); }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw Object.assign(new Error(data?.message || res.statusText), { data, status: res.status });
  return data;
}

// The server's clock: timers, "today" and the default briefing follow it,
// not the workstation's (a console's clock can be wrong; tests pin the server's).
function serverNow() { return Date.now() + (state.skew || 0); }
function localOffsetMs() { return (state.config?.clock?.utc_offset_min ?? 480) * 60000; }
// YYYY-MM-DD of the local day `daysAgo` days before today.
function localDay(daysAgo = 0) { return new Date(serverNow() + localOffsetMs() - daysAgo * 86400000).toISOString().slice(0, 10); }
// The briefing offered first (the month just ended in a month's first days, as the server decides) and the other month.
function briefingMonths() {
  const current = localDay().slice(0, 7);
  const d = new Date(`${current}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - 1);
  const previous = d.toISOString().slice(0, 7);
  const first = localDay().slice(8, 10) <= String(state.config?.clock?.briefing_grace_days ?? 7).padStart(2, '0') ? previous : current;
  return { first, other: first === current ? previous : current };
}

// Helpers the community screens share with the dashboard.
const communityCtx = {
  localDay,
  api, esc, t, toast: (m, bad) => toast(m, bad),
  lang: () => state.lang,
  kindName: (code) => kindName(code),
  user: () => state.config.user,
  token: () => state.token,
  switchLang: () => { setLang(state.lang === 'zh' ? 'en' : 'zh'); startPhone(); },
  desktop: () => { history.replaceState(null, '', '#'); start(); },
  logout: () => logout(),
};
const community = makeCommunity(communityCtx);
const phoneMode = () => location.hash === '#phone' || (window.innerWidth < 700 && ['station_officer'].includes(state.config?.user?.role));

async function startPhone() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  clearInterval(state.tick);
  await renderPhone($('#app'), communityCtx);
}

// ---------------------------------------------------------------- login

function renderLogin(message) {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  $('#app').innerHTML = `
    <form id="login" class="login">
      <h1>${t('title')}</h1>
      <label>${t('username')}<input name="username" autocomplete="username" autofocus></label>
      <label>${t('password')}<input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">${t('login')}</button>
      <button type="button" id="lang" class="link">${t('language')}</button>
      <p class="error">${esc(message || '')}</p>
    </form>`;
  $('#lang').onclick = () => { setLang(state.lang === 'zh' ? 'en' : 'zh'); renderLogin(); };
  $('#login').onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: f.get('username'), password: f.get('password') }),
    });
    if (!res.ok) return renderLogin(t('bad_login'));
    state.token = (await res.json()).token;
    sessionStorage.setItem('pingan.token', state.token);
    start();
  };
}

function logout() {
  if (state.token) fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + state.token } }).catch(() => {});
  sessionStorage.removeItem('pingan.token');
  state.token = null;
  state.ws?.close();
  clearInterval(state.tick);
  renderLogin();
}

function setLang(lang) {
  state.lang = lang;
  localStorage.setItem('pingan.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

// ---------------------------------------------------------------- shell

function renderShell() {
  const c = state.config;
  const canCall = ['call_taker', 'dispatcher', 'station_officer', 'commander', 'admin'].includes(c.user.role);
  $('#app').innerHTML = `
    <header>
      <strong>${t('title')}</strong>
      <span class="agency">${esc(c.agency_name)}</span>
      <span id="live" class="badge"></span>
      <span id="isobadge" class="muted-light" data-test="isochrones"></span>
      <span class="spacer"></span>
      <span id="clock"></span>
      <span class="user" data-test="user">${esc(c.user.display_name)} · ${esc(c.user.role)}${c.user.scope ? ' · ' + esc(c.user.scope) : ''}</span>
      ${canFile() ? `<button id="phone" data-test="phone-view">${esc(community.l('phone_view'))}</button>` : ''}
      <button id="lang" data-test="lang">${t('language')}</button>
      <button id="logout">${t('logout')}</button>
    </header>
    <main>
      <section id="left">
        <nav>
          <button data-tab="queue">${t('queue')}</button>
          ${canCall ? `<button data-tab="call">${t('call')}</button>` : ''}
          <button data-tab="units">${t('units')}</button>
          <button data-tab="figures">${t('figures')}</button>
          <button data-tab="coverage">${t('coverage')}</button>
          ${canAnalyse() ? `<button data-tab="analysis" data-test="tab-analysis">${t('analysis')}</button>` : ''}
          <button data-tab="community" data-test="tab-community">${t('community')}</button>
        </nav>
        <div id="panel"></div>
      </section>
      <section id="map"></section>
      <section id="right"><div id="detail"></div></section>
    </main>
    <footer>${t('help')}</footer>`;
  $('#lang').onclick = () => { setLang(state.lang === 'zh' ? 'en' : 'zh'); renderShell(); initMap(); renderAll(); };
  $('#logout').onclick = logout;
  if ($('#phone')) $('#phone').onclick = () => { history.replaceState(null, '', '#phone'); startPhone(); };
  document.querySelectorAll('nav button').forEach((b) => { b.onclick = () => showTab(b.dataset.tab); });
}

function setWide(wide) {
  const main = document.querySelector('main');
  if (!main || main.classList.contains('wide') === wide) return;
  main.classList.toggle('wide', wide);
  window.map?.resize();
}

function showTab(tab) {
  state.tab = tab;
  if (tab !== 'community') setWide(false);
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('active', b.dataset.tab === tab));
  if (tab === 'queue') renderQueue();
  if (tab === 'call') renderCallForm();
  if (tab === 'units') renderUnits();
  if (tab === 'figures') renderFigures();
  if (tab === 'coverage') renderCoverage();
  if (tab === 'analysis') renderAnalysis();
  if (tab === 'community') renderCommunity();
}

function renderAll() {
  showTab(state.tab);
  renderDetail();
  renderLive();
  updateMapData();
}

function renderLive() {
  const el = $('#live');
  if (!el) return;
  el.textContent = state.live ? t('live') : t('offline');
  el.className = 'badge ' + (state.live ? 'ok' : 'bad');
}

// ---------------------------------------------------------------- queue

function timerClass(inc) {
  const s = inc.timer ? elapsed(inc) : null;
  if (s == null) return '';
  return s <= 60 ? 't1' : s <= 180 ? 't3' : s <= 300 ? 't5' : 'tover';
}

function elapsed(inc) {
  return Math.max(0, Math.round((serverNow() - Date.parse(inc.created_at)) / 1000));
}

function fmtSecs(s) {
  if (s == null) return '';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

function openIncidents() {
  return [...state.incidents.values()]
    .filter((i) => !['closed', 'cancelled', 'merged'].includes(i.status))
    .sort((a, b) => a.priority - b.priority || Date.parse(a.created_at) - Date.parse(b.created_at));
}

function renderQueue() {
  if (state.tab !== 'queue') return;
  const list = openIncidents();
  $('#panel').innerHTML = `
    <h2>${t('open_incidents')} <span class="count" data-test="open-count">${list.length}</span></h2>
    <table class="queue" data-test="queue">
      ${list.map((i) => `
        <tr data-id="${i.id}" class="${i.id === state.selected ? 'selected' : ''}">
          <td><span class="prio p${i.priority}">${i.priority}</span></td>
          <td>#${i.id}<br><small>${esc(kindName(i.kind))}</small></td>
          <td>${esc(statusName(i.status))}<br><small>${esc(i.station_id || '')}</small></td>
          <td class="timer ${timerClass(i)}" data-since="${i.created_at}">${fmtSecs(elapsed(i))}</td>
        </tr>`).join('')}
    </table>`;
  document.querySelectorAll('.queue tr').forEach((tr) => { tr.onclick = () => select(Number(tr.dataset.id)); });
}

function tickTimers() {
  document.querySelectorAll('.queue tr').forEach((tr) => {
    const inc = state.incidents.get(Number(tr.dataset.id));
    const td = tr.querySelector('.timer');
    if (inc && td) { td.textContent = fmtSecs(elapsed(inc)); td.className = 'timer ' + timerClass(inc); }
  });
  const clock = $('#clock');
  if (clock) clock.textContent = new Date(serverNow()).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB');
}

// ---------------------------------------------------------------- incident detail

async function select(id) {
  state.selected = id;
  state.rec = null;
  renderQueue();
  renderDetail();
  updateMapData();
  const inc = state.incidents.get(id);
  if (inc && state.map) state.map.easeTo({ center: [inc.lon, inc.lat], zoom: Math.max(state.map.getZoom(), 14) });
  try {
    const [full, rec] = await Promise.all([api('GET', `/incidents/${id}`), api('GET', `/incidents/${id}/recommendation`)]);
    if (state.selected !== id) return;
    state.incidents.set(id, full);
    state.rec = rec;
    renderDetail();
  } catch (e) { toast(e.message, true); }
}

const NEXT = { dispatched: ['en_route', 'on_scene', 'cancelled'], en_route: ['on_scene', 'cancelled'], on_scene: ['controlled'], controlled: ['closed'], received: ['cancelled'] };

function renderDetail() {
  const el = $('#detail');
  if (!el) return;
  const inc = state.incidents.get(state.selected);
  if (!inc) { el.innerHTML = `<p class="muted">${t('none_selected')}</p>`; return; }
  const rec = state.rec;
  const role = state.config.user.role;
  const canDispatch = ['dispatcher', 'station_officer', 'commander', 'admin'].includes(role);
  el.innerHTML = `
    <h2 data-test="detail-title">#${inc.id} ${esc(kindName(inc.kind))} <span class="prio p${inc.priority}">${inc.priority}</span></h2>
    <p><b data-test="detail-status">${esc(statusName(inc.status))}</b> · ${esc(inc.address || `${inc.lat.toFixed(5)}, ${inc.lon.toFixed(5)}`)}${inc.location && !inc.location.verified ? ` <span class="warn" data-test="unverified">${t('unverified')}</span>` : ''}</p>
    <p class="muted">${esc(inc.caller_name || '')} ${esc(inc.caller_phone || '')}${inc.caller_phone || inc.caller_name ? ` <button class="small" data-test="identity-check" id="idcheck">${t('identity_check')}</button>` : ''} · ${t('station')}: ${esc(inc.station_id || '')}</p>
    <div id="idresults" data-test="identity-results"></div>
    ${inc.possible_duplicates?.length ? `<p class="warn">${t('duplicates')}: ${inc.possible_duplicates.map((d) => `#${d.incident_id} (${d.meters} m)`).join(', ')}</p>` : ''}
    ${canDispatch && NEXT[inc.status] ? `<div class="actions">${NEXT[inc.status].map((s) => `<button data-status="${s}">${t('next_status')}: ${esc(statusName(s))}</button>`).join('')}</div>` : ''}
    ${inc.units?.length ? renderOrders(inc.units, canDispatch) : ''}
    <div id="reports" data-test="reports"></div>
    <h3>${t('recommendation')}</h3>
    ${rec ? renderRecommendation(rec, canDispatch && ['received', 'dispatched', 'en_route', 'on_scene'].includes(inc.status)) : '<p class="muted">…</p>'}
    <h3>${t('timeline')}</h3>
    <ol class="timeline" data-test="timeline">
      ${(inc.timeline || []).map((e) => `<li><time>${new Date(e.at).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB')}</time> ${esc(e.status ? statusName(e.status) : eventName(e.event))} ${e.unit_id ? esc(e.unit_id) : ''} <small>${esc(e.actor)}</small></li>`).join('')}
    </ol>`;
  el.querySelectorAll('[data-status]').forEach((b) => { b.onclick = () => setStatus(inc.id, b.dataset.status); });
  const idcheck = el.querySelector('#idcheck');
  if (idcheck) idcheck.onclick = () => identityCheck(inc);
  loadReports(inc.id);
  el.querySelectorAll('[data-resend]').forEach((b) => { b.onclick = () => resendOrder(b.dataset.resend, b.dataset.seq); });
  el.querySelectorAll('[data-open-unit]').forEach((b) => { b.onclick = (e) => { e.preventDefault(); renderUnit(b.dataset.openUnit); }; });
  const btn = el.querySelector('#send');
  if (btn) btn.onclick = () => dispatchTwoWay();
}

// 核查身份: the caller looked up across the registers (by phone, else by
// name); the incident is the audited reason.
async function identityCheck(inc) {
  const out = $('#idresults');
  const q = inc.caller_phone || inc.caller_name;
  try {
    const r = await api('GET', `/people/search?q=${encodeURIComponent(q)}&incident_id=${inc.id}`);
    out.innerHTML = !r.results.length ? `<p class="muted">${t('identity_none')}</p>` : `<ul>${r.results.map((h) => `<li data-test="identity-hit"><b>${esc(t(`register_${h.register}`))}</b> ${esc(h.summary.name ?? h.summary.landlord ?? '')} ${esc(h.summary.id_number ?? '')} ${esc(h.summary.address ?? '')} <small class="muted">${esc(h.jurisdiction_id)} · ${esc(h.matched)}</small></li>`).join('')}</ul>`;
  } catch (e) {
    out.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

// Each unit sent: when its order was issued, and whether its terminal acknowledged it.
function renderOrders(units, canDispatch) {
  const clock = (at) => new Date(at).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB');
  const rows = units.map((a) => {
    const callsign = state.units.get(a.unit_id)?.callsign || a.unit_id;
    const state_ = !a.active ? `<span class="muted">${t('order_released')}</span>`
      : a.acked_at ? `<span class="ok">${t('order_acked')} ${clock(a.acked_at)}</span>`
        : a.ack_overdue ? `<span class="warn" data-test="order-overdue">${t('order_overdue')}</span>`
          : `<span class="muted">${t('order_waiting')}</span>`;
    const delivered = a.delivered_at ? `<small data-test="order-delivered">${t('order_delivered')} ${clock(a.delivered_at)}</small>` : `<small class="muted">${t('order_not_delivered')}</small>`;
    const resend = canDispatch && a.active && !a.acked_at && a.order_seq
      ? `<button class="small" data-resend="${esc(a.unit_id)}" data-seq="${a.order_seq}" data-test="resend-${esc(a.unit_id)}">${t('order_resend')}</button>` : '';
    return `<tr data-test="order-${esc(a.unit_id)}"><td><a href="#" data-open-unit="${esc(a.unit_id)}">${esc(callsign)}</a></td><td><small>${t('order_issued')} ${clock(a.dispatched_at)}</small><br>${delivered}</td><td>${state_} ${resend}</td></tr>`;
  }).join('');
  return `<h3>${t('units_sent')}</h3><table class="rec" data-test="orders">${rows}</table>`;
}

// Reports from the scene; a photo opens only with a reason (audited).
async function loadReports(id) {
  const out = await api('GET', `/incidents/${id}/reports`).catch(() => null);
  const el = $('#reports');
  if (!el || state.selected !== id || !out?.reports.length) return;
  el.innerHTML = `<h3>${t('reports')}</h3>` + out.reports.map((r) => `<p><small>${new Date(r.at).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB')} ${esc(r.unit_id || r.author)}</small><br>${esc(r.text)}
    ${r.photos.map((p) => `<button class="small" data-photo="${esc(p.url)}" data-test="report-photo">${t('photo')} ${p.n}</button>`).join(' ')}</p>`).join('');
  el.querySelectorAll('[data-photo]').forEach((b) => {
    b.onclick = async () => {
      const reason = prompt(t('photo_reason'));
      if (!reason) return;
      const res = await fetch(`${b.dataset.photo}?reason=${encodeURIComponent(reason)}`, { headers: { Authorization: 'Bearer ' + state.token } });
      if (!res.ok) return toast((await res.json().catch(() => ({}))).message || res.statusText, true);
      const img = document.createElement('img');
      img.src = URL.createObjectURL(await res.blob());
      img.alt = `${t('photo')}`;
      img.style.maxWidth = '100%';
      b.replaceWith(img);
    };
  });
}

async function resendOrder(unitId, seq) {
  try {
    await api('POST', `/units/${encodeURIComponent(unitId)}/orders/${seq}/resend`, {});
    toast(`${t('order_resent')}: ${state.units.get(unitId)?.callsign || unitId}`);
  } catch (e) { toast(e.message, true); }
}

// One unit: its conversation with the command centre and its track over the shift.
async function renderUnit(unitId) {
  state.tab = 'unit';
  state.unitOpen = unitId;
  const u = state.units.get(unitId);
  const canDispatch = ['dispatcher', 'station_officer', 'commander', 'admin'].includes(state.config.user.role);
  $('#panel').innerHTML = `
    <h2 data-test="unit-title">${esc(u?.callsign || unitId)} <small>${esc(u ? t(u.kind) : '')}</small></h2>
    <p>${esc(u ? t(u.status === 'dispatched' ? 'dispatched_s' : u.status) : '')} ${u?.incident_id ? '#' + u.incident_id : ''} · ${t('station')}: ${esc(u?.home_station || '')}</p>
    <div class="actions"><button id="replay" data-test="track-replay">${t('track_replay')}</button> <span id="trackinfo" class="muted" data-test="track-info"></span></div>
    <h3>${t('messages')}</h3>
    <ol class="timeline" id="talk" data-test="messages"></ol>
    ${canDispatch ? `<form id="say" class="say"><input name="text" maxlength="500" placeholder="${t('message_placeholder')}" data-test="message-text" aria-label="${t('messages')}"><button data-test="message-send">${t('send')}</button>
      <label><input type="checkbox" name="station" data-test="message-station"> ${t('message_whole_station')}</label></form>` : ''}`;
  $('#replay').onclick = () => replayTrack(unitId);
  const talk = async () => {
    const out = await api('GET', `/units/${encodeURIComponent(unitId)}/messages?limit=200`);
    $('#talk').innerHTML = out.messages.map((m) => `<li class="${m.direction}"><time>${new Date(m.at).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB')}</time> <b>${m.direction === 'from_unit' ? esc(u?.callsign || unitId) : t('command_centre')}</b> ${esc(m.text)}</li>`).join('') || `<li class="muted">${t('none')}</li>`;
  };
  state.refreshTalk = () => { if (state.tab === 'unit' && state.unitOpen === unitId) talk(); };
  await talk();
  const form = $('#say');
  if (form) form.onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      if (f.get('station')) await api('POST', '/messages', { station_id: u.home_station, text: f.get('text') });
      else await api('POST', `/units/${encodeURIComponent(unitId)}/messages`, { text: f.get('text'), incident_id: u?.incident_id || undefined });
      form.reset();
      await talk();
    } catch (err) { toast(`${err.data?.field ? err.data.field + ': ' : ''}${err.message}`, true); }
  };
}

// Draws the unit's fixes of the last shift (8 h) on the map and plays them.
async function replayTrack(unitId) {
  const out = await api('GET', `/units/${encodeURIComponent(unitId)}/track?limit=10000`);
  const coords = out.fixes.map((f) => [f.lon, f.lat]);
  const info = $('#trackinfo');
  if (!coords.length) { if (info) info.textContent = t('track_empty'); return; }
  if (info) info.textContent = `${out.fixes.length} ${t('track_fixes')} · ${new Date(out.fixes[0].at).toLocaleTimeString()} – ${new Date(out.fixes.at(-1).at).toLocaleTimeString()}`;
  if (!map || !map.getSource('track')) return;
  const line = (n) => ({ type: 'FeatureCollection', features: n > 1 ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords.slice(0, n) } }] : [] });
  const lons = coords.map((c) => c[0]); const lats = coords.map((c) => c[1]);
  map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 60, maxZoom: 16, duration: 0 });
  clearInterval(state.replay);
  let n = 1;
  const step = Math.max(1, Math.ceil(coords.length / 100));
  state.replay = setInterval(() => {
    n = Math.min(coords.length, n + step);
    map.getSource('track').setData(line(n));
    if (n >= coords.length) clearInterval(state.replay);
  }, 50);
}

function renderRecommendation(rec, canDispatch) {
  const reasons = new Map(rec.two_way.reasons.map((r) => [r.unit_id, r]));
  const rows = rec.units.slice(0, 12).map((u) => `
    <tr class="${reasons.has(u.unit_id) ? 'chosen' : ''}">
      <td>${esc(u.callsign)}<br><small>${esc(t(u.kind))}</small></td>
      <td>${Math.round(u.seconds)} ${t('seconds')}</td>
      <td><span class="tier tier${u.tier}">${u.tier === 'beyond' ? t('beyond') : u.tier}</span></td>
      <td><small>${esc(reasons.get(u.unit_id)?.text || '')}</small></td>
    </tr>`).join('');
  return `
    <p>${t('two_way')}: <b>${esc(rec.two_way.station_id || '')}</b> + ${rec.two_way.unit_ids.map(esc).join(', ')}</p>
    ${canDispatch ? `<button id="send" class="primary" data-test="dispatch" ${rec.two_way.unit_ids.length ? '' : 'disabled'}>${t('dispatch_two_way')}</button>` : ''}
    ${rec.unmet?.length ? `<p class="warn">${t('unmet')}: ${rec.unmet.map((u) => u.unit_kinds.map(t).join('/') + ' ×' + u.count).join('; ')}</p>` : ''}
    ${rec.waves ? `<p class="muted">${t('waves')}: ${rec.waves.map((w) => `${w.tier}${t('wave')} ${w.unit_ids.length}`).join(' · ')}</p>` : ''}
    <table class="rec" data-test="recommendation"><tr><th></th><th>${t('seconds')}</th><th>${t('tier')}</th><th>${t('reason')}</th></tr>${rows}</table>`;
}

async function dispatchTwoWay() {
  const id = state.selected;
  const rec = state.rec;
  if (!id || !rec || !rec.two_way.unit_ids.length) return;
  try {
    // randomUUID exists only in secure contexts; a desk may use plain HTTP on the LAN.
    const nonce = crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const key = `ui-${id}-${rec.two_way.unit_ids.join('+')}-${nonce}`;
    const out = await api('POST', `/incidents/${id}/dispatch`, { unit_ids: rec.two_way.unit_ids, idempotency_key: key });
    state.incidents.set(id, { ...state.incidents.get(id), ...out.incident });
    toast(`${t('dispatched')}: ${out.unit_ids.join(', ')}`);
    select(id);
  } catch (e) { toast(e.message, true); }
}

async function setStatus(id, status) {
  try {
    const inc = await api('POST', `/incidents/${id}/status`, { status });
    state.incidents.set(id, { ...state.incidents.get(id), ...inc });
    select(id);
  } catch (e) { toast(e.message, true); }
}

// ---------------------------------------------------------------- call-taker form

function renderCallForm() {
  if (state.tab !== 'call') return;
  const kinds = state.config.kinds;
  const p = state.pick;
  $('#panel').innerHTML = `
    <form id="callform" class="callform" data-test="callform" autocomplete="off">
      <h2>${t('new_call')}</h2>
      <label>${t('kind')}<select name="kind" data-test="kind">${kinds.map((k) => `<option value="${k.code}">${esc(state.lang === 'zh' ? k.name_zh : k.name_en)}</option>`).join('')}</select></label>
      <label>${t('priority')}<select name="priority"><option value="">—</option>${[1, 2, 3, 4].map((n) => `<option>${n}</option>`).join('')}</select></label>
      <div class="where">
        <label>${t('where')}<input name="where" data-test="location" role="combobox" aria-expanded="false" aria-controls="where-list" aria-autocomplete="list" placeholder="${esc(t('where_hint'))}"></label>
        <ul id="where-list" class="where-list" role="listbox" data-test="where-list" hidden></ul>
      </div>
      <p class="muted" id="where-at" data-test="where-at">${t('pick_on_map')}</p>
      <label>${t('caller_name')}<input name="caller_name" data-test="caller_name"></label>
      <label>${t('caller_phone')}<input name="caller_phone"></label>
      <label>${t('description')}<textarea name="description" rows="2"></textarea></label>
      <div id="dups" data-test="duplicates"></div>
      <div id="history" data-test="place-history"></div>
      <p class="error" id="formerror" data-test="formerror"></p>
      <button type="submit" class="primary" data-test="save">${t('save')}</button>
    </form>`;
  const form = $('#callform');
  form.kind.focus();
  state.where = null;
  const check = () => checkDuplicates(form);
  wireWhereBox(form, check);
  form.kind.onchange = check;
  form.onsubmit = async (e) => { e.preventDefault(); await saveCall(form); };
  if (p) pickPoint(form, p, check);
}

// The "where" box: a search as the call taker types (↑/↓, Enter picks),
// coordinates as typed, or a map click looked up in reverse.
function wireWhereBox(form, check) {
  const box = form.where;
  const list = $('#where-list');
  let results = [];
  let active = -1;
  let asked = 0;
  const close = () => { list.hidden = true; box.setAttribute('aria-expanded', 'false'); active = -1; };
  const show = () => {
    list.innerHTML = results.map((r, i) => `<li role="option" id="where-${i}" data-i="${i}" aria-selected="${i === active}" class="${i === active ? 'active' : ''}"><b>${esc(r.label)}</b> <small>${esc(t('place_' + r.kind))}${r.station ? ' · ' + esc(r.station) : ''}${r.community ? ' · ' + esc(r.community) : ''}</small></li>`).join('');
    list.hidden = results.length === 0;
    box.setAttribute('aria-expanded', String(!list.hidden));
    if (active >= 0) box.setAttribute('aria-activedescendant', `where-${active}`); else box.removeAttribute('aria-activedescendant');
  };
  const pick = (r) => {
    state.where = { text: r.label, place_id: r.id, lat: r.lat, lon: r.lon, source: 'typed_address', place: r };
    box.value = r.label;
    close();
    showWhere(r);
    check();
  };
  box.oninput = () => {
    const q = box.value.trim();
    if (coordinates(q) || q.length < 2) { results = []; close(); return; }
    const mine = ++asked;
    setTimeout(async () => {
      if (mine !== asked) return;
      try {
        const near = state.where?.lat != null ? `&near=${state.where.lat},${state.where.lon}` : '';
        const res = await api('GET', `/places/search?limit=8&q=${encodeURIComponent(q)}${near}`);
        if (mine !== asked) return;
        results = res.results;
        active = results.length ? 0 : -1;
        show();
      } catch (e) { $('#formerror').textContent = e.message; }
    }, 60);
  };
  box.onkeydown = (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : results.length - 1)) % results.length;
      show();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      pick(results[active]);
    } else if (e.key === 'Escape') { e.stopPropagation(); close(); }
  };
  list.onmousedown = (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) { e.preventDefault(); pick(results[Number(li.dataset.i)]); }
  };
  box.onblur = () => setTimeout(close, 150);
  box.onchange = () => { if (coordinates(box.value)) check(); };
}

function coordinates(text) {
  const m = text.match(/^\s*(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)\s*$/);
  return m ? { lat: Number(m[1]), lon: Number(m[2]) } : null;
}

function showWhere(r) {
  const at = $('#where-at');
  if (at) at.textContent = [t('place_' + r.kind), r.station, r.community].filter(Boolean).join(' · ');
}

// A map click: the point, named by the nearest place.
async function pickPoint(form, p, check) {
  state.where = { text: '', lat: p.lat, lon: p.lon, source: 'map_click' };
  form.where.value = `${p.lat.toFixed(6)},${p.lon.toFixed(6)}`;
  check();
  try {
    const res = await api('GET', `/places/reverse?lat=${p.lat}&lon=${p.lon}`);
    const near = res.results.find((r) => r.kind !== 'community' && r.kind !== 'station') || res.results[0];
    if (near && state.where?.source === 'map_click') {
      state.where.text = near.label;
      form.where.value = near.label;
      showWhere(near);
    }
  } catch { /* the coordinates stand */ }
}

function readCall(form) {
  const body = { kind: form.kind.value };
  const text = form.where.value.trim();
  const w = state.where;
  const typed = coordinates(text);
  if (typed) Object.assign(body, typed, { source: w?.source === 'map_click' && w.lat === typed.lat ? 'map_click' : 'coordinates' });
  else if (w && w.text === text && w.place_id) Object.assign(body, { place_id: w.place_id });
  else if (w && w.text === text) Object.assign(body, { lat: w.lat, lon: w.lon, source: w.source, address: text });
  // Text changed after a pick or a click: keep the point, unconfirmed.
  else if (w) Object.assign(body, { lat: w.lat, lon: w.lon, source: 'typed_address', verified: false, address: text });
  else if (text) Object.assign(body, { address: text, source: 'typed_address' });
  if (form.priority.value) body.priority = Number(form.priority.value);
  for (const k of ['caller_name', 'caller_phone', 'description']) if (form[k].value.trim()) body[k] = form[k].value.trim();
  return body;
}

const located = (body) => body.place_id || (Number.isFinite(body.lat) && Number.isFinite(body.lon));

// The place's history beside the duplicate warning (研判比对).
async function showHistory(body) {
  const q = body.place_id ? `place_id=${encodeURIComponent(body.place_id)}` : `lat=${body.lat}&lon=${body.lon}`;
  try {
    const h = await api('GET', `/places/history?${q}`);
    const lines = [`${t('history_prior')} (${h.radius_m} m, ${h.days} ${t('days')}): ${h.prior_count}`];
    if (h.prior.length) lines.push(h.prior.slice(0, 5).map((i) => `#${i.id} ${esc(kindName(i.kind))} ${esc(new Date(i.created_at).toLocaleDateString())}`).join(' · '));
    if (h.open_nearby.length) lines.push(`${t('history_open')} (${h.open_radius_m} m): ${h.open_nearby.map((i) => `#${i.id} ${esc(kindName(i.kind))} ${Math.round(i.meters)} m`).join(' · ')}`);
    if (h.venues.length) lines.push(`${t('history_venues')}: ${h.venues.map((v) => esc(v.name)).join(' · ')}`);
    if (h.key_persons) lines.push(`${t('history_key_persons')}: ${h.key_persons}`);
    if (h.registered && h.registered.length) lines.push(`${t('history_registered')} ${esc(h.address_code)}: ${h.registered.map((r) => `${esc(t('register_' + r.register))} ${r.count}`).join(' · ')}`);
    const el = $('#history');
    if (el) el.innerHTML = `<p class="${h.venues.length || h.key_persons ? 'warn' : 'muted'}">${lines.join('<br>')}</p>`;
  } catch { /* the history is advice; the call goes on */ }
}

async function checkDuplicates(form) {
  const body = readCall(form);
  if (!located(body)) return;
  showHistory(body);
  try {
    const res = await api('POST', '/incidents/check', body);
    $('#formerror').textContent = '';
    $('#dups').innerHTML = res.possible_duplicates.length ? `<p class="warn">${t('duplicates')}:</p><ul>${res.possible_duplicates.map((d) => `<li>#${d.incident_id} ${esc(kindName(d.kind))} · ${d.meters} m · ${d.minutes} min</li>`).join('')}</ul>` : '';
  } catch (e) {
    $('#formerror').textContent = `${e.data?.field ? e.data.field + ': ' : ''}${e.message}`;
  }
}

async function saveCall(form) {
  const body = readCall(form);
  if (!located(body)) { $('#formerror').textContent = t('where_needed'); form.where.focus(); return; }
  try {
    const inc = await api('POST', '/incidents', body);
    state.incidents.set(inc.id, inc);
    state.pick = null;
    toast(`${t('saved')} #${inc.id}`);
    showTab('queue');
    select(inc.id);
  } catch (e) {
    $('#formerror').textContent = `${e.data?.field ? e.data.field + ': ' : ''}${e.message}`;
  }
}

// ---------------------------------------------------------------- units and figures

function renderUnits() {
  if (state.tab !== 'units') return;
  const units = [...state.units.values()];
  const counts = {};
  for (const u of units) counts[u.status] = (counts[u.status] || 0) + 1;
  $('#panel').innerHTML = `
    <h2>${t('all_units')} ${units.length}</h2>
    <p class="statuses">${Object.keys(UNIT_COLORS).map((s) => `<span><i style="background:${UNIT_COLORS[s]}"></i>${esc(t(s === 'dispatched' ? 'dispatched_s' : s))} <b data-test="units-${s}">${counts[s] || 0}</b></span>`).join(' ')}</p>
    <table class="units" data-test="units">${units.filter((u) => u.status !== 'available').concat(units.filter((u) => u.status === 'available')).slice(0, 300).map((u) => `
      <tr data-unit="${esc(u.id)}"><td><i style="background:${UNIT_COLORS[u.status]}"></i> ${esc(u.callsign)}</td><td><small>${esc(t(u.kind))}</small></td>
      <td data-test="unit-status">${esc(t(u.status === 'dispatched' ? 'dispatched_s' : u.status))}</td><td>${u.incident_id ? '#' + u.incident_id : ''}</td></tr>`).join('')}</table>`;
  $('#panel').querySelectorAll('[data-unit]').forEach((r) => { r.onclick = () => renderUnit(r.dataset.unit); });
}

async function renderFigures() {
  if (state.tab !== 'figures') return;
  const sel = state.figures;
  const stations = state.stations.map((f) => f.properties);
  $('#panel').innerHTML = `
    <h2>${t('figures')}</h2>
    <div class="filters">
      <select id="fig-hours" data-test="fig-period">${[[1, '1 h'], [24, '24 h'], [168, '7 d'], [720, '30 d']].map(([h, l]) => `<option value="${h}" ${h === sel.hours ? 'selected' : ''}>${l}</option>`).join('')}</select>
      <select id="fig-station" data-test="fig-area"><option value="">${t('all_areas')}</option>${stations.map((p) => `<option value="${esc(p.id)}" ${p.id === sel.station ? 'selected' : ''}>${esc(state.lang === 'zh' ? p.name_zh : p.name_en || p.name_zh)}</option>`).join('')}</select>
    </div>
    <div id="figbody"><p class="muted">…</p></div>`;
  $('#fig-hours').onchange = (e) => { sel.hours = Number(e.target.value); renderFigures(); };
  $('#fig-station').onchange = (e) => { sel.station = e.target.value; renderFigures(); };
  const from = new Date(serverNow() - sel.hours * 3600 * 1000).toISOString();
  const f = await api('GET', `/figures?from=${encodeURIComponent(from)}&period=${sel.hours > 48 ? 'day' : 'hour'}${sel.station ? '&station=' + encodeURIComponent(sel.station) : ''}`);
  if (state.tab !== 'figures' || !$('#figbody')) return;
  const row = f.total;
  const pct = (x) => `${Math.round(x * 1000) / 10}%`;
  const bar = (x, cls) => `<span class="bar ${cls}" style="width:${Math.round(x * 100)}%"></span>`;
  $('#figbody').innerHTML = `
    <p>${t('incidents')}: <b data-test="fig-incidents">${row.incidents}</b> · ${t('reached')}: <b>${row.reached}</b></p>
    <p>${t('reached_within')}:</p>
    <div class="bars">${['1', '3', '5'].map((m) => `<div>${m}′ ${bar(row.within[m], 'tier' + m)} <b>${pct(row.within[m])}</b></div>`).join('')}</div>
    <table><tr><th>${t('phase')}</th><th>n</th><th>${t('median')}</th><th>${t('p90')}</th></tr>
    ${Object.entries(row.phases).map(([k, v]) => `<tr><td>${t(k)}</td><td>${v.n}</td><td>${fmtSecs(v.median_s)}</td><td>${fmtSecs(v.p90_s)}</td></tr>`).join('')}</table>
    <h3>${t('by_station')}</h3>
    <table>${f.by_station.slice(0, 20).map((r) => `<tr><td>${esc(r.key)}</td><td>${r.incidents}</td><td>5′ ${pct(r.within['5'])}</td></tr>`).join('')}</table>
    <h3>${t('by_period')}</h3>
    <table>${f.by_period.slice(-12).map((r) => `<tr><td>${esc(r.key)}</td><td>${r.incidents}</td><td>5′ ${pct(r.within['5'])}</td></tr>`).join('')}</table>
    <div id="offices-coverage"></div>`;
  const oc = await api('GET', '/police-offices/coverage');
  if (state.tab !== 'figures' || !$('#offices-coverage')) return;
  const occ = (r) => `<td>${esc(r.name || r.id)}</td><td>${r.offices}</td><td>${r.with_office}/${r.communities}</td><td><b>${pct(r.share)}</b></td><td>${pct(r.co_located_share)}</td>`;
  $('#offices-coverage').innerHTML = `<h3>${t('office_coverage')}</h3>
    <table data-test="office-coverage"><tr><th></th><th>${t('offices')}</th><th>${t('communities_with_office')}</th><th>${t('share')}</th><th>${t('co_located')}</th></tr>
    <tr>${occ({ ...oc.total, name: t('total') })}</tr>${oc.by_bureau.map((r) => `<tr>${occ(r)}</tr>`).join('')}</table>`;
}

// ---------------------------------------------------------------- coverage planning

function renderCoverage() {
  if (state.tab !== 'coverage') return;
  const c = state.coverage || (state.coverage = { demand: 'communities', result: null });
  $('#panel').innerHTML = `
    <h2>${t('coverage')}</h2>
    <div class="filters">
      <select id="cov-demand" data-test="cov-demand">${['communities', 'incidents'].map((d) => `<option value="${d}" ${d === c.demand ? 'selected' : ''}>${t('demand_' + d)}</option>`).join('')}</select>
      <button id="cov-eval" data-test="cov-eval">${t('evaluate_posts')}</button>
      <button id="cov-opt" data-test="cov-opt">${t('optimise_posts')}</button>
    </div>
    <div id="covbody" data-test="cov-result">${c.result ? coverageTable(c.result) : `<p class="muted">${t('coverage_help')}</p>`}</div>`;
  $('#cov-demand').onchange = (e) => { c.demand = e.target.value; };
  $('#cov-eval').onclick = () => runCoverage('evaluate');
  $('#cov-opt').onclick = () => runCoverage('optimise');
}

function coverageTable(r) {
  const pct = (x, tot) => `${Math.round((x / Math.max(tot, 1e-9)) * 1000) / 10}%`;
  const rows = Object.keys(r.covered).map((m) => `<tr><td>≤ ${m}′</td>${r.before ? `<td>${pct(r.before.covered[m], r.before.total_weight)}</td>` : ''}<td><b>${pct(r.covered[m], r.total_weight)}</b></td></tr>`).join('');
  return `<table><tr><th></th>${r.before ? `<th>${t('before')}</th><th>${t('after')}</th>` : `<th>${t('covered')}</th>`}</tr>${rows}
    <tr><td>${t('backup')}</td>${r.before ? `<td>${pct(r.before.backup, r.before.total_weight)}</td>` : ''}<td>${pct(r.backup, r.total_weight)}</td></tr></table>
    <p class="muted">${t('sites')}: ${r.sites.length} · ${t('uncovered')}: ${r.uncovered}${r.proven_ratio ? ` · ${t('proven')}: ≥ ${Math.floor(r.proven_ratio * 1000) / 10}%` : ''}</p>`;
}

async function runCoverage(kind) {
  const c = state.coverage;
  $('#covbody').innerHTML = '<p class="muted">…</p>';
  try {
    c.result = await api('POST', `/coverage/${kind}`, { demand: c.demand, sites: 'posts' });
    if (state.tab === 'coverage') $('#covbody').innerHTML = coverageTable(c.result);
    const map = state.map;
    map.getSource('coverage').setData({ type: 'FeatureCollection', features: c.result.demand.map(([lat, lon, w, within]) => ({ type: 'Feature', properties: { w, within: within ?? 99 }, geometry: { type: 'Point', coordinates: [lon, lat] } })) });
    map.getSource('plan').setData({ type: 'FeatureCollection', features: c.result.sites.map(([lat, lon]) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } })) });
    window.coverageShown = true;
  } catch (e) { $('#covbody').innerHTML = `<p class="error">${esc(e.message)}</p>`; }
}

// ---------------------------------------------------------------- analysis (joint operations centre)

const ANALYSTS = ['analyst', 'commander', 'admin', 'station_officer', 'dispatcher'];
function canAnalyse() { return ANALYSTS.includes(state.config?.user?.role); }

function renderAnalysis() {
  if (state.tab !== 'analysis') return;
  const a = state.analysis || (state.analysis = { method: 'gistar', days: 90, kind: '', body: '' });
  const kinds = state.config.kinds;
  const months = briefingMonths();
  $('#panel').innerHTML = `
    <h2>${t('analysis')}</h2>
    <div class="filters">
      <select id="an-kind" data-test="an-kind"><option value="">${t('all_kinds')}</option>${kinds.map((k) => `<option value="${k.code}" ${k.code === a.kind ? 'selected' : ''}>${esc(state.lang === 'zh' ? k.name_zh : k.name_en)}</option>`).join('')}</select>
      <select id="an-days">${[30, 90, 365].map((d) => `<option value="${d}" ${d === a.days ? 'selected' : ''}>${t('last_days').replace('{n}', d)}</option>`).join('')}</select>
    </div>
    <div class="filters">
      <select id="an-method" data-test="an-method">${['gistar', 'kde', 'h3', 'segments', 'forecast'].map((m) => `<option value="${m}" ${m === a.method ? 'selected' : ''}>${t('hs_' + m)}</option>`).join('')}</select>
      <button id="an-hot" data-test="an-hotspots">${t('show_on_map')}</button>
    </div>
    <div class="filters">
      <button id="an-nr" data-test="an-near-repeat">${t('near_repeat')}</button>
      <button id="an-tr" data-test="an-trends">${t('trends')}</button>
      <button id="an-brief" data-test="an-brief" data-period="${months.first}">${t('briefing')} ${months.first}</button>
      <button id="an-brief-other" data-test="an-brief-other" data-period="${months.other}">${months.other}</button>
    </div>
    <div class="filters">
      <label>${t('key_dates')} <input type="date" id="an-brief-from" data-test="an-brief-from" value="${localDay(6)}"></label>
      <label>– <input type="date" id="an-brief-to" data-test="an-brief-to" value="${localDay()}"></label>
      <button id="an-brief-range" data-test="an-brief-range">${t('briefing')}</button>
    </div>
    <div id="anbody" data-test="an-result">${a.body || `<p class="muted">${t('analysis_help')}</p>`}</div>`;
  $('#an-kind').onchange = (e) => { a.kind = e.target.value; };
  $('#an-days').onchange = (e) => { a.days = Number(e.target.value); };
  $('#an-method').onchange = (e) => { a.method = e.target.value; };
  $('#an-hot').onclick = runHotspots;
  $('#an-nr').onclick = runNearRepeat;
  $('#an-tr').onclick = runTrends;
  $('#an-brief').onclick = () => openBriefing(months.first);
  $('#an-brief-other').onclick = () => openBriefing(months.other);
  $('#an-brief-range').onclick = () => openBriefing(`${$('#an-brief-from').value}..${$('#an-brief-to').value}`);
}

function analysisQuery() {
  const a = state.analysis;
  const from = new Date(serverNow() - a.days * 86400000).toISOString();
  return `from=${encodeURIComponent(from)}${a.kind ? `&kind=${a.kind}` : ''}`;
}

// Each run numbers itself; a late answer of an older run is dropped.
let analysisRun = 0;

function showAnalysis(html, run = analysisRun) {
  if (run !== analysisRun) return;
  state.analysis.body = html;
  if (state.tab === 'analysis') $('#anbody').innerHTML = html;
}

async function runHotspots() {
  const run = ++analysisRun;
  const a = state.analysis;
  showAnalysis('<p class="muted">…</p>', run);
  try {
    const path = a.method === 'forecast' ? `/analysis/forecast?${analysisQuery().replace(/from=[^&]*/, '')}` : `/analysis/hotspots?method=${a.method}&${analysisQuery()}`;
    const r = await api('GET', path);
    if (run !== analysisRun) return;
    const map = state.map;
    map.getSource('analysis').setData(r);
    const max = Math.max(1, ...r.features.map((f) => f.properties.count ?? f.properties.score ?? 0));
    map.setPaintProperty('analysis-fill', 'fill-color', a.method === 'gistar'
      ? ['interpolate', ['linear'], ['get', 'z'], 2, '#fdae61', 4, '#d7191c', 8, '#67000d']
      : ['interpolate', ['linear'], ['get', a.method === 'forecast' ? 'score' : 'count'], 0, '#ffffb2', max / 2, '#fd8d3c', max, '#bd0026']);
    map.setPaintProperty('analysis-line', 'line-color', ['interpolate', ['linear'], ['get', 'count'], 0, '#fecc5c', max, '#bd0026']);
    window.analysisShown = r.features.length;
    const moran = r.moran ? ` · Moran's I ${r.moran.i.toFixed(3)} (p ${r.moran.p_norm < 0.001 ? '< 0.001' : r.moran.p_norm.toFixed(3)})` : '';
    showAnalysis(`<p data-test="an-summary">${t('hs_' + a.method)}: <b>${r.features.length}</b> ${a.method === 'segments' ? t('segments') : t('cells')}${r.incidents !== undefined ? ` · ${r.incidents} ${t('incidents')}` : ''}${moran}</p>
      <p class="muted">${a.method === 'gistar' ? t('gistar_help') : a.method === 'forecast' ? t('forecast_help') : ''}</p>`, run);
  } catch (e) { showAnalysis(`<p class="error">${esc(e.message)}</p>`, run); }
}

async function runNearRepeat() {
  const run = ++analysisRun;
  showAnalysis('<p class="muted">…</p>', run);
  try {
    const r = await api('GET', `/analysis/near-repeat?${analysisQuery()}&space_band=100&space_bands=3&time_band=7&time_bands=3&permutations=99`);
    const rows = r.rows.map((label, i) => `<tr><td>${esc(label === 'Same location' ? t('same_location') : label + ' m')}</td>${r.columns.map((_, j) => {
      const k = r.knox_ratio[i][j]; const p = r.p_value[i][j];
      return `<td class="${p <= 0.05 && k > 1 ? 'hot' : ''}" title="${t('observed')} ${r.observed[i][j]} · ${t('expected')} ${r.expected[i][j].toFixed(1)} · p ${p.toFixed(2)}">${k === null ? '–' : k.toFixed(2)}</td>`;
    }).join('')}</tr>`).join('');
    showAnalysis(`<table data-test="an-knox"><tr><th></th>${r.columns.map((c) => `<th>${esc(c)} ${t('days')}</th>`).join('')}</tr>${rows}</table>
      <p class="muted">${t('knox_help')} (${r.events} ${t('incidents')})</p>`, run);
  } catch (e) { showAnalysis(`<p class="error">${esc(e.message)}</p>`, run); }
}

async function runTrends() {
  const run = ++analysisRun;
  showAnalysis('<p class="muted">…</p>', run);
  try {
    const a = state.analysis;
    const r = await api('GET', `/analysis/trends?period=${localDay(a.days)}..${localDay(0)}&by=kind${a.kind ? `&kind=${a.kind}` : ''}`);
    const pct = (v) => v === null ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;
    const star = (p) => (p < 0.01 ? ' **' : p < 0.05 ? ' *' : '');
    const rows = r.period_on_period.map((c) => `<tr><td>${esc(kindName(c.key))}</td><td>${c.current}</td><td>${c.previous}</td><td>${pct(c.change_pct)}${star(c.p_value)}</td></tr>`).join('');
    showAnalysis(`<table data-test="an-trends-table"><tr><th></th><th>${t('this_period')}</th><th>${t('previous_period')}</th><th>${t('change')}</th></tr>${rows}</table>
      <p class="muted">${esc(r.period)} vs ${esc(r.previous_period)} · ${t('trend_help')}</p>`, run);
  } catch (e) { showAnalysis(`<p class="error">${esc(e.message)}</p>`, run); }
}

async function openBriefing(period) {
  try {
    const res = await fetch(`/api/v1/analysis/briefing?period=${encodeURIComponent(period)}`, { headers: { Authorization: 'Bearer ' + state.token } });
    if (!res.ok) throw new Error((await res.json()).message);
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
    window.briefingUrl = url;
    window.open(url, '_blank');
  } catch (e) { showAnalysis(`<p class="error">${esc(e.message)}</p>`); }
}

// ---------------------------------------------------------------- community: case transfers (两不办) and leads

const canFile = () => ['station_officer', 'commander', 'admin'].includes(state.config.user.role);
const canDecide = () => ['dispatcher', 'commander', 'admin'].includes(state.config.user.role);
const UNITS_T = ['criminal_investigation', 'narcotics', 'public_order', 'economic_crime', 'cyber'];

const CM_VIEWS = ['cases', 'ledgers', 'service', 'staffing', 'offices', 'assessment'];

async function renderCommunity() {
  if (state.tab !== 'community') return;
  const view = state.cmView || 'cases';
  setWide(['assessment', 'staffing', 'offices'].includes(view));
  const subnav = `<div class="subnav" data-test="community-views">${CM_VIEWS.map((v) => `<button data-cm="${v}" class="${v === view ? 'active' : ''}">${esc(v === 'cases' ? community.l('cases') : v === 'service' ? community.l('service') : v === 'ledgers' ? community.l('ledgers') : v === 'staffing' ? community.l('staffing') : community.l(v))}</button>`).join('')}</div>`;
  if (view !== 'cases') {
    $('#panel').innerHTML = `<h2>${t('community')}</h2>${subnav}<div id="cm-figures"></div><div class="psub"></div><div id="cm-body"><p class="muted">…</p></div>`;
    if (view === 'service' && canAnalyse()) community.serviceFigures($('#cm-figures')).catch(() => {});
    bindSubnav();
    const body = $('#cm-body');
    try {
      if (view === 'staffing') await community.staffingView(body);
      if (view === 'assessment') await community.assessmentView(body);
      if (view === 'offices') await community.officesView(body, canFile());
      if (view === 'ledgers' || view === 'service') {
        const kinds = view === 'service' ? ['livelihood', 'lost_property', 'found_item', 'missing_person'] : ['resident', 'rental_housing', 'floating_population', 'venue', 'staffing', 'community_day'];
        if (!kinds.includes(state.cmKind)) state.cmKind = kinds[0];
        const personal = (await community.ledgers()).filter((x) => x.personal).map((x) => x.register.kind);
        const usable = canFile() ? kinds : kinds.filter((k) => !personal.includes(k));
        if (!usable.includes(state.cmKind)) state.cmKind = usable[0];
        $('#panel .psub').innerHTML = `<select data-test="ledger-pick">${usable.map((k) => `<option value="${k}" ${k === state.cmKind ? 'selected' : ''}>${esc(community.l(k))}</option>`).join('')}</select>`;
        $('#panel .psub select').onchange = (e) => { state.cmKind = e.target.value; community.ledgerView(body, state.cmKind); };
        if (state.cmKind) await community.ledgerView(body, state.cmKind);
      }
    } catch (e) { if (body.isConnected) body.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
    return;
  }
  const stationOpts = state.stations.map((f) => f.properties).map((p) => `<option value="${esc(p.id)}">${esc(state.lang === 'zh' ? p.name_zh : p.name_en || p.name_zh)}</option>`).join('');
  const ownStation = state.config.user.scope && state.stations.some((f) => f.properties.id === state.config.user.scope);
  $('#panel').innerHTML = `
    <h2>${t('community')}</h2>
    ${subnav}
    ${canFile() ? `<form id="tf" class="callform" data-test="transfer-form">
      <h3>${t('transfer_case')}</h3>
      ${ownStation ? '' : `<label>${t('station')}<select name="station_id">${stationOpts}</select></label>`}
      <label>${t('case_class')}<select name="case_class"><option value="criminal">${t('criminal')}</option><option value="vice">${t('vice')}</option></select></label>
      <label>${t('to_unit')}<select name="to_unit">${UNITS_T.map((u) => `<option value="${u}">${t('unit_' + u)}</option>`).join('')}</select></label>
      <label>${t('summary')}<input name="summary" data-test="transfer-summary" required></label>
      <button type="submit">${t('transfer_case')}</button> <span id="tf-msg"></span>
    </form>` : ''}
    <div id="cm-body"><p class="muted">…</p></div>`;
  bindSubnav();
  if (canFile()) {
    $('#tf').onsubmit = async (e) => {
      e.preventDefault();
      const f = Object.fromEntries(new FormData(e.target));
      try {
        await api('POST', '/community/transfers', f);
        toast(t('saved'));
        renderCommunity();
      } catch (err) { $('#tf-msg').textContent = err.message; }
    };
  }
  // The panel may be redrawn (another view, another tab) before the answers come.
  const body = $('#cm-body');
  try {
    const [tr, fig, disp] = await Promise.all([api('GET', '/community/transfers'), canAnalyse() ? api('GET', '/community/figures') : Promise.resolve(null), api('GET', '/community/disputes')]);
    if (!body.isConnected) return;
    const rows = tr.entries.slice(0, 40).map((x) => `<tr data-id="${esc(x.id)}" class="${x.overdue ? 'overdue' : ''}">
      <td>${esc(x.station_id)}<br><small>${esc(new Date(x.created_at).toLocaleString())}</small></td>
      <td>${t(x.case_class)} → ${t('unit_' + x.to_unit)}<br><small>${esc(x.summary)}</small></td>
      <td data-test="transfer-status">${t('ts_' + x.status)}${x.minutes_to_accept != null ? `<br><small>${Math.round(x.minutes_to_accept)} min</small>` : ''}</td>
      <td>${x.status === 'pending' && canDecide() ? `<button data-act="accept" data-test="transfer-accept">${t('accept')}</button><button data-act="return">${t('give_back')}</button>` : ''}
          ${x.status === 'returned' && canFile() ? `<button data-act="resubmit">${t('resubmit')}</button>` : ''}</td></tr>`).join('');
    const f = fig?.total;
    body.innerHTML = `
      ${f ? `<p data-test="community-figures">${esc(fig.period)}: ${t('transferred')} <b>${f.transferred}</b> · ${t('ts_accepted')} ${f.accepted} · ${t('ts_returned')} ${f.returned} · ${t('ts_pending')} ${f.pending}${f.overdue ? ` (<span class="warn">${t('overdue')} ${f.overdue}</span>)` : ''} · ${t('median')} ${f.median_accept_minutes == null ? '–' : Math.round(f.median_accept_minutes) + ' min'}<br>${t('leads')}: ${f.leads_provided} · ${t('leads_used')} ${f.leads_used}</p>` : ''}
      <h3>${t('transfers')}</h3>
      <table class="queue" data-test="transfers">${rows || `<tr><td class="muted">${t('none')}</td></tr>`}</table>
      <h3>${t('disputes')}</h3>
      ${fig?.disputes ? `<p class="muted">${t('screened')} ${fig.disputes.screened} · ${t('resolved_7d')} ${Math.round(fig.disputes.share_within_7_days * 100)}% · ${t('escalated')} ${fig.disputes.escalated} · ${t('overdue_visits')} ${fig.disputes.overdue_follow_ups}</p>` : ''}
      <table class="queue" data-test="disputes">${disp.entries.slice(0, 30).map((d) => `<tr class="${d.overdue_follow_ups ? 'overdue' : ''}"><td>${esc(d.community_id)}<br><small>${esc(new Date(d.screened_at).toLocaleDateString())}</small></td><td>${esc(d.parties.join(' / '))}<br><small>${t('dt_' + d.dispute_type)}</small></td><td><span class="risk-${d.risk}">${t('risk_' + d.risk)}</span></td><td>${d.outcome ? t('out_' + d.outcome) : d.escalated ? t('escalated') : t('ts_pending')}${d.next_follow_up ? `<br><small>${t('next_visit')} ${esc(new Date(d.next_follow_up).toLocaleDateString())}</small>` : ''}</td></tr>`).join('') || `<tr><td class="muted">${t('none')}</td></tr>`}</table>`;
    document.querySelectorAll('[data-test=transfers] button').forEach((b) => {
      b.onclick = async () => {
        const id = b.closest('tr').dataset.id;
        const action = b.dataset.act;
        const reason = action === 'accept' ? undefined : prompt(t('reason'));
        if (action !== 'accept' && !reason) return;
        try {
          await api('POST', `/community/transfers/${encodeURIComponent(id)}/decision`, { action, reason });
          renderCommunity();
        } catch (err) { toast(err.message, true); }
      };
    });
  } catch (e) { if (body.isConnected) body.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
}

function bindSubnav() {
  document.querySelectorAll('[data-test=community-views] button').forEach((b) => { b.onclick = () => { state.cmView = b.dataset.cm; renderCommunity(); }; });
}

// ---------------------------------------------------------------- map

function initMap() {
  const c = state.config;
  const [w, s, e, n] = c.bounds;
  const map = new maplibregl.Map({
    container: 'map',
    style: {
      version: 8,
      // Glyphs come from pingan itself (WenQuanYi Micro Hei subset): nothing is fetched from outside.
      glyphs: location.origin + '/glyphs/{fontstack}/{range}.pbf',
      sources: {
        roads: { type: 'vector', tiles: [location.origin + '/tiles/roads/{z}/{x}/{y}'], maxzoom: 15 },
        jurisdictions: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        posts: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        offices: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        stations: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        isochrones: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        units: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        incidents: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        coverage: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        plan: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        analysis: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        track: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        { id: 'jurisdiction-fill', type: 'fill', source: 'jurisdictions', filter: ['==', ['get', 'level'], 'station'], paint: { 'fill-color': '#6baed6', 'fill-opacity': 0.06 } },
        { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', paint: {
          'line-color': ['match', ['get', 'c'], 0, '#e08a3c', 1, '#f2c46d', 2, '#9a9a9a', '#c4c4c4'],
          'line-width': ['interpolate', ['linear'], ['zoom'], 10, ['match', ['get', 'c'], 0, 2, 1, 1.2, 0.5], 16, ['match', ['get', 'c'], 0, 8, 1, 6, 2, 4, 2.5]],
        } },
        { id: 'road-names', type: 'symbol', source: 'roads', 'source-layer': 'roads', filter: ['has', 'n'], minzoom: 13, layout: {
          'symbol-placement': 'line', 'text-field': ['get', 'n'], 'text-font': ['pingan Sans'],
          'text-size': ['interpolate', ['linear'], ['zoom'], 13, 10, 17, 14], 'text-max-angle': 35, 'symbol-spacing': 320,
        }, paint: { 'text-color': '#4a4a4a', 'text-halo-color': '#fff', 'text-halo-width': 1.4 } },
        { id: 'place-names', type: 'symbol', source: 'roads', 'source-layer': 'labels', layout: {
          'text-field': ['get', 'n'], 'text-font': ['pingan Sans'],
          'text-size': ['match', ['get', 'k'], 'place', 14, 'station', 12, 'community', 11, 10],
          'text-anchor': ['match', ['get', 'k'], 'station', 'top', 'center'], 'text-offset': ['match', ['get', 'k'], 'station', ['literal', [0, 0.8]], ['literal', [0, 0]]],
          'text-max-width': 8,
        }, paint: {
          'text-color': ['match', ['get', 'k'], 'place', '#222', 'station', '#08519c', 'community', '#6a51a3', '#7a4a1e'],
          'text-halo-color': '#fff', 'text-halo-width': 1.4 } },
        { id: 'community-line', type: 'line', source: 'jurisdictions', filter: ['==', ['get', 'level'], 'community'], minzoom: 12, paint: { 'line-color': '#9e9ac8', 'line-width': 0.6, 'line-dasharray': [2, 2] } },
        { id: 'station-line', type: 'line', source: 'jurisdictions', filter: ['==', ['get', 'level'], 'station'], paint: { 'line-color': '#3182bd', 'line-width': 1.4 } },
        { id: 'bureau-line', type: 'line', source: 'jurisdictions', filter: ['==', ['get', 'level'], 'bureau'], paint: { 'line-color': '#08519c', 'line-width': 2.5 } },
        { id: 'isochrones', type: 'fill', source: 'isochrones', layout: { visibility: 'none' }, paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'minutes'], 1, '#1a9850', 3, '#fee08b', 5, '#d73027'], 'fill-opacity': 0.25 } },
        { id: 'analysis-fill', type: 'fill', source: 'analysis', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#d7191c', 'fill-opacity': 0.55 } },
        { id: 'analysis-line', type: 'line', source: 'analysis', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#bd0026', 'line-width': 4 } },
        { id: 'track', type: 'line', source: 'track', paint: { 'line-color': '#e31a1c', 'line-width': 3, 'line-opacity': 0.8 } },
        { id: 'coverage', type: 'circle', source: 'coverage', paint: { 'circle-radius': 4, 'circle-opacity': 0.8,
          'circle-color': ['step', ['get', 'within'], '#1a9850', 1.5, '#fee08b', 3.5, '#fc8d59', 6, '#4d4d4d'] } },
        { id: 'plan', type: 'circle', source: 'plan', paint: { 'circle-radius': 7, 'circle-color': '#6a3d9a', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
        { id: 'stations', type: 'circle', source: 'stations', paint: { 'circle-radius': 6, 'circle-color': '#08519c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
        { id: 'offices', type: 'circle', source: 'offices', minzoom: 10, paint: { 'circle-radius': 4.5, 'circle-color': '#b15928', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
        { id: 'posts', type: 'circle', source: 'posts', minzoom: 11, paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#08519c', 'circle-stroke-width': 1.5 } },
        { id: 'units', type: 'circle', source: 'units', paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 15, 6],
          'circle-color': ['match', ['get', 'status'], ...Object.entries(UNIT_COLORS).flat(), '#999'],
          'circle-stroke-color': '#222', 'circle-stroke-width': 0.8 } },
        { id: 'incidents', type: 'circle', source: 'incidents', paint: {
          'circle-radius': ['case', ['get', 'selected'], 11, 8],
          'circle-color': ['match', ['get', 'priority'], 1, PRIORITY_COLORS[1], 2, PRIORITY_COLORS[2], 3, PRIORITY_COLORS[3], PRIORITY_COLORS[4]],
          'circle-stroke-color': ['match', ['get', 'status'], 'received', '#000', 'dispatched', '#fd8d3c', 'en_route', '#f46d43', 'on_scene', '#d73027', '#4d4d4d'],
          'circle-stroke-width': ['case', ['get', 'selected'], 4, 2.5] } },
      ],
    },
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
    // CJK from our own glyphs too, so every screen draws the same letters offline.
    localIdeographFontFamily: false,
  });
  state.map = map;
  window.map = map;
  window.mapIdle = false;
  map.on('idle', () => { window.mapIdle = true; });
  map.on('load', async () => {
    const [juris, posts, offices] = await Promise.all([api('GET', '/jurisdictions?level=bureau,station,community'), api('GET', '/posts'), api('GET', '/police-offices')]);
    map.getSource('offices').setData({ type: 'FeatureCollection', features: offices.map((o) => ({ type: 'Feature', properties: { id: o.id, name: o.name, class: o.class }, geometry: { type: 'Point', coordinates: [o.lon, o.lat] } })) });
    map.getSource('jurisdictions').setData(juris);
    state.stations = juris.features.filter((f) => f.properties.level === 'station' && f.properties.seat);
    map.getSource('stations').setData({ type: 'FeatureCollection', features: state.stations.map((f) => ({ type: 'Feature', properties: { id: f.properties.id, name: state.lang === 'zh' ? f.properties.name_zh : f.properties.name_en }, geometry: { type: 'Point', coordinates: f.properties.seat } })) });
    map.getSource('posts').setData({ type: 'FeatureCollection', features: posts.map((p) => ({ type: 'Feature', properties: { id: p.id, name: p.name, shift: p.shift }, geometry: { type: 'Point', coordinates: [p.lon, p.lat] } })) });
    state.layerCounts = { offices: offices.length, posts: posts.length, stations: state.stations.length, jurisdictions: juris.features.length };
    updateMapData();
    if (state.iso) loadIsochrones();
    window.mapLoaded = true;
  });
  map.on('click', (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: ['incidents'] })[0];
    if (hit) return select(hit.properties.id);
    const unit = map.queryRenderedFeatures(e.point, { layers: ['units', 'stations', 'posts', 'offices'] })[0];
    if (unit) {
      new maplibregl.Popup({ closeButton: false }).setLngLat(e.lngLat).setHTML(`<b>${esc(unit.properties.callsign || unit.properties.name || unit.properties.id)}</b><br>${esc(unit.properties.status ? t(unit.properties.status === 'dispatched' ? 'dispatched_s' : unit.properties.status) : unit.properties.id)}`).addTo(map);
      return;
    }
    state.pick = { lat: e.lngLat.lat, lon: e.lngLat.lng };
    showTab('call');
  });
}

function updateMapData() {
  const map = state.map;
  if (!map || !map.getSource('units')) return;
  map.getSource('units').setData({ type: 'FeatureCollection', features: [...state.units.values()].map((u) => ({ type: 'Feature', properties: { id: u.id, callsign: u.callsign, status: u.status, kind: u.kind }, geometry: { type: 'Point', coordinates: [u.lon, u.lat] } })) });
  map.getSource('incidents').setData({ type: 'FeatureCollection', features: openIncidents().map((i) => ({ type: 'Feature', properties: { id: i.id, priority: i.priority, status: i.status, kind: i.kind, selected: i.id === state.selected }, geometry: { type: 'Point', coordinates: [i.lon, i.lat] } })) });
}

async function loadIsochrones() {
  const map = state.map;
  map.setLayoutProperty('isochrones', 'visibility', state.iso ? 'visible' : 'none');
  const badge = $('#isobadge');
  if (badge) badge.textContent = state.iso ? `${t('isochrones')}: ${t(state.iso + '_iso')}` : '';
  if (!state.iso) return;
  const gj = await api('GET', `/isochrones?of=${state.iso}&minutes=1,3,5`);
  gj.features.reverse(); // 5 under 3 under 1
  map.getSource('isochrones').setData(gj);
}

let mapDirty = false;
function scheduleMapUpdate() {
  if (mapDirty) return;
  mapDirty = true;
  requestAnimationFrame(() => { mapDirty = false; updateMapData(); });
}

// ---------------------------------------------------------------- live feed

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/feed?token=${state.token}`);
  state.ws = ws;
  ws.onopen = () => { state.live = true; renderLive(); };
  ws.onclose = () => {
    state.live = false;
    renderLive();
    if (state.token && state.ws === ws) setTimeout(() => { if (state.token) { reload().then(connect); } }, 2000);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    // `seq` orders what the store committed: an older state never overwrites a newer one.
    const stale = (prev) => msg.seq != null && prev?.seq != null && msg.seq < prev.seq;
    if (msg.type === 'incident') {
      const prev = state.incidents.get(msg.incident.id);
      if (stale(prev)) return;
      state.incidents.set(msg.incident.id, { ...prev, ...msg.incident, seq: msg.seq ?? prev?.seq, timeline: prev?.timeline });
      if (state.tab === 'queue') renderQueue();
      if (msg.incident.id === state.selected) select(state.selected);
      scheduleMapUpdate();
    } else if (msg.type === 'unit') {
      if (stale(state.units.get(msg.unit.id))) return;
      state.units.set(msg.unit.id, { ...msg.unit, seq: msg.seq });
      if (state.tab === 'units') renderUnits();
      scheduleMapUpdate();
    } else if (msg.type === 'positions') {
      for (const [id, lat, lon, status] of msg.units) {
        const u = state.units.get(id);
        if (u) { u.lat = lat; u.lon = lon; u.status = status; }
      }
      state.lastPositions = Date.now();
      scheduleMapUpdate();
    } else if (msg.type === 'event' && msg.event.event === 'order_unacknowledged') {
      // A terminal did not acknowledge its order: the dispatcher resends or reassigns.
      const callsign = state.units.get(msg.event.unit_id)?.callsign || msg.event.unit_id;
      toast(`${t('order_overdue')}: ${callsign} · #${msg.event.incident_id}`, true);
    } else if (msg.type === 'event' && msg.event.event === 'message_from_unit') {
      const callsign = state.units.get(msg.event.unit_id)?.callsign || msg.event.unit_id;
      toast(`${t('message_from')} ${callsign}: ${msg.event.text}`);
      state.refreshTalk?.();
    } else if (msg.type === 'event' && msg.event.event === 'report_filed') {
      toast(`${t('reports')}: ${state.units.get(msg.event.unit_id)?.callsign || msg.event.actor} · #${msg.event.incident_id}`);
      if (msg.event.incident_id === state.selected) loadReports(state.selected);
    } else if (msg.type === 'event' && msg.event.event === 'reinforcement_requested') {
      const callsign = state.units.get(msg.event.unit_id)?.callsign || msg.event.unit_id;
      toast(`${t('reinforcement_asked')}: ${callsign} · #${msg.event.incident_id} · ×${msg.event.count ?? 1} ${msg.event.note || ''}`, true);
    } else if (msg.type === 'resync') {
      reload();
    }
  };
}

async function reload() {
  const [list, units] = await Promise.all([api('GET', '/incidents?status=open&limit=2000'), api('GET', '/units')]);
  state.incidents = new Map(list.incidents.map((i) => [i.id, i]));
  state.units = new Map(units.map((u) => [u.id, u]));
  renderAll();
}

// ---------------------------------------------------------------- keyboard, toasts, start

function toast(text, bad) {
  const el = document.createElement('div');
  el.className = 'toast' + (bad ? ' bad' : '');
  el.textContent = text;
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 3500);
}

document.addEventListener('keydown', (e) => {
  if (!state.config || !state.token || !document.querySelector('#panel')) return;
  const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName);
  if (e.key === 'Escape') { document.activeElement?.blur(); return; }
  if (typing) return;
  const list = openIncidents();
  const at = list.findIndex((i) => i.id === state.selected);
  if (e.key === 'n' || e.key === 'N' || e.key === 'F2') { e.preventDefault(); showTab('call'); }
  else if (e.key === 'ArrowDown' || e.key === 'j') { e.preventDefault(); if (list.length) select(list[Math.min(list.length - 1, at + 1)].id); }
  else if (e.key === 'ArrowUp' || e.key === 'k') { e.preventDefault(); if (list.length) select(list[Math.max(0, at - 1)].id); }
  else if (e.key === 'd' || e.key === 'D') { e.preventDefault(); dispatchTwoWay(); }
  else if (e.key === 'i' || e.key === 'I') { state.iso = state.iso === null ? 'posts' : state.iso === 'posts' ? 'units' : null; loadIsochrones(); }
  else if (e.key === 'l' || e.key === 'L') { $('#lang').click(); }
  else if (e.key === 'q') showTab('queue');
  else if (e.key === 'u') showTab('units');
  else if (e.key === 'a' && canAnalyse()) showTab('analysis');
});

async function start() {
  try {
    const asked = Date.now();
    state.config = await api('GET', '/config');
    state.skew = Date.parse(state.config.clock.now) - (asked + Date.now()) / 2;
  } catch { return renderLogin(); }
  if (phoneMode()) return startPhone();
  renderShell();
  initMap();
  await reload();
  connect();
  clearInterval(state.tick);
  state.tick = setInterval(tickTimers, 1000);
  window.dashboardReady = true;
}

if (state.token) start(); else renderLogin();
