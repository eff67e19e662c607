//! Text as names are indexed and queries are matched: one folding for both
//! (compatibility forms such as full-width digits unified, accents and case
//! dropped), Latin and digit words cut at everything else, and runs of
//! Chinese (or Japanese, Korean) characters, which are written without
//! spaces, cut into single characters and neighbouring pairs, so that
//! "建国路1号", "朝阳区建国路" and a half-typed "建国" all meet the same
//! terms. No dictionary: a segmenter cuts a half-typed query differently
//! from the stored name and loses substrings.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF       // Hiragana, Katakana
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0x20000..=0x3134F // CJK extensions B to G
    )
}

/// Parts of a name run together as they are written: Chinese next to
/// Chinese without a space ("建国路" "1号" → "建国路1号"), a space wherever
/// a Latin word meets anything ("松林社区" "Rua Nova" "3号" → "松林社区 Rua
/// Nova 3号"), so every word stays a word of its own.
pub fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let glued = match (out.chars().last(), part.chars().next()) {
            (Some(a), Some(b)) => {
                is_cjk(a) && (is_cjk(b) || b.is_numeric()) || a.is_numeric() && is_cjk(b)
            }
            _ => true,
        };
        if !glued {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// `s` folded for matching: NFKD (full-width forms, ligatures and
/// superscripts to their plain letters), combining marks dropped, lower
/// case, `ß` as `ss`. Chinese characters are left as they are.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
        for l in c.to_lowercase() {
            if l == 'ß' {
                out.push_str("ss");
            } else {
                out.push(l);
            }
        }
    }
    out
}

/// A piece of folded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A run of letters and digits (a word, a house number).
    Word(String),
    /// A run of CJK characters.
    Han(Vec<char>),
}

