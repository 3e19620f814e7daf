//! Reading documents off the async runtime, within the document deadline.
//!
//! Parsing is CPU work: on the runtime's few threads, two large documents would stall
//! every other request. On a blocking thread the caller waits asynchronously, and gets
//! its answer at the deadline at the latest. The thread itself cannot be stopped; what
//! it may still do after the deadline is bounded by the other limits.
//!
//! Each read may hold what the limits allow (a few hundred MB at the defaults), so the
//! process reads as many documents at once as it has processors, and no more; the others
//! wait their turn, which their deadline does not count.

use super::document_limits::{DocumentLimits, Limit, LimitExceeded};
use anyhow::anyhow;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::Semaphore;

/// Runs `read` (which reads the document `what`) on a blocking thread. A read that has
/// not finished by `limits.parse_timeout` is refused with a [`LimitExceeded`] naming the
/// deadline, and so is one that finished only after it.
pub async fn read_blocking<T, F>(limits: &DocumentLimits, what: &str, read: F) -> anyhow::Result<T>
where
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let permit = turns()
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| anyhow!("reading {what}: the server is shutting down"))?;
    let started = Instant::now();
    let task = tokio::task::spawn_blocking(move || {
        let _reading = Reading::start();
        let result = read();
        drop(permit);
        result
    });
    let late = || anyhow::Error::new(LimitExceeded::new(Limit::Deadline, limits).of(what));
    match tokio::time::timeout(limits.parse_timeout, task).await {
        Ok(Ok(_)) if started.elapsed() >= limits.parse_timeout => Err(late()),
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(anyhow!("reading {what} failed: {e}")),
        Err(_) => Err(late()),
    }
}

/// One turn per processor, for the whole process.
fn turns() -> &'static Arc<Semaphore> {
    static TURNS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    TURNS.get_or_init(|| {
        let processors = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Semaphore::new(processors.max(2)))
    })
}

/// Documents being read right now, in `ghgov_document_reads_in_progress`: reads that
/// outlive their deadline show here until they end.
struct Reading;

const IN_PROGRESS: &str = "ghgov_document_reads_in_progress";

impl Reading {
    fn start() -> Reading {
        metrics::gauge!(IN_PROGRESS).increment(1.0);
        Reading
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        metrics::gauge!(IN_PROGRESS).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(parse_timeout: Duration) -> DocumentLimits {
        DocumentLimits {
            parse_timeout,
            ..DocumentLimits::DEFAULT
        }
    }

    #[tokio::test]
    async fn a_read_within_the_deadline_gives_its_result() {
        let v = read_blocking(&limits(Duration::from_secs(60)), "t", || Ok(7)).await;
        assert_eq!(v.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_read_past_the_deadline_is_refused_naming_it() {
        // A zero deadline has passed whenever the read ends, however fast it is.
        let e = read_blocking(&limits(Duration::ZERO), "spec", || Ok(7))
            .await
            .unwrap_err();
        let exceeded = e.downcast_ref::<LimitExceeded>().expect("a limit");
        assert_eq!(exceeded.limit, Limit::Deadline);
        assert!(e.to_string().contains("--document-parse-timeout-ms"), "{e}");
    }
}
