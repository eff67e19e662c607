//! Crime analysis for the joint operations centre (合成作战中心).
//!
//! Records in, results out: [`records`] imports historical incidents and
//! cases from CSV; [`hotspot`] counts them on square grids, H3 hexagons and
//! road segments, smooths them (kernel density) and tests them (Getis-Ord
//! Gi* with a false-discovery-rate correction, global Moran's I); [`knox`]
//! is the near-repeat test in the layout of Ratcliffe's Near Repeat
//! Calculator; [`forecast`] predicts next week's hot cells (naive,
//! retrospective, prospective, ETAS) and scores them (hit rate, PAI);
//! [`linkage`] scores pairs of cases as the same offender's (串并案),
//! learns from solved cases and groups unsolved ones into series; [`trends`]
//! compares periods; [`brief`] renders a self-contained HTML briefing.
//!
//! Pure: no files, no clock, no threads, no network. Randomness is a seeded
//! [`Rng`], so every Monte-Carlo result is reproducible. Reading files,
//! printing and serving are the callers' jobs (the `pingan` binary, the
//! server).

pub mod brief;
pub mod forecast;
pub mod hotspot;
pub mod knox;
pub mod linkage;
pub mod records;
pub mod stats;
pub mod trends;

pub use records::{Dataset, Record};

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The input as a whole is unusable (missing columns, too few records).
    #[error("{0}")]
    Input(String),
    /// Rows that could not be read: line, field and reason for each.
    #[error("{} bad row(s); first: {}{}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default(),
        if .0.len() > 1 { format!(" (and {} more)", .0.len() - 1) } else { String::new() })]
    Rows(Vec<records::RowError>),
    /// A parameter is out of range.
    #[error("{field}: {message}")]
    Param {
        /// Which parameter.
        field: &'static str,
        /// Why, and what is expected.
        message: String,
    },
}

/// SplitMix64: small, fast, seeded; good enough for permutations and splits.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n) (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}
