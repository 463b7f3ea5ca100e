//! The inspection as a stream of progress for the screen.
//!
//! The stream, when first polled (so on the app's tokio runtime, never in `update`), reads the
//! CA file, registers a watcher on a fresh transcript and spawns the core's `inspect` on a
//! tokio task. The task runs at its own pace, so the stage timings never include time the UI
//! took to draw. The stream then yields batches of what the watcher received (every line and
//! stage as they happen, already redacted) and, when the task ends, the report. Dropping the
//! stream (the screen's abort handle) aborts the task.

use std::path::PathBuf;

use iced::futures::{Stream, stream};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use tidings_mail::account::{Protocol, SecretRole};
use tidings_mail::inspect::{Credentials, InspectOptions, Report, Target, inspect};
use tidings_mail::net::{Event, Fingerprint, Transcript, TrustAnchors};

/// Most events handed over in one message; a fast server's burst becomes a few messages.
const MAX_BATCH: usize = 1000;

/// One inspection to run, from the form.
pub struct Job {
    pub target: Target,
    pub ca_file: Option<PathBuf>,
    pub pin: Option<Fingerprint>,
    pub creds: Option<Credentials>,
    /// Log in with this account's OAuth2 token (fetched when the inspection starts).
    pub sign_in: Option<super::form::SignIn>,
    /// Keep the sampled messages' content in the transcript.
    pub include_content: bool,
}

#[derive(Debug, Clone)]
pub enum Progress {
    /// Lines and finished stages, in the order they happened.
    Events(Vec<Event>),
    /// The full report (its transcript and stages are the complete ones).
    Finished(Box<Report>),
    /// The inspection could not start or stopped abnormally; a sentence saying why.
    Failed(String),
}

/// The inspection of `job`, as progress.
pub fn run(job: Job) -> impl Stream<Item = Progress> + Send + 'static {
    stream::unfold(State::Start(Box::new(job)), |state| async move {
        match state {
            State::Start(job) => match start(*job).await {
                Ok((events, worker)) => next(events, worker).await,
                Err(why) => Some((Progress::Failed(why), State::Done)),
            },
            State::Running { events, worker } => next(events, worker).await,
            State::Done => None,
        }
    })
}

enum State {
    Start(Box<Job>),
    Running { events: UnboundedReceiver<Event>, worker: Worker },
    Done,
}

/// The spawned inspection; aborted when dropped (the screen stopped or was left).
struct Worker(JoinHandle<Report>);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn start(job: Job) -> Result<(UnboundedReceiver<Event>, Worker), String> {
    let mut trust = TrustAnchors { extra_ca_pem: Vec::new(), pin: job.pin };
    if let Some(path) = &job.ca_file {
        let pem = tokio::fs::read(path)
            .await
            .map_err(|e| format!("Cannot read the CA file {}: {e}.", path.display()))?;
        trust.extra_ca_pem.push(pem);
    }
    let transcript = Transcript::new();
    let events = transcript.watch();
    let Job { target, mut creds, sign_in, include_content, .. } = job;
    if let Some(sign_in) = sign_in {
        let role =
            if target.protocol == Protocol::Smtp { SecretRole::Outgoing } else { SecretRole::Incoming };
        let credential = tidings_mail::auth::credential(&sign_in.account, &sign_in.secrets, role)
            .await
            .map_err(|e| format!("Cannot sign in with the account's OAuth2 sign-in: {e}. {}", e.advice()))?;
        creds = Some(credential);
    }
    let opts = InspectOptions { include_content, ..InspectOptions::default() };
    let worker = tokio::spawn(async move { inspect(&target, trust, creds, &opts, &transcript).await });
    Ok((events, Worker(worker)))
}

/// The next batch of events, or the report once the inspection has ended.
async fn next(mut events: UnboundedReceiver<Event>, mut worker: Worker) -> Option<(Progress, State)> {
    tokio::select! {
        // Events first: whatever happened before the end is shown before the report.
        biased;
        Some(first) = events.recv() => {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match events.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            Some((Progress::Events(batch), State::Running { events, worker }))
        }
        ended = &mut worker.0 => {
            let progress = match ended {
                Ok(report) => Progress::Finished(Box::new(report)),
                Err(e) => Progress::Failed(format!("The inspection stopped unexpectedly ({e}).")),
            };
            Some((progress, State::Done))
        }
    }
}
