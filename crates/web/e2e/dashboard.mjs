// The dashboard in a real headless Chromium (Debian's, driven by playwright-core).
// Usage: node dashboard.mjs <base-url> <user> <password> <out-dir> [--frames N]
// Prints one JSON object with what it measured; exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, user, password, outDir, ...rest] = process.argv.slice(2);
const framesUnits = rest[0] === '--frames' ? Number(rest[1]) : 0;
mkdirSync(outDir, { recursive: true });
const result = { checks: [] };
const check = (name, ok, detail) => {
  result.checks.push({ name, ok: !!ok, detail });
  if (!ok) { console.log(JSON.stringify(result)); console.error(`FAILED: ${name} ${detail ?? ''}`); process.exit(1); }
};

// The API from the test's side, as a field unit or a second console would use it.
async function api(token, method, path, body) {
  const res = await fetch(base + '/api/v1' + path, {
    method, headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const token = (await api('', 'POST', '/auth/login', { username: user, password })).token;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
const page = await context.newPage();
const origin = new URL(base).host;
const foreign = [];
page.on('request', (r) => {
  const u = new URL(r.url());
  if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && u.host !== origin) foreign.push(r.url());
});
page.on('websocket', (ws) => { if (new URL(ws.url()).host !== origin) foreign.push(ws.url()); });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const glyphs = [];
page.on('response', (r) => { if (r.url().includes('/glyphs/')) glyphs.push(r.status()); });

// Log in.
const t0 = Date.now();
await page.goto(base + '/');
await page.waitForSelector('#login');
check('login page in the browser language (zh-CN)', (await page.textContent('#login button[type=submit]')).includes('登录'));
await page.fill('input[name=username]', user);
await page.fill('input[name=password]', password);
await page.press('input[name=password]', 'Enter');
await page.waitForFunction(() => window.dashboardReady && window.mapLoaded && window.mapIdle, null, { timeout: 30000 });
result.ready_ms = Date.now() - t0;
check('police offices, posts, stations and jurisdictions are loaded as map layers', await page.evaluate(() => ['offices', 'posts', 'stations', 'jurisdictions'].every((k) => window.pingan.layerCounts[k] > 0 && window.map.getLayer(k === 'jurisdictions' ? 'station-line' : k))), JSON.stringify(await page.evaluate(() => window.pingan.layerCounts)));
// The map shows names: street names along the roads and the station's name, drawn in pingan's own glyphs.
const labelled = await page.evaluate(async () => {
  const map = window.map;
  const before = { center: map.getCenter(), zoom: map.getZoom() };
  const seat = window.pingan.stations[0].properties.seat;
  window.mapIdle = false;
  map.jumpTo({ center: seat, zoom: 15.5 });
  for (let i = 0; i < 300 && !window.mapIdle; i++) await new Promise((r) => setTimeout(r, 50));
  const roadNames = map.queryRenderedFeatures({ layers: ['road-names'] }).map((f) => f.properties.n);
  const placeNames = map.queryRenderedFeatures({ layers: ['place-names'] }).map((f) => `${f.properties.k}:${f.properties.n}`);
  window.mapIdle = false;
  map.jumpTo(before);
  for (let i = 0; i < 300 && !window.mapIdle; i++) await new Promise((r) => setTimeout(r, 50));
  return { roadNames: [...new Set(roadNames)].slice(0, 8), placeNames: [...new Set(placeNames)].slice(0, 8) };
});
check('the map draws street names along the roads', labelled.roadNames.length > 0, JSON.stringify(labelled));
check('the map draws place and station names', labelled.placeNames.some((n) => n.startsWith('station:')), JSON.stringify(labelled));
check('every glyph range came from pingan with 200', glyphs.length > 0 && glyphs.every((s) => s === 200), JSON.stringify(glyphs));
result.map_labels = labelled;
check('queue and map are up', await page.isVisible('[data-test=open-count]') && await page.isVisible('#map canvas'));

// Take a call with the keyboard only: N, kind, location, caller, Enter.
const units = await api(token, 'GET', '/units');
const spot = units[Math.floor(units.length / 2)];
const where = `${(spot.lat + 0.0002).toFixed(6)},${spot.lon.toFixed(6)}`;
await page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => {});
await page.keyboard.press('Escape');
await page.keyboard.press('n');
await page.waitForSelector('[data-test=callform]');
await page.selectOption('[data-test=kind]', 'theft');
await page.keyboard.press('Tab'); // priority
await page.keyboard.press('Tab'); // where: coordinates as typed
await page.keyboard.type(where);
await page.keyboard.press('Tab'); // caller (the duplicate check runs as the place is left)
await page.keyboard.type('王测试');
await page.keyboard.press('Enter');
await page.waitForSelector('[data-test=detail-title]');
const title = await page.textContent('[data-test=detail-title]');
const id = Number(title.match(/#(\d+)/)[1]);
check('the form created an incident', id > 0, title);
result.incident_id = id;
check('it is in the queue', await page.locator(`.queue tr[data-id="${id}"]`).count() === 1);
await page.waitForFunction((id) => {
  const f = window.map.querySourceFeatures('incidents').concat(window.map.queryRenderedFeatures({ layers: ['incidents'] }));
  return f.some((x) => x.properties.id === id);
}, id, { timeout: 10000 });
check('it is on the map', true);

// A second call nearby shows the duplicate warning before saving.
await page.keyboard.press('Escape');
await page.keyboard.press('n');
await page.waitForSelector('[data-test=callform]');
await page.selectOption('[data-test=kind]', 'robbery');
await page.fill('[data-test=location]', where);
await page.dispatchEvent('[data-test=location]', 'change');
await page.waitForFunction((id) => document.querySelector('[data-test=duplicates]')?.textContent.includes('#' + id), id, { timeout: 5000 });
check('duplicate warning before saving', true);
await page.keyboard.press('Escape');
await page.click('nav button[data-tab=queue]');
await page.click(`.queue tr[data-id="${id}"]`);

// Dispatch the recommended two-way dispatch with one click.
await page.waitForSelector('[data-test=dispatch]:not([disabled])', { timeout: 10000 });
const rec = await api(token, 'GET', `/incidents/${id}/recommendation`);
await page.click('[data-test=dispatch]');
await page.waitForFunction((id) => window.pingan.incidents.get(id)?.status === 'dispatched', id, { timeout: 10000 });
const sent = (await api(token, 'GET', `/incidents/${id}`)).units.map((u) => u.unit_id);
check('one click sent the two-way dispatch', sent.length === rec.two_way.unit_ids.length && sent.every((u) => rec.two_way.unit_ids.includes(u)), JSON.stringify(sent));

// Each unit sent shows its order; the first unit's terminal acknowledges, and the dispatcher sees it live.
await page.waitForFunction((u) => document.querySelector(`[data-test="order-${u}"]`)?.textContent.includes('待签收'), sent[0], { timeout: 10000 });
const terminal = (await api('', 'POST', '/auth/login', { username: sent[0].toLowerCase(), password: process.env.PINGAN_UNIT_PASSWORD })).token;
const orders = (await api(terminal, 'GET', `/units/${sent[0]}/orders`)).orders.filter((o) => o.incident_id === id);
await api(terminal, 'POST', `/units/${sent[0]}/orders/${orders[0].seq}/ack`, {});
await page.waitForFunction((u) => document.querySelector(`[data-test="order-${u}"]`)?.textContent.includes('已签收'), sent[0], { timeout: 10000 });
check('the dispatcher sees the terminal acknowledge its order', true, JSON.stringify(orders[0]));

// A unit reports en route from the field: the change arrives live, no reload.
const unit = sent[0];
await api(token, 'POST', `/units/${unit}/status`, { status: 'en_route' });
await page.waitForFunction((u) => window.pingan.units.get(u)?.status === 'en_route', unit, { timeout: 10000 });
await page.waitForFunction(() => document.querySelector('[data-test=detail-status]')?.textContent.includes('在途'), null, { timeout: 10000 });
check('unit status change arrived live', true);
await page.click('nav button[data-tab=units]');
await page.waitForFunction((u) => document.querySelector(`tr[data-unit="${u}"] [data-test=unit-status]`)?.textContent.includes('在途'), unit);

// Keyboard only: the duplicate call from before, saved with Enter and dispatched with D.
await page.click('nav button[data-tab=queue]');
await page.keyboard.press('n');
await page.waitForSelector('[data-test=callform]');
await page.selectOption('[data-test=kind]', 'robbery');
await page.keyboard.press('Tab');
await page.keyboard.press('Tab');
await page.keyboard.type(where);
await page.keyboard.press('Enter');
await page.waitForFunction((id) => { const m = document.querySelector('[data-test=detail-title]')?.textContent.match(/#(\d+)/); return m && Number(m[1]) !== id; }, id);
const second = Number((await page.textContent('[data-test=detail-title]')).match(/#(\d+)/)[1]);
await page.waitForSelector('[data-test=dispatch]:not([disabled])', { timeout: 10000 });
await page.keyboard.press('Escape');
await page.keyboard.press('d');
await page.waitForFunction((id) => window.pingan.incidents.get(id)?.status === 'dispatched', second, { timeout: 10000 });
check('a call taken and dispatched from the keyboard', (await api(token, 'GET', `/incidents/${second}`)).possible_duplicates.some((d) => d.incident_id === id));

// The 1/3/5-minute areas of the posts.
await page.keyboard.press('i');
await page.waitForFunction(() => window.map.getLayoutProperty('isochrones', 'visibility') === 'visible' && window.map.querySourceFeatures('isochrones').length > 0, null, { timeout: 15000 });
check('isochrone layer of the posts', true);

// A station officer's view is their own area.
const mine = await api(token, 'GET', `/incidents/${id}`);
await api(token, 'POST', '/users', { username: 'e2e-officer', password: 'e2e-officer-pw', role: 'station_officer', scope: mine.station_id });
const away = units.find((u) => u.home_station !== mine.station_id && !u.home_station.startsWith(mine.bureau_id) && u.kind === 'patrol_car') || units.find((u) => u.home_station !== mine.station_id);
const elsewhere = await api(token, 'POST', '/incidents', { kind: 'noise', lat: away.lat, lon: away.lon });
const officer = await (await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en-GB' })).newPage();
officer.on('pageerror', (e) => errors.push(String(e)));
officer.on('request', (r) => { const u = new URL(r.url()); if (u.protocol.startsWith('http') && u.host !== origin) foreign.push(r.url()); });
await officer.goto(base + '/');
await officer.fill('input[name=username]', 'e2e-officer');
await officer.fill('input[name=password]', 'e2e-officer-pw');
await officer.press('input[name=password]', 'Enter');
await officer.waitForFunction(() => window.dashboardReady, null, { timeout: 30000 });
const visible = await officer.evaluate(() => [...window.pingan.incidents.keys()]);
check('the officer sees the own station and not the other', visible.includes(id) && (elsewhere.station_id === mine.station_id || !visible.includes(elsewhere.id)), JSON.stringify({ visible, elsewhere: elsewhere.station_id }));
check('the officer page speaks the browser language (en)', (await officer.textContent('nav button[data-tab=queue]')) === 'Queue');
// Two-way case flow (两不办): the officer transfers a criminal case from the own station.
await officer.click('nav button[data-tab=community]');
await officer.waitForSelector('[data-test=transfer-form]');
await officer.selectOption('[data-test=transfer-form] select[name=to_unit]', 'criminal_investigation');
await officer.fill('[data-test=transfer-summary]', 'e2e burglary with forced entry');
await officer.click('[data-test=transfer-form] button[type=submit]');
await officer.waitForFunction(() => [...document.querySelectorAll('[data-test=transfers] tr')].some((r) => r.textContent.includes('e2e burglary')), null, { timeout: 15000 });
const filed = (await api(token, 'GET', '/community/transfers?status=pending')).entries.find((x) => x.summary === 'e2e burglary with forced entry');
check('the officer transferred a case from the own station', filed && filed.station_id === mine.station_id, JSON.stringify(filed));
await officer.close();

// Coverage planning: the posts evaluated, then an optimised plan compared with them.
await page.click('nav button[data-tab=coverage]');
await page.selectOption('[data-test=cov-demand]', 'communities');
await page.click('[data-test=cov-opt]');
await page.waitForFunction(() => window.coverageShown && document.querySelector('[data-test=cov-result] table'), null, { timeout: 30000 });
const planned = await page.evaluate(() => window.pingan.coverage.result);
check('coverage plan compared with the posts', planned.before && planned.score >= planned.before.score && planned.upper_bound >= planned.score, JSON.stringify({ score: planned.score, before: planned.before?.score }));
await page.waitForFunction(() => window.map.querySourceFeatures('coverage').length > 0, null, { timeout: 10000 });
await page.screenshot({ path: `${outDir}/coverage.png` });

// Analysis: Gi* hotspots of the demo city's history on the map, near repeat, trends, the briefing.
await page.click('nav button[data-tab=analysis]');
await page.selectOption('[data-test=an-method]', 'gistar');
await page.click('[data-test=an-hotspots]');
await page.waitForFunction(() => window.analysisShown !== undefined, null, { timeout: 30000 });
const hot = await page.evaluate(() => window.analysisShown);
check('Gi* hotspots of past incidents on the map', hot > 0, String(hot));
await page.waitForFunction(() => window.map.querySourceFeatures('analysis').length > 0, null, { timeout: 10000 });
await page.screenshot({ path: `${outDir}/analysis-hotspots.png` });
await page.click('[data-test=an-near-repeat]');
await page.waitForSelector('[data-test=an-knox]', { timeout: 30000 });
const knoxRows = await page.locator('[data-test=an-knox] tr').count();
check('near-repeat (Knox) table: header, same location, 3 bands, more than', knoxRows === 6, String(knoxRows));
await page.click('[data-test=an-trends]');
await page.waitForSelector('[data-test=an-trends-table]', { timeout: 30000 });
const trendRows = await page.locator('[data-test=an-trends-table] tr').count();
check('trends by kind, period on period', trendRows > 3, String(trendRows));
// The briefing offered first is the one the server would give without a period (the month just ended in the
// first days of a month, else this month), by the server's clock, whatever the date the test runs on.
const clock = (await api(token, 'GET', '/config')).clock;
const monthLabel = (ym) => {
  const [y, m] = ym.split('-').map(Number);
  return `${ym}-01..${ym}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
};
const offered = await page.getAttribute('[data-test=an-brief]', 'data-period');
const other = await page.getAttribute('[data-test=an-brief-other]', 'data-period');
const localToday = new Date(Date.parse(clock.now) + clock.utc_offset_min * 60000).toISOString().slice(0, 10);
const expectFirst = Number(localToday.slice(8, 10)) <= clock.briefing_grace_days ? 'previous' : 'current';
check('the briefing offered first is the server\'s default, the other month one click away',
  offered === clock.default_briefing && other !== offered && /^\d{4}-\d{2}$/.test(other)
    && (expectFirst === 'current') === (offered === localToday.slice(0, 7)),
  JSON.stringify({ offered, other, clock, localToday }));
async function openBrief(selector) {
  const [brief] = await Promise.all([context.waitForEvent('page'), page.click(selector)]);
  await brief.waitForLoadState();
  return { brief, title: await brief.title(), records: Number(await brief.getAttribute('.kpi', 'data-records')) };
}
const first = await openBrief('[data-test=an-brief]');
const hotCells = await first.brief.locator('svg rect[fill="#e0443c"]').count();
// The demo's history covers the 120 days up to now, so the offered month holds at least a week of it
// (this month from its 8th day on, else the whole month just ended): well over 100 incidents.
check('the monthly briefing opens on the offered month, with figures and hotspots from the records',
  first.title.includes('Briefing') && first.title.includes(monthLabel(offered)) && first.records > 100 && hotCells > 0,
  JSON.stringify({ title: first.title, records: first.records, hotCells }));
await first.brief.screenshot({ path: `${outDir}/briefing.png`, fullPage: true });
await first.brief.close();
const otherBrief = await openBrief('[data-test=an-brief-other]');
check('the other month\'s briefing is one click away', otherBrief.title.includes(monthLabel(other)), otherBrief.title);
await otherBrief.brief.close();
const missingLabels = await page.evaluate(async () => {
  const m = await import('/community.js');
  const res = await fetch('/api/v1/community/ledgers', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('pingan.token') } });
  return m.missingLabels(await res.json());
});
check('every ledger option, status and result is named in both languages, per ledger and field', missingLabels.length === 0, JSON.stringify(missingLabels));
const missingStrings = await page.evaluate(async () => {
  const { STRINGS } = await import('/i18n.js');
  const gaps = (a, b) => Object.keys(STRINGS[a]).filter((k) => !(k in STRINGS[b])).map((k) => `${b}:${k}`);
  return [...gaps('zh', 'en'), ...gaps('en', 'zh')];
});
check('every dashboard string is in zh-CN and English', missingStrings.length === 0, JSON.stringify(missingStrings));
await page.fill('[data-test=an-brief-from]', '2026-10-01');
await page.fill('[data-test=an-brief-to]', '2026-10-07');
const keyDates = await openBrief('[data-test=an-brief-range]');
check('a key-date briefing for a chosen range', keyDates.title.includes('2026-10-01..2026-10-07'), keyDates.title);
await keyDates.brief.close();

// Figures: response figures and the village police office coverage (the report's 97.4%).
await page.click('nav button[data-tab=figures]');
await page.waitForSelector('[data-test=office-coverage]', { timeout: 30000 });
const oc = await api(token, 'GET', '/police-offices/coverage');
const shown = await page.textContent('[data-test=office-coverage] tr:nth-child(2)');
const want = `${Math.round(oc.total.share * 1000) / 10}%`;
check('police office coverage in the figures', oc.total.communities > 0 && shown.includes(want) && shown.includes(`${oc.total.with_office}/${oc.total.communities}`), JSON.stringify({ shown, want }));

// The command centre accepts the transfer; the station's figures count it.
await page.click('nav button[data-tab=community]');
await page.waitForSelector(`[data-test=transfers] tr[data-id="${filed.id}"] [data-test=transfer-accept]`, { timeout: 15000 });
await page.click(`[data-test=transfers] tr[data-id="${filed.id}"] [data-test=transfer-accept]`);
await page.waitForFunction((tid) => document.querySelector(`[data-test=transfers] tr[data-id="${tid}"] [data-test=transfer-status]`)?.textContent.includes('已接收'), filed.id, { timeout: 15000 });
const after = (await api(token, 'GET', '/community/transfers?status=accepted')).entries.find((x) => x.id === filed.id);
check('the command centre accepted the transfer', after && after.history.length === 2, JSON.stringify(after?.history));
const disputeRows = await page.locator('[data-test=disputes] tr').count();
check('the dispute ledger of the demo communities is listed', disputeRows > 5, String(disputeRows));
await page.screenshot({ path: `${outDir}/community.png` });

// Where: type a standard address as the caller says it, pick it from the list
// with the keyboard, save; the incident is located by the place, verified.
const taken = [id, second];
async function callAt(typed, wanted) {
  await page.click('nav button[data-tab=queue]');
  await page.keyboard.press('Escape');
  await page.keyboard.press('n');
  await page.waitForSelector('[data-test=callform]');
  await page.selectOption('[data-test=kind]', 'dispute');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.type(typed, { delay: 15 });
  await page.waitForFunction((w) => [...document.querySelectorAll('[data-test=where-list] li')].some((li) => li.textContent.includes(w)), wanted, { timeout: 10000 });
  const items = await page.$$eval('[data-test=where-list] li', (lis) => lis.map((li) => li.textContent));
  const at = items.findIndex((x) => x.includes(wanted));
  for (let i = 0; i < at; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter'); // picks
  await page.waitForFunction((w) => document.querySelector('[data-test=location]').value === w, wanted);
  const shown = await page.textContent('[data-test=where-at]');
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-test=place-history]')?.textContent || ''), null, { timeout: 10000 });
  const history = await page.textContent('[data-test=place-history]');
  await page.keyboard.press('Enter'); // saves
  await page.waitForFunction((prev) => { const m = document.querySelector('[data-test=detail-title]')?.textContent.match(/#(\d+)/); return m && !prev.includes(Number(m[1])); }, taken, { timeout: 10000 });
  const made = Number((await page.textContent('[data-test=detail-title]')).match(/#(\d+)/)[1]);
  taken.push(made);
  return { made, items, shown, history, inc: await api(token, 'GET', `/incidents/${made}`) };
}
const register = (await api(token, 'GET', `/places/search?q=${encodeURIComponent('社区 3号')}&limit=1`)).results[0];
check('the demo city has a standard address register', register?.kind === 'standard_address', JSON.stringify(register));
// As a caller says it: street and number first, then the community, without the city and district.
const parts = register.label.match(/^平安市(.+?区)(.+?(?:社区|村)) (.+) (\d+号)$/);
check('standard addresses read 平安市 district community street number', parts, register.label);
const zh = await callAt(`${parts[3]} ${parts[4]} ${parts[2]}`, register.label);
check('the place history shows before saving', zh.history.startsWith('此处既往警情'), zh.history);
check('a standard address typed in Chinese, picked with the keyboard, locates the call', zh.inc.location.place_id === register.id && zh.inc.location.verified && zh.inc.location.source === 'typed_address' && zh.inc.lat === register.lat && zh.inc.address === register.label && zh.shown.includes(register.station), JSON.stringify({ location: zh.inc.location, items: zh.items, shown: zh.shown }));

// Switch language.
await page.click('[data-test=lang]');
await page.waitForFunction(() => document.documentElement.lang === 'en' && document.querySelector('nav button[data-tab=queue]').textContent === 'Queue');
check('switched to English', true);
await page.click('nav button[data-tab=queue]');
await page.click(`.queue tr[data-id="${id}"]`);
await page.waitForFunction(() => window.mapIdle && document.querySelector('[data-test=detail-status]')?.textContent.includes('En route'));
await page.evaluate(() => { window.mapIdle = false; });
await page.waitForFunction(() => window.mapIdle, null, { timeout: 15000 }).catch(() => {});
await page.screenshot({ path: `${outDir}/dashboard.png` });
result.screenshot = `${outDir}/dashboard.png`;

// The same in English, with a crossing typed in another form than its label.
const crossing = (await api(token, 'GET', `/places/search?q=${encodeURIComponent('santa catarina & passos manuel')}&limit=1`)).results[0];
check('a crossing is found by both names', crossing?.kind === 'intersection', JSON.stringify(crossing));
const en = await callAt('passos manuel and santa cat', crossing.label);
check('the place history shows before saving, in English', en.history.startsWith('Earlier incidents here'), en.history);
check('a crossing typed in English locates the call', en.inc.location.place_id === crossing.id && en.inc.location.verified && en.inc.station_id === crossing.station_id && en.shown.startsWith('Crossing'), JSON.stringify({ location: en.inc.location, shown: en.shown }));

// The station chief's and the bureau's views: ledgers, 1+X+N staffing, the assessment table.
await page.click('nav button[data-tab=community]');
await page.waitForSelector('[data-test=community-views]');
await page.click('[data-test=community-views] button[data-cm=staffing]');
await page.waitForSelector('[data-test=staffing] tr:nth-child(3)', { timeout: 15000 });
const staffing = await api(token, 'GET', '/community/staffing');
const staffShown = await page.textContent('[data-test=staffing] tr:nth-child(2)');
check('1+X+N staffing and community days by station', staffing.total.communities > 0 && staffShown.includes(`${staffing.total.with_officer}/${staffing.total.communities}`) && staffShown.includes(String(staffing.total.mean_days_per_week)), staffShown);
await page.click('[data-test=community-views] button[data-cm=assessment]');
await page.waitForSelector('[data-test=assessment] tr[data-station]', { timeout: 30000 });
const table = await api(token, 'GET', '/assessment');
const shownRows = await page.locator('[data-test=assessment] tr[data-station]').count();
const firstRow = await page.textContent('[data-test=assessment] tr[data-station]');
check('the assessment table ranks every station', shownRows === table.rows.length && table.rows.length > 1 && firstRow.includes(String(table.rows[0].total)), `${shownRows} ${firstRow}`);
await page.click('[data-test=assessment] tr[data-station] td.score[data-indicator=reach_5min]');
await page.waitForSelector('[data-test=assessment-source] table tr', { timeout: 15000 });
const sourceText = await page.textContent('[data-test=assessment-source]');
check('a score shows its source data', sourceText.includes('reached_5min') && sourceText.includes('incidents'), sourceText.slice(0, 200));
await page.screenshot({ path: `${outDir}/assessment.png` });
await page.click('[data-test=community-views] button[data-cm=service]');
await page.waitForSelector('[data-test=ledger-livelihood] tr[data-id]', { timeout: 15000 });
check('the 365x24 service ledger is listed', (await page.locator('[data-test=ledger-livelihood] tr[data-id]').count()) > 5);
await page.waitForSelector('[data-test=service-figures] tr:nth-child(5)', { timeout: 15000 });
const service = (await api(token, 'GET', '/community/figures')).service;
const lastRow = await page.textContent('[data-test=service-figures] tr:nth-child(5)');
check('365x24 service figures from the records', service[3].registered > 0 && lastRow.includes(String(service[3].registered)), lastRow);
// An import with a bad line: refused, the line and field shown, nothing written.
const before7 = (await api(token, 'GET', '/community/ledgers/livelihood?limit=1000')).entries.length;
const community7 = (await api(token, 'GET', '/jurisdictions?level=community')).features[0].properties.id;
await page.setInputFiles('[data-test=ledger-import]', { name: 'livelihood.csv', mimeType: 'text/csv', buffer: Buffer.from(`community_id,category,description,requester\n${community7},noise,楼上噪音,吴女士\n${community7},aliens,不明,吴女士\n`) });
await page.waitForFunction(() => document.querySelector('[data-test=import-result]')?.textContent.includes('3'), null, { timeout: 10000 });
check('a CSV import with a bad line is refused with the line named', (await api(token, 'GET', '/community/ledgers/livelihood?limit=1000')).entries.length === before7, await page.textContent('[data-test=import-result]'));

// The community officer's phone view.
const stationId = (await api(token, 'GET', '/jurisdictions?level=station')).features[0].properties.id;
const phoneUser = `phone-officer-${Date.now()}`;
await api(token, 'POST', '/users', { username: phoneUser, password: 'phone officer pw 1', role: 'station_officer', scope: stationId });
const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
const phone = await phoneContext.newPage();
phone.on('pageerror', (e) => errors.push('phone: ' + String(e)));
phone.on('request', (r) => { const u = new URL(r.url()); if (u.protocol.startsWith('http') && u.host !== origin) foreign.push(r.url()); });
await phone.goto(base + '/#phone');
await phone.waitForSelector('#login');
await phone.fill('input[name=username]', phoneUser);
await phone.fill('input[name=password]', 'phone officer pw 1');
await phone.press('input[name=password]', 'Enter');
await phone.waitForFunction(() => window.phoneReady, null, { timeout: 30000 });
const tasks = await api((await api('', 'POST', '/auth/login', { username: phoneUser, password: 'phone officer pw 1' })).token, 'GET', '/community/tasks?days=1');
const taskItems = await phone.locator('[data-test=tasks] li[data-kind]').count();
check("the phone view lists today's tasks", taskItems === tasks.tasks.length && taskItems > 0, `${taskItems} vs ${tasks.tasks.length}`);
// The demo's stations keep up with their work: a few tasks overdue, none for months.
const overdue = tasks.tasks.filter((x) => x.overdue);
const ms = (t) => (typeof t === 'number' ? t : Date.parse(t));
const oldest = Math.min(ms(tasks.now), ...overdue.map((x) => ms(x.due_at)));
const overdueDays = (ms(tasks.now) - oldest) / 86400000;
check('a station\'s overdue work is a few recent items, not months of backlog',
  overdue.length <= Math.max(5, tasks.tasks.length / 2) && overdueDays <= 45, JSON.stringify({ tasks: tasks.tasks.length, overdue: overdue.length, overdueDays }));
const taskText = await phone.textContent('[data-test=tasks]');
check('task statuses are named per ledger (lost property is never a "registered household")', !taskText.includes('户籍人口'), taskText.slice(0, 200));
const width = await phone.evaluate(() => document.documentElement.scrollWidth);
check('the phone view fits a phone screen', width <= 390, String(width));
await phone.screenshot({ path: `${outDir}/phone-tasks.png` });
// A livelihood request, filed on the phone: a bad form names the field, a good one is listed.
await phone.click('.pnav button[data-ptab=service]');
await phone.waitForSelector('[data-test=ledger-add]');
await phone.click('[data-test=ledger-add]');
await phone.waitForSelector('[data-test=ledger-form]');
await phone.selectOption('[data-test=ledger-form] [data-field=category]', 'elderly');
await phone.fill('[data-test=ledger-form] [data-field=description]', '独居老人摔倒求助 (e2e)');
await phone.fill('[data-test=ledger-form] [data-field=requester]', '周大爷');
await phone.fill('[data-test=ledger-form] [data-field=phone]', 'abc');
await phone.evaluate(() => { document.querySelector('[data-test=ledger-form]').noValidate = true; });
await phone.click('[data-test=ledger-form] button[type=submit]');
await phone.waitForFunction(() => document.querySelector('[data-test=ledger-error]')?.textContent.includes('电话'), null, { timeout: 10000 });
check('a bad phone number is refused with the field named', true);
await phone.fill('[data-test=ledger-form] [data-field=phone]', '13812345678');
await phone.click('[data-test=ledger-form] button[type=submit]');
await phone.waitForFunction(() => [...document.querySelectorAll('[data-test=ledger-livelihood] tr')].some((tr) => tr.textContent.includes('独居老人摔倒求助 (e2e)')), null, { timeout: 10000 });
const listed = (await api(token, 'GET', '/community/ledgers/livelihood')).entries.find((e) => e.fields.description === '独居老人摔倒求助 (e2e)');
check('the request filed on the phone is stored, requester masked in lists', listed && listed.fields.requester === '周**' && listed.status === 'open', JSON.stringify(listed?.fields));
// Open it (a reason is asked and audited), correct it, then delete it (a reason again).
phone.once('dialog', (d) => d.accept('核实求助信息'));
await phone.click(`[data-test=ledger-livelihood] tr[data-id="${listed.id}"]`);
await phone.waitForSelector('[data-test=ledger-record]');
await phone.click('[data-test=ledger-edit]');
await phone.fill('[data-test=ledger-edit-form] [data-field=description]', '独居老人摔倒求助 (e2e, 已送医)');
await phone.click('[data-test=ledger-edit-form] button[type=submit]');
await phone.waitForSelector('[data-test=ledger-add]');
const edited = (await api(token, 'GET', '/community/ledgers/livelihood')).entries.find((e) => e.id === listed.id);
check('the request is corrected on the phone', edited?.fields.description === '独居老人摔倒求助 (e2e, 已送医)', JSON.stringify(edited?.fields));
const audit = (await api(token, 'GET', '/audit?limit=20')).entries;
check('opening the personal record was audited with its reason', audit.some((e) => e.action === 'read' && e.record_id === listed.id && e.reason === '核实求助信息'));
phone.once('dialog', (d) => d.accept('核实求助信息'));
await phone.click(`[data-test=ledger-livelihood] tr[data-id="${listed.id}"]`);
await phone.waitForSelector('[data-test=ledger-delete]');
phone.once('dialog', (d) => d.accept('重复登记'));
await phone.click('[data-test=ledger-delete]');
await phone.waitForSelector('[data-test=ledger-add]');
const gone = (await api(token, 'GET', '/community/ledgers/livelihood')).entries.some((e) => e.id === listed.id);
const deletion = (await api(token, 'GET', '/audit?limit=20')).entries.find((e) => e.action === 'delete' && e.record_id === listed.id);
check('deleting asks why, is soft and audited', !gone && deletion?.reason === '重复登记', JSON.stringify(deletion));
// Community days: log today.
await phone.click('.pnav button[data-ptab=days]');
await phone.waitForSelector('[data-test=day-form]');
const before = await phone.textContent('[data-test=my-days] b');
await phone.click('[data-test=day-form] button[type=submit]');
await phone.waitForFunction((b) => document.querySelector('[data-test=my-days] b') && document.querySelector('[data-test=my-days] b').textContent !== b, before, { timeout: 10000 });
check('a community day logged on the phone counts', Number(await phone.textContent('[data-test=my-days] b')) === Number(before) + 1);
await phone.screenshot({ path: `${outDir}/phone-days.png` });
await phoneContext.close();

// The field terminal at phone size, offline and back.
const { terminalChecks } = await import('./terminal.mjs');
await terminalChecks({ browser, base, token, api, check, outDir, result, page });

// 核查身份 beside the caller: the caller's phone found in the registers, the incident the reason.
{
  const units = await api(token, 'GET', '/units');
  const at = await api(token, 'GET', `/jurisdictions/at?lat=${units[0].lat}&lon=${units[0].lon}`).catch(() => null);
  const village = at?.community?.id || at?.community_id;
  if (village) await api(token, 'POST', '/community/ledgers/resident', { community_id: village, fields: { name: '核查测试', address: 'e2e 路 1 号', phone: '13912345678', household: 'registered' } });
  const inc = await api(token, 'POST', '/incidents', { kind: 'theft', lat: units[0].lat, lon: units[0].lon, caller_name: '核查测试', caller_phone: '139 1234 5678' });
  await page.click('nav button[data-tab=queue]');
  await page.waitForSelector(`.queue tr[data-id="${inc.id}"]`, { timeout: 10000 });
  await page.click(`.queue tr[data-id="${inc.id}"]`);
  await page.waitForSelector('[data-test=identity-check]');
  await page.click('[data-test=identity-check]');
  await page.waitForSelector('[data-test=identity-hit], [data-test=identity-results] p', { timeout: 10000 });
  const hits = await page.$$eval('[data-test=identity-hit]', (li) => li.map((x) => x.textContent));
  const audited = (await api(token, 'GET', '/audit?limit=20')).entries.find((e) => e.action === 'identity_check' && e.reason === `incident #${inc.id}`);
  check('the identity check beside the caller finds the caller in the registers, audited with the incident', !!village && hits.some((h) => h.includes('核查测试')) && !!audited, JSON.stringify({ village, hits, audited }));
}

// Optional: many moving units; frame times measured in the page.
if (framesUnits > 0) {
  // The whole city in view, so every moving unit is drawn.
  await page.evaluate(() => { const b = window.pingan.config.bounds; window.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { duration: 0 }); });
  await page.waitForFunction(() => window.map.loaded(), null, { timeout: 15000 }).catch(() => {});
  const fleet = (await api(token, 'GET', '/units')).slice(0, framesUnits);
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const loop = (now) => { window.__frames.push(now - last); last = now; if (window.__frames.length < 100000) requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
  });
  const seconds = 10;
  for (let s = 0; s < seconds; s++) {
    const started = Date.now();
    await Promise.all(fleet.map((u, n) => api(token, 'POST', `/units/${u.id}/position`, { lat: u.lat + 0.0003 * Math.sin(s + n), lon: u.lon + 0.0003 * Math.cos(s + n) })));
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }
  const frames = await page.evaluate(() => window.__frames.slice(5));
  const sorted = [...frames].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
  const moved = await page.evaluate((ids) => ids.filter((id) => window.pingan.units.get(id)).length, fleet.map((u) => u.id));
  const rendered = await page.evaluate(() => window.map.queryRenderedFeatures({ layers: ['units'] }).length);
  result.frames = { units: fleet.length, units_tracked: moved, units_rendered: rendered, seconds, count: frames.length, fps: Math.round(frames.length / seconds), p50_ms: +q(50).toFixed(1), p95_ms: +q(95).toFixed(1), p99_ms: +q(99).toFixed(1), max_ms: +sorted[sorted.length - 1].toFixed(1) };
  await page.screenshot({ path: `${outDir}/dashboard-500-units.png` });
}

check('no request to any host but the server', foreign.length === 0, JSON.stringify(foreign.slice(0, 5)));
check('no page errors', errors.length === 0, JSON.stringify(errors.slice(0, 3)));
await browser.close();
console.log(JSON.stringify(result));
