//! The map's font as MapLibre reads it: signed distance fields of 256
//! code points a request (`{fontstack}/{start}-{end}.pbf`), in the glyph
//! protocol buffer of node-fontnik (24 px, a 3 px buffer, radius 8,
//! cutoff 0.25), so labels need nothing from outside.
//!
//! One font is embedded: a subset of WenQuanYi Micro Hei (Apache-2.0; see
//! `fonts/README.md`): Latin with its extensions, general and CJK
//! punctuation, full-width forms, and the 6,763 hanzi of GB 2312. Every
//! fontstack a style names is answered with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

/// The embedded font.
const FONT: &[u8] = include_bytes!("../fonts/wqy-microhei-subset.ttf");

/// The font name styles use in `text-font`.
pub const FONT_NAME: &str = "pingan Sans";

const SIZE: f32 = 24.0;
const BUFFER: usize = 3;
const RADIUS: f64 = 8.0;
const CUTOFF: f64 = 0.25;
const INF: f64 = 1e20;

/// SDF glyphs of the embedded font, made on request and cached.
pub struct Glyphs {
    font: FontRef<'static>,
    cache: Mutex<HashMap<u32, Arc<Vec<u8>>>>,
}

impl Default for Glyphs {
    fn default() -> Self {
        Glyphs::new()
    }
}

/// One glyph's bitmap and metrics, in the protocol buffer's terms.
#[derive(Debug)]
struct Sdf {
    id: u32,
    bitmap: Vec<u8>,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
}

