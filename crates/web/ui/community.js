// Community policing screens: ledgers (forms generated from the server's
// ledger descriptions), 1+X+N staffing, the station assessment, and the
// community officer's phone view (today's tasks, ledgers, community days,
// the 365x24 service). Shared by the dashboard's Community tab and the
// phone view; the dashboard passes in its helpers.

const L = {
  zh: {
    resident: '实有人口', rental_housing: '出租房屋', floating_population: '流动人口', venue: '治安场所', lost_property: '失物登记', found_item: '拾物招领',
    missing_person: '走失人员', livelihood: '民生求助', staffing: '1+X+N 力量', community_day: '驻社区日志', key_person: '重点人员', dispute: '矛盾纠纷',
    name: '姓名', id_number: '身份证号', gender: '性别', birth_date: '出生日期', phone: '电话', household: '户籍类型', landlord: '房东', landlord_phone: '房东电话',
    landlord_id_number: '房东身份证号', rooms: '房间数', tenants: '租客', registered_on: '登记日期', origin: '户籍地', occupation: '职业', permit_expires: '居住证到期',
    category: '类别', licence: '许可证号', manager: '负责人', item: '物品', description: '描述', lost_on: '丢失日期', place: '地点', owner: '失主', owner_phone: '失主电话',
    found_on: '拾得日期', finder: '拾得人', finder_phone: '拾得人电话', age: '年龄', last_seen_on: '最后见到日期', last_seen_place: '最后见到地点', reporter: '报告人',
    reporter_phone: '报告人电话', requester: '求助人', officer: '社区民警', officer_phone: '民警电话', committee_post: '村(居)委兼职', auxiliaries: '辅警 (X)',
    grid_workers: '网格员 (N)', volunteer_teams: '志愿者队伍', date: '日期', hours: '小时', activities: '工作内容', address: '地址', address_code: '标准地址编码',
    inspect: '检查', vacant: '空置', let: '出租', found: '已找到', withdraw: '注销', move_out: '迁出', suspend: '停业', reopen: '复业', close: '办结', match: '匹配', unmatch: '取消匹配', return: '归还',
    dispose: '处置', search: '开始查找', start: '开始处理',
    tasks: '今日任务', ledgers: '台账', log_day: '驻村日志', service: '365×24 服务', add: '新增', full_record: '查看完整信息', reason_prompt: '查看个人信息的事由 (将被记录)',
    due: '到期', overdue: '逾期', none: '暂无', saved: '已保存', community: '社区/村', candidates: '可能匹配', score: '相似度', my_days: '本月驻社区天数',
    follow_up: '纠纷回访', mediate: '纠纷调解', visit: '重点人员走访', staffing_title: '1+X+N 力量配置与驻社区天数', with_officer: '有社区民警', in_committee: '进两委',
    volunteers: '志愿者', mean_days: '人均每周驻社区天数', meeting_target: '达标 (≥3.5 天)', assessment: '派出所考核', rank: '排名', total_score: '总分', export_csv: '导出 CSV',
    source: '数据来源', records: '条记录', target: '目标', weight: '权重', cases: '移交与纠纷', people_help: '每行: 姓名 入住日期 [身份证号]', teams_help: '每行: 队名 人数',
    station: '派出所', all_stations: '全部派出所', phone_view: '手机视图', desktop_view: '指挥台视图', value: '数值', back: '返回', logout: '退出', language: 'English',
    transfer_due: '须移交 (两不办)', registered_n: '登记', closed_n: '办结', on_time: '按时办结', open_overdue: '超时未结', median_hours: '办结中位时长 (小时)', target_hours: '时限 (小时)',
    import_csv: '导入 CSV', imported: '已导入', line: '第', more: '加载更多', 
    edit: '修改', delete: '删除', delete_reason: '删除事由 (将被记录)', deleted: '已删除',
    today_done: '今日已登记', status: '状态', save: '保存', offices: '警务室', class: '等级', staff: '人员', open_hours: '开放时间', co_located: '与村委会合署',
  },
  en: {
    resident: 'Residents', rental_housing: 'Rental housing', floating_population: 'Floating population', venue: 'Regulated venues', lost_property: 'Lost property', found_item: 'Found items',
    missing_person: 'Missing persons', livelihood: 'Livelihood requests', staffing: '1+X+N staffing', community_day: 'Community days', key_person: 'Key persons', dispute: 'Disputes',
    name: 'Name', id_number: 'ID number', gender: 'Gender', birth_date: 'Born', phone: 'Phone', household: 'Household', landlord: 'Landlord', landlord_phone: 'Landlord phone',
    landlord_id_number: 'Landlord ID', rooms: 'Rooms', tenants: 'Tenants', registered_on: 'Registered', origin: 'From', occupation: 'Occupation', permit_expires: 'Permit expires',
    category: 'Category', licence: 'Licence', manager: 'Manager', item: 'Item', description: 'Description', lost_on: 'Lost on', place: 'Place', owner: 'Owner', owner_phone: 'Owner phone',
    found_on: 'Found on', finder: 'Finder', finder_phone: 'Finder phone', age: 'Age', last_seen_on: 'Last seen', last_seen_place: 'Last seen at', reporter: 'Reported by',
    reporter_phone: 'Reporter phone', requester: 'Requester', officer: 'Community officer', officer_phone: 'Officer phone', committee_post: 'Village committee post', auxiliaries: 'Auxiliaries (X)',
    grid_workers: 'Grid workers (N)', volunteer_teams: 'Volunteer teams', date: 'Date', hours: 'Hours', activities: 'Activities', address: 'Address', address_code: 'Standard address code',
    inspect: 'Inspect', vacant: 'Vacant', let: 'Let', found: 'Found', withdraw: 'Withdraw', move_out: 'Moved out', suspend: 'Suspend', reopen: 'Reopen', close: 'Close', match: 'Match', unmatch: 'Unmatch', return: 'Return',
    dispose: 'Dispose', search: 'Start search', start: 'Start',
    tasks: "Today's tasks", ledgers: 'Ledgers', log_day: 'Community days', service: '365×24 service', add: 'Add', full_record: 'Full record', reason_prompt: 'Why do you read this personal record? (audited)',
    due: 'due', overdue: 'overdue', none: 'None', saved: 'Saved', community: 'Community', candidates: 'Possible matches', score: 'score', my_days: 'My community days this month',
    follow_up: 'Dispute follow-up', mediate: 'Dispute mediation', visit: 'Key person visit', staffing_title: '1+X+N staffing and community days', with_officer: 'With officer', in_committee: 'In the committees',
    volunteers: 'Volunteers', mean_days: 'Mean days a week', meeting_target: 'At target (≥3.5 days)', assessment: 'Station assessment', rank: 'Rank', total_score: 'Total', export_csv: 'Export CSV',
    source: 'Source data', records: 'records', target: 'Target', weight: 'Weight', cases: 'Transfers and disputes', people_help: 'One per line: name moved-in-date [ID number]', teams_help: 'One per line: team name size',
    station: 'Station', all_stations: 'All stations', phone_view: 'Phone view', desktop_view: 'Desktop view', value: 'Value', back: 'Back', logout: 'Log out', language: '中文',
    transfer_due: 'to transfer (两不办)', registered_n: 'Registered', closed_n: 'Closed', on_time: 'On time', open_overdue: 'Open, overdue', median_hours: 'Median hours to close', target_hours: 'Target hours',
    import_csv: 'Import CSV', imported: 'Imported', line: 'line', more: 'More', 
    edit: 'Edit', delete: 'Delete', delete_reason: 'Why is it deleted? (audited)', deleted: 'Deleted',
    today_done: 'Logged today', status: 'Status', save: 'Save', offices: 'Police offices', class: 'Class', staff: 'Staff', open_hours: 'Hours', co_located: 'In the committee building',
  },
};

