//! Monthly (or key-date) briefing as one self-contained HTML page: headline
//! figures with period-on-period and year-on-year change, tables by kind,
//! venue type and area, a hotspot map (Gi* cells at FDR 5% over the
//! jurisdiction outline), an hour x weekday table, daily counts and a
//! near-repeat summary. No scripts, fonts or images from elsewhere: it opens
//! offline and prints.

use std::fmt::Write;

use crate::hotspot::{Grid, gistar};
use crate::knox::{KnoxParams, Metric, knox};
use crate::records::{Record, format_day};
use crate::trends::{GroupBy, Period, compare, hour_by_weekday};

/// What the briefing is about.
#[derive(Debug, Clone)]
pub struct BriefInput<'a> {
    /// Jurisdiction name.
    pub scope_name: String,
    /// Level of command ("city bureau", "bureau", "station").
    pub level: String,
    /// The period reported.
    pub period: Period,
    /// Records in scope (any period; the comparisons pick theirs).
    pub records: &'a [Record],
    /// Outline rings of the jurisdiction, in the records' x/y metres.
    pub outlines: Vec<Vec<(f64, f64)>>,
    /// Hotspot cell size, metres.
    pub cell: f64,
    /// When the briefing was made (shown, not used).
    pub generated: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{}{:.1}%", if v > 0.0 { "+" } else { "" }, v),
        None => "–".into(),
    }
}

fn sig(p: f64) -> &'static str {
    if p < 0.01 {
        " **"
    } else if p < 0.05 {
        " *"
    } else {
        ""
    }
}

