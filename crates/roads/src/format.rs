//! The `.roads` file: a prepared graph in one compact binary blob.
//!
//! Layout: a 32-byte header (magic `PINGAN-ROADS\0\0\0\0`, format version,
//! payload length, CRC-32 of the payload), then the payload: length-prefixed
//! little-endian arrays in a fixed order. Loading checks the header, the
//! checksum and every index against its array, so a file of another version,
//! a truncated or a corrupt one gives an error, never a panic. The R-tree and
//! the plain graph are derived on load (tens of milliseconds).

use crate::graph::{Graph, GraphParts, UpEdge};
use crate::{LatLon, RoadsError};

const MAGIC: &[u8; 16] = b"PINGAN-ROADS\0\0\0\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 32;

struct Writer(Vec<u8>);

impl Writer {
    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }
    fn u32s(&mut self, xs: &[u32]) {
        self.len(xs.len());
        xs.iter()
            .for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn i64s(&mut self, xs: &[i64]) {
        self.len(xs.len());
        xs.iter()
            .for_each(|x| self.0.extend_from_slice(&x.to_le_bytes()));
    }
    fn points(&mut self, xs: &[LatLon]) {
        self.len(xs.len());
        for p in xs {
            self.0.extend_from_slice(&p.lat.to_le_bytes());
            self.0.extend_from_slice(&p.lon.to_le_bytes());
        }
    }
    fn edges(&mut self, xs: &[UpEdge]) {
        self.len(xs.len());
        for e in xs {
            for x in [e.to, e.ms, e.cm, e.mid] {
                self.0.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, bytes: usize, what: &str) -> Result<&'a [u8], RoadsError> {
        let end = self.pos.checked_add(bytes).filter(|&e| e <= self.buf.len());
        let end =
            end.ok_or_else(|| RoadsError::Corrupt(format!("section `{what}` is truncated")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn count(&mut self, item: usize, what: &str) -> Result<usize, RoadsError> {
        let n = u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes"));
        let n = usize::try_from(n)
            .map_err(|_| RoadsError::Corrupt(format!("section `{what}` is too long")))?;
        if n.checked_mul(item)
            .is_none_or(|b| b > self.buf.len() - self.pos)
        {
            return Err(RoadsError::Corrupt(format!(
                "section `{what}` is truncated"
            )));
        }
        Ok(n)
    }
    fn u32s(&mut self, what: &str) -> Result<Vec<u32>, RoadsError> {
        let n = self.count(4, what)?;
        let raw = self.take(n * 4, what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4")))
            .collect())
    }
    fn i64s(&mut self, what: &str) -> Result<Vec<i64>, RoadsError> {
        let n = self.count(8, what)?;
        let raw = self.take(n * 8, what)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8")))
            .collect())
    }
    fn points(&mut self, what: &str) -> Result<Vec<LatLon>, RoadsError> {
        let n = self.count(16, what)?;
        let raw = self.take(n * 16, what)?;
        Ok(raw
            .chunks_exact(16)
            .map(|c| LatLon {
                lat: f64::from_le_bytes(c[..8].try_into().expect("8")),
                lon: f64::from_le_bytes(c[8..].try_into().expect("8")),
            })
            .collect())
    }
    fn edges(&mut self, what: &str) -> Result<Vec<UpEdge>, RoadsError> {
        let n = self.count(16, what)?;
        let raw = self.take(n * 16, what)?;
        let w = |c: &[u8], i: usize| u32::from_le_bytes(c[i * 4..i * 4 + 4].try_into().expect("4"));
        Ok(raw
            .chunks_exact(16)
            .map(|c| UpEdge {
                to: w(c, 0),
                ms: w(c, 1),
                cm: w(c, 2),
                mid: w(c, 3),
            })
            .collect())
    }
}

impl Graph {
    /// The graph as a `.roads` file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(
            64 + self.geom.len() * 16 + self.up.len() * 40,
        ));
        w.points(&self.nodes);
        w.u32s(&self.road_from);
        w.u32s(&self.road_to);
        w.u32s(&self.road_fwd_ms);
        w.u32s(&self.road_bwd_ms);
        w.u32s(&self.road_cm);
        w.i64s(&self.road_source);
        w.u32s(&self.geom_first);
        w.points(&self.geom);
        w.u32s(&self.up_first);
        w.edges(&self.up);
        w.u32s(&self.down_first);
        w.edges(&self.down);
        let payload = w.0;
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Reads a `.roads` file's bytes, checking version, checksum and structure.
    pub fn from_bytes(bytes: &[u8]) -> Result<Graph, RoadsError> {
        if bytes.len() < HEADER || &bytes[..16] != MAGIC {
            return Err(RoadsError::Corrupt(
                "not a pingan road graph (bad magic bytes)".into(),
            ));
        }
        let version = u32::from_le_bytes(bytes[16..20].try_into().expect("4"));
        if version != FORMAT_VERSION {
            return Err(RoadsError::Version {
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4"));
        let len = u64::from_le_bytes(bytes[24..32].try_into().expect("8"));
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != len {
            return Err(RoadsError::Corrupt(format!(
                "file is truncated: payload has {} of {len} bytes",
                payload.len()
            )));
        }
        if crc32fast::hash(payload) != crc {
            return Err(RoadsError::Corrupt(
                "checksum mismatch: the file is damaged".into(),
            ));
        }
        let mut r = Reader {
            buf: payload,
            pos: 0,
        };
        let parts = GraphParts {
            nodes: r.points("nodes")?,
            road_from: r.u32s("road_from")?,
            road_to: r.u32s("road_to")?,
            road_fwd_ms: r.u32s("road_fwd_ms")?,
            road_bwd_ms: r.u32s("road_bwd_ms")?,
            road_cm: r.u32s("road_cm")?,
            road_source: r.i64s("road_source")?,
            geom_first: r.u32s("geom_first")?,
            geom: r.points("geom")?,
            up_first: r.u32s("up_first")?,
            up: r.edges("up")?,
            down_first: r.u32s("down_first")?,
            down: r.edges("down")?,
        };
        if r.pos != payload.len() {
            return Err(RoadsError::Corrupt(
                "trailing bytes after the last section".into(),
            ));
        }
        check(&parts)?;
        Ok(Graph::assemble(parts, &mut |_, _, _| {}))
    }
}

/// Every index in range and every offset array monotone, so queries cannot panic.
fn check(p: &GraphParts) -> Result<(), RoadsError> {
    let bad = |what: &str| {
        Err(RoadsError::Corrupt(format!(
            "inconsistent section `{what}`"
        )))
    };
    let n = p.nodes.len();
    let roads = p.road_from.len();
    if [
        p.road_to.len(),
        p.road_fwd_ms.len(),
        p.road_bwd_ms.len(),
        p.road_cm.len(),
        p.road_source.len(),
    ]
    .iter()
    .any(|&l| l != roads)
    {
        return bad("roads");
    }
    if p.road_from
        .iter()
        .chain(&p.road_to)
        .any(|&v| v as usize >= n)
    {
        return bad("road ends");
    }
    let offsets_ok = |first: &[u32], len: usize, rows: usize| {
        first.len() == rows + 1
            && first[0] == 0
            && first[rows] as usize == len
            && first.windows(2).all(|w| w[0] <= w[1])
    };
    if !offsets_ok(&p.geom_first, p.geom.len(), roads)
        || p.geom_first.windows(2).any(|w| w[1] - w[0] < 2)
    {
        return bad("geometry");
    }
    if !offsets_ok(&p.up_first, p.up.len(), n) || !offsets_ok(&p.down_first, p.down.len(), n) {
        return bad("hierarchy offsets");
    }
    let ids_ok = |first: &[u32], edges: &[UpEdge]| {
        (0..n).all(|v| {
            edges[first[v] as usize..first[v + 1] as usize]
                .iter()
                .all(|e| {
                    (e.to as usize) < n
                        && e.to as usize > v
                        && if e.mid & crate::ch::ORIGINAL != 0 {
                            ((e.mid & !crate::ch::ORIGINAL) >> 1) < roads as u32
                        } else {
                            (e.mid as usize) < n
                        }
                })
        })
    };
    if !ids_ok(&p.up_first, &p.up) || !ids_ok(&p.down_first, &p.down) {
        return bad("hierarchy edges");
    }
    if p.nodes.iter().chain(&p.geom).any(|q| !q.is_valid()) {
        return bad("coordinates");
    }
    Ok(())
}