// Options, statuses and results are named per ledger and field: the same
// code means different things in different ledgers ("registered" is a
// household type of a resident but the first status of lost property).
const GENDER = { zh: { male: '男', female: '女' }, en: { male: 'male', female: 'female' } };
const ITEMS = {
  zh: { phone: '手机', wallet: '钱包', documents: '证件', bag: '包', keys: '钥匙', cash: '现金', bicycle: '自行车', other: '其他' },
  en: { phone: 'phone', wallet: 'wallet', documents: 'documents', bag: 'bag', keys: 'keys', cash: 'cash', bicycle: 'bicycle', other: 'other' },
};
const INSPECTION = { zh: { pass: '合格', rectify: '限期整改', violation: '违规' }, en: { pass: 'pass', rectify: 'rectify', violation: 'violation' } };
const OPTIONS = {
  zh: {
    'resident.gender': GENDER.zh,
    'resident.household': { registered: '户籍人口', resident_not_registered: '常住非户籍', overseas: '境外人员' },
    'venue.category': { hotel: '旅馆', internet_cafe: '网吧', entertainment: '娱乐场所', other: '其他' },
    'lost_property.category': ITEMS.zh,
    'found_item.category': ITEMS.zh,
    'missing_person.gender': GENDER.zh,
    'livelihood.category': { elderly: '老人求助', locked_out: '开锁求助', utilities: '水电故障', noise: '噪音', lost_child: '儿童走失', traffic: '交通堵塞', other: '其他' },
  },
  en: {
    'resident.gender': GENDER.en,
    'resident.household': { registered: 'registered household', resident_not_registered: 'resident, not registered', overseas: 'from overseas' },
    'venue.category': { hotel: 'hotel', internet_cafe: 'internet cafe', entertainment: 'entertainment', other: 'other' },
    'lost_property.category': ITEMS.en,
    'found_item.category': ITEMS.en,
    'missing_person.gender': GENDER.en,
    'livelihood.category': { elderly: 'elderly', locked_out: 'locked out', utilities: 'utilities', noise: 'noise', lost_child: 'lost child', traffic: 'traffic', other: 'other' },
  },
};
const STATUSES = {
  zh: {
    rental_housing: { let: '在租', vacant: '空置', withdrawn: '已注销' },
    floating_population: { registered: '已登记', moved_out: '已迁出' },
    venue: { open: '营业', suspended: '停业整顿', closed: '已关停' },
    lost_property: { registered: '待查找', matched: '已匹配', returned: '已归还', closed: '已办结' },
    found_item: { held: '保管中', matched: '已匹配', returned: '已归还', disposed: '已处置' },
    missing_person: { reported: '已报告', searching: '查找中', found: '已找到', closed: '已办结' },
    livelihood: { open: '待处理', in_progress: '处理中', closed: '已办结' },
  },
  en: {
    rental_housing: { let: 'let', vacant: 'vacant', withdrawn: 'withdrawn' },
    floating_population: { registered: 'registered', moved_out: 'moved out' },
    venue: { open: 'trading', suspended: 'suspended', closed: 'closed down' },
    lost_property: { registered: 'being sought', matched: 'matched', returned: 'returned', closed: 'closed' },
    found_item: { held: 'held', matched: 'matched', returned: 'returned', disposed: 'disposed of' },
    missing_person: { reported: 'reported', searching: 'searching', found: 'found', closed: 'closed' },
    livelihood: { open: 'waiting', in_progress: 'in progress', closed: 'closed' },
  },
};
const RESULTS = {
  zh: { 'rental_housing.inspect': INSPECTION.zh, 'venue.inspect': INSPECTION.zh },
  en: { 'rental_housing.inspect': INSPECTION.en, 'venue.inspect': INSPECTION.en },
};

