//! Unix cron (5 fields, `@hourly`, `@daily`, …) → EventBridge Scheduler's
//! `cron(min hour day-of-month month day-of-week year)`, and the matcher the
//! local scheduler uses to decide whether an AWS expression is due.
//!
//! The tricky parts, each with a test:
//! - day of week: unix 0–7 (0 and 7 are Sunday), AWS 1–7 (1 is Sunday);
//! - AWS requires `?` in exactly one of day-of-month / day-of-week. Unix with
//!   both restricted means "either"; AWS cannot say that, so it is refused at
//!   save time rather than silently changed;
//! - steps: `*/15` → `0/15` (minutes, hours), `1/n` (days, months); a stepped
//!   range, and any step in day-of-week (AWS has none there), is written out
//!   as the explicit list.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy)]
struct Spec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Spec = Spec { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: Spec = Spec { name: "hour", min: 0, max: 23, names: &[] };
const DOM: Spec = Spec { name: "day of month", min: 1, max: 31, names: &[] };
const MONTH: Spec =
    Spec { name: "month", min: 1, max: 12, names: &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] };
/// Unix day of week: 0–7, names from SUN = 0.
const DOW_UNIX: Spec = Spec { name: "day of week", min: 0, max: 7, names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] };
/// AWS day of week: 1–7, names from SUN = 1.
const DOW_AWS: Spec = Spec { name: "day of week", min: 1, max: 7, names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] };
const YEAR: Spec = Spec { name: "year", min: 1970, max: 2199, names: &[] };

/// One parsed field: its values, and whether it was `*` (or `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    values: BTreeSet<u32>,
    star: bool,
}

fn value(s: &str, spec: &Spec, name_base: u32) -> Result<u32, String> {
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + name_base);
    }
    let v: u32 = s.parse().map_err(|_| format!("{}: {s:?} is not a number", spec.name))?;
    if v < spec.min || v > spec.max {
        return Err(format!("{}: {v} is outside {}–{}", spec.name, spec.min, spec.max));
    }
    Ok(v)
}

fn parse_field(s: &str, spec: &Spec, name_base: u32, allow_question: bool) -> Result<Field, String> {
    if s == "*" || (allow_question && s == "?") {
        return Ok(Field { values: (spec.min..=spec.max).collect(), star: true });
    }
    let mut values = BTreeSet::new();
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st.parse().map_err(|_| format!("{}: step {st:?} is not a number", spec.name))?;
                if st == 0 {
                    return Err(format!("{}: a step must be at least 1", spec.name));
                }
                (r, st)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, spec, name_base)?, value(b, spec, name_base)?);
            if a > b {
                return Err(format!("{}: range {a}-{b} runs backwards", spec.name));
            }
            (a, b)
        } else {
            let a = value(range, spec, name_base)?;
            // `a/n` means from a to the end, stepping n.
            (a, if step > 1 { spec.max } else { a })
        };
        let mut v = lo;
        while v <= hi {
            values.insert(v);
            v += step;
        }
    }
    if values.is_empty() {
        return Err(format!("{}: {s:?} selects nothing", spec.name));
    }
    Ok(Field { values, star: false })
}

/// A unix schedule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixCron {
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    /// Sundays as 0 (7 folded into 0).
    dow: Field,
}

/// Parses a unix cron expression (5 fields, or `@hourly`, `@daily`,
/// `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`).
pub fn parse_unix(expr: &str) -> Result<UnixCron, String> {
    let e = expr.trim();
    let expanded = match e.to_ascii_lowercase().as_str() {
        "@hourly" => "0 * * * *".to_string(),
        "@daily" | "@midnight" => "0 0 * * *".to_string(),
        "@weekly" => "0 0 * * 0".to_string(),
        "@monthly" => "0 0 1 * *".to_string(),
        "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
        s if s.starts_with('@') => return Err(format!("unknown macro {e:?}: use @hourly, @daily, @weekly, @monthly or @yearly")),
        _ => e.to_string(),
    };
    let parts: Vec<&str> = expanded.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!("must have 5 fields (minute hour day-of-month month day-of-week), found {}", parts.len()));
    }
    let mut dow = parse_field(parts[4], &DOW_UNIX, 0, false)?;
    if dow.values.remove(&7) {
        dow.values.insert(0);
    }
    Ok(UnixCron {
        minute: parse_field(parts[0], &MINUTE, 0, false)?,
        hour: parse_field(parts[1], &HOUR, 0, false)?,
        dom: parse_field(parts[2], &DOM, 0, false)?,
        month: parse_field(parts[3], &MONTH, 1, false)?,
        dow,
    })
}

