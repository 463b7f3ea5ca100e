//! The test step: the incoming and the outgoing server checked side by side, each as a live
//! checklist (resolve, connect, TLS, greeting, capabilities, STARTTLS, log in) filled in as
//! the core's transcript reports each stage.
//!
//! Each server is checked by [`tidings_mail::check::check_server`] on its own tokio task, so
//! the timings never include time the UI took to draw. A watcher on each check's transcript
//! forwards the stages into one channel that [`run`] turns into a stream of [`Progress`];
//! dropping the stream (the wizard's abort handle) aborts both tasks.

use std::time::Duration;

use iced::futures::{Stream, stream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use tidings_mail::account::{Account, Protocol, Security, Server};
use tidings_mail::auth::{Credential, Credentials};
use tidings_mail::check::{ServerCheck, SessionFacts, check_server};
use tidings_mail::error::{Error, ErrorReport};
use tidings_mail::net::{CertInfo, Endpoint, Event, Stage, StageName, Transcript};

/// Which of the account's two servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Incoming,
    Outgoing,
}

#[derive(Debug, Clone)]
pub enum Progress {
    /// A stage finished (or failed) on one side.
    Stage(Side, Stage),
    /// One side is done: everything the check learnt, its transcript and its error.
    Finished(Side, Box<ServerCheck>),
}

/// Where one row of a checklist is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    Waiting,
    Done {
        duration: Duration,
        ok: bool,
        detail: Option<String>,
    },
    /// The check ended (failed or stopped) before this stage.
    NotRun,
}