/** Every option, status and result of the ledgers (GET /community/ledgers) that has no label in a language. */
export function missingLabels(specs) {
  const missing = [];
  for (const lang of ['zh', 'en']) {
    for (const sp of specs) {
      const kind = sp.register.kind;
      for (const f of sp.fields) {
        for (const o of f.kind.type === 'choice' ? f.kind.options : []) if (OPTIONS[lang][`${kind}.${f.name}`]?.[o] == null) missing.push(`${lang} ${kind}.${f.name} = ${o}`);
      }
      const w = sp.workflow;
      if (!w) continue;
      const statuses = new Set([w.initial, ...w.closed, ...w.actions.flatMap((a) => [...a.from, ...(a.to ? [a.to] : [])])]);
      for (const st of statuses) if (STATUSES[lang][kind]?.[st] == null) missing.push(`${lang} ${kind} status ${st}`);
      for (const a of w.actions) for (const r of a.results ?? []) if (RESULTS[lang][`${kind}.${a.name}`]?.[r] == null) missing.push(`${lang} ${kind}.${a.name} result ${r}`);
    }
  }
  return missing;
}

export const SERVICE = ['livelihood', 'lost_property', 'found_item', 'missing_person'];
export const INFO = ['resident', 'rental_housing', 'floating_population', 'venue', 'staffing'];

