//! Generates a believable demo city on a real road graph: a jurisdiction
//! tree (city bureau → bureaus → police stations → communities/villages →
//! grids) whose areas follow where the roads are, station buildings and
//! patrol posts on the network, a fleet of patrol, station and specialised
//! units, and the staff accounts to log in with.
//!
//! Pure and seeded: the same graph and seed give the same city. It does not
//! write anything, start anything, or choose passwords (the caller does).

use dispatch::{Jurisdiction, Level, PoliceOffice, Post, Unit, UnitKind, UnitStatus};
use roads::{Graph, LatLon, LocalProjection};

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.f64().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * self.f64()).cos()
    }
}

/// A staff account to create.
#[derive(Debug, Clone, PartialEq)]
pub struct Staff {
    /// Login name.
    pub username: String,
    /// Role (`call_taker`, `dispatcher`, `station_officer`, `analyst`, `commander`, `admin`).
    pub role: &'static str,
    /// Jurisdiction the account sees (`None`: the whole city).
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
}

/// A place where calls come from more often than elsewhere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotArea {
    /// Centre.
    pub centre: LatLon,
    /// Spread, metres (one standard deviation).
    pub sigma_m: f64,
    /// Relative weight.
    pub weight: f64,
}

/// The generated city.
#[derive(Debug, Clone)]
pub struct City {
    /// Name.
    pub name_zh: String,
    /// Name.
    pub name_en: String,
    /// The jurisdiction tree, parents before children.
    pub jurisdictions: Vec<Jurisdiction>,
    /// Patrol posts.
    pub posts: Vec<Post>,
    /// Village and community police offices (about 97% of communities have one).
    pub offices: Vec<PoliceOffice>,
    /// Units, at their posts or stations.
    pub units: Vec<Unit>,
    /// Accounts.
    pub staff: Vec<Staff>,
    /// Where calls cluster.
    pub hot_areas: Vec<HotArea>,
}

const PLACES: [(&str, &str); 40] = [
    ("平安", "Ping'an"),
    ("和平", "Heping"),
    ("解放", "Jiefang"),
    ("人民", "Renmin"),
    ("建设", "Jianshe"),
    ("胜利", "Shengli"),
    ("新华", "Xinhua"),
    ("光明", "Guangming"),
    ("友谊", "Youyi"),
    ("幸福", "Xingfu"),
    ("东风", "Dongfeng"),
    ("红旗", "Hongqi"),
    ("长安", "Chang'an"),
    ("兴隆", "Xinglong"),
    ("永宁", "Yongning"),
    ("金山", "Jinshan"),
    ("银河", "Yinhe"),
    ("青山", "Qingshan"),
    ("绿园", "Lüyuan"),
    ("花园", "Huayuan"),
    ("春晖", "Chunhui"),
    ("秋实", "Qiushi"),
    ("朝阳", "Chaoyang"),
    ("南湖", "Nanhu"),
    ("北岭", "Beiling"),
    ("西桥", "Xiqiao"),
    ("东关", "Dongguan"),
    ("石桥", "Shiqiao"),
    ("柳岸", "Liu'an"),
    ("松林", "Songlin"),
    ("梅园", "Meiyuan"),
    ("竹园", "Zhuyuan"),
    ("桃源", "Taoyuan"),
    ("杏林", "Xinglin"),
    ("荷塘", "Hetang"),
    ("古城", "Gucheng"),
    ("新城", "Xincheng"),
    ("滨河", "Binhe"),
    ("望江", "Wangjiang"),
    ("龙泉", "Longquan"),
];
const BUREAUS: [(&str, &str); 6] = [
    ("城东", "Chengdong"),
    ("城西", "Chengxi"),
    ("江南", "Jiangnan"),
    ("江北", "Jiangbei"),
    ("滨海", "Binhai"),
    ("山前", "Shanqian"),
];
const NUMERALS: [&str; 12] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