impl RowState {
    /// "waiting", "ok", "failed" or "not run".
    pub fn label(&self) -> &'static str {
        match self {
            RowState::Waiting => "waiting",
            RowState::Done { ok: true, .. } => "ok",
            RowState::Done { ok: false, .. } => "failed",
            RowState::NotRun => "not run",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub name: StageName,
    pub state: RowState,
}

/// One server's checklist and, once done, its result.
#[derive(Debug, Clone)]
pub struct ServerTest {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub rows: Vec<Row>,
    pub check: Option<Box<ServerCheck>>,
    pub show_transcript: bool,
}

impl ServerTest {
    pub fn new(protocol: Protocol, server: &Server) -> ServerTest {
        ServerTest {
            protocol,
            host: server.host.clone(),
            port: server.port,
            security: server.security,
            rows: expected(server.security)
                .into_iter()
                .map(|name| Row { name, state: RowState::Waiting })
                .collect(),
            check: None,
            show_transcript: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.check.is_some()
    }

    pub fn passed(&self) -> bool {
        self.check.as_ref().is_some_and(|check| check.ok)
    }

    /// Why it failed, once it did.
    pub fn error(&self) -> Option<&Error> {
        self.check.as_ref().and_then(|check| check.error_value.as_ref())
    }

    /// The certificate a TLS failure was about: the one the person may choose to pin.
    pub fn certificate(&self) -> Option<&CertInfo> {
        self.error().and_then(Error::certificate)
    }

    /// How long logging in took, once it succeeded.
    pub fn login_time(&self) -> Option<Duration> {
        self.rows.iter().find_map(|row| match (&row.name, &row.state) {
            (StageName::Login, RowState::Done { duration, ok: true, .. }) => Some(*duration),
            _ => None,
        })
    }

    /// A stage finished: the first report of a stage fills its row (later ones, such as the
    /// capabilities asked again after STARTTLS or login, only count when they fail).
    fn stage(&mut self, stage: Stage) {
        // The handshake after STARTTLS means the server agreed to it; the STARTTLS stage
        // itself is reported (with its time) only once the handshake succeeded.
        if stage.name == StageName::TlsHandshake
            && let Some(row) = self.rows.iter_mut().find(|row| row.name == StageName::StartTls)
            && row.state == RowState::Waiting
        {
            row.state = RowState::Done { duration: Duration::ZERO, ok: true, detail: None };
        }
        let Some(row) = self.rows.iter_mut().find(|row| row.name == stage.name) else { return };
        let replace = match &row.state {
            RowState::Waiting => true,
            // A placeholder (no time yet) takes the real report.
            RowState::Done { ok, duration, .. } => *ok && (!stage.ok || duration.is_zero()),
            RowState::NotRun => false,
        };
        if replace {
            row.state = RowState::Done { duration: stage.duration, ok: stage.ok, detail: stage.detail };
        }
    }

    /// The check ended: a failure no stage reported (STARTTLS not offered, LOGINDISABLED…)
    /// lands on the first row still waiting; the rows after it did not run.
    fn finish(&mut self, check: ServerCheck) {
        let mut failure_shown =
            check.ok || self.rows.iter().any(|row| matches!(row.state, RowState::Done { ok: false, .. }));
        for row in &mut self.rows {
            if row.state == RowState::Waiting {
                row.state = if failure_shown {
                    RowState::NotRun
                } else {
                    failure_shown = true;
                    RowState::Done { duration: Duration::ZERO, ok: false, detail: None }
                };
            }
        }
        self.check = Some(Box::new(check));
    }

    /// Stopped by the person: what had not run, won't.
    fn stop(&mut self) {
        for row in &mut self.rows {
            if row.state == RowState::Waiting {
                row.state = RowState::NotRun;
            }
        }
    }
}

/// The stages worth a row, in the order they happen.
fn expected(security: Security) -> Vec<StageName> {
    use StageName::*;
    match security {
        Security::Implicit => vec![Dns, Connect, TlsHandshake, Greeting, Capabilities, Login],
        // The handshake runs inside STARTTLS, right after the server agreed to it.
        Security::StartTls => vec![Dns, Connect, Greeting, Capabilities, StartTls, TlsHandshake, Login],
        Security::None => vec![Dns, Connect, Greeting, Capabilities, Login],
    }
}

/// Both servers' checks: what was tested (saved as is), and how it went.
#[derive(Debug, Clone)]
pub struct Checks {
    pub account: Account,
    pub incoming: ServerTest,
    pub outgoing: ServerTest,
    stopped: bool,
}

impl Checks {
    pub fn new(account: Account) -> Checks {
        Checks {
            incoming: ServerTest::new(account.incoming_protocol.into(), &account.incoming),
            outgoing: ServerTest::new(Protocol::Smtp, &account.outgoing),
            account,
            stopped: false,
        }
    }

    pub fn side(&self, side: Side) -> &ServerTest {
        match side {
            Side::Incoming => &self.incoming,
            Side::Outgoing => &self.outgoing,
        }
    }

    pub fn side_mut(&mut self, side: Side) -> &mut ServerTest {
        match side {
            Side::Incoming => &mut self.incoming,
            Side::Outgoing => &mut self.outgoing,
        }
    }

    pub fn is_running(&self) -> bool {
        !(self.stopped || self.incoming.is_done() && self.outgoing.is_done())
    }

    pub fn passed(&self) -> bool {
        self.incoming.passed() && self.outgoing.passed()
    }

    /// Finished, or stopped, without passing.
    pub fn failed(&self) -> bool {
        !self.is_running() && !self.passed()
    }

    pub fn progress(&mut self, progress: Progress) {
        if self.stopped {
            return;
        }
        match progress {
            Progress::Stage(side, stage) => self.side_mut(side).stage(stage),
            Progress::Finished(side, check) => self.side_mut(side).finish(*check),
        }
    }