/// Cuts folded text into words and CJK runs; everything else separates.
pub fn pieces(folded: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut han: Vec<char> = Vec::new();
    for c in folded.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            if !han.is_empty() {
                out.push(Piece::Han(std::mem::take(&mut han)));
            }
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            if !han.is_empty() {
                out.push(Piece::Han(std::mem::take(&mut han)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    if !han.is_empty() {
        out.push(Piece::Han(han));
    }
    out
}

/// The terms a name is indexed under: each word, and for each CJK run
/// every character and every pair of neighbouring characters.
pub fn index_terms(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in pieces(&fold(name)) {
        match p {
            Piece::Word(w) => out.push(w),
            Piece::Han(cs) => {
                out.extend(cs.iter().map(|c| c.to_string()));
                out.extend(cs.windows(2).map(|w| w.iter().collect()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Words that join two street names into a crossing.
const JUNCTION_WORDS: &[&str] = &["and", "x", "e", "y", "et", "und"];

/// What ends a Chinese street name (路, 街, 道, 巷, 弄, 里).
fn ends_street(c: char) -> bool {
    matches!(c, '路' | '街' | '道' | '巷' | '弄' | '里')
}

/// A folded query without the words that say "where these streets cross"
/// in Chinese: a conjunction right after a street name ("A路与B路",
/// "A路和B路") and the crossing at the end ("交叉口", "十字路口", "路口" —
/// "B路口" is B路's crossing, "B路路口" too).
fn without_junction_words(folded: &str) -> String {
    let mut s = folded.trim_end().to_string();
    for suffix in ["交叉路口", "十字路口", "交叉口", "交汇处", "交口"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest.to_string();
            break;
        }
    }
    if let Some(rest) = s.strip_suffix("路口") {
        s = if rest.chars().last().is_some_and(ends_street) {
            rest.to_string()
        } else {
            format!("{rest}路")
        };
    }
    let chars: Vec<char> = s.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let joins = matches!(c, '与' | '和' | '跟' | '及')
                && i > 0
                && ends_street(chars[i - 1])
                && chars.get(i + 1).is_some_and(|n| is_cjk(*n));
            if joins { ' ' } else { c }
        })
        .collect()
}

/// One term of a query and how it may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// The folded text.
    pub text: String,
    /// May match the start of a longer term (a word being typed).
    pub prefix: bool,
    /// Edits allowed (typos): none for CJK and numbers, one in words of
    /// five letters or more, two from nine.
    pub max_edits: u8,
}

/// The terms a query must meet: every word, as a prefix (the call taker is
/// still typing, and "av" should find "avenida"); every CJK pair of a run
/// (a one-character run as itself, also as a prefix of pairs).
pub fn query_terms(query: &str) -> Vec<QueryTerm> {
    let mut out = Vec::new();
    let all = pieces(&without_junction_words(&fold(query)));
    let last = all.len().saturating_sub(1);
    for (i, p) in all.into_iter().enumerate() {
        match p {
            // "A and B", "A x B": the conjunction of a crossing, not a word
            // of either name (the first and the one being typed are words).
            Piece::Word(w) if i > 0 && i < last && JUNCTION_WORDS.contains(&w.as_str()) => {}
            Piece::Word(w) => {
                let letters = w.chars().count();
                let numeric = w.chars().any(|c| c.is_ascii_digit());
                let max_edits = match letters {
                    _ if numeric => 0,
                    0..=4 => 0,
                    5..=8 => 1,
                    _ => 2,
                };
                out.push(QueryTerm {
                    text: w,
                    prefix: true,
                    max_edits,
                });
            }
            Piece::Han(cs) if cs.len() == 1 => out.push(QueryTerm {
                text: cs[0].to_string(),
                prefix: false,
                max_edits: 0,
            }),
            Piece::Han(cs) => out.extend(cs.windows(2).map(|w| QueryTerm {
                text: w.iter().collect(),
                prefix: false,
                max_edits: 0,
            })),
        }
    }
    out
}

/// The fewest edits (insertions, deletions, substitutions) that turn
/// `query` into `term` — or, with `prefix`, into some start of `term` —
/// if at most `max`; `None` when more are needed.
pub fn edits(query: &str, term: &str, prefix: bool, max: u8) -> Option<u8> {
    let q: Vec<char> = query.chars().collect();
    let t: Vec<char> = term.chars().collect();
    let max = max as usize;
    if !prefix && t.len().abs_diff(q.len()) > max {
        return None;
    }
    // prev[i]: edits between q[..i] and t[..j] for the current j.
    let mut prev: Vec<usize> = (0..=q.len()).collect();
    let mut best = prev[q.len()];
    for j in 1..=t.len() {
        let mut cur = vec![j; q.len() + 1];
        for i in 1..=q.len() {
            let sub = prev[i - 1] + usize::from(q[i - 1] != t[j - 1]);
            cur[i] = sub.min(prev[i] + 1).min(cur[i - 1] + 1);
        }
        if prefix {
            best = best.min(cur[q.len()]);
        }
        if cur.iter().min().copied().unwrap_or(0) > max {
            return (prefix && best <= max).then_some(best as u8);
        }
        prev = cur;
    }
    let found = if prefix { best } else { prev[q.len()] };
    (found <= max).then_some(found as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_join_as_they_are_written() {
        assert_eq!(join(&["建国路", "1号"]), "建国路1号");
        assert_eq!(
            join(&["平安市", "松林社区", "Rua Nova", "3号"]),
            "平安市松林社区 Rua Nova 3号"
        );
        assert_eq!(join(&["Rua Nova", "", "12"]), "Rua Nova 12");
        assert_eq!(join(&["12", "号楼"]), "12号楼");
    }

    #[test]
    fn folding_drops_case_accents_and_width() {
        assert_eq!(fold("Avenida da Liberdade"), "avenida da liberdade");
        assert_eq!(fold("Praça São João"), "praca sao joao");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("ＡＢＣ１２３"), "abc123");
        assert_eq!(fold("建国路１号"), "建国路1号");
    }

    #[test]
    fn chinese_is_cut_into_characters_and_pairs() {
        assert_eq!(
            index_terms("建国路1号"),
            ["1", "号", "国", "国路", "建", "建国", "路"]
        );
        let q: Vec<String> = query_terms("朝阳区建国路")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(q, ["朝阳", "阳区", "区建", "建国", "国路"]);
        let half = query_terms("建");
        assert_eq!(half[0].text, "建");
    }

    #[test]
    fn mixed_scripts_and_numbers() {
        assert_eq!(
            index_terms("Rua de Santa Catarina, 312"),
            ["312", "catarina", "de", "rua", "santa"]
        );
        assert_eq!(
            index_terms("松林三村A区"),
            ["a", "三", "三村", "区", "村", "松", "松林", "林", "林三"]
        );
        let terms = query_terms("rua stna catarina 31");
        assert_eq!(terms.len(), 4);
        assert_eq!(terms[1].max_edits, 0, "short words are typed as they are");
        assert_eq!(terms[2].max_edits, 1);
        assert_eq!(terms[3].max_edits, 0, "numbers have no typos");
        assert_eq!(query_terms("Constitucionalista")[0].max_edits, 2);
    }

    #[test]
    fn edits_count_typos_with_and_without_prefix() {
        assert_eq!(edits("catarina", "catarina", false, 1), Some(0));
        assert_eq!(edits("catarnia", "catarina", false, 2), Some(2));
        assert_eq!(edits("catarna", "catarina", false, 1), Some(1));
        assert_eq!(edits("catrina", "santa", false, 1), None);
        assert_eq!(edits("ave", "avenida", true, 0), Some(0));
        assert_eq!(edits("avn", "avenida", true, 1), Some(1));
        assert_eq!(edits("avenidx", "avenida", true, 1), Some(1));
        assert_eq!(edits("xyz", "avenida", true, 1), None);
        assert_eq!(edits("", "anything", true, 0), Some(0));
    }

    #[test]
    fn nothing_panics_on_odd_text() {
        for q in [
            "",
            " ",
            "\u{0}",
            "🙂🙂",
            "a\u{301}\u{301}\u{301}",
            "\u{FFFF}",
            "&&//xx",
            "路",
        ] {
            let _ = query_terms(q);
            let _ = index_terms(q);
        }
    }
}