export function makeCommunity(ctx) {
  const { api, esc, toast } = ctx;
  const lang = () => ctx.lang();
  const l = (k) => L[lang()][k] ?? String(k).replace(/_/g, ' ');
  // Never a shared bare key: an unknown code shows as itself (missingLabels finds them).
  const opt = (kind, field, v) => OPTIONS[lang()][`${kind}.${field}`]?.[v] ?? v;
  const stName = (kind, status) => STATUSES[lang()][kind]?.[status] ?? status;
  const resName = (kind, result) => Object.entries(RESULTS[lang()]).find(([k, t]) => k.startsWith(kind + '.') && t[result])?.[1][result] ?? result;
  const date = (ms) => (ms ? new Date(ms).toLocaleDateString(lang() === 'zh' ? 'zh-CN' : 'en-GB') : '');
  const today = () => ctx.localDay();
  let specs = null;
  let communities = null;
  // A view claims its element; an answer that arrives after another view
  // claimed it is dropped instead of drawing over the newer one.
  let claims = 0;
  const claim = (el) => {
    const mine = String(++claims);
    el.dataset.claim = mine;
    return () => el.dataset.claim !== mine;
  };

  async function ledgers() {
    if (!specs) {
      specs = await api('GET', '/community/ledgers');
      // Fields know their ledger, so options are named per ledger and field.
      for (const sp of specs) for (const f of sp.fields) f.ledger = sp.register.kind;
    }
    return specs;
  }
  const spec = (kind) => specs.find((s) => s.register.kind === kind);

  // Communities in the user's scope, for the forms.
  async function myCommunities() {
    if (communities) return communities;
    const j = await api('GET', '/jurisdictions?level=bureau,station,community');
    const byId = new Map(j.features.map((f) => [f.properties.id, f.properties]));
    const scope = ctx.user().scope;
    const within = (id) => { for (let x = byId.get(id); x; x = byId.get(x.parent_id)) if (x.id === scope) return true; return false; };
    communities = j.features.map((f) => f.properties).filter((p) => p.level === 'community' && (!scope || within(p.id)));
    return communities;
  }
  const communityName = (id) => { const c = communities?.find((x) => x.id === id); return c ? (lang() === 'zh' ? c.name_zh : c.name_en || c.name_zh) : id; };

  function fieldValue(f, v) {
    if (v == null) return '';
    if (f.kind.type === 'choice') return esc(opt(f.ledger, f.name, v));
    if (f.kind.type === 'people') return v.map((p) => esc(`${p.name} ${p.from ?? ''}${p.to ? '–' + p.to : ''}`)).join('<br>');
    if (f.kind.type === 'teams') return v.map((p) => esc(`${p.name} ${p.size}`)).join('<br>');
    return esc(v);
  }

  function input(f, value) {
    const name = `name="${f.name}" data-field="${f.name}"`;
    const req = f.required ? 'required' : '';
    const label = `${esc(l(f.name))}${f.required ? ' *' : ''}`;
    switch (f.kind.type) {
      case 'choice': return `<label>${label}<select ${name} ${req}>${f.required ? '' : '<option value=""></option>'}${f.kind.options.map((o) => `<option value="${o}" ${o === value ? 'selected' : ''}>${esc(opt(f.ledger, f.name, o))}</option>`).join('')}</select></label>`;
      case 'date': return `<label>${label}<input type="date" ${name} ${req} value="${esc(value ?? '')}"></label>`;
      case 'int': return `<label>${label}<input type="number" inputmode="numeric" min="${f.kind.min}" max="${f.kind.max}" ${name} ${req} value="${esc(value ?? '')}"></label>`;
      case 'phone': return `<label>${label}<input type="tel" ${name} ${req} value="${esc(value ?? '')}"></label>`;
      case 'people': return `<label>${label}<textarea ${name} rows="2" placeholder="${esc(l('people_help'))}">${esc((value ?? []).map((p) => [p.name, p.from, p.id_number].filter(Boolean).join(' ')).join('\n'))}</textarea></label>`;
      case 'teams': return `<label>${label}<textarea ${name} rows="2" placeholder="${esc(l('teams_help'))}">${esc((value ?? []).map((p) => `${p.name} ${p.size}`).join('\n'))}</textarea></label>`;
      default: return `<label>${label}<input ${name} ${req} maxlength="${f.kind.max ?? 200}" value="${esc(value ?? '')}"></label>`;
    }
  }

  function readForm(form, sp) {
    const fields = {};
    for (const f of sp.fields) {
      const el = form.querySelector(`[data-field="${f.name}"]`);
      if (!el) continue;
      const raw = el.value.trim();
      if (raw === '') continue;
      if (f.kind.type === 'int') fields[f.name] = Number(raw);
      else if (f.kind.type === 'people') fields[f.name] = raw.split('\n').filter(Boolean).map((line) => { const [name, from, id] = line.trim().split(/\s+/); return { name, from, ...(id ? { id_number: id } : {}) }; });
      else if (f.kind.type === 'teams') fields[f.name] = raw.split('\n').filter(Boolean).map((line) => { const m = line.trim().match(/^(.*\S)\s+(\d+)$/); return m ? { name: m[1], size: Number(m[2]) } : { name: line.trim() }; });
      else fields[f.name] = raw;
    }
    return fields;
  }

  // A ledger: list, add form, record detail with workflow actions.
  async function ledgerView(el, kind, opts = {}) {
    const stale = claim(el);
    await ledgers();
    await myCommunities();
    const sp = spec(kind);
    el.innerHTML = `<p class="muted">…</p>`;
    const list = await api('GET', `/community/ledgers/${kind}?limit=100`);
    if (stale()) return;
    const shown = sp.fields.filter((f) => f.shown !== 'no').slice(0, 3);
    const rows = (entries) => entries.map((e) => `
        <tr data-id="${esc(e.id)}" class="${e.overdue ? 'overdue' : ''}">
          <td>${shown.map((f) => fieldValue(f, e.fields[f.name])).filter(Boolean).join(' · ')}<br><small class="muted">${esc(communityName(e.community_id))}</small></td>
          <td>${e.status ? esc(stName(kind, e.status)) : ''}${e.last_result ? `<br><small>${esc(resName(kind, e.last_result))}</small>` : ''}${e.due_at && !e.closed_at ? `<br><small class="${e.overdue ? 'warn' : 'muted'}">${esc(l('due'))} ${date(e.due_at)}</small>` : ''}</td>
        </tr>`).join('');
    let shownCount = list.entries.length;
    const count = (more) => `${shownCount}${more ? '+' : ''}`;
    el.innerHTML = `
      <div class="ledger-head"><h3>${esc(l(kind))} <small class="muted" data-test="ledger-count">${count(list.next)}</small></h3>
        <span><label class="filebtn">${esc(l('import_csv'))}<input type="file" accept=".csv,text/csv" data-test="ledger-import" hidden></label>
        <button class="primary" data-test="ledger-add">${esc(l('add'))}</button></span></div>
      <div class="import-result" data-test="import-result"></div>
      <p class="muted small">${esc(sp.register.purpose)} · ${esc(sp.register.retention_days)}d</p>
      <div class="ledger-form"></div>
      <table class="queue ledger" data-test="ledger-${kind}">${rows(list.entries) || `<tr><td class="muted">${esc(l('none'))}</td></tr>`}</table>
      ${list.next ? `<button data-test="ledger-more">${esc(l('more'))}</button>` : ''}`;
    const bindRows = () => el.querySelectorAll('table.ledger tr[data-id]').forEach((tr) => { tr.onclick = () => detail(el, sp, tr.dataset.id, () => ledgerView(el, kind, opts)); });
    // The next page by its keyset cursor: rows already shown stay, none twice.
    let next = list.next;
    const more = el.querySelector('[data-test=ledger-more]');
    if (more) more.onclick = async () => {
      more.disabled = true;
      const page = await api('GET', `/community/ledgers/${kind}?limit=100&cursor=${encodeURIComponent(next)}`);
      el.querySelector('table.ledger').insertAdjacentHTML('beforeend', rows(page.entries));
      shownCount += page.entries.length;
      next = page.next;
      el.querySelector('[data-test=ledger-count]').textContent = count(next);
      if (next) more.disabled = false; else more.remove();
      bindRows();
    };
    el.querySelector('[data-test=ledger-import]').onchange = async (e) => {
      const file = e.target.files[0];
      if (!file) return;
      const res = await fetch(`/api/v1/community/ledgers/${kind}/import`, { method: 'POST', headers: { Authorization: 'Bearer ' + ctx.token(), 'Content-Type': 'text/csv' }, body: await file.text() });
      const out = await res.json();
      const box = el.querySelector('[data-test=import-result]');
      if (res.ok) { toast(`${l('imported')}: ${out.imported}`); ledgerView(el, kind, opts); return; }
      box.innerHTML = `<p class="error">${esc(out.message)}</p><table>${(out.errors ?? []).map((x) => `<tr><td>${esc(l('line'))} ${x.line}</td><td>${esc(x.field ? l(x.field) : '')}</td><td>${esc(x.message)}</td></tr>`).join('')}</table>`;
    };
    el.querySelector('[data-test=ledger-add]').onclick = () => addForm(el.querySelector('.ledger-form'), sp, () => ledgerView(el, kind, opts));
    bindRows();
  }

  function addForm(box, sp, done) {
    const fields = sp.fields.filter((f) => !(sp.register.kind === 'community_day' && f.name === 'officer'));
    box.innerHTML = `<form class="callform" data-test="ledger-form">
      <label>${esc(l('community'))} *<select name="community_id" required>${communities.map((c) => `<option value="${esc(c.id)}">${esc(lang() === 'zh' ? c.name_zh : c.name_en || c.name_zh)}</option>`).join('')}</select></label>
      ${fields.map((f) => input(f, f.kind.type === 'date' && f.required ? today() : undefined)).join('')}
      <button type="submit" class="primary">${esc(l('save'))}</button> <span class="error" data-test="ledger-error"></span></form>`;
    const form = box.querySelector('form');
    form.onsubmit = async (e) => {
      e.preventDefault();
      try {
        await api('POST', `/community/ledgers/${sp.register.kind}`, { community_id: form.community_id.value, fields: readForm(form, sp) });
        toast(l('saved'));
        done();
      } catch (err) {
        const field = err.data?.field;
        form.querySelector('[data-test=ledger-error]').textContent = `${field ? l(field) + ': ' : ''}${err.message}`;
        form.querySelector(`[data-field="${field}"]`)?.focus();
      }
    };
  }

  async function detail(el, sp, id, back) {
    const kind = sp.register.kind;
    const stale = claim(el);
    let rec;
    if (sp.personal) {
      const reason = prompt(l('reason_prompt'));
      if (!reason) return;
      try { rec = await api('GET', `/community/ledgers/${kind}/${encodeURIComponent(id)}?reason=${encodeURIComponent(reason)}`); } catch (err) { return toast(err.message, true); }
    } else rec = await api('GET', `/community/ledgers/${kind}/${encodeURIComponent(id)}`);
    if (stale()) return;
    const actions = (sp.workflow?.actions ?? []).filter((a) => a.from.includes(rec.status));
    el.innerHTML = `<button class="link" data-test="ledger-back">← ${esc(l('back'))}</button>
      <h3>${esc(l(kind))} · ${esc(communityName(rec.community_id))}</h3>
      <table data-test="ledger-record">${sp.fields.filter((f) => rec.fields[f.name] != null).map((f) => `<tr><th>${esc(l(f.name))}</th><td>${fieldValue(f, rec.fields[f.name])}</td></tr>`).join('')}
        ${rec.status ? `<tr><th>${esc(l('status'))}</th><td>${esc(stName(kind, rec.status))}</td></tr>` : ''}
        ${rec.due_at ? `<tr><th>${esc(l('due'))}</th><td>${date(rec.due_at)}</td></tr>` : ''}</table>
      <ol class="timeline">${rec.steps.map((s) => `<li><time>${esc(new Date(s.at).toLocaleString())}</time> ${esc(l(s.action))}${s.result ? ' · ' + esc(l(s.result)) : ''}${s.note ? ' · ' + esc(s.note) : ''} <small class="muted">${esc(s.by)}</small></li>`).join('')}</ol>
      <div class="actions">${actions.map((a) => `<button data-act="${a.name}" data-test="act-${a.name}">${esc(l(a.name))}</button>`).join('')}
        <button data-edit data-test="ledger-edit">${esc(l('edit'))}</button><button data-delete data-test="ledger-delete">${esc(l('delete'))}</button></div>
      <div class="edit-form"></div>
      <div class="matches"></div>`;
    el.querySelector('[data-test=ledger-back]').onclick = back;
    el.querySelector('[data-test=ledger-edit]').onclick = () => {
      const box = el.querySelector('.edit-form');
      box.innerHTML = `<form class="callform" data-test="ledger-edit-form">${sp.fields.map((f) => input(f, rec.fields[f.name])).join('')}
        <button type="submit" class="primary">${esc(l('save'))}</button> <span class="error" data-test="ledger-error"></span></form>`;
      const form = box.querySelector('form');
      form.onsubmit = async (e) => {
        e.preventDefault();
        const fields = readForm(form, sp);
        // A cleared optional field is removed.
        for (const f of sp.fields) if (!(f.name in fields) && rec.fields[f.name] != null && !f.required) fields[f.name] = null;
        try {
          await api('PATCH', `/community/ledgers/${kind}/${encodeURIComponent(id)}`, { fields });
          toast(l('saved'));
          back();
        } catch (err) {
          form.querySelector('[data-test=ledger-error]').textContent = `${err.data?.field ? l(err.data.field) + ': ' : ''}${err.message}`;
        }
      };
    };
    el.querySelector('[data-test=ledger-delete]').onclick = async () => {
      const reason = prompt(l('delete_reason'));
      if (!reason) return;
      try {
        await api('DELETE', `/community/ledgers/${kind}/${encodeURIComponent(id)}?reason=${encodeURIComponent(reason)}`);
        toast(l('deleted'));
        back();
      } catch (err) { toast(err.message, true); }
    };
    el.querySelectorAll('.actions button[data-act]').forEach((b) => {
      b.onclick = async () => {
        const a = actions.find((x) => x.name === b.dataset.act);
        const body = { action: a.name };
        if (a.results.length) { body.result = prompt(a.results.map((r) => `${r} = ${resName(kind, r)}`).join(', '), a.results[0]); if (!body.result) return; }
        if (a.needs_note || a.results.length) { const n = prompt(l('description')); if (a.needs_note && !n) return; if (n) body.note = n; }
        if (a.links) {
          const m = await api('GET', `/community/ledgers/${kind}/${encodeURIComponent(id)}/matches`);
          const box = el.querySelector('.matches');
          box.innerHTML = `<h3>${esc(l('candidates'))}</h3><table class="queue" data-test="candidates">${m.candidates.map((c) => `<tr data-id="${esc(c.entry.id)}"><td>${esc(c.entry.fields.item ?? '')} · ${esc(c.entry.fields.description ?? '')}<br><small class="muted">${esc(c.reasons.join(', '))}</small></td><td>${l('score')} ${c.score}</td></tr>`).join('') || `<tr><td class="muted">${esc(l('none'))}</td></tr>`}</table>`;
          box.querySelectorAll('tr[data-id]').forEach((tr) => { tr.onclick = async () => {
            try { await api('POST', `/community/ledgers/${kind}/${encodeURIComponent(id)}/action`, { action: 'match', link: tr.dataset.id }); toast(l('saved')); back(); } catch (err) { toast(err.message, true); }
          }; });
          return;
        }
        try { await api('POST', `/community/ledgers/${kind}/${encodeURIComponent(id)}/action`, body); toast(l('saved')); back(); } catch (err) { toast(err.message, true); }
      };
    });
  }

  function taskLabel(x) {
    const [what, sub] = x.what.split(':');
    if (x.kind === 'dispute') return `${l(what)} · ${ctx.t('dt_' + sub)}`;
    if (x.kind === 'key_person') return `${l('visit')}`;
    if (x.kind === 'incident') return `${l('transfer_due')} · #${x.id} ${ctx.kindName(sub)}`;
    return `${l(x.kind)} · ${what === 'inspect' ? l('inspect') : stName(x.kind, what)}`;
  }

  async function tasksView(el, openRecord) {
    const stale = claim(el);
    await ledgers();
    await myCommunities();
    const t = await api('GET', '/community/tasks?days=1');
    if (stale()) return;
    el.innerHTML = `<h3>${esc(l('tasks'))} <small class="muted">${t.tasks.length}</small></h3>
      <ul class="tasks" data-test="tasks">${t.tasks.map((x) => `<li class="${x.overdue ? 'overdue' : ''}" data-kind="${esc(x.kind)}" data-id="${esc(x.id)}">
        <b>${esc(taskLabel(x))}</b><br><small>${esc(communityName(x.community_id))} · ${x.overdue ? `<span class="warn">${esc(l('overdue'))}</span>` : esc(l('due'))} ${date(x.due_at)}</small></li>`).join('') || `<li class="muted">${esc(l('none'))}</li>`}</ul>`;
    el.querySelectorAll('li[data-kind]').forEach((li) => {
      const sp = spec(li.dataset.kind);
      if (sp) li.onclick = () => detail(el, sp, li.dataset.id, () => openRecord());
    });
  }

  async function daysView(el) {
    const stale = claim(el);
    await ledgers();
    await myCommunities();
    // The officer's own days of this month so far (reports default to the month a meeting looks at).
    const st = await api('GET', `/community/staffing?period=${ctx.localDay().slice(0, 7)}`);
    if (stale()) return;
    const me = st.officers.find((o) => o.officer === ctx.user().username);
    el.innerHTML = `<h3>${esc(l('log_day'))}</h3>
      <p data-test="my-days">${esc(l('my_days'))}: <b>${me ? me.days : 0}</b> (${me ? me.per_week : 0} / ${st.target_days_per_week})</p>
      <form class="callform" data-test="day-form">
        <label>${esc(l('community'))}<select name="community_id">${communities.map((c) => `<option value="${esc(c.id)}">${esc(lang() === 'zh' ? c.name_zh : c.name_en || c.name_zh)}</option>`).join('')}</select></label>
        <label>${esc(l('date'))}<input type="date" name="date" value="${today()}" required></label>
        <label>${esc(l('hours'))}<input type="number" name="hours" min="1" max="24" value="8"></label>
        <label>${esc(l('activities'))}<input name="activities"></label>
        <button class="primary" type="submit">${esc(l('log_day'))}</button> <span class="error"></span>
      </form>`;
    el.querySelector('form').onsubmit = async (e) => {
      e.preventDefault();
      const f = e.target;
      const fields = { date: f.date.value, hours: Number(f.hours.value) };
      if (f.activities.value.trim()) fields.activities = f.activities.value.trim();
      try { await api('POST', '/community/ledgers/community_day', { community_id: f.community_id.value, fields }); toast(l('saved')); daysView(el); } catch (err) { f.querySelector('.error').textContent = err.message; }
    };
  }

  async function staffingView(el) {
    const stale = claim(el);
    const st = await api('GET', '/community/staffing');
    if (stale()) return;
    const row = (r, name) => `<tr><td>${esc(name)}</td><td>${r.with_officer}/${r.communities}</td><td>${r.officers_in_committee}</td><td>${r.auxiliaries}</td><td>${r.grid_workers}</td><td>${r.volunteers}</td><td class="${r.mean_days_per_week < st.target_days_per_week ? 'warn' : ''}">${r.mean_days_per_week}</td><td>${r.meeting_target}/${r.officers_logging}</td></tr>`;
    el.innerHTML = `<h3>${esc(l('staffing_title'))} <small class="muted">${esc(st.period)}</small></h3>
      <table data-test="staffing"><tr><th></th><th>${esc(l('with_officer'))}</th><th>${esc(l('in_committee'))}</th><th>X</th><th>N</th><th>${esc(l('volunteers'))}</th><th>${esc(l('mean_days'))}</th><th>${esc(l('meeting_target'))}</th></tr>
      ${row(st.total, ctx.t('total'))}${st.by_station.map((r) => row(r, r.name)).join('')}</table>`;
  }

  async function assessmentView(el, period) {
    const stale = claim(el);
    const [tab, cat] = await Promise.all([api('GET', '/assessment' + (period ? `?period=${encodeURIComponent(period)}` : '')), api('GET', '/assessment/catalogue')]);
    if (stale()) return;
    const fmt = (ind, v) => (v == null ? '–' : ind.unit === 'share' ? `${Math.round(v * 1000) / 10}%` : `${Math.round(v * 100) / 100}`);
    el.innerHTML = `<div class="ledger-head"><h3>${esc(l('assessment'))} <small class="muted">${esc(tab.period)}</small></h3>
      <button data-test="assessment-csv">${esc(l('export_csv'))}</button></div>
      <div class="scroll"><table data-test="assessment"><tr><th>${esc(l('rank'))}</th><th>${esc(l('station'))}</th><th>${esc(l('total_score'))}</th>
        ${tab.indicators.map((i) => `<th title="${esc(i.formula)}">${esc(lang() === 'zh' ? i.name_zh : i.name_en)}<br><small class="muted">${esc(l('target'))} ${fmt(i, i.target)} · ${esc(l('weight'))} ${i.weight}</small></th>`).join('')}</tr>
        ${tab.rows.map((r) => `<tr data-station="${esc(r.station_id)}"><td>${r.rank}</td><td>${esc(r.name)}</td><td><b>${r.total}</b></td>
          ${r.scores.map((s, k) => `<td class="score" data-indicator="${esc(s.indicator)}">${fmt(tab.indicators[k], s.value)}</td>`).join('')}</tr>`).join('')}</table></div>
      <div class="source" data-test="assessment-source"></div>`;
    el.querySelector('[data-test=assessment-csv]').onclick = async () => {
      const res = await fetch('/api/v1/assessment?format=csv' + (period ? `&period=${encodeURIComponent(period)}` : ''), { headers: { Authorization: 'Bearer ' + ctx.token() } });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(await res.blob());
      a.download = `assessment-${tab.period}.csv`;
      a.click();
    };
    el.querySelectorAll('td.score').forEach((td) => {
      td.onclick = async () => {
        const station = td.closest('tr').dataset.station;
        const src = await api('GET', `/assessment/source?station=${encodeURIComponent(station)}&indicator=${encodeURIComponent(td.dataset.indicator)}` + (period ? `&period=${encodeURIComponent(period)}` : ''));
        el.querySelector('.source').innerHTML = `<h3>${esc(l('source'))}: ${esc(src.station)} · ${esc(lang() === 'zh' ? src.indicator.name_zh : src.indicator.name_en)}</h3>
          <p><code>${esc(src.indicator.formula)}</code> = ${fmt(src.indicator, src.score.value)}</p>
          <table>${Object.entries(src.metrics).map(([k, m]) => `<tr><td><code>${esc(k)}</code></td><td>${m.value}</td><td class="muted">${esc(m.description)}</td><td><small>${m.records.slice(0, 12).map(esc).join(', ')}${m.records.length > 12 ? ` … (${m.records.length} ${esc(l('records'))})` : ''}</small></td></tr>`).join('')}</table>`;
      };
    });
    cat; // the catalogue's metrics are shown with each source
  }

  // The village police office registry: class, staffing, hours, co-location.
  async function officesView(el, canEdit) {
    await myCommunities();
    const stale = claim(el);
    const offices = await api('GET', '/police-offices');
    if (stale()) return;
    el.innerHTML = `<h3>${esc(l('offices'))} <small class="muted">${offices.length}</small></h3><div class="office-form"></div>
      <table class="queue" data-test="offices"><tr><th></th><th>${esc(l('class'))}</th><th>${esc(l('staff'))}</th><th>${esc(l('open_hours'))}</th><th>${esc(l('co_located'))}</th></tr>
      ${offices.map((o) => `<tr data-id="${esc(o.id)}"><td>${esc(o.name)}<br><small class="muted">${esc(communityName(o.community_id))}</small></td><td>${o.class}</td><td>${o.staff}</td><td>${esc(o.hours)}</td><td>${o.shares_committee_office ? '✓' : ''}</td></tr>`).join('')}</table>`;
    if (!canEdit) return;
    el.querySelectorAll('tr[data-id]').forEach((tr) => {
      tr.onclick = () => {
        const o = offices.find((x) => x.id === tr.dataset.id);
        const box = el.querySelector('.office-form');
        box.innerHTML = `<form class="callform" data-test="office-form"><b>${esc(o.name)}</b>
          <label>${esc(l('class'))}<select name="class">${[1, 2, 3].map((c) => `<option ${c === o.class ? 'selected' : ''}>${c}</option>`).join('')}</select></label>
          <label>${esc(l('staff'))}<input type="number" name="staff" min="0" max="50" value="${o.staff}"></label>
          <label>${esc(l('open_hours'))}<input name="hours" value="${esc(o.hours)}" placeholder="08:00-18:00 / 24h"></label>
          <label><input type="checkbox" name="co" ${o.shares_committee_office ? 'checked' : ''} style="display:inline;width:auto"> ${esc(l('co_located'))}</label>
          <button class="primary" type="submit">${esc(l('save'))}</button> <span class="error"></span></form>`;
        const f = box.querySelector('form');
        f.onsubmit = async (e) => {
          e.preventDefault();
          try {
            await api('PUT', `/police-offices/${encodeURIComponent(o.id)}`, { class: Number(f.class.value), staff: Number(f.staff.value), hours: f.hours.value.trim(), shares_committee_office: f.co.checked });
            toast(l('saved'));
            officesView(el, canEdit);
          } catch (err) { f.querySelector('.error').textContent = `${err.data?.field ? l(err.data.field) + ': ' : ''}${err.message}`; }
        };
      };
    });
  }

  // 365x24 service figures of the reporting month (the month just ended in a month's first days).
  async function serviceFigures(el) {
    const stale = claim(el);
    const f = await api('GET', '/community/figures');
    if (stale()) return;
    el.innerHTML = `<p class="muted" data-test="service-period">${esc(f.period)}</p><table data-test="service-figures"><tr><th></th><th>${esc(l('registered_n'))}</th><th>${esc(l('closed_n'))}</th><th>${esc(l('on_time'))}</th><th>${esc(l('open_overdue'))}</th><th>${esc(l('median_hours'))}</th><th>${esc(l('target_hours'))}</th></tr>
      ${f.service.map((r) => `<tr><td>${esc(l(r.kind))}</td><td>${r.registered}</td><td>${r.closed}</td><td>${r.closed_on_time}</td><td class="${r.open_overdue ? 'warn' : ''}">${r.open_overdue}</td><td>${r.median_hours_to_close ?? '–'}</td><td>${r.target_hours ?? ''}</td></tr>`).join('')}</table>`;
  }

  return { l, ledgers, ledgerView, officesView, serviceFigures, tasksView, daysView, staffingView, assessmentView, myCommunities };
}

