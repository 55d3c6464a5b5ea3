//! Timestamps as Step Functions reads and writes them, on the engine's virtual clock
//! (milliseconds since the Unix epoch).

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

/// Parse an ISO-8601 extended offset date-time (RFC 3339 with a `T` separator and an
/// offset or `Z`), as Java's `OffsetDateTime` does for Step Functions.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// Milliseconds since the epoch for a parsed timestamp.
pub fn to_millis(t: &DateTime<FixedOffset>) -> i64 {
    t.timestamp_millis()
}

/// `2024-01-01T00:00:00.000Z`, the form AWS uses in the context object and history.
pub fn format_millis(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A duration as people read it: `0s`, `1.5s`, `2m3s`, `1h2m`, `3d4h`.
pub fn format_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        let frac = ms.max(0) % 1000;
        if frac == 0 {
            format!("{s}s")
        } else {
            format!("{s}.{:01}s", frac / 100)
        }
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h{}m", s / 3600, s / 60 % 60)
    } else {
        format!("{}d{}h", s / 86_400, s / 3600 % 24)
    }
}

/// A duration as people write it: `10s`, `500ms`, `2m`, `1h`, or bare seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m, h or d")),
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| *n >= 0.0)
        .and_then(|n| std::time::Duration::try_from_secs_f64(n * scale).ok())
        .filter(|d| *d <= std::time::Duration::from_secs(365 * 86_400))
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 30s, 2h, 500ms; at most a year)"))
}

/// The wall clock now, for starting a virtual clock.
pub fn wall_clock_millis() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_extended_offset_date_times() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.123+01:00").is_some());
        for bad in [
            "2016-12-05 21:29:29Z",
            "2016-12-05T21:29:29",
            "2016-13-05T21:29:29Z",
            "05-12-2016T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "2024-01-01T00:00:00.000000",
        ] {
            assert!(parse_timestamp(bad).is_none(), "{bad}");
        }
        assert_eq!(format_millis(1_704_067_200_000), "2024-01-01T00:00:00.000Z");
    }
}