/// Lloyd's k-means with k-means++ seeding; returns centres and each point's cluster.
fn kmeans(points: &[[f64; 2]], k: usize, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<usize>) {
    let k = k.clamp(1, points.len().max(1));
    let d2 = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut centres = vec![points[rng.below(points.len())]];
    let mut best: Vec<f64> = points.iter().map(|p| d2(*p, centres[0])).collect();
    while centres.len() < k {
        let total: f64 = best.iter().sum();
        let mut r = rng.f64() * total;
        let mut pick = points.len() - 1;
        for (i, w) in best.iter().enumerate() {
            r -= w;
            if r <= 0.0 {
                pick = i;
                break;
            }
        }
        centres.push(points[pick]);
        for (i, p) in points.iter().enumerate() {
            best[i] = best[i].min(d2(*p, points[pick]));
        }
    }
    let mut assign = vec![0; points.len()];
    for _ in 0..20 {
        for (i, p) in points.iter().enumerate() {
            assign[i] = (0..k)
                .min_by(|&a, &b| d2(*p, centres[a]).total_cmp(&d2(*p, centres[b])))
                .expect("k >= 1");
        }
        let mut sum = vec![[0.0, 0.0, 0.0]; k];
        for (i, p) in points.iter().enumerate() {
            let s = &mut sum[assign[i]];
            s[0] += p[0];
            s[1] += p[1];
            s[2] += 1.0;
        }
        for (c, s) in centres.iter_mut().zip(&sum) {
            if s[2] > 0.0 {
                *c = [s[0] / s[2], s[1] / s[2]];
            }
        }
    }
    for (i, p) in points.iter().enumerate() {
        assign[i] = (0..k)
            .min_by(|&a, &b| d2(*p, centres[a]).total_cmp(&d2(*p, centres[b])))
            .expect("k >= 1");
    }
    (centres, assign)
}

