//! Keeps certdesk under DigiCert's per-key limits with rolling windows (100 per 5 s and 1000
//! per 5 min by default), so the server never has to answer 429.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max_requests: usize,
    pub period: Duration,
}

const NETWORK_SLACK: Duration = Duration::from_secs(1);

pub struct RateLimiter {
    windows: Vec<Window>,
    /// Send times of the most recent requests, oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(windows: Vec<Window>) -> Self {
        RateLimiter {
            windows,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// DigiCert's documented limits, each window held one second longer than DigiCert's: the
    /// windows roll on arrival times, and a request may arrive later than one sent after it.
    pub fn digicert_default() -> Self {
        RateLimiter::new(vec![
            Window {
                max_requests: 100,
                period: Duration::from_secs(5) + NETWORK_SLACK,
            },
            Window {
                max_requests: 1000,
                period: Duration::from_secs(300) + NETWORK_SLACK,
            },
        ])
    }

    /// Waits until one more request fits every window, then records it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().expect("rate limiter lock");
                let now = Instant::now();
                let longest = self
                    .windows
                    .iter()
                    .map(|w| w.period)
                    .max()
                    .unwrap_or_default();
                while sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= longest)
                {
                    sent.pop_front();
                }
                let mut ready_at = now;
                for w in &self.windows {
                    let in_window = sent
                        .iter()
                        .rev()
                        .take_while(|t| now.duration_since(**t) < w.period)
                        .count();
                    if in_window >= w.max_requests {
                        // The request that must leave the window before another may enter it.
                        let oldest_blocking = sent[sent.len() - w.max_requests];
                        ready_at = ready_at.max(oldest_blocking + w.period);
                    }
                }
                if ready_at <= now {
                    sent.push_back(now);
                    return;
                }
                ready_at - now
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_exceeds_any_window() {
        let limiter = RateLimiter::new(vec![
            Window {
                max_requests: 5,
                period: Duration::from_secs(1),
            },
            Window {
                max_requests: 12,
                period: Duration::from_secs(10),
            },
        ]);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..30 {
            limiter.acquire().await;
            times.push(Instant::now() - start);
        }
        for (i, t) in times.iter().enumerate() {
            let in_1s = times[..=i]
                .iter()
                .filter(|u| *t - **u < Duration::from_secs(1))
                .count();
            let in_10s = times[..=i]
                .iter()
                .filter(|u| *t - **u < Duration::from_secs(10))
                .count();
            assert!(in_1s <= 5, "{in_1s} in one second at {t:?}");
            assert!(in_10s <= 12, "{in_10s} in ten seconds at {t:?}");
        }
        // The first five go at once; the sixth waits for the one-second window.
        assert_eq!(times[4], Duration::ZERO);
        assert_eq!(times[5], Duration::from_secs(1));
        // 30 requests at 12 per 10 s need at least 20 s.
        assert!(times[29] >= Duration::from_secs(20));
    }
}