/// Writes a set of values: `*` for all, `s/k` for a progression running to
/// the end of the range, otherwise ranges and single values.
fn render(f: &Field, spec: &Spec, allow_step: bool) -> String {
    let all: BTreeSet<u32> = (spec.min..=spec.max).collect();
    if f.values == all {
        return "*".into();
    }
    let v: Vec<u32> = f.values.iter().copied().collect();
    if allow_step && v.len() > 2 {
        let k = v[1] - v[0];
        let progression = v.windows(2).all(|w| w[1] - w[0] == k);
        if k > 1 && progression && v[v.len() - 1] + k > spec.max && v[0] < spec.min + k {
            return format!("{}/{k}", v[0]);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if j > i { format!("{}-{}", v[i], v[j]) } else { v[i].to_string() });
        i = j + 1;
    }
    out.join(",")
}

impl UnixCron {
    /// The AWS `cron(…)` expression; an error when AWS cannot express it.
    pub fn to_aws(&self) -> Result<String, String> {
        let dom_star = self.dom.star || self.dom.values.len() == 31;
        let dow_star = self.dow.star || self.dow.values.len() == 7;
        let (dom, dow) = match (dom_star, dow_star) {
            (_, true) => (render(&self.dom, &DOM, true), "?".to_string()),
            (true, false) => {
                let aws: BTreeSet<u32> = self.dow.values.iter().map(|d| d + 1).collect();
                ("?".to_string(), render(&Field { values: aws, star: false }, &DOW_AWS, false))
            }
            (false, false) => {
                return Err("restricts both day of month and day of week (unix runs on either); EventBridge Scheduler allows only one: use * in the other".into());
            }
        };
        Ok(format!(
            "cron({} {} {} {} {} *)",
            render(&self.minute, &MINUTE, true),
            render(&self.hour, &HOUR, true),
            dom,
            render(&self.month, &MONTH, true),
            dow
        ))
    }
}

/// Converts a unix expression to AWS's in one step.
pub fn unix_to_aws(expr: &str) -> Result<String, String> {
    parse_unix(expr)?.to_aws()
}

/// An AWS `cron(…)` expression, for matching local times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCron {
    minute: Field,
    hour: Field,
    dom: Field,
    month: Field,
    /// 1 = Sunday.
    dow: Field,
    year: Field,
}

/// Parses `cron(m h dom mon dow year)` (no `L`, `W` or `#`: we never write them).
pub fn parse_aws(expr: &str) -> Result<AwsCron, String> {
    let inner = expr.trim().strip_prefix("cron(").and_then(|s| s.strip_suffix(')')).ok_or_else(|| format!("{expr:?} is not cron(...)"))?;
    let p: Vec<&str> = inner.split_whitespace().collect();
    if p.len() != 6 {
        return Err(format!("{expr:?} must have 6 fields"));
    }
    Ok(AwsCron {
        minute: parse_field(p[0], &MINUTE, 0, false)?,
        hour: parse_field(p[1], &HOUR, 0, false)?,
        dom: parse_field(p[2], &DOM, 0, true)?,
        month: parse_field(p[3], &MONTH, 1, false)?,
        dow: parse_field(p[4], &DOW_AWS, 1, true)?,
        year: parse_field(p[5], &YEAR, 0, false)?,
    })
}

impl AwsCron {
    /// Whether the schedule fires at this local minute (`weekday` 1 = Sunday).
    pub fn matches(&self, year: u32, month: u32, day: u32, weekday: u32, hour: u32, minute: u32) -> bool {
        self.minute.values.contains(&minute)
            && self.hour.values.contains(&hour)
            && self.month.values.contains(&month)
            && self.year.values.contains(&year)
            && self.dom.values.contains(&day)
            && self.dow.values.contains(&weekday)
    }

