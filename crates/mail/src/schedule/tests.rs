//! The scheduler on tokio's paused clock: minutes pass in microseconds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::*;

/// Records when passes start and end; fails with the errors it is given.
#[derive(Clone)]
struct Recorder {
    starts: Arc<Mutex<Vec<(Duration, Reason)>>>,
    running: Arc<AtomicUsize>,
    max_running: Arc<AtomicUsize>,
    takes: Duration,
    failures: Arc<Mutex<Vec<Kind>>>,
    t0: Instant,
}

impl Recorder {
    fn new(takes: Duration) -> Recorder {
        Recorder {
            starts: Arc::default(),
            running: Arc::default(),
            max_running: Arc::default(),
            takes,
            failures: Arc::default(),
            t0: Instant::now(),
        }
    }
    fn starts(&self) -> Vec<(Duration, Reason)> {
        self.starts.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl PassRunner for Recorder {
    fn pass(&mut self, reason: Reason) -> Pin<Box<dyn Future<Output = PassResult> + Send + '_>> {
        Box::pin(async move {
            self.starts.lock().unwrap().push((self.t0.elapsed(), reason));
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_running.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(self.takes).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            let fail = { self.failures.lock().unwrap().pop() };
            match fail {
                Some(kind) => Err(Error::new(kind, "simulated failure")),
                None => Ok(()),
            }
        })
    }
}

fn start(schedule: Schedule, rec: &Recorder) -> (mpsc::Sender<Command>, mpsc::UnboundedReceiver<Event>) {
    let (cmd_tx, cmd_rx) = mpsc::channel(8);
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(run(schedule, rec.clone(), cmd_rx, ev_tx, 42));
    (cmd_tx, ev_rx)
}

const MIN: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn a_pass_at_start_then_every_n_minutes_with_bounded_jitter() {
    let rec = Recorder::new(Duration::from_secs(5));
    let (_cmd, _ev) = start(Schedule { at_start: true, every_minutes: Some(10) }, &rec);
    tokio::time::sleep(61 * MIN).await;
    let starts = rec.starts();
    assert_eq!(starts[0], (Duration::ZERO, Reason::Start));
    assert!(starts.len() >= 6, "{starts:?}");
    let mut jitters = Vec::new();
    for pair in starts.windows(2) {
        assert_eq!(pair[1].1, Reason::Timer);
        // Interval counts from the end of the previous pass (5 s), plus up to 60 s of jitter.
        let gap = pair[1].0 - pair[0].0;
        let jitter = gap - Duration::from_secs(5) - 10 * MIN;
        assert!(jitter <= Duration::from_secs(60), "gap {gap:?}");
        jitters.push(jitter);
    }
    assert!(jitters.iter().any(|j| *j != jitters[0]), "the jitter should vary: {jitters:?}");
}

#[tokio::test(start_paused = true)]
async fn only_when_asked_never_runs_by_itself() {
    let rec = Recorder::new(Duration::from_secs(1));
    let (cmd, mut ev) = start(Schedule::only_when_asked(), &rec);
    tokio::time::sleep(24 * 60 * MIN).await;
    assert!(rec.starts().is_empty());
    cmd.send(Command::RunNow).await.unwrap();
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Manual)));
    assert!(matches!(ev.recv().await, Some(Event::PassFinished { ok: true, next: None, .. })));
    // Even a network failure is not retried by itself.
    rec.failures.lock().unwrap().push(Kind::Network);
    cmd.send(Command::RunNow).await.unwrap();
    ev.recv().await;
    assert!(matches!(ev.recv().await, Some(Event::Offline { retry_in: None, .. })));
    tokio::time::sleep(24 * 60 * MIN).await;
    assert_eq!(rec.starts().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn passes_never_overlap_and_requests_during_a_pass_are_merged() {
    let rec = Recorder::new(5 * MIN);
    let (cmd, mut ev) = start(Schedule { at_start: true, every_minutes: Some(1) }, &rec);
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Start)));
    cmd.send(Command::RunNow).await.unwrap();
    cmd.send(Command::RunNow).await.unwrap();
    assert_eq!(ev.recv().await, Some(Event::Merged));
    assert_eq!(ev.recv().await, Some(Event::Merged));
    tokio::time::sleep(60 * MIN).await;
    assert_eq!(rec.max_running.load(Ordering::SeqCst), 1);
    let starts = rec.starts();
    assert!(
        starts.iter().all(|(_, r)| *r != Reason::Manual),
        "merged requests must not start passes: {starts:?}"
    );
    for pair in starts.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= 6 * MIN, "{starts:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn network_failures_back_off_exponentially_and_recovery_resumes_the_schedule() {
    let rec = Recorder::new(Duration::ZERO);
    {
        let mut f = rec.failures.lock().unwrap();
        f.extend(std::iter::repeat_n(Kind::Network, 6));
    }
    let (_cmd, mut ev) = start(Schedule { at_start: true, every_minutes: Some(10) }, &rec);
    let mut retries = Vec::new();
    while retries.len() < 6 {
        if let Some(Event::Offline { retry_in, .. }) = ev.recv().await {
            retries.push(retry_in.unwrap().as_secs());
        }
    }
    // 30 s doubling, capped at the account's own interval (10 min).
    assert_eq!(retries, [30, 60, 120, 240, 480, 600]);
    // The 7th attempt succeeds: back to the normal schedule.
    loop {
        if let Some(Event::PassFinished { ok, next, .. }) = ev.recv().await {
            assert!(ok);
            let next = next.unwrap();
            assert!(next >= 10 * MIN && next <= 11 * MIN, "{next:?}");
            break;
        }
    }
    let reasons: Vec<Reason> = rec.starts().into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons[0], Reason::Start);
    assert!(reasons[1..].iter().all(|r| *r == Reason::Retry));
}

