//! The path compiler (Jayway's `PathCompiler`): a path's text into its segments.

use super::*;

/// Compile a path whose first char is `$` or `@` into its tokens.
pub(super) fn compile_path(chars: &[char], depth: usize) -> Result<Vec<Segment>, String> {
    if depth > MAX_NESTING {
        return Err("Path is nested too deeply".to_string());
    }
    let n = chars.len();
    if n == 0 || !matches!(chars[0], '$' | '@') {
        return Err("Path must start with '$' or '@'".to_string());
    }
    if chars[n - 1] == '.' {
        return Err("Path must not end with a '.' or '..'".to_string());
    }
    let mut segments = Vec::new();
    if n == 1 {
        return Ok(segments);
    }
    if chars[1] != '.' && chars[1] != '[' {
        return Err("Illegal character at position 1 expected '.' or '['".to_string());
    }
    let mut pos = 1;
    let mut scan = false;
    while pos < n {
        let (segment, next) = match chars[pos] {
            '.' => {
                if chars.get(pos + 1) == Some(&'.') {
                    scan = true;
                    pos += 2;
                } else {
                    pos += 1;
                }
                if chars.get(pos) == Some(&'.') {
                    return Err(format!("Character '.' on position {pos} is not valid."));
                }
                continue;
            }
            '[' => read_bracket(chars, pos, depth)?,
            '*' => (Segment::Wildcard, pos + 1),
            ' ' => return Err(format!("Could not parse token starting at position {pos}")),
            _ => read_name(chars, pos)?,
        };
        segments.push(if scan {
            Segment::Scan(Box::new(segment))
        } else {
            segment
        });
        scan = false;
        pos = next;
    }
    Ok(segments)
}

/// A name in dot notation: up to the next `.` or `[`.
pub(super) fn read_name(chars: &[char], start: usize) -> Result<(Segment, usize), String> {
    let mut end = start;
    while end < chars.len() {
        match chars[end] {
            ' ' => {
                return Err(format!(
                    "Use bracket notion ['my prop'] if your property contains blank characters. position: {start}"
                ));
            }
            '.' | '[' => break,
            _ => end += 1,
        }
    }
    let name = chars[start..end].iter().collect();
    Ok((Segment::Name { name, quote: '\'' }, end))
}

/// The index of the first char after `from` that is not a space.
pub(super) fn next_significant(chars: &[char], from: usize) -> Option<usize> {
    (from + 1..chars.len()).find(|&i| chars[i] != ' ')
}