    /// Whether it fires at the minute holding `epoch` in time zone `tz`.
    pub fn due_at(&self, epoch: i64, tz: &str) -> bool {
        let Ok(zone) = jiff::tz::TimeZone::get(tz) else { return false };
        let Ok(ts) = jiff::Timestamp::from_second(epoch) else { return false };
        let z = ts.to_zoned_datetime(zone);
        self.matches(
            z.year() as u32,
            z.month() as u32,
            z.day() as u32,
            u32::from(z.weekday().to_sunday_one_offset() as u8),
            z.hour() as u32,
            z.minute() as u32,
        )
    }
}

/// Whether `tz` is a known IANA time zone name.
pub fn valid_time_zone(tz: &str) -> bool {
    !tz.trim().is_empty() && jiff::tz::TimeZone::get(tz).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let cases = [
            ("0 0 * * *", "cron(0 0 * * ? *)"),
            ("@daily", "cron(0 0 * * ? *)"),
            ("@midnight", "cron(0 0 * * ? *)"),
            ("@hourly", "cron(0 * * * ? *)"),
            ("@weekly", "cron(0 0 ? * 1 *)"),
            ("@monthly", "cron(0 0 1 * ? *)"),
            ("@yearly", "cron(0 0 1 1 ? *)"),
            // Day-of-week numbering: unix 0/7 = Sunday → AWS 1; 1-5 → 2-6.
            ("30 9 * * 1-5", "cron(30 9 ? * 2-6 *)"),
            ("0 12 * * 0", "cron(0 12 ? * 1 *)"),
            ("0 12 * * 7", "cron(0 12 ? * 1 *)"),
            ("0 12 * * 5-7", "cron(0 12 ? * 1,6-7 *)"),
            ("0 12 * * SUN,sat", "cron(0 12 ? * 1,7 *)"),
            // `?` goes in day-of-week when day-of-month is given, and back.
            ("0 6 15 * *", "cron(0 6 15 * ? *)"),
            ("0 6 1,15 * *", "cron(0 6 1,15 * ? *)"),
            // Steps.
            ("*/15 * * * *", "cron(0/15 * * * ? *)"),
            ("5/20 * * * *", "cron(5/20 * * * ? *)"),
            ("0 */6 * * *", "cron(0 0/6 * * ? *)"),
            ("0 0 */2 * *", "cron(0 0 1/2 * ? *)"),
            ("0 0 1 */3 *", "cron(0 0 1 1/3 ? *)"),
            ("10-30/10 * * * *", "cron(10,20,30 * * * ? *)"),
            // A step in day-of-week (AWS has none there) is written out.
            ("0 8 * * */2", "cron(0 8 ? * 1,3,5,7 *)"),
            ("0 0 1 JAN,jul *", "cron(0 0 1 1,7 ? *)"),
            ("0-4 * * * *", "cron(0-4 * * * ? *)"),
        ];
        for (unix, aws) in cases {
            assert_eq!(unix_to_aws(unix).as_deref(), Ok(aws), "{unix}");
            // What we write, we can read back.
            parse_aws(aws).unwrap_or_else(|e| panic!("{aws}: {e}"));
        }
    }

    #[test]
    fn refusals() {
        for bad in ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "@reboot", "0 0 1 * 1", "a * * * *"] {
            assert!(unix_to_aws(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn matching_in_a_time_zone() {
        let c = parse_aws(&unix_to_aws("30 9 * * 1-5").unwrap()).unwrap();
        // 2026-01-05 is a Monday. 09:30 in New York (EST, UTC-5) is 14:30 UTC.
        let monday_1430_utc = 1_767_623_400;
        assert!(c.due_at(monday_1430_utc, "America/New_York"));
        assert!(!c.due_at(monday_1430_utc, "UTC"));
        assert!(!c.due_at(monday_1430_utc + 60, "America/New_York"));
        // Sunday is 1 in AWS: a Sunday schedule is due on 2026-01-04.
        let s = parse_aws(&unix_to_aws("0 12 * * 0").unwrap()).unwrap();
        assert!(s.due_at(1_767_528_000, "UTC"));
        assert!(!s.due_at(1_767_528_000 + 86_400, "UTC"));
        assert!(valid_time_zone("Europe/Berlin"));
        assert!(valid_time_zone("UTC"));
        assert!(!valid_time_zone("Mars/Olympus"));
        assert!(!valid_time_zone(""));
    }
}