/// Render the briefing.
pub fn render(input: &BriefInput) -> String {
    let p = input.period;
    let prev = p.previous();
    let last_year = p.year_before();
    let recs = input.records;
    let in_period: Vec<&Record> = recs.iter().filter(|r| p.contains(r)).collect();
    let mut h = String::new();
    let title = format!(
        "{} 警情研判简报 Briefing · {}",
        esc(&input.scope_name),
        p.label()
    );
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
body{{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:24px;color:#1b2430;max-width:1000px}}\
h1{{font-size:22px;margin:0 0 4px}}h2{{font-size:16px;border-bottom:2px solid #1f4e8c;padding-bottom:3px;margin-top:26px}}\
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #c9d2dc;padding:3px 7px;text-align:right}}\
th{{background:#eef2f7}}td:first-child,th:first-child{{text-align:left}}.kpi{{display:flex;gap:14px;flex-wrap:wrap}}\
.kpi div{{border:1px solid #c9d2dc;border-radius:6px;padding:8px 14px;min-width:150px}}.kpi b{{font-size:24px;display:block}}\
.muted{{color:#5b6775;font-size:12px}}@media print{{body{{margin:8mm}}}}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>{title}</h1><div class=\"muted\">{} · 层级 level: {} · 生成 generated {}</div>",
        esc(&input.scope_name),
        esc(&input.level),
        esc(&input.generated)
    );

    // Headline figures.
    let all_prev = compare(recs, GroupBy::All, p, prev);
    let all_year = compare(recs, GroupBy::All, p, last_year);
    let get = |rows: &[crate::trends::Change]| rows.first().cloned();
    let (a, b) = (get(&all_prev), get(&all_year));
    let _ = write!(
        h,
        "<h2>总体 Overview</h2><div class=\"kpi\" data-records=\"{}\"><div>警情/案件 Records<b>{}</b>{}</div>\
<div>环比 vs previous period<b>{}</b><span class=\"muted\">{} → {}{}</span></div>\
<div>同比 vs a year before<b>{}</b><span class=\"muted\">{} → {}{}</span></div></div>",
        in_period.len(),
        in_period.len(),
        p.label(),
        pct(a.as_ref().and_then(|c| c.change_pct)),
        a.as_ref().map_or(0, |c| c.previous),
        a.as_ref().map_or(0, |c| c.current),
        a.as_ref()
            .filter(|c| c.change_pct.is_some())
            .map_or("", |c| sig(c.p_value)),
        pct(b.as_ref().and_then(|c| c.change_pct)),
        b.as_ref().map_or(0, |c| c.previous),
        b.as_ref().map_or(0, |c| c.current),
        b.as_ref()
            .filter(|c| c.change_pct.is_some())
            .map_or("", |c| sig(c.p_value)),
    );
    h.push_str("<p class=\"muted\">Change is per day (periods of different length compare fairly). * p &lt; 0.05, ** p &lt; 0.01 (two Poisson counts, conditional binomial test).</p>");

    // Tables by kind, venue, area.
    for (by, zh, en) in [
        (GroupBy::Kind, "类别", "By kind"),
        (GroupBy::Venue, "场所", "By venue type"),
        (GroupBy::Area, "辖区", "By area"),
    ] {
        let rows = compare(recs, by, p, prev);
        let year = compare(recs, by, p, last_year);
        if rows.iter().all(|r| r.key == "(unknown)") {
            continue;
        }
        let _ = write!(
            h,
            "<h2>{zh} {en}</h2><table><tr><th></th><th>本期 this period</th><th>上期 previous</th><th>环比</th><th>去年同期 year before</th><th>同比</th></tr>"
        );
        for r in rows.iter().take(15) {
            let y = year.iter().find(|y| y.key == r.key);
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}{}</td></tr>",
                esc(&r.key),
                r.current,
                r.previous,
                pct(r.change_pct),
                if r.change_pct.is_some() {
                    sig(r.p_value)
                } else {
                    ""
                },
                y.map_or(0, |y| y.previous),
                pct(y.and_then(|y| y.change_pct)),
                y.filter(|y| y.change_pct.is_some())
                    .map_or("", |y| sig(y.p_value)),
            );
        }
        h.push_str("</table>");
    }

    // Map.
    h.push_str("<h2>热点 Hotspots (Getis-Ord Gi*, FDR 5%)</h2>");
    h.push_str(&map_svg(input, &in_period));

    // Hour x weekday.
    let t = hour_by_weekday(recs, p);
    let max = t.iter().flatten().copied().max().unwrap_or(0);
    if max > 0 {
        h.push_str("<h2>时段 Hour × weekday</h2><table><tr><th></th>");
        for hr in 0..24 {
            let _ = write!(h, "<th>{hr}</th>");
        }
        h.push_str("</tr>");
        for (d, name) in [
            "一 Mon", "二 Tue", "三 Wed", "四 Thu", "五 Fri", "六 Sat", "日 Sun",
        ]
        .iter()
        .enumerate()
        {
            let _ = write!(h, "<tr><td>{name}</td>");
            for hr in 0..24 {
                let v = t[d][hr];
                let a = v as f64 / max as f64;
                let _ = write!(
                    h,
                    "<td style=\"background:rgba(200,40,40,{a:.2})\">{v}</td>"
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }

    // Daily counts.
    let days = p.days().max(1) as usize;
    let mut daily = vec![0u32; days];
    for r in &in_period {
        daily[(r.day() - p.start) as usize] += 1;
    }
    let dmax = daily.iter().copied().max().unwrap_or(0).max(1);
    let (w, hh) = (960.0, 140.0);
    let bw = w / days as f64;
    let _ = write!(
        h,
        "<h2>每日 Daily counts</h2><svg width=\"{w}\" height=\"{}\" role=\"img\">",
        hh + 20.0
    );
    for (i, &v) in daily.iter().enumerate() {
        let bh = v as f64 / dmax as f64 * hh;
        let _ = write!(
            h,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#1f4e8c\"><title>{} {v}</title></rect>",
            i as f64 * bw + 1.0,
            hh - bh,
            (bw - 2.0).max(1.0),
            format_day(p.start + i as i64)
        );
    }
    let _ = write!(
        h,
        "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} (max {dmax})</text></svg>",
        hh + 14.0,
        format_day(p.start),
        hh + 14.0,
        format_day(p.end - 1)
    );

    // Near repeat.
    if in_period.len() >= 30 {
        let xy: Vec<(f64, f64)> = in_period.iter().map(|r| (r.x, r.y)).collect();
        let dd: Vec<i64> = in_period.iter().map(|r| r.day()).collect();
        let params = KnoxParams {
            space_band: 200.0,
            space_bands: 3,
            time_band: 7,
            time_bands: 2,
            permutations: 99,
            seed: 1,
            metric: Metric::Manhattan,
        };
        if let Ok(k) = knox(&xy, &dd, &params) {
            h.push_str(
                "<h2>近重复 Near repeat (Knox ratio, 99 permutations)</h2><table><tr><th></th>",
            );
            for c in &k.columns {
                let _ = write!(h, "<th>{} days</th>", esc(c));
            }
            h.push_str("</tr>");
            for (ri, row) in k.rows.iter().enumerate() {
                let _ = write!(h, "<tr><td>{}</td>", esc(row));
                for ci in 0..k.columns.len() {
                    let ratio = k.knox_ratio[ri][ci].map_or("–".into(), |r| format!("{r:.2}"));
                    let pv = k.p_value[ri][ci];
                    let style = if pv <= 0.05 && k.knox_ratio[ri][ci].unwrap_or(0.0) > 1.0 {
                        " style=\"background:#f6c6c6\""
                    } else {
                        ""
                    };
                    let _ = write!(
                        h,
                        "<td{style}>{ratio} <span class=\"muted\">p={pv:.2}</span></td>"
                    );
                }
                h.push_str("</tr>");
            }
            h.push_str("</table><p class=\"muted\">Shaded: more pairs than chance (p ≤ 0.05). Space bands in metres (Manhattan), as the Near Repeat Calculator.</p>");
        }
    }
    h.push_str(
        "<p class=\"muted\">pingan · computed from the records, not typed in.</p></body></html>",
    );
    h
}

fn map_svg(input: &BriefInput, pts: &[&Record]) -> String {
    let mut xs: Vec<f64> = pts.iter().map(|r| r.x).collect();
    let mut ys: Vec<f64> = pts.iter().map(|r| r.y).collect();
    for ring in &input.outlines {
        xs.extend(ring.iter().map(|p| p.0));
        ys.extend(ring.iter().map(|p| p.1));
    }
    if xs.is_empty() {
        return "<p>No records in the period.</p>".into();
    }
    let (minx, maxx) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |a, &v| (a.0.min(v), a.1.max(v)));
    let (miny, maxy) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |a, &v| (a.0.min(v), a.1.max(v)));
    let (w, hgt) = (960.0, 560.0);
    let scale = (w / (maxx - minx).max(1.0)).min(hgt / (maxy - miny).max(1.0));
    let tx = |x: f64| (x - minx) * scale;
    let ty = |y: f64| hgt - (y - miny) * scale;
    let mut s = format!(
        "<svg width=\"{w}\" height=\"{hgt}\" style=\"background:#f7f9fb;border:1px solid #c9d2dc\">"
    );
    for r in pts {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.2\" fill=\"#5b6775\" fill-opacity=\"0.35\"/>",
            tx(r.x),
            ty(r.y)
        );
    }
    if !pts.is_empty() {
        let xy: Vec<(f64, f64)> = pts.iter().map(|r| (r.x, r.y)).collect();
        if let Ok(g) = Grid::bin(&xy, input.cell) {
            let gi = gistar(&g);
            for (i, c) in gi.iter().enumerate() {
                if c.q <= 0.05 && c.z > 0.0 {
                    let (r, col) = (i / g.nx, i % g.nx);
                    let (x0, y0) = (g.x0 + col as f64 * g.cell, g.y0 + r as f64 * g.cell);
                    let _ = write!(
                        s,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e0443c\" fill-opacity=\"0.75\" stroke=\"#7f0000\" stroke-width=\"0.5\"><title>z={:.1} n={}</title></rect>",
                        tx(x0),
                        ty(y0 + g.cell),
                        g.cell * scale,
                        g.cell * scale,
                        c.z,
                        g.counts[i]
                    );
                }
            }
        }
    }
    for ring in &input.outlines {
        let d: Vec<String> = ring
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", tx(x), ty(y)))
            .collect();
        let _ = write!(
            s,
            "<polygon points=\"{}\" fill=\"none\" stroke=\"#1f4e8c\" stroke-width=\"1\"/>",
            d.join(" ")
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::DAY;

    #[test]
    fn renders_figures_from_records() {
        let oct = Period::parse("2026-10").unwrap();
        let mut recs = Vec::new();
        for i in 0..40 {
            let mut r = Record::at(
                i.to_string(),
                (i % 7) as f64 * 50.0,
                (i % 5) as f64 * 60.0,
                (oct.start + i % 31) * DAY + 3600 * (i % 24),
            );
            r.kind = Some(if i % 3 == 0 { "盗窃 theft" } else { "fraud" }.into());
            recs.push(r);
        }
        for i in 0..20 {
            let mut r = Record::at(
                format!("p{i}"),
                10.0,
                10.0,
                (oct.previous().start + i) * DAY,
            );
            r.kind = Some("fraud".into());
            recs.push(r);
        }
        let html = render(&BriefInput {
            scope_name: "示例 <station>".into(),
            level: "station".into(),
            period: oct,
            records: &recs,
            outlines: vec![vec![(0.0, 0.0), (400.0, 0.0), (400.0, 300.0), (0.0, 0.0)]],
            cell: 100.0,
            generated: "2026-11-29".into(),
        });
        assert!(html.contains("&lt;station&gt;"), "names are escaped");
        assert!(html.contains("<b>40</b>"));
        assert!(html.contains("盗窃 theft"));
        assert!(html.contains("Near repeat"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "self-contained"
        );
    }
}
