//! Small statistics shared by the analyses: normal tail, Benjamini-Hochberg,
//! ROC AUC and detection at a false-positive rate, Poisson comparison of two
//! counts.

/// Upper tail of the standard normal: P(Z > z).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// Two-sided normal p-value of a z score.
pub fn two_sided_p(z: f64) -> f64 {
    (2.0 * normal_sf(z.abs())).min(1.0)
}

/// Benjamini-Hochberg adjusted p-values (q-values), in input order.
/// NaN p-values stay NaN and do not count towards m.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (k, &i) in idx.iter().enumerate() {
        let rank = m - k as f64;
        running = running.min(p[i] * m / rank);
        q[i] = running.min(1.0);
    }
    q
}

/// ROC AUC of scores for positives vs negatives (ties count one half).
pub fn auc(pos: &[f64], neg: &[f64]) -> f64 {
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut all: Vec<(f64, bool)> = pos
        .iter()
        .map(|&s| (s, true))
        .chain(neg.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann-Whitney U with mid-ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let mid = (i + j + 1) as f64 / 2.0;
        rank_sum += mid * all[i..j].iter().filter(|e| e.1).count() as f64;
        i = j;
    }
    let (np, nn) = (pos.len() as f64, neg.len() as f64);
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

/// Share of positives scored above the threshold that lets through at most
/// `fpr` of the negatives (the detection rate at that false-positive rate).
pub fn detection_at_fpr(pos: &[f64], neg: &[f64], fpr: f64) -> f64 {
    if pos.is_empty() || neg.is_empty() {
        return f64::NAN;
    }
    let mut n = neg.to_vec();
    n.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fpr * n.len() as f64).floor() as usize;
    // Threshold: a positive counts if its score is strictly above the
    // (allowed+1)-th highest negative, so at most `allowed` negatives pass.
    let thr = n.get(allowed).copied().unwrap_or(f64::NEG_INFINITY);
    pos.iter().filter(|&&s| s > thr).count() as f64 / pos.len() as f64
}

/// Two-sided p-value that counts `a` (in exposure `ea`) and `b` (in exposure
/// `eb`) come from the same Poisson rate: the conditional binomial test
/// (normal approximation with continuity correction above 50 events,
/// exact below).
pub fn poisson_rate_test(a: u64, b: u64, ea: f64, eb: f64) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let p0 = ea / (ea + eb);
    if n > 50 {
        let mean = n as f64 * p0;
        let sd = (n as f64 * p0 * (1.0 - p0)).sqrt();
        let z = ((a as f64 - mean).abs() - 0.5).max(0.0) / sd;
        return two_sided_p(z);
    }
    // Exact: sum of probabilities no larger than that of the observed.
    let pmf = |k: u64| -> f64 {
        let ln = ln_choose(n, k) + k as f64 * p0.ln() + (n - k) as f64 * (1.0 - p0).ln();
        ln.exp()
    };
    let obs = pmf(a);
    let p: f64 = (0..=n).map(pmf).filter(|&q| q <= obs * (1.0 + 1e-9)).sum();
    p.min(1.0)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    libm::lgamma(n as f64 + 1.0) - libm::lgamma(k as f64 + 1.0) - libm::lgamma((n - k) as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail() {
        assert!((normal_sf(1.959963984540054) - 0.025).abs() < 1e-12);
        assert!((two_sided_p(-1.959963984540054) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn bh_matches_hand_computation() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn auc_and_detection() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(auc(&[1.0], &[1.0]), 0.5);
        assert!((auc(&[1.0, 3.0], &[2.0]) - 0.5).abs() < 1e-12);
        let neg: Vec<f64> = (0..100).map(|i| i as f64).collect();
        // 5 negatives (95..99) allowed above the threshold 94.
        assert_eq!(detection_at_fpr(&[94.5, 10.0], &neg, 0.05), 0.5);
    }

    #[test]
    fn poisson_comparison() {
        assert!(poisson_rate_test(100, 100, 1.0, 1.0) > 0.9);
        assert!(poisson_rate_test(200, 100, 1.0, 1.0) < 1e-6);
        let p = poisson_rate_test(10, 2, 1.0, 1.0);
        assert!((p - 0.03857421875).abs() < 1e-9, "{p}");
    }
}
