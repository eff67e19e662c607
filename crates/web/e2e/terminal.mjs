// The field terminal in a real Chromium at phone size: an order arrives on
// pingan's own socket, the officer acknowledges, goes offline, taps en route
// and on scene, reloads the page in the dead zone, comes back online: both
// answers reach the server in order with the device's times, and the
// dispatcher's dashboard shows them.
export async function terminalChecks({ browser, base, token, api, check, outDir, result, page }) {
  // The server's clock may be pinned (scripts/at-instants): compare times on it.
  const asked = Date.now();
  const skew = Date.parse((await api(token, 'GET', '/terminal/settings')).server_time) - (asked + Date.now()) / 2;
  const units = await api(token, 'GET', '/units');
  const unit = units.find((u) => u.status === 'available' && u.kind === 'patrol_car' && !u.incident_id);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const tp = await ctx.newPage();
  const errors = [];
  tp.on('pageerror', (e) => errors.push(String(e)));
  await tp.goto(base + '/terminal');
  await tp.waitForSelector('#login');
  check('the terminal page opens in the browser language (zh-CN)', (await tp.textContent('#login button[type=submit]')).includes('登录'));
  await tp.fill('input[name=username]', unit.id.toLowerCase());
  await tp.fill('input[name=password]', process.env.PINGAN_UNIT_PASSWORD);
  await tp.press('input[name=password]', 'Enter');
  await tp.waitForFunction(() => window.terminalReady && window.terminal.connected && navigator.serviceWorker.controller, null, { timeout: 30000 });
  await tp.waitForFunction((c) => document.querySelector('[data-test=t-unit]')?.textContent.includes(c), unit.callsign, { timeout: 10000 }).catch(() => {});
  check('the unit account logs in on its terminal', (await tp.textContent('[data-test=t-unit]')).includes(unit.callsign), await tp.textContent('[data-test=t-unit]'));
  const small = await tp.evaluate(() => [...document.querySelectorAll('button')].filter((b) => b.offsetParent && b.getBoundingClientRect().height < 44).map((b) => b.textContent));
  check('every button is a big touch target (≥ 44 px)', small.length === 0, JSON.stringify(small));

  // An earlier call at the same place, which the order's place history shows.
  const here = { lat: unit.lat + 0.004, lon: unit.lon + 0.003 };
  const before = await api(token, 'POST', '/incidents', { kind: 'dispute', ...here, address: 'e2e 终端 terminal', caller_name: '李女士' });
  // The dispatcher sends this unit; the order shows on the terminal.
  const inc = await api(token, 'POST', '/incidents', { kind: 'theft', ...here, address: 'e2e 终端 terminal', caller_name: '王先生' });
  const sentAt = Date.now();
  await api(token, 'POST', `/incidents/${inc.id}/dispatch`, { unit_ids: [unit.id], idempotency_key: `e2e-terminal-${inc.id}` });
  await tp.waitForSelector('[data-test=t-ack]', { timeout: 10000 });
  result.terminal = { dispatch_to_screen_ms: Date.now() - sentAt };
  check('the order reaches the terminal screen', (await tp.textContent('[data-test=t-order]')).includes(String(inc.id)));
  await tp.waitForSelector('[data-test=t-steps] li', { timeout: 15000 });
  const steps = await tp.$$eval('[data-test=t-steps] li', (li) => li.map((x) => x.textContent));
  check('the route to the scene shows with its turn-by-turn steps', steps.length >= 2, JSON.stringify(steps.slice(0, 4)));
  await tp.waitForSelector('[data-test=t-history]', { timeout: 10000 });
  const history = await api(token, 'GET', `/incidents/${inc.id}/history`);
  const shown = await tp.$eval('[data-test=t-history]', (el) => ({ prior: Number(el.dataset.prior), text: el.textContent }));
  check('the order shows its place history (the earlier call there)', history.prior.some((p) => p.id === before.id) && shown.prior === history.prior_count && shown.text.includes('纠纷'), JSON.stringify({ shown, prior: history.prior_count }));
  await api(token, 'POST', `/incidents/${before.id}/status`, { status: 'cancelled', note: 'e2e' });
  await tp.click('[data-test=t-ack]');
  let acked = null;
  for (let i = 0; i < 100 && !acked; i++) {
    const full = await api(token, 'GET', `/incidents/${inc.id}`);
    acked = full.units.find((a) => a.unit_id === unit.id)?.acked_at;
    if (!acked) await new Promise((r) => setTimeout(r, 100));
  }
  check('the acknowledgement reaches the incident', !!acked);
  const delivered = (await api(token, 'GET', `/incidents/${inc.id}`)).units.find((a) => a.unit_id === unit.id)?.delivered_at;
  check('the order is marked delivered', !!delivered);

  // The network drops. En route, then on scene, tapped in the dead zone.
  await ctx.setOffline(true);
  await tp.waitForFunction(() => document.querySelector('[data-test=t-net]').classList.contains('offline'));
  const tapEnRoute = Date.now() + skew;
  await tp.click('[data-test=t-en_route]');
  await tp.waitForTimeout(1200);
  const tapOnScene = Date.now() + skew;
  await tp.click('[data-test=t-on_scene]');
  await tp.waitForFunction(() => document.querySelector('[data-test=t-net]').dataset.pending === '2');
  check('offline, the page says so and what is waiting', (await tp.textContent('[data-test=t-net]')).includes('离线'), await tp.textContent('[data-test=t-net]'));
  check('nothing reached the server while offline', (await api(token, 'GET', `/units/${unit.id}`)).status === 'dispatched');
  await tp.screenshot({ path: `${outDir}/terminal-offline.png` });
  // A reload in the dead zone: the page opens from its cache, the outbox is still there.
  await tp.reload();
  await tp.waitForFunction(() => window.terminalReady, null, { timeout: 15000 });
  await tp.waitForFunction(() => document.querySelector('[data-test=t-net]')?.dataset.pending === '2', null, { timeout: 5000 });
  check('after a reload while offline, both answers still wait', true);
  await tp.waitForTimeout(500);
  const reconnectAt = Date.now() + skew;
  await ctx.setOffline(false);
  await tp.evaluate(() => window.dispatchEvent(new Event('online')));

  let timeline = [];
  for (let i = 0; i < 150; i++) {
    const full = await api(token, 'GET', `/incidents/${inc.id}`);
    timeline = full.timeline.filter((e) => e.status === 'en_route' || e.status === 'on_scene');
    if (timeline.length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [en, on] = timeline;
  const at = (e) => Date.parse(e.at);
  check('both answers reached the server, in order', timeline.length === 2 && en.status === 'en_route' && on.status === 'on_scene', JSON.stringify(timeline));
  check('each is stamped at the device time of its tap', Math.abs(at(en) - tapEnRoute) < 1500 && Math.abs(at(on) - tapOnScene) < 1500 && at(en) < at(on), JSON.stringify({ en: en.at, on: on.at, tapEnRoute: new Date(tapEnRoute).toISOString(), tapOnScene: new Date(tapOnScene).toISOString() }));
  check('and received after the network came back', Date.parse(en.received_at) >= reconnectAt - 1000, JSON.stringify(en));
  await tp.waitForFunction(() => document.querySelector('[data-test=t-net]')?.dataset.pending === '0', null, { timeout: 10000 });
  await page.waitForFunction((u) => window.pingan.units.get(u)?.status === 'on_scene', unit.id, { timeout: 10000 });
  check('the dispatcher dashboard shows the unit on scene', true);
  // On scene, the officer asks for one more unit; the next unit sent is the answer.
  await tp.selectOption('#rf [name=count]', '1');
  await tp.fill('#rf [name=reason]', 'e2e 嫌疑人逃跑 suspect ran');
  await tp.click('[data-test=t-reinforce]');
  let requested = false;
  for (let i = 0; i < 100 && !requested; i++) {
    requested = (await api(token, 'GET', `/incidents/${inc.id}`)).timeline.some((e) => e.event === 'reinforcement_requested' && e.unit_id === unit.id);
    if (!requested) await new Promise((r) => setTimeout(r, 100));
  }
  check('the reinforcement request reaches the incident', requested);
  const helper = (await api(token, 'GET', '/units')).find((u) => u.status === 'available' && u.id !== unit.id && !u.incident_id);
  await api(token, 'POST', `/incidents/${inc.id}/dispatch`, { unit_ids: [helper.id], idempotency_key: `e2e-reinforce-${inc.id}` });
  await tp.waitForFunction((h) => document.querySelector('[data-test=t-reinforcement]')?.textContent.includes(h), helper.id, { timeout: 10000 }).catch(() => {});
  const answer = (await api(token, 'GET', `/units/${unit.id}/orders?after=0`)).orders.find((o) => o.kind === 'reinforcement' && o.incident_id === inc.id);
  check('the answer is an order to the unit that asked, shown on its terminal', answer?.units?.includes(helper.id) && (await tp.textContent('[data-test=t-order]')).includes(helper.id), JSON.stringify(answer));
  await tp.locator('[data-test=t-order]').screenshot({ path: `${outDir}/terminal-order.png` });
  // A message from the command centre reaches the terminal as an order.
  await api(token, 'POST', `/units/${unit.id}/messages`, { text: 'e2e 注意安全 stay safe' });
  await tp.waitForFunction(() => document.querySelector('[data-test=t-talk]')?.textContent.includes('stay safe') || [...window.terminal.orders.values()].some((o) => o.text?.includes('stay safe')), null, { timeout: 10000 });
  check('a message from the command centre reaches the terminal', true);
  // A report from the scene with a photo, through the outbox.
  await tp.fill('[data-test=t-report-text]', 'e2e 现场已控制 scene under control');
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4000, 7)]);
  await tp.setInputFiles('[data-test=t-report-photos]', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await tp.click('[data-test=t-report-send]');
  let reports = [];
  for (let i = 0; i < 100; i++) {
    reports = (await api(token, 'GET', `/incidents/${inc.id}/reports`)).reports;
    if (reports[0]?.photos.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check('a report with its photo reaches the incident', reports.length === 1 && reports[0].photos[0]?.size === jpeg.length && reports[0].unit_id === unit.id, JSON.stringify(reports));
  await tp.screenshot({ path: `${outDir}/terminal.png` });
  result.terminal.errors = errors.slice(0, 3);
  await ctx.close();
}