    pub fn stop(&mut self) {
        self.stopped = true;
        self.incoming.stop();
        self.outgoing.stop();
    }
}

/// The checks of both servers of `account`, logging in with `credentials`, as progress.
pub fn run(account: Account, credentials: Credentials) -> impl Stream<Item = Progress> + Send + 'static {
    stream::unfold(State::Start(Box::new(account), Box::new(credentials)), |state| async move {
        match state {
            State::Start(account, credentials) => {
                let (tx, rx) = unbounded_channel();
                let protocol = account.incoming_protocol.into();
                let Credentials { incoming, outgoing } = *credentials;
                let workers = Workers(vec![
                    tokio::spawn(side(Side::Incoming, protocol, (*account).clone(), incoming, tx.clone())),
                    tokio::spawn(side(Side::Outgoing, Protocol::Smtp, *account, outgoing, tx)),
                ]);
                next(rx, workers, 2).await
            }
            State::Running { rx, workers, left } => next(rx, workers, left).await,
            State::Done => None,
        }
    })
}

enum State {
    Start(Box<Account>, Box<Credentials>),
    Running { rx: UnboundedReceiver<Progress>, workers: Workers, left: u8 },
    Done,
}

/// The two spawned checks; aborted when dropped (the step was left or the test stopped).
struct Workers(Vec<JoinHandle<()>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in &self.0 {
            worker.abort();
        }
    }
}

async fn next(mut rx: UnboundedReceiver<Progress>, workers: Workers, left: u8) -> Option<(Progress, State)> {
    let progress = rx.recv().await?;
    let left = left - u8::from(matches!(progress, Progress::Finished(..)));
    let state = if left == 0 { State::Done } else { State::Running { rx, workers, left } };
    Some((progress, state))
}

/// Checks one server, forwarding its stages as they happen, then its result.
async fn side(
    side: Side,
    protocol: Protocol,
    account: Account,
    credential: Credential,
    tx: UnboundedSender<Progress>,
) {
    let server = match side {
        Side::Incoming => account.incoming.clone(),
        Side::Outgoing => account.outgoing.clone(),
    };
    let transcript = Transcript::new();
    let mut events = transcript.watch();
    // Reads the CA file: a few hundred bytes, on this worker, never on the UI thread.
    let endpoint = Endpoint::for_account(&account, &server);
    let check = async {
        match &endpoint {
            Ok(endpoint) => check_server(protocol, endpoint, &credential, &transcript).await,
            Err(error) => not_started(protocol, &server, error.clone()),
        }
    };
    tokio::pin!(check);
    let check = loop {
        tokio::select! {
            biased;
            Some(event) = events.recv() => forward(&tx, side, event),
            check = &mut check => break check,
        }
    };
    while let Ok(event) = events.try_recv() {
        forward(&tx, side, event);
    }
    let _ = tx.send(Progress::Finished(side, Box::new(check)));
}

fn forward(tx: &UnboundedSender<Progress>, side: Side, event: Event) {
    if let Event::Stage(stage) = event {
        let _ = tx.send(Progress::Stage(side, stage));
    }
}