/// Clips a convex polygon to the half-plane of points nearer to `a` than to `b`.
fn clip_nearer(poly: &[[f64; 2]], a: [f64; 2], b: [f64; 2]) -> Vec<[f64; 2]> {
    let n = [b[0] - a[0], b[1] - a[1]];
    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let side = |p: [f64; 2]| (p[0] - mid[0]) * n[0] + (p[1] - mid[1]) * n[1]; // <= 0: nearer a
    let mut out = Vec::new();
    for i in 0..poly.len() {
        let (p, q) = (poly[i], poly[(i + 1) % poly.len()]);
        let (sp, sq) = (side(p), side(q));
        if sp <= 0.0 {
            out.push(p);
        }
        if (sp <= 0.0) != (sq <= 0.0) {
            let t = sp / (sp - sq);
            out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
    }
    out
}

fn voronoi_cell(parent: &[[f64; 2]], seeds: &[[f64; 2]], i: usize) -> Vec<[f64; 2]> {
    let mut cell = parent.to_vec();
    for (j, s) in seeds.iter().enumerate() {
        if j != i && cell.len() >= 3 {
            cell = clip_nearer(&cell, seeds[i], *s);
        }
    }
    cell
}

struct Area {
    cell: Vec<[f64; 2]>,
    nodes: Vec<usize>,
}

/// Splits `parent` into `k` areas by k-means over its road junctions.
fn split(
    parent: &Area,
    k: usize,
    xy: &[[f64; 2]],
    rng: &mut Rng,
) -> Vec<(Vec<[f64; 2]>, Vec<usize>)> {
    let pts: Vec<[f64; 2]> = parent.nodes.iter().map(|&v| xy[v]).collect();
    let (centres, assign) = kmeans(&pts, k, rng);
    // Keep the centres that won junctions: the Voronoi cells of exactly these
    // tile the parent, so no place falls between children.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); centres.len()];
    for (v, a) in parent.nodes.iter().zip(&assign) {
        members[*a].push(*v);
    }
    let (seeds, groups): (Vec<[f64; 2]>, Vec<Vec<usize>>) = centres
        .into_iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .unzip();
    groups
        .into_iter()
        .enumerate()
        .map(|(c, nodes)| (voronoi_cell(&parent.cell, &seeds, c), nodes))
        .filter(|(cell, _)| cell.len() >= 3)
        .collect()
}

/// Generates a city on `graph`.
pub fn generate(graph: &Graph, seed: u64) -> City {
    let mut rng = Rng::new(seed);
    let proj: &LocalProjection = graph.projection();
    let n = graph.stats().nodes;
    let xy: Vec<[f64; 2]> = (0..n as u32).map(|v| proj.to_xy(graph.node(v))).collect();
    let to_ring = |cell: &[[f64; 2]]| -> Vec<Vec<Vec<[f64; 2]>>> {
        let mut ring: Vec<[f64; 2]> = cell
            .iter()
            .map(|p| {
                let ll = proj.to_latlon(*p);
                [ll.lon, ll.lat]
            })
            .collect();
        ring.push(ring[0]);
        vec![vec![ring]]
    };
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &xy {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let pad = 300.0;
    let city = Area {
        cell: vec![
            [x0 - pad, y0 - pad],
            [x1 + pad, y0 - pad],
            [x1 + pad, y1 + pad],
            [x0 - pad, y1 + pad],
        ],
        nodes: (0..n).collect(),
    };
    let nearest_node = |p: [f64; 2], among: &[usize]| -> usize {
        *among
            .iter()
            .min_by(|&&a, &&b| {
                let da = (xy[a][0] - p[0]).powi(2) + (xy[a][1] - p[1]).powi(2);
                let db = (xy[b][0] - p[0]).powi(2) + (xy[b][1] - p[1]).powi(2);
                da.total_cmp(&db)
            })
            .expect("non-empty area")
    };
    let centroid = |nodes: &[usize]| -> [f64; 2] {
        let s = nodes
            .iter()
            .fold([0.0, 0.0], |s, &v| [s[0] + xy[v][0], s[1] + xy[v][1]]);
        [s[0] / nodes.len() as f64, s[1] / nodes.len() as f64]
    };
    let latlon = |v: usize| graph.node(v as u32);

    let stations_total = (n / 1800).clamp(4, 36);
    let bureaus_k = (stations_total / 6).clamp(2, 6);
    let mut jurisdictions = vec![Jurisdiction {
        id: "CITY".into(),
        level: Level::CityBureau,
        parent_id: None,
        name_zh: "平安市公安局".into(),
        name_en: Some("Ping'an City Public Security Bureau".into()),
        polygon: to_ring(&city.cell),
        seat: Some({
            let ll = latlon(nearest_node(centroid(&city.nodes), &city.nodes));
            [ll.lon, ll.lat]
        }),
    }];
    let mut posts = Vec::new();
    let mut units = Vec::new();
    let mut offices = Vec::new();
    let mut staff = vec![
        Staff {
            username: "admin".into(),
            role: "admin",
            scope: None,
            display_name: "系统管理员 Administrator".into(),
        },
        Staff {
            username: "commander".into(),
            role: "commander",
            scope: None,
            display_name: "指挥长 Commander".into(),
        },
        Staff {
            username: "dispatcher".into(),
            role: "dispatcher",
            scope: None,
            display_name: "调度员 Dispatcher".into(),
        },
        Staff {
            username: "calltaker".into(),
            role: "call_taker",
            scope: None,
            display_name: "接警员 Call taker".into(),
        },
        Staff {
            username: "analyst".into(),
            role: "analyst",
            scope: None,
            display_name: "研判员 Analyst".into(),
        },
    ];
    let mut place_names = PLACES.iter().cycle();
    let unit = |id: String,
                callsign: String,
                kind: UnitKind,
                station: &str,
                crew: u32,
                at: LatLon,
                post: Option<String>| Unit {
        id,
        callsign,
        kind,
        home_station: station.to_string(),
        crew,
        capabilities: match kind {
            UnitKind::SpecialPolice => vec!["armed".into(), "tactical".into()],
            UnitKind::PatrolCar => vec!["armed".into()],
            UnitKind::Traffic => vec!["traffic_control".into()],
            _ => vec![],
        },
        status: UnitStatus::Available,
        lat: at.lat,
        lon: at.lon,
        position_at: 0,
        status_at: 0,
        crew_names: Vec::new(),
        incident_id: None,
        post_id: post,
    };
    let mut specialised = Vec::new();
    let bureau_parts = split(&city, bureaus_k, &xy, &mut rng);
    let total_nodes = n as f64;
    for (bi, (bcell, bnodes)) in bureau_parts.into_iter().enumerate() {
        let (bzh, ben) = BUREAUS[bi % BUREAUS.len()];
        let bid = format!("B{}", bi + 1);
        let bseat = nearest_node(centroid(&bnodes), &bnodes);
        jurisdictions.push(Jurisdiction {
            id: bid.clone(),
            level: Level::Bureau,
            parent_id: Some("CITY".into()),
            name_zh: format!("{bzh}分局"),
            name_en: Some(format!("{ben} Bureau")),
            polygon: to_ring(&bcell),
            seat: Some([latlon(bseat).lon, latlon(bseat).lat]),
        });
        staff.push(Staff {
            username: format!("commander-{}", bid.to_lowercase()),
            role: "commander",
            scope: Some(bid.clone()),
            display_name: format!("{bzh}分局指挥长"),
        });
        specialised.push((bid.clone(), bseat, bnodes.clone()));
        let bureau = Area {
            cell: bcell,
            nodes: bnodes,
        };
        let k = ((bureau.nodes.len() as f64 / total_nodes * stations_total as f64).round()
            as usize)
            .max(1);
        for (si, (scell, snodes)) in split(&bureau, k, &xy, &mut rng).into_iter().enumerate() {
            let (szh, sen) = *place_names.next().expect("cycle");
            let sid = format!("{bid}-S{:02}", si + 1);
            let sseat = nearest_node(centroid(&snodes), &snodes);
            let area_km2 = polygon_area(&scell) / 1e6;
            let urban = snodes.len() as f64 / area_km2.max(0.01) > 60.0;
            jurisdictions.push(Jurisdiction {
                id: sid.clone(),
                level: Level::Station,
                parent_id: Some(bid.clone()),
                name_zh: format!("{szh}派出所"),
                name_en: Some(format!("{sen} Police Station")),
                polygon: to_ring(&scell),
                seat: Some([latlon(sseat).lon, latlon(sseat).lat]),
            });
            staff.push(Staff {
                username: format!("officer-{}", sid.to_lowercase()),
                role: "station_officer",
                scope: Some(sid.clone()),
                display_name: format!("{szh}派出所值班民警"),
            });
            let station = Area {
                cell: scell,
                nodes: snodes,
            };
            // Posts: spread over the station's roads; day posts and fewer night posts.
            let n_posts = (station.nodes.len() / 700).clamp(2, 6);
            let pts: Vec<[f64; 2]> = station.nodes.iter().map(|&v| xy[v]).collect();
            let (centres, _) = kmeans(&pts, n_posts, &mut rng);
            let mut post_ids = Vec::new();
            for (pi, c) in centres.iter().enumerate() {
                let v = nearest_node(*c, &station.nodes);
                let pid = format!("{sid}-P{}", pi + 1);
                let shift = if pi % 3 == 2 {
                    "night"
                } else if pi % 3 == 1 {
                    "day"
                } else {
                    "all"
                };
                posts.push(Post {
                    id: pid.clone(),
                    name: format!("{szh}{}号巡防点", NUMERALS[pi % 12]),
                    station_id: sid.clone(),
                    lat: latlon(v).lat,
                    lon: latlon(v).lon,
                    shift: shift.into(),
                });
                post_ids.push((pid, v));
            }
            let cars = (5 + station.nodes.len() / 250).min(18);
            for c in 0..cars {
                let (pid, v) = &post_ids[c % post_ids.len()];
                units.push(unit(
                    format!("{sid}-PC{}", c + 1),
                    format!("{szh}巡{}", c + 1),
                    UnitKind::PatrolCar,
                    &sid,
                    2,
                    latlon(*v),
                    Some(pid.clone()),
                ));
            }
            let foot = if urban { 2 } else { 0 };
            for c in 0..foot {
                let (pid, v) = &post_ids[c % post_ids.len()];
                units.push(unit(
                    format!("{sid}-FP{}", c + 1),
                    format!("{szh}步{}", c + 1),
                    UnitKind::FootPatrol,
                    &sid,
                    2,
                    latlon(*v),
                    Some(pid.clone()),
                ));
            }
            let (pid, v) = &post_ids[post_ids.len() - 1];
            units.push(unit(
                format!("{sid}-BK1"),
                format!("{szh}骑1"),
                UnitKind::BikePatrol,
                &sid,
                1,
                latlon(*v),
                Some(pid.clone()),
            ));
            units.push(unit(
                format!("{sid}-DT"),
                format!("{szh}值班"),
                UnitKind::StationDuty,
                &sid,
                3,
                latlon(sseat),
                None,
            ));

            let k = (station.nodes.len() / 350).clamp(2, 12);
            for (ci, (ccell, cnodes)) in split(&station, k, &xy, &mut rng).into_iter().enumerate() {
                let cid = format!("{sid}-C{:02}", ci + 1);
                let density = cnodes.len() as f64 / (polygon_area(&ccell) / 1e6).max(0.01);
                let (zh, en) = if density > 60.0 {
                    (
                        format!("{szh}{}社区", NUMERALS[ci % 12]),
                        format!("{sen} Community {}", ci + 1),
                    )
                } else {
                    (
                        format!("{szh}{}村", NUMERALS[ci % 12]),
                        format!("{sen} Village {}", ci + 1),
                    )
                };
                let cseat = nearest_node(centroid(&cnodes), &cnodes);
                jurisdictions.push(Jurisdiction {
                    id: cid.clone(),
                    level: Level::Community,
                    parent_id: Some(sid.clone()),
                    name_zh: zh.clone(),
                    name_en: Some(en.clone()),
                    polygon: to_ring(&ccell),
                    seat: Some([latlon(cseat).lon, latlon(cseat).lat]),
                });
                // The report's proportions: 572 offices for 587 villages, 95% in the committee's office.
                if rng.f64() < 0.974 {
                    let ll = latlon(cseat);
                    offices.push(PoliceOffice {
                        id: format!("{cid}-O"),
                        name: format!("{zh}警务室"),
                        community_id: cid.clone(),
                        station_id: sid.clone(),
                        lat: ll.lat,
                        lon: ll.lon,
                        class: if density > 200.0 {
                            1
                        } else if density > 60.0 {
                            2
                        } else {
                            3
                        },
                        staff: 2 + rng.below(4) as u32,
                        hours: if density > 60.0 {
                            "08:00-20:00".into()
                        } else {
                            "08:30-17:30".into()
                        },
                        shares_committee_office: rng.f64() < 0.95,
                    });
                }
                let community = Area {
                    cell: ccell,
                    nodes: cnodes,
                };
                let g = (community.nodes.len() / 60).clamp(1, 4);
                for (gi, (gcell, _)) in split(&community, g, &xy, &mut rng).into_iter().enumerate()
                {
                    jurisdictions.push(Jurisdiction {
                        id: format!("{cid}-G{}", gi + 1),
                        level: Level::Grid,
                        parent_id: Some(cid.clone()),
                        name_zh: format!("{zh}第{}网格", NUMERALS[gi % 12]),
                        name_en: Some(format!("{en}, grid {}", gi + 1)),
                        polygon: to_ring(&gcell),
                        seat: None,
                    });
                }
            }
        }
    }
    for (bi, (bid, seat, _)) in specialised.iter().enumerate() {
        let at = latlon(*seat);
        for c in 0..2 {
            units.push(unit(
                format!("{bid}-CI{}", c + 1),
                format!("刑侦{}-{}", bi + 1, c + 1),
                UnitKind::CriminalInvestigation,
                bid,
                3,
                at,
                None,
            ));
        }
        units.push(unit(
            format!("{bid}-NC1"),
            format!("禁毒{}-1", bi + 1),
            UnitKind::Narcotics,
            bid,
            3,
            at,
            None,
        ));
        for c in 0..3 {
            units.push(unit(
                format!("{bid}-TR{}", c + 1),
                format!("交警{}-{}", bi + 1, c + 1),
                UnitKind::Traffic,
                bid,
                2,
                at,
                None,
            ));
        }
        for c in 0..2 {
            units.push(unit(
                format!("{bid}-SP{}", c + 1),
                format!("特警{}-{}", bi + 1, c + 1),
                UnitKind::SpecialPolice,
                bid,
                4,
                at,
                None,
            ));
        }
    }
    // Hot areas: the densest station cores get most calls.
    let mut stations: Vec<&Jurisdiction> = jurisdictions
        .iter()
        .filter(|j| j.level == Level::Station)
        .collect();
    stations.sort_by(|a, b| polygon_area_ll(a).total_cmp(&polygon_area_ll(b)));
    let hot_areas = stations
        .iter()
        .take(6)
        .enumerate()
        .filter_map(|(i, s)| {
            let seat = s.seat?;
            Some(HotArea {
                centre: LatLon {
                    lat: seat[1],
                    lon: seat[0],
                },
                sigma_m: 500.0,
                weight: 6.0 - i as f64,
            })
        })
        .collect();
    City {
        name_zh: "平安市".into(),
        name_en: "Ping'an City (demo)".into(),
        jurisdictions,
        posts,
        offices,
        units,
        staff,
        hot_areas,
    }
}

fn polygon_area(cell: &[[f64; 2]]) -> f64 {
    let mut a = 0.0;
    for i in 0..cell.len() {
        let (p, q) = (cell[i], cell[(i + 1) % cell.len()]);
        a += p[0] * q[1] - q[0] * p[1];
    }
    a.abs() / 2.0
}

fn polygon_area_ll(j: &Jurisdiction) -> f64 {
    j.polygon
        .first()
        .and_then(|p| p.first())
        .map_or(f64::MAX, |r| polygon_area(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_a_square_by_a_bisector() {
        let sq = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        let half = clip_nearer(&sq, [0.5, 1.0], [1.5, 1.0]);
        assert!((polygon_area(&half) - 2.0).abs() < 1e-9);
        assert!(half.iter().all(|p| p[0] <= 1.0 + 1e-9));
    }

    #[test]
    fn kmeans_separates_two_clusters() {
        let mut rng = Rng::new(1);
        let mut pts = vec![];
        for i in 0..50 {
            pts.push([i as f64 * 0.01, 0.0]);
            pts.push([100.0 + i as f64 * 0.01, 0.0]);
        }
        let (c, a) = kmeans(&pts, 2, &mut rng);
        assert_eq!(c.len(), 2);
        assert!(a.chunks(2).all(|p| p[0] != p[1]));
    }
}