#[tokio::test(start_paused = true)]
async fn an_auth_failure_is_not_retried_early() {
    let rec = Recorder::new(Duration::ZERO);
    rec.failures.lock().unwrap().push(Kind::Auth);
    let (_cmd, mut ev) = start(Schedule { at_start: true, every_minutes: Some(10) }, &rec);
    ev.recv().await;
    assert!(matches!(ev.recv().await, Some(Event::PassFinished { ok: false, .. })));
    tokio::time::sleep(9 * MIN).await;
    assert_eq!(rec.starts().len(), 1);
}

#[test]
fn warnings_and_defaults() {
    assert_eq!(Schedule::default(), Schedule { at_start: true, every_minutes: Some(10) });
    assert!(Schedule { at_start: false, every_minutes: Some(2) }.warning().is_some());
    assert!(Schedule::default().warning().is_none());
    assert_eq!(Schedule::default().max_jitter(), Duration::from_secs(60));
    assert_eq!(Schedule { at_start: false, every_minutes: Some(5) }.max_jitter(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn a_shorter_minute_scales_interval_jitter_and_backoff() {
    let rec = Recorder::new(Duration::ZERO);
    {
        let mut f = rec.failures.lock().unwrap();
        f.extend(std::iter::repeat_n(Kind::Network, 3));
    }
    let (cmd_tx, cmd_rx) = mpsc::channel(8);
    let (ev_tx, mut ev) = mpsc::unbounded_channel();
    let schedule = Schedule { at_start: true, every_minutes: Some(2) };
    tokio::spawn(run_scaled(schedule, Duration::from_secs(1), rec.clone(), cmd_rx, ev_tx, 7));
    let mut retries = Vec::new();
    while retries.len() < 3 {
        if let Some(Event::Offline { retry_in, .. }) = ev.recv().await {
            retries.push(retry_in.unwrap().as_millis());
        }
    }
    // Half a minute doubling, capped at the interval: 0.5 s, 1 s, 2 s.
    assert_eq!(retries, [500, 1000, 2000]);
    loop {
        if let Some(Event::PassFinished { next, .. }) = ev.recv().await {
            let next = next.unwrap();
            assert!(next >= Duration::from_secs(2) && next <= Duration::from_millis(2200), "{next:?}");
            break;
        }
    }
    drop(cmd_tx);
}

#[tokio::test(start_paused = true)]
async fn at_start_only_runs_once_and_new_options_reschedule() {
    let rec = Recorder::new(Duration::from_secs(1));
    let (cmd, mut ev) = start(Schedule { at_start: true, every_minutes: None }, &rec);
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Start)));
    assert!(matches!(ev.recv().await, Some(Event::PassFinished { ok: true, next: None, .. })));
    tokio::time::sleep(24 * 60 * MIN).await;
    assert_eq!(rec.starts().len(), 1, "no interval: nothing more by itself");
    // The account's options change to "every 10 minutes": the timer starts from now.
    let options = crate::options::Options {
        schedule: Schedule { at_start: true, every_minutes: Some(10) },
        ..Default::default()
    };
    cmd.send(Command::Options(options)).await.unwrap();
    let asked = Instant::now();
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Timer)));
    let waited = asked.elapsed();
    assert!(waited >= 10 * MIN && waited <= 11 * MIN, "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn other_options_keep_the_next_check_and_a_new_interval_counts_from_the_last() {
    let rec = Recorder::new(Duration::ZERO);
    let every = |m| Schedule { at_start: true, every_minutes: Some(m) };
    let (cmd, mut ev) = start(every(10), &rec);
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Start)));
    assert!(matches!(ev.recv().await, Some(Event::PassFinished { ok: true, .. })));
    let checked = Instant::now();
    // Five minutes later another option changes (the schedule is the same): the next check
    // is still ten minutes after the last, not ten minutes after the change.
    tokio::time::sleep(5 * MIN).await;
    let notify_off = crate::options::Options { schedule: every(10), notify: false, ..Default::default() };
    cmd.send(Command::Options(notify_off)).await.unwrap();
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Timer)));
    let waited = checked.elapsed();
    assert!(waited >= 10 * MIN && waited <= 11 * MIN, "pushed back: {waited:?}");
    assert!(matches!(ev.recv().await, Some(Event::PassFinished { ok: true, .. })));
    // Now the interval becomes 20 minutes, 5 minutes after that check: the next is 20
    // minutes after the check (15 from the change), not 20 from the change.
    let checked = Instant::now();
    tokio::time::sleep(5 * MIN).await;
    cmd.send(Command::Reschedule(every(20))).await.unwrap();
    assert_eq!(ev.recv().await, Some(Event::PassStarted(Reason::Timer)));
    let waited = checked.elapsed();
    assert!(waited >= 20 * MIN && waited <= 21 * MIN, "{waited:?}");
    assert_eq!(rec.starts().len(), 3);
}
