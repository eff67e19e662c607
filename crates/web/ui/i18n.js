// zh-CN and English strings. Keys are English-ish identifiers; kinds and
// places come from the server's catalogue (name_zh / name_en).
export const STRINGS = {
  zh: {
    title: '平安 · 110 接处警指挥', login: '登录', username: '用户名', password: '密码', logout: '退出',
    bad_login: '用户名或密码错误', queue: '警情队列', call: '接警', units: '警力', figures: '统计',
    new_call: '新建警情 (N)', kind: '警情类别', priority: '等级', location: '位置 (纬度,经度)', pick_on_map: '在地图上点击选择位置',
    address: '地址', caller_name: '报警人', caller_phone: '联系电话', description: '简要情况', save: '保存 (Enter)',
    duplicates: '可能重复警情', merge_into: '合并到', none_selected: '请选择一个警情', timeline: '时间轴',
    recommendation: '推荐警力', two_way: '双向出警', dispatch_two_way: '一键派警 (D)', dispatched: '已派警',
    station: '责任派出所', seconds: '秒', tier: '圈层', reason: '理由', waves: '分级推送', wave: '分钟圈',
    status: '状态', actions: '操作', isochrones: '1/3/5 分钟圈 (I)', posts: '巡防点', language: 'English',
    open_incidents: '未结警情', all_units: '全部警力', reached_within: '到达率', phase: '环节', median: '中位数', p90: '90分位',
    incidents: '警情数', reached: '已到场', by_station: '按派出所', saved: '已保存', error: '错误', live: '实时', offline: '离线',
    unreachable: '不可达', unmet: '未满足的预案要求', overdue: '超时', help: '快捷键: N 新建 · ↑↓ 选择 · D 派警 · I 等时圈(巡防点/待命警力) · Q 队列 · U 警力 · A 研判 · L 语言 · Esc 返回',
    received: '已接警', dispatched_s: '已派警', en_route: '在途', on_scene: '到场', controlled: '已控制', closed: '已结束', cancelled: '已撤销', merged: '已合并',
    available: '待命', returning: '返回中', off_duty: '下班', beyond: '>5', next_status: '下一步',
    coverage: '覆盖规划', demand_communities: '需求: 社区/村', demand_incidents: '需求: 历史警情', evaluate_posts: '评估巡防点', optimise_posts: '优化布点', coverage_help: '评估现有巡防点在 1/3/5 分钟内覆盖的需求, 或在同样数量下寻找更优布点。', before: '现状', after: '优化后', covered: '覆盖', backup: '双重覆盖(5′内≥2)', sites: '布点', uncovered: '未覆盖', proven: '已证明达到最优的',
    all_areas: '全部辖区', by_period: '按时段', posts_iso: '巡防点', units_iso: '待命警力',
    call_to_dispatch: '接警→派警', dispatch_to_en_route: '派警→出发', en_route_to_on_scene: '出发→到场', on_scene_to_controlled: '到场→控制',
    office_coverage: '警务室覆盖', offices: '警务室', communities_with_office: '有警务室的村/社区', share: '覆盖率', co_located: '与村委会合署', total: '合计',
    analysis: '研判', all_kinds: '全部类别', last_days: '近 {n} 天', show_on_map: '地图显示', near_repeat: '近重复', trends: '趋势', briefing: '简报',
    hs_gistar: '热点 (Gi*)', hs_kde: '核密度', hs_h3: 'H3 六边形', hs_segments: '路段', hs_forecast: '下周预测',
    analysis_help: '对辖区内警情做热点、近重复、趋势研判, 并生成月度简报。', cells: '个网格', segments: '条路段',
    gistar_help: 'Getis-Ord Gi* 热点, 错误发现率 (FDR) 5% 校正后显著。', forecast_help: '下周最可能发生警情的 10% 网格 (过去一年密度 + 近 8 周警情)。',
    same_location: '同一地点', observed: '实际', expected: '期望', days: '天', knox_help: 'Knox 比值: 实际/随机期望配对数; 红色为显著 (p ≤ 0.05, 99 次置换)。',
    this_period: '本期', previous_period: '上期', change: '变化', trend_help: '按日均比较; * p<0.05, ** p<0.01',
    patrol_car: '巡逻车', foot_patrol: '步巡', bike_patrol: '骑巡', station_duty: '值班组', criminal_investigation: '刑侦', narcotics: '禁毒', traffic: '交警', special_police: '特警',
  },
  en: {
    title: 'pingan · 110 command centre', login: 'Log in', username: 'User name', password: 'Password', logout: 'Log out',
    bad_login: 'Wrong user name or password', queue: 'Queue', call: 'New call', units: 'Units', figures: 'Figures',
    new_call: 'New call (N)', kind: 'Kind', priority: 'Priority', location: 'Location (lat,lon)', pick_on_map: 'Click the map to pick the place',
    address: 'Address', caller_name: 'Caller', caller_phone: 'Phone', description: 'What happened', save: 'Save (Enter)',
    duplicates: 'Possible duplicates', merge_into: 'Merge into', none_selected: 'Select an incident', timeline: 'Timeline',
    recommendation: 'Recommendation', two_way: 'Two-way dispatch', dispatch_two_way: 'Dispatch (D)', dispatched: 'Dispatched',
    station: 'Responsible station', seconds: 's', tier: 'Tier', reason: 'Reason', waves: 'Fan-out', wave: '-minute wave',
    status: 'Status', actions: 'Actions', isochrones: '1/3/5-minute areas (I)', posts: 'Posts', language: '中文',
    open_incidents: 'Open incidents', all_units: 'All units', reached_within: 'Reached within', phase: 'Phase', median: 'Median', p90: 'p90',
    incidents: 'Incidents', reached: 'Reached', by_station: 'By station', saved: 'Saved', error: 'Error', live: 'Live', offline: 'Offline',
    unreachable: 'Unreachable', unmet: 'Unmet plan requirements', overdue: 'Overdue', help: 'Keys: N new call · ↑↓ select · D dispatch · I 1/3/5 areas (posts/units) · Q queue · U units · A analysis · L language · Esc back',
    received: 'Received', dispatched_s: 'Dispatched', en_route: 'En route', on_scene: 'On scene', controlled: 'Controlled', closed: 'Closed', cancelled: 'Cancelled', merged: 'Merged',
    available: 'Available', returning: 'Returning', off_duty: 'Off duty', beyond: '>5', next_status: 'Next',
    coverage: 'Coverage', demand_communities: 'Demand: communities', demand_incidents: 'Demand: past incidents', evaluate_posts: 'Evaluate posts', optimise_posts: 'Optimise', coverage_help: 'Evaluate how much demand the current posts reach within 1/3/5 minutes, or find better posts with the same number.', before: 'Now', after: 'Optimised', covered: 'Covered', backup: 'Backup (≥2 within 5′)', sites: 'Sites', uncovered: 'Uncovered', proven: 'proven of optimum',
    all_areas: 'All areas', by_period: 'By period', posts_iso: 'posts', units_iso: 'available units',
    call_to_dispatch: 'Call → dispatch', dispatch_to_en_route: 'Dispatch → en route', en_route_to_on_scene: 'En route → on scene', on_scene_to_controlled: 'On scene → controlled',
    office_coverage: 'Village police offices', offices: 'Offices', communities_with_office: 'Villages with an office', share: 'Coverage', co_located: 'In the committee building', total: 'Total',
    analysis: 'Analysis', all_kinds: 'All kinds', last_days: 'Last {n} days', show_on_map: 'Show on map', near_repeat: 'Near repeat', trends: 'Trends', briefing: 'Briefing',
    hs_gistar: 'Hotspots (Gi*)', hs_kde: 'Kernel density', hs_h3: 'H3 hexagons', hs_segments: 'Road segments', hs_forecast: 'Next week forecast',
    analysis_help: 'Hotspots, near repeats and trends of the incidents in your jurisdiction, and the monthly briefing.', cells: 'cells', segments: 'road segments',
    gistar_help: 'Getis-Ord Gi* hot cells, significant after a false-discovery-rate (5%) correction.', forecast_help: 'The 10% of cells most likely to see incidents next week (past-year density + last 8 weeks).',
    same_location: 'Same location', observed: 'observed', expected: 'expected', days: 'days', knox_help: 'Knox ratio: observed / expected pairs under random timing; red = significant (p ≤ 0.05, 99 permutations).',
    this_period: 'This period', previous_period: 'Previous', change: 'Change', trend_help: 'per-day rates; * p<0.05, ** p<0.01',
    patrol_car: 'Patrol car', foot_patrol: 'Foot patrol', bike_patrol: 'Bike patrol', station_duty: 'Station duty', criminal_investigation: 'Criminal investigation', narcotics: 'Narcotics', traffic: 'Traffic', special_police: 'Special police',
  },
};

export function defaultLang() {
  const saved = localStorage.getItem('pingan.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}