// The community officer's phone view.
export async function renderPhone(root, ctx) {
  const c = makeCommunity(ctx);
  const l = c.l;
  const tabs = [['tasks', l('tasks')], ['ledgers', l('ledgers')], ['service', l('service')], ['days', l('log_day')]];
  const state = { tab: 'tasks', kind: 'resident' };
  root.innerHTML = `<div class="phone" data-test="phone">
    <header><strong>${ctx.esc(ctx.t('community'))}</strong><span class="spacer"></span>
      <button id="p-lang" data-test="lang">${ctx.esc(l('language'))}</button><button id="p-desk">${ctx.esc(l('desktop_view'))}</button><button id="p-out">${ctx.esc(l('logout'))}</button></header>
    <nav class="pnav">${tabs.map(([k, n]) => `<button data-ptab="${k}">${ctx.esc(n)}</button>`).join('')}</nav>
    <div class="psub"></div><div id="pbody"></div></div>`;
  root.querySelector('#p-lang').onclick = () => ctx.switchLang();
  root.querySelector('#p-desk').onclick = () => ctx.desktop();
  root.querySelector('#p-out').onclick = () => ctx.logout();
  const body = root.querySelector('#pbody');
  const sub = root.querySelector('.psub');
  const show = async (tab) => {
    state.tab = tab;
    root.querySelectorAll('.pnav button').forEach((b) => b.classList.toggle('active', b.dataset.ptab === tab));
    sub.innerHTML = '';
    try {
      if (tab === 'tasks') await c.tasksView(body, () => show('tasks'));
      if (tab === 'days') await c.daysView(body);
      if (tab === 'ledgers' || tab === 'service') {
        const kinds = tab === 'service' ? SERVICE : INFO;
        if (!kinds.includes(state.kind)) state.kind = kinds[0];
        sub.innerHTML = `<select data-test="ledger-pick">${kinds.map((k) => `<option value="${k}" ${k === state.kind ? 'selected' : ''}>${ctx.esc(l(k))}</option>`).join('')}</select>`;
        sub.querySelector('select').onchange = (e) => { state.kind = e.target.value; c.ledgerView(body, state.kind); };
        await c.ledgerView(body, state.kind);
      }
    } catch (err) { body.innerHTML = `<p class="error">${ctx.esc(err.message)}</p>`; }
  };
  root.querySelectorAll('.pnav button').forEach((b) => { b.onclick = () => show(b.dataset.ptab); });
  await show('tasks');
  window.phoneReady = true;
}