impl Glyphs {
    /// The embedded font, ready to render.
    pub fn new() -> Glyphs {
        Glyphs {
            font: FontRef::try_from_slice(FONT).expect("the embedded font parses"),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.font.glyph_id(c) != GlyphId(0)
    }

    /// The glyphs of code points `start ..= start + 255` as a protocol
    /// buffer; `None` unless `start` is a multiple of 256 below 65,536
    /// (MapLibre asks for nothing else).
    pub fn range(&self, start: u32) -> Option<Arc<Vec<u8>>> {
        if !start.is_multiple_of(256) || start >= 65_536 {
            return None;
        }
        if let Some(r) = self.cache.lock().expect("glyph cache").get(&start) {
            return Some(r.clone());
        }
        let bytes = Arc::new(self.render_range(start));
        self.cache
            .lock()
            .expect("glyph cache")
            .insert(start, bytes.clone());
        Some(bytes)
    }

    fn render_range(&self, start: u32) -> Vec<u8> {
        let mut stack = Vec::new();
        bytes_field(&mut stack, 1, FONT_NAME.as_bytes());
        bytes_field(&mut stack, 2, format!("{start}-{}", start + 255).as_bytes());
        for cp in start..start + 256 {
            let Some(g) = char::from_u32(cp).and_then(|c| self.glyph(c)) else {
                continue;
            };
            let mut m = Vec::new();
            uint_field(&mut m, 1, u64::from(g.id));
            if !g.bitmap.is_empty() {
                bytes_field(&mut m, 2, &g.bitmap);
            }
            uint_field(&mut m, 3, u64::from(g.width));
            uint_field(&mut m, 4, u64::from(g.height));
            uint_field(&mut m, 5, zigzag(g.left));
            uint_field(&mut m, 6, zigzag(g.top));
            uint_field(&mut m, 7, u64::from(g.advance));
            bytes_field(&mut stack, 3, &m);
        }
        let mut out = Vec::new();
        bytes_field(&mut out, 1, &stack);
        out
    }

    /// One glyph: its coverage rasterised at 24 px an em, then turned into
    /// a distance field (TinySDF's method: two Felzenszwalb transforms).
    fn glyph(&self, c: char) -> Option<Sdf> {
        let id = self.font.glyph_id(c);
        if id == GlyphId(0) {
            return None;
        }
        // PxScale is the height ascent − descent spans; fontnik sizes the em.
        let em = self.font.units_per_em().unwrap_or(1000.0);
        let scale = PxScale::from(SIZE * self.font.height_unscaled() / em);
        let scaled = self.font.as_scaled(scale);
        let advance = scaled.h_advance(id).round().max(0.0) as u32;
        let ascent = scaled.ascent().round() as i32;
        let glyph = id.with_scale_and_position(scale, point(0.0, 0.0));
        let Some(outline) = self.font.outline_glyph(glyph) else {
            // A space: metrics only.
            return Some(Sdf {
                id: c as u32,
                bitmap: Vec::new(),
                width: 0,
                height: 0,
                left: 0,
                top: -ascent,
                advance,
            });
        };
        let bounds = outline.px_bounds();
        let (w, h) = (bounds.width() as usize, bounds.height() as usize);
        let (bw, bh) = (w + 2 * BUFFER, h + 2 * BUFFER);
        let mut alpha = vec![0f64; bw * bh];
        outline.draw(|x, y, cov| {
            let (x, y) = (x as usize + BUFFER, y as usize + BUFFER);
            if x < bw && y < bh {
                alpha[y * bw + x] = f64::from(cov.clamp(0.0, 1.0));
            }
        });
        Some(Sdf {
            id: c as u32,
            bitmap: distance_field(&alpha, bw, bh),
            width: w as u32,
            height: h as u32,
            left: bounds.min.x as i32,
            top: -(bounds.min.y as i32) - ascent,
            advance,
        })
    }
}

/// 0–255 per pixel: 192 on the outline (the cutoff), falling by
/// `255 / RADIUS` a pixel outward.
fn distance_field(alpha: &[f64], w: usize, h: usize) -> Vec<u8> {
    let mut outer: Vec<f64> = alpha
        .iter()
        .map(|&a| match a {
            a if a >= 1.0 => 0.0,
            a if a <= 0.0 => INF,
            a => (0.5 - a).max(0.0).powi(2),
        })
        .collect();
    let mut inner: Vec<f64> = alpha
        .iter()
        .map(|&a| match a {
            a if a >= 1.0 => INF,
            a if a <= 0.0 => 0.0,
            a => (a - 0.5).max(0.0).powi(2),
        })
        .collect();
    edt(&mut outer, w, h);
    edt(&mut inner, w, h);
    outer
        .iter()
        .zip(&inner)
        .map(|(o, i)| {
            let d = o.sqrt() - i.sqrt();
            (255.0 - 255.0 * (d / RADIUS + CUTOFF))
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// Squared Euclidean distance transform in place, columns then rows.
fn edt(grid: &mut [f64], w: usize, h: usize) {
    let n = w.max(h);
    let (mut f, mut v, mut z) = (vec![0.0; n], vec![0usize; n], vec![0.0; n + 1]);
    for x in 0..w {
        edt_1d(grid, x, w, h, &mut f, &mut v, &mut z);
    }
    for y in 0..h {
        edt_1d(grid, y * w, 1, w, &mut f, &mut v, &mut z);
    }
}

/// Felzenszwalb and Huttenlocher's lower envelope of parabolas on one line.
fn edt_1d(
    grid: &mut [f64],
    offset: usize,
    stride: usize,
    len: usize,
    f: &mut [f64],
    v: &mut [usize],
    z: &mut [f64],
) {
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    f[0] = grid[offset];
    let mut k = 0usize;
    for q in 1..len {
        f[q] = grid[offset + q * stride];
        let q2 = (q * q) as f64;
        // z[0] is −∞, so the first parabola is never popped.
        let mut s;
        loop {
            let r = v[k];
            s = (f[q] - f[r] + q2 - (r * r) as f64) / (q as f64 - r as f64) / 2.0;
            if s <= z[k] {
                k -= 1;
                continue;
            }
            break;
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INF;
    }
    k = 0;
    for q in 0..len {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let r = v[k];
        let d = q as f64 - r as f64;
        grid[offset + q * stride] = f[r] + d * d;
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn uint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    varint(out, u64::from(field << 3));
    varint(out, v);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    varint(out, u64::from(field << 3 | 2));
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn zigzag(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal reader of the glyph buffer: (id, width, height, bitmap len, left, top, advance).
    fn read(buf: &[u8]) -> Vec<(u32, u32, u32, usize, i32, i32, u32)> {
        fn var(b: &[u8], i: &mut usize) -> u64 {
            let (mut v, mut s) = (0u64, 0);
            loop {
                let x = b[*i];
                *i += 1;
                v |= u64::from(x & 0x7f) << s;
                s += 7;
                if x < 0x80 {
                    return v;
                }
            }
        }
        fn fields(b: &[u8]) -> Vec<(u32, u64, &[u8])> {
            let (mut i, mut out) = (0, Vec::new());
            while i < b.len() {
                let k = var(b, &mut i);
                if k & 7 == 2 {
                    let n = var(b, &mut i) as usize;
                    out.push(((k >> 3) as u32, 0, &b[i..i + n]));
                    i += n;
                } else {
                    out.push(((k >> 3) as u32, var(b, &mut i), &b[0..0]));
                }
            }
            out
        }
        let unzig = |v: u64| ((v >> 1) as i32) ^ -((v & 1) as i32);
        let mut glyphs = Vec::new();
        for (_, _, stack) in fields(buf) {
            for (f, _, g) in fields(stack) {
                if f != 3 {
                    continue;
                }
                let mut row = (0, 0, 0, 0, 0, 0, 0);
                for (f, v, b) in fields(g) {
                    match f {
                        1 => row.0 = v as u32,
                        2 => row.3 = b.len(),
                        3 => row.1 = v as u32,
                        4 => row.2 = v as u32,
                        5 => row.4 = unzig(v),
                        6 => row.5 = unzig(v),
                        7 => row.6 = v as u32,
                        _ => {}
                    }
                }
                glyphs.push(row);
            }
        }
        glyphs
    }

    #[test]
    fn latin_and_hanzi_ranges_hold_their_glyphs() {
        let g = Glyphs::new();
        let latin = read(&g.range(0).unwrap());
        let a = latin.iter().find(|r| r.0 == 'A' as u32).expect("A");
        // A bitmap is the glyph plus the 3 px buffer on each side.
        assert_eq!(a.3, ((a.1 + 6) * (a.2 + 6)) as usize);
        assert!((12..=20).contains(&a.2), "a capital is about 17 px: {a:?}");
        assert!(a.6 > 8, "{a:?}");
        let space = latin.iter().find(|r| r.0 == ' ' as u32).expect("space");
        assert_eq!((space.1, space.3), (0, 0));
        assert!(space.6 > 0);
        // 平 is U+5E73: its range starts at 0x5E00.
        let cjk = read(&g.range(0x5E00).unwrap());
        let ping = cjk.iter().find(|r| r.0 == 0x5E73).expect("平");
        assert!(
            ping.1 >= 18 && ping.6 >= 22,
            "a hanzi is about an em: {ping:?}"
        );
        assert!(g.range(100).is_none() && g.range(65_536).is_none());
        // Maltese and Portuguese letters are in the font.
        assert!("ħċġżãõçÄ平安市".chars().all(|c| g.covers(c)));
    }

    #[test]
    fn the_field_is_high_inside_and_low_outside() {
        let g = Glyphs::new();
        let l = g.glyph('l').unwrap();
        let bw = l.width as usize + 6;
        let row = (l.height as usize + 6) / 2;
        let line = &l.bitmap[row * bw..(row + 1) * bw];
        assert!(line[0] < 100, "the buffer is outside: {line:?}");
        assert!(
            *line.iter().max().unwrap() > 192,
            "the stem is inside: {line:?}"
        );
    }

    #[test]
    fn the_transform_matches_brute_force() {
        let (w, h) = (9, 7);
        let mut grid = vec![INF; w * h];
        let seeds = [(1, 1), (7, 2), (4, 6)];
        for &(x, y) in &seeds {
            grid[y * w + x] = 0.0;
        }
        edt(&mut grid, w, h);
        for y in 0..h {
            for x in 0..w {
                let want = seeds
                    .iter()
                    .map(|&(sx, sy)| {
                        (x as f64 - sx as f64).powi(2) + (y as f64 - sy as f64).powi(2)
                    })
                    .fold(INF, f64::min);
                assert_eq!(grid[y * w + x], want, "at {x},{y}");
            }
        }
    }
}
