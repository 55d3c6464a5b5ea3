//! Fitting text into columns: cut with an ellipsis at the end or in the middle, names
//! kept apart when cut, and wrapping. Widths are display columns (wide characters count
//! two); control characters never reach the terminal.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// At most `max` display columns (wide characters count two), with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if max == 0 {
        return String::new();
    }
    let fits = s.width() <= max;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        let w = c.width().unwrap_or(0);
        // Room for the ellipsis unless everything fits.
        let room = if fits { max } else { max - 1 };
        if used + w > room {
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// At most `max` columns, cut in the middle (`Process…ems A`), so the start and the end
/// of a name both show: names that share a long prefix or suffix stay apart.
pub fn truncate_middle(s: &str, max: usize) -> String {
    if s.width() <= max {
        return truncate(s, max);
    }
    if max < 5 {
        return truncate(s, max);
    }
    let mut tail: Vec<char> = truncate_exact(s.chars().rev(), (max - 1) / 2)
        .chars()
        .collect();
    tail.reverse();
    let tail: String = tail.into_iter().collect();
    // The head takes what the tail leaves (a wide character may not have fitted there).
    let head = truncate_exact(s.chars(), max - 1 - tail.width());
    format!("{head}…{tail}")
}

/// The characters of `chars` that fit in `w` columns (no ellipsis).
fn truncate_exact(chars: impl Iterator<Item = char>, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in chars {
        let c = if c.is_control() { ' ' } else { c };
        let cw = c.width().unwrap_or(0);
        if used + cw > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    out
}

/// `names[i]` in at most `room[i]` columns, cut in the middle, and where two cut names
/// would not show where they differ, cut around that place instead (`…2023 data…`).
pub fn distinct(names: &[&str], room: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .zip(room)
        .map(|(n, &r)| truncate_middle(n, r))
        .collect();
    let cut: Vec<usize> = (0..names.len()).filter(|&i| out[i] != names[i]).collect();
    // For each name that reads like another: where it first differs from such a name.
    let mut differs_at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (a, &i) in cut.iter().enumerate() {
        for &j in &cut[a + 1..] {
            if names[i] == names[j] {
                continue;
            }
            let prefix = common_prefix_chars(names[i], names[j]);
            let suffix = common_prefix_chars_rev(names[i], names[j]);
            if hides_difference(&out[i], prefix, suffix)
                && hides_difference(&out[j], prefix, suffix)
            {
                for k in [i, j] {
                    let at = differs_at.entry(k).or_insert(prefix);
                    *at = (*at).min(prefix);
                }
            }
        }
    }
    for (i, at) in differs_at {
        out[i] = window(names[i], at, room[i]);
    }
    out
}

/// Does a cut name (`head…tail`) show only what two names share at their start and end?
fn hides_difference(cut: &str, prefix: usize, suffix: usize) -> bool {
    let (head, tail) = cut.split_once('…').unwrap_or((cut, ""));
    head.chars().count() <= prefix && tail.chars().count() <= suffix
}

fn common_prefix_chars(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn common_prefix_chars_rev(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// `s` from a little before character `at`, in `max` columns, with an ellipsis on each
/// side that is cut.
fn window(s: &str, at: usize, max: usize) -> String {
    const BEFORE: usize = 3;
    let start = at.saturating_sub(BEFORE);
    if start == 0 || max < 4 {
        return truncate(s, max);
    }
    let rest: String = s.chars().skip(start).collect();
    format!("…{}", truncate(&rest, max - 1))
}

/// `text` in rows at most `width` columns wide: lines break at spaces where they can, and
/// anywhere in a word longer than the row. Tabs become spaces, other control characters
/// are shown as `�` so the terminal never interprets them.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut rows = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut row = String::new();
        let mut used = 0;
        // Where the row may break: its byte length and width after the last space.
        let mut last_space: Option<(usize, usize)> = None;
        for c in line.chars() {
            let c = match c {
                '\t' => ' ',
                c if c.is_control() => '\u{FFFD}',
                c => c,
            };
            let w = c.width().unwrap_or(0);
            if used + w > width && !row.is_empty() {
                match last_space {
                    Some((at, at_w)) if at_w > 0 => {
                        let rest = row.split_off(at);
                        rows.push(row);
                        row = rest;
                        used -= at_w;
                    }
                    _ => {
                        rows.push(std::mem::take(&mut row));
                        used = 0;
                    }
                }
                last_space = None;
            }
            row.push(c);
            used += w;
            if c == ' ' {
                last_space = Some((row.len(), used));
            }
        }
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_marks_cuts() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 5), "hell…");
        assert_eq!(truncate("a\nb", 5), "a b");
        // Wide characters take two columns: the cut never splits one, never overflows.
        assert_eq!(truncate("名前の状態", 6), "名前…");
        assert_eq!(truncate("名前", 4), "名前");
        assert_eq!(truncate("ab🦀cd", 4), "ab…");
    }

    #[test]
    fn middle_cuts_keep_both_ends() {
        assert_eq!(truncate_middle("short", 10), "short");
        assert_eq!(truncate_middle("Process order items A", 11), "Proce…ems A");
        assert_eq!(truncate_middle("Process order items A", 11).width(), 11);
        assert_eq!(truncate_middle("名前の状態です", 7), "名前…す");
    }

    #[test]
    fn cut_names_stay_distinct() {
        let names = [
            "Load the 2023 sales data into the warehouse",
            "Load the 2024 sales data into the warehouse",
            "Notify finance team when done A",
            "Notify finance team when done B",
            "Short",
        ];
        // Rooms that differ a little (a marker on one row) must not hide the difference.
        let room = [16, 17, 16, 16, 16];
        let cut = distinct(&names, &room);
        for (i, c) in cut.iter().enumerate() {
            assert!(c.width() <= room[i], "{c}");
            for (j, d) in cut.iter().enumerate() {
                assert!(i == j || c != d, "{c} twice");
            }
        }
        assert!(
            cut[0].contains("2023") && cut[1].contains("2024"),
            "{cut:?}"
        );
        assert!(cut[2].ends_with(" A") && cut[3].ends_with(" B"), "{cut:?}");
        assert_eq!(cut[4], "Short");
        // The same name twice (a state in two branches) is not a clash.
        let same = distinct(&["Same long name here", "Same long name here"], &[8, 8]);
        assert_eq!(same[0], same[1]);
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa ", "bbb ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 4), vec!["a", "", "b"]);
        assert_eq!(wrap("日本語日本", 4), vec!["日本", "語日", "本"]);
        assert_eq!(wrap("a\x1bb\tc", 10), vec!["a\u{FFFD}b c"]);
    }

    #[test]
    fn every_character_survives_wrapping() {
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(50);
        for w in [1, 7, 13, 80] {
            let rows = wrap(&text, w);
            assert_eq!(rows.concat(), text, "width {w}");
            assert!(rows.iter().all(|r| r.chars().count() <= w));
        }
    }
}