/// A check that could not even start (unreadable CA file, malformed pin).
fn not_started(protocol: Protocol, server: &Server, error: Error) -> ServerCheck {
    ServerCheck {
        protocol,
        host: server.host.clone(),
        port: server.port,
        security: server.security,
        ok: false,
        stages: Vec::new(),
        facts: SessionFacts::default(),
        error: Some(ErrorReport::from(&error)),
        error_value: Some(error),
        transcript: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_mail::error::Kind;

    fn stage(name: StageName, ok: bool, ms: u64) -> Stage {
        Stage { name, start: Duration::ZERO, duration: Duration::from_millis(ms), ok, detail: None }
    }

    fn check(ok: bool, error: Option<Error>) -> ServerCheck {
        ServerCheck {
            protocol: Protocol::Imap,
            host: "h".into(),
            port: 143,
            security: Security::StartTls,
            ok,
            stages: Vec::new(),
            facts: SessionFacts::default(),
            error: error.as_ref().map(ErrorReport::from),
            error_value: error,
            transcript: Vec::new(),
        }
    }

    fn states(test: &ServerTest) -> Vec<(StageName, &'static str)> {
        test.rows.iter().map(|row| (row.name, row.state.label())).collect()
    }

    fn server(security: Security) -> Server {
        Server {
            host: "h".into(),
            port: 143,
            security,
            user: "u".into(),
            auth: Default::default(),
            trust: Default::default(),
        }
    }

    #[test]
    fn a_failure_no_stage_reported_lands_on_the_first_waiting_row() {
        // STARTTLS not offered: the core refuses before any STARTTLS stage is recorded.
        let mut test = ServerTest::new(Protocol::Imap, &server(Security::StartTls));
        for name in [StageName::Dns, StageName::Connect, StageName::Greeting, StageName::Capabilities] {
            test.stage(stage(name, true, 3));
        }
        test.finish(check(false, Some(Error::new(Kind::Tls, "no STARTTLS"))));
        use StageName::*;
        assert_eq!(
            states(&test),
            vec![
                (Dns, "ok"),
                (Connect, "ok"),
                (Greeting, "ok"),
                (Capabilities, "ok"),
                (StartTls, "failed"),
                (TlsHandshake, "not run"),
                (Login, "not run")
            ]
        );
    }

    #[test]
    fn a_handshake_failing_after_starttls_shows_starttls_as_agreed() {
        let mut test = ServerTest::new(Protocol::Smtp, &server(Security::StartTls));
        for name in [StageName::Dns, StageName::Connect, StageName::Greeting, StageName::Capabilities] {
            test.stage(stage(name, true, 3));
        }
        test.stage(stage(StageName::TlsHandshake, false, 9));
        test.finish(check(false, Some(Error::new(Kind::Tls, "not trusted"))));
        let states = states(&test);
        assert_eq!(states[4], (StageName::StartTls, "ok"));
        assert_eq!(states[5], (StageName::TlsHandshake, "failed"));
        assert_eq!(states[6], (StageName::Login, "not run"));

        // On success, the STARTTLS stage's own time replaces the placeholder.
        let mut test = ServerTest::new(Protocol::Smtp, &server(Security::StartTls));
        test.stage(stage(StageName::TlsHandshake, true, 9));
        test.stage(stage(StageName::StartTls, true, 15));
        let starttls = test.rows.iter().find(|row| row.name == StageName::StartTls).map(|row| &row.state);
        assert!(
            matches!(starttls, Some(RowState::Done { duration, ok: true, .. }) if duration.as_millis() == 15)
        );
    }

    #[test]
    fn repeated_stages_keep_the_first_time_unless_they_fail() {
        let mut test = ServerTest::new(Protocol::Imap, &server(Security::Implicit));
        test.stage(stage(StageName::Capabilities, true, 5));
        test.stage(stage(StageName::Capabilities, true, 9));
        test.stage(stage(StageName::Login, false, 40));
        test.finish(check(false, None));
        let caps = test.rows.iter().find(|row| row.name == StageName::Capabilities).map(|row| &row.state);
        assert!(matches!(caps, Some(RowState::Done { duration, ok: true, .. }) if duration.as_millis() == 5));
        assert_eq!(states(&test)[0], (StageName::Dns, "not run"), "a failure was shown: nothing else fails");
        assert!(!test.passed() && test.is_done());
    }

    #[test]
    fn stopping_leaves_the_unfinished_rows_not_run() {
        let account = Account::new(
            "a".into(),
            "A".into(),
            "a@b.c".into(),
            tidings_mail::account::Incoming::Imap,
            server(Security::Implicit),
            server(Security::StartTls),
        );
        let mut checks = Checks::new(account);
        assert!(checks.is_running());
        checks.progress(Progress::Stage(Side::Incoming, stage(StageName::Dns, true, 1)));
        checks.stop();
        assert!(!checks.is_running() && checks.failed());
        checks.progress(Progress::Stage(Side::Incoming, stage(StageName::Connect, true, 1)));
        assert_eq!(states(&checks.incoming)[1], (StageName::Connect, "not run"), "late progress is ignored");
    }
}