/// The index of the next `c` after `from` not preceded by a backslash.
pub(super) fn next_unescaped(chars: &[char], from: usize, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, &ch) in chars.iter().enumerate().skip(from + 1) {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

/// The index of the `close` matching the `open` at `start`, skipping quoted strings (and
/// `/regex/` when `skip_regex`), as Jayway's `CharacterIndex.indexOfClosingBracket`.
pub(super) fn matching_close(
    chars: &[char],
    start: usize,
    open: char,
    close: char,
    skip_regex: bool,
) -> Result<Option<usize>, String> {
    let mut opened = 1;
    let mut pos = start + 1;
    while pos < chars.len() {
        let c = chars[pos];
        if c == '\'' || c == '"' {
            pos = next_unescaped(chars, pos, c).ok_or_else(|| {
                format!(
                    "Could not find matching close quote for {c} when parsing : {}",
                    excerpt(chars)
                )
            })? + 1;
        }
        if skip_regex && chars.get(pos) == Some(&'/') {
            pos = next_unescaped(chars, pos, '/').ok_or_else(|| {
                format!(
                    "Could not find matching close for / when parsing regex in : {}",
                    excerpt(chars)
                )
            })? + 1;
        }
        match chars.get(pos) {
            Some(&c) if c == open => opened += 1,
            Some(&c) if c == close => {
                opened -= 1;
                if opened == 0 {
                    return Ok(Some(pos));
                }
            }
            Some(_) => {}
            None => break,
        }
        pos += 1;
    }
    Ok(None)
}

pub(super) fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

/// `s` for an error message (see [`excerpt`]).
pub(super) fn excerpt_str(s: &str) -> String {
    excerpt(&s.chars().collect::<Vec<_>>())
}

/// `chars` for an error message: one line, at most `MESSAGE_EXCERPT` chars.
pub(super) fn excerpt(chars: &[char]) -> String {
    let mut out: String = chars
        .iter()
        .take(MESSAGE_EXCERPT)
        .map(|&c| if c.is_control() { ' ' } else { c })
        .collect();
    if chars.len() > MESSAGE_EXCERPT {
        out.push_str("...");
    }
    out
}

/// A token starting with `[` at `pos`.
pub(super) fn read_bracket(
    chars: &[char],
    pos: usize,
    depth: usize,
) -> Result<(Segment, usize), String> {
    let generic =
        || format!("Could not parse token starting at position {pos}. Expected ?, ', 0-9, * ");
    let Some(sig) = next_significant(chars, pos) else {
        return Err(generic());
    };
    match chars[sig] {
        '\'' | '"' => read_bracket_names(chars, pos, chars[sig]),
        c if c.is_ascii_digit() || c == '-' || c == ':' => {
            read_array(chars, pos)?.ok_or_else(generic)
        }
        '*' => match next_significant(chars, sig) {
            Some(close) if chars[close] == ']' => Ok((Segment::Wildcard, close + 1)),
            _ => Err(format!(
                "Expected wildcard token to end with ']' on position {}",
                sig + 1
            )),
        },
        '?' => {
            if let Some(found) = read_filter(chars, pos, sig, depth)? {
                return Ok(found);
            }
            // `[?]`: a placeholder for a predicate passed by the caller; AWS passes none.
            match next_significant(chars, sig) {
                Some(i) if matches!(chars[i], ']' | ',') => {
                    let end = chars[pos..]
                        .iter()
                        .position(|&c| c == ']')
                        .map_or(chars.len(), |e| pos + e);
                    Err(format!(
                        "Not enough predicates supplied for filter [{}] at position {pos}",
                        excerpt(&chars[pos + 1..end])
                    ))
                }
                _ => Err(generic()),
            }
        }
        _ => Err(generic()),
    }
}

/// `['a']`, `["a"]`, `['a','b']`. Names are taken verbatim: a backslash only keeps the
/// next char from closing the name (AWS looks up `$['a\"b']` as the key `a\"b`).
pub(super) fn read_bracket_names(
    chars: &[char],
    pos: usize,
    quote: char,
) -> Result<(Segment, usize), String> {
    let mut names = Vec::new();
    let mut start = pos + 1;
    let mut end = 0;
    let mut in_name = false;
    let mut escaped = false;
    let mut last_was_comma = false;
    let mut read = pos + 1;
    while read < chars.len() {
        let c = chars[read];
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ']' && !in_name {
            if last_was_comma {
                return Err(format!("Found empty property at index {read}"));
            }
            break;
        } else if c == quote {
            if in_name {
                match next_significant(chars, read) {
                    Some(i) if matches!(chars[i], ']' | ',') => {}
                    _ => {
                        return Err(format!(
                            "Property must be separated by comma or Property must be terminated close square bracket at index {read}"
                        ));
                    }
                }
                end = read;
                names.push(chars[start..read].iter().collect());
                in_name = false;
            } else {
                start = read + 1;
                in_name = true;
                last_was_comma = false;
            }
        } else if c == ',' && !in_name {
            if last_was_comma {
                return Err(format!("Found empty property at index {read}"));
            }
            last_was_comma = true;
        } else if !in_name && c != ' ' {
            return Err(format!(
                "Property must be separated by comma or Property must be terminated close square bracket at index {read}"
            ));
        }
        read += 1;
    }
    if in_name {
        return Err(format!(
            "Property has not been closed - missing closing {quote}"
        ));
    }
    let close = match next_significant(chars, end) {
        Some(i) if chars[i] == ']' && !names.is_empty() => i,
        _ => return Err("Property has not been closed - missing closing ]".to_string()),
    };
    let segment = if names.len() == 1 {
        Segment::Name {
            name: names.remove(0),
            quote,
        }
    } else {
        Segment::Names { names, quote }
    };
    Ok((segment, close + 1))
}

/// `[1]`, `[1,2]`, `[1:]`, `[:2]`, `[1:2]`; `None` when the brackets hold something else.
pub(super) fn read_array(chars: &[char], pos: usize) -> Result<Option<(Segment, usize)>, String> {
    let Some(close) = chars[pos + 1..]
        .iter()
        .position(|&c| c == ']')
        .map(|e| pos + 1 + e)
    else {
        return Ok(None);
    };
    let raw = text(&chars[pos + 1..close]);
    let expr = java_trim(&raw);
    if !expr
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' '))
    {
        return Ok(None);
    }
    let segment = if expr.contains(':') {
        let failed = || format!("Failed to parse SliceOperation: {}", excerpt_str(expr));
        if expr.contains(' ') {
            return Err(failed());
        }
        // Java's split drops trailing empty strings; a third part (a step) is ignored.
        let mut parts: Vec<&str> = expr.split(':').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let bound = |i: usize| -> Result<Option<i64>, String> {
            match parts.get(i) {
                None | Some(&"") => Ok(None),
                Some(p) => p
                    .parse::<i32>()
                    .map(|v| Some(i64::from(v)))
                    .map_err(|_| failed()),
            }
        };
        let (from, to) = (bound(0)?, bound(1)?);
        if from.is_none() && to.is_none() {
            return Err(failed());
        }
        Segment::Slice { from, to }
    } else {
        let mut indexes = Vec::new();
        for token in expr.split(',') {
            let token = token.trim_matches(' ');
            let index = token.parse::<i32>().map_err(|_| {
                format!(
                    "Failed to parse token in ArrayIndexOperation: {}",
                    excerpt_str(token)
                )
            })?;
            indexes.push(i64::from(index));
        }
        if indexes.len() == 1 {
            Segment::Index(indexes[0])
        } else {
            Segment::Indexes(indexes)
        }
    };
    Ok(Some((segment, close + 1)))
}

/// `[?(...)]` with the `?` at `question`; `None` when it is not a filter.
pub(super) fn read_filter(
    chars: &[char],
    pos: usize,
    question: usize,
    depth: usize,
) -> Result<Option<(Segment, usize)>, String> {
    let Some(open) = next_significant(chars, question).filter(|&i| chars[i] == '(') else {
        return Ok(None);
    };
    let Some(close) = matching_close(chars, open, '(', ')', true)? else {
        return Ok(None);
    };
    let Some(end) = next_significant(chars, close).filter(|&i| chars[i] == ']') else {
        return Ok(None);
    };
    let criteria = &chars[pos..=end];
    let expr = compile_filter(criteria, depth + 1).map_err(|e| {
        format!(
            "Could not compile inline filter : {} ({e})",
            excerpt(criteria)
        )
    })?;
    Ok(Some((Segment::Filter(Box::new(expr)), end + 1)))
}
