//! Percentiles and the printed table.

use std::time::Duration;

/// Latencies of many calls and the wall time they took together.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<Duration>,
    elapsed: Duration,
}

impl Latencies {
    pub fn new(mut times: Vec<Duration>, elapsed: Duration) -> Self {
        times.sort();
        Latencies {
            sorted: times,
            elapsed,
        }
    }

    /// The nearest-rank percentile (`p` in 0–100); zero when nothing was measured.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    pub fn count(&self) -> usize {
        self.sorted.len()
    }

    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.sorted.len() as f64 / secs
        } else {
            0.0
        }
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Fixed-width rows under a header, separated by two spaces; columns whose header starts with a
/// lower-case letter are left-aligned (words), the others right-aligned (numbers).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i].saturating_sub(c.chars().count());
                if header
                    .get(i)
                    .is_some_and(|h| h.starts_with(|c: char| c.is_lowercase()))
                {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let times = (1..=100).map(Duration::from_millis).rev().collect();
        let l = Latencies::new(times, Duration::from_secs(2));
        assert_eq!(l.percentile(50.0), Duration::from_millis(50));
        assert_eq!(l.percentile(99.0), Duration::from_millis(99));
        assert_eq!(l.percentile(100.0), Duration::from_millis(100));
        assert_eq!(l.percentile(0.0), Duration::from_millis(1));
        assert_eq!(l.per_second(), 50.0);
        assert_eq!(Latencies::default().percentile(99.0), Duration::ZERO);
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["what", "P50"],
            &[
                vec!["approvals".into(), "1.25".into()],
                vec!["x".into(), "10.00".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "what         P50");
        assert_eq!(lines[2], "approvals   1.25");
        assert_eq!(lines[3], "x          10.00");
    }
}
