//! The steps that start work: discovery, following a redirect the person agreed to, and the
//! test of both servers. Each returns the task for the app to run and keeps its abort handle
//! in the step, so leaving the step stops the work.

use iced::Task;

use tidings_mail::account::Account;
use tidings_mail::auth::{Credential, Credentials};
use tidings_mail::discover::{Candidate, Discovery, discover, follow_confirmed};
use tidings_mail::error::Error;

use super::discovery::{self, Found};
use super::{Action, Checks, Message, Progress, ServerEdit, Side, Step, Wizard, checks};

impl Wizard {
    pub(super) fn find_settings(&mut self) -> Action {
        if !matches!(self.step, Step::Account) {
            return Action::None;
        }
        if let Err(errors) = self.form.validate_identity() {
            self.errors = Some(errors);
            return Action::None;
        }
        self.errors = None;
        let email = self.form.email.trim().to_string();
        let domain = email.rsplit_once('@').map(|(_, domain)| domain.to_string()).unwrap_or_default();
        let run = self.next_run();
        let options = self.options.clone();
        let (task, handle) = Task::perform(async move { discover(&email, &options).await }, move |found| {
            Message::Discovered(run, Box::new(found))
        })
        .abortable();
        self.step = Step::Discovering { domain, seconds: 0, _handle: handle.abort_on_drop() };
        Action::Run(task)
    }

    pub(super) fn tick(&mut self) -> Action {
        if let Step::Discovering { seconds, .. } = &mut self.step {
            *seconds += 1;
        }
        Action::None
    }

    /// Discovery ended: choose among what it found, or — nothing found — go to the form.
    pub(super) fn discovered(&mut self, run: u64, discovery: Discovery) -> Action {
        if run != self.run || !matches!(self.step, Step::Discovering { .. }) {
            return Action::None;
        }
        if discovery.candidates.is_empty() && discovery.needs_confirmation.is_empty() {
            self.notice = Some(discovery::nothing_found(&discovery));
            self.found = None;
            self.step = Step::Review;
        } else {
            self.step = Step::Found(Box::new(Found::new(discovery)));
        }
        Action::None
    }

    pub(super) fn choose(&mut self, side: Side, index: usize) -> Action {
        if let Step::Found(found) = &mut self.step {
            found.choose(side, index);
        }
        Action::None
    }

    /// The person agreed to follow a redirect to another domain.
    pub(super) fn follow(&mut self, index: usize) -> Action {
        let Step::Found(found) = &mut self.step else { return Action::None };
        let Some(item) = found.start_follow(index) else { return Action::None };
        let email = found.discovery.email.clone();
        let options = self.options.clone();
        let run = self.run;
        Action::Run(Task::perform(
            async move { follow_confirmed(&email, &item, &options).await },
            move |result| Message::Followed(run, index, result),
        ))
    }

    pub(super) fn followed(
        &mut self,
        run: u64,
        index: usize,
        result: Result<Vec<Candidate>, Error>,
    ) -> Action {
        if let (true, Step::Found(found)) = (run == self.run, &mut self.step) {
            found.followed(index, result);
        }
        Action::None
    }

    /// On to the form, prefilled with the chosen settings.
    pub(super) fn use_found(&mut self) -> Action {
        let step = std::mem::replace(&mut self.step, Step::Review);
        let Step::Found(found) = step else {
            self.step = step;
            return Action::None;
        };
        self.form.prefill(&found.prefill());
        if let Some(provider) = found.sign_in() {
            self.form.sign_in_with(provider);
        }
        self.notice = found.notice();
        self.errors = None;
        self.found = Some(found);
        Action::None
    }

    /// Checks both servers with the form's settings (from the form, or again from the test or
    /// a failed sign-in); an OAuth2 account signs in first.
    pub(super) fn test(&mut self) -> Action {
        if !matches!(self.step, Step::Review | Step::Testing { .. } | Step::SigningIn { .. }) {
            return Action::None;
        }
        let (account, password) = match self.form.validate() {
            Ok(valid) => valid,
            Err(errors) => {
                self.errors = Some(errors);
                self.step = Step::Review;
                return Action::None;
            }
        };
        self.errors = None;
        self.failure = None;
        if account.oauth2.is_some() {
            return self.sign_in_and_check(account);
        }
        let credentials = Credentials {
            incoming: Credential::password(&account.incoming.user, &password),
            outgoing: Credential::password(&account.outgoing.user, &password),
        };
        self.start_checks(account, credentials)
    }

    /// The test step, checking both servers with `credentials`.
    pub(super) fn start_checks(&mut self, account: Account, credentials: Credentials) -> Action {
        let run = self.next_run();
        let (task, handle) = Task::run(checks::run(account.clone(), credentials), move |progress| {
            Message::Check(run, progress)
        })
        .abortable();
        self.step =
            Step::Testing { checks: Box::new(Checks::new(account)), handle: Some(handle.abort_on_drop()) };
        Action::Run(task)
    }

    pub(super) fn check_progress(&mut self, run: u64, progress: Progress) -> Action {
        if let (true, Step::Testing { checks, handle }) = (run == self.run, &mut self.step) {
            checks.progress(progress);
            if !checks.is_running() {
                *handle = None;
            }
        }
        Action::None
    }

    pub(super) fn stop_test(&mut self) -> Action {
        if let Step::Testing { checks, handle } = &mut self.step {
            // Dropping the handle ends the stream, which aborts both checks.
            *handle = None;
            checks.stop();
        }
        Action::None
    }

    /// Pins the certificate this side's server showed, then tests again. Only a certificate
    /// the person has seen in the panel can be pinned: there is no "accept all".
    pub(super) fn trust(&mut self, side: Side) -> Action {
        let Step::Testing { checks, .. } = &self.step else { return Action::None };
        let Some(certificate) = checks.side(side).certificate() else { return Action::None };
        let pin = ServerEdit::Pin(Some(certificate.sha256.clone()));
        match side {
            Side::Incoming => self.form.edit_incoming(pin),
            Side::Outgoing => self.form.edit_outgoing(pin),
        }
        self.test()
    }

    pub(super) fn toggle_transcript(&mut self, side: Side) -> Action {
        if let Step::Testing { checks, .. } = &mut self.step {
            let test = checks.side_mut(side);
            test.show_transcript = !test.show_transcript;
        }
        Action::None
    }
}
