//! The screens that set accounts up, as the app routes them: the settings of an account
//! (and what storing them changes), the inspector, and the wizard with its saving.

use iced::Task;
use iced::widget::operation;

use tidings_mail::error::Error;

use super::{App, Message, Screen};
use crate::passes;
use crate::screen::settings::{self, store::Stored};
use crate::screen::wizard::save::{self, PasswordStore, SaveError, Saved, Secret};
use crate::screen::{accounts, inspector, wizard};

impl App {
    pub(super) fn open_settings(&mut self, id: &str) -> Task<Message> {
        let Some(account) = self.config.account(id) else { return Task::none() };
        let paths = settings::Paths {
            data_dir: self.profile.account_data_dir(&account.id),
            transcript_log: self.profile.transcript_log(&account.id),
        };
        self.screen =
            Screen::Settings(Box::new(settings::Settings::new(account, paths, self.config.notifications)));
        settings::top_of_page()
    }

    pub(super) fn settings(&mut self, message: settings::Message) -> Task<Message> {
        let Screen::Settings(settings) = &mut self.screen else { return Task::none() };
        let (profile, secrets, config) = (self.profile.clone(), self.secrets.clone(), self.config.clone());
        match settings.update(message) {
            settings::Action::None => Task::none(),
            settings::Action::Back => {
                self.screen = self.home();
                Task::none()
            }
            settings::Action::Save { account, password } => Task::perform(
                settings::store::save(profile, secrets, config, *account, password),
                Message::SettingsStored,
            ),
            settings::Action::Remove { id } => {
                Task::perform(settings::store::remove(profile, secrets, config, id), Message::SettingsStored)
            }
            settings::Action::Preview(request) => {
                Task::perform(settings::preview::run(profile, secrets, *request), |outcome| {
                    Message::Settings(settings::Message::Previewed(outcome))
                })
            }
        }
    }

    pub(super) fn settings_stored(&mut self, result: Result<Stored, Error>) -> Task<Message> {
        match (result, &mut self.screen) {
            (Ok(stored), _) => {
                // Running accounts take their new options without restarting; new servers
                // need a new connection, so that account's task starts anew.
                for account in &stored.config.accounts {
                    let Some(old) = self.config.account(&account.id) else { continue };
                    if passes::needs_restart(old, account) {
                        self.passes.restart(&account.id);
                    } else if old.options != account.options {
                        self.passes.options_changed(&account.id, account.options);
                    }
                }
                self.passes.retain(&stored.config);
                self.config = stored.config;
                self.screen = match self.home() {
                    Screen::Accounts(_) => Screen::Accounts(accounts::Accounts::with_notice(stored.notice)),
                    home => home,
                };
            }
            (Err(error), Screen::Settings(settings)) => {
                settings.failed(&error);
                return settings::top_of_page();
            }
            // The screen was left meanwhile: nothing waits for the answer.
            (Err(_), _) => {}
        }
        Task::none()
    }

    /// The inspector, prefilled with an account's incoming server (not its password).
    pub(super) fn inspect_account(&mut self, id: &str) -> Task<Message> {
        let Some(account) = self.config.account(id) else { return Task::none() };
        let inspector = inspector::Inspector::for_account(account, &self.secrets);
        self.open_inspector(inspector)
    }

    pub(super) fn open_inspector(&mut self, inspector: inspector::Inspector) -> Task<Message> {
        let focus =
            if inspector.form().url.is_empty() { inspector::id::URL } else { inspector::id::PASSWORD };
        self.screen = Screen::Inspector(Box::new(inspector));
        operation::focus(focus)
    }

    pub(super) fn inspector(&mut self, message: inspector::Message) -> Task<Message> {
        let Screen::Inspector(inspector) = &mut self.screen else { return Task::none() };
        match inspector.update(message) {
            inspector::Action::None => Task::none(),
            inspector::Action::Run(task) => task.map(Message::Inspector),
            // Leaving drops the screen, and with it any inspection still running.
            inspector::Action::Back => {
                self.screen = self.home();
                Task::none()
            }
        }
    }

    pub(super) fn open_wizard(&mut self) -> Task<Message> {
        self.screen = Screen::Wizard(Box::new(wizard::Wizard::new(self.discover.clone())));
        Task::batch([operation::focus(wizard::id::SENDER_NAME), wizard::top_of_page()])
    }

    pub(super) fn wizard(&mut self, message: wizard::Message) -> Task<Message> {
        let Screen::Wizard(wizard) = &mut self.screen else { return Task::none() };
        match wizard.update(message) {
            wizard::Action::None => Task::none(),
            wizard::Action::Run(task) => task.map(Message::Wizard),
            wizard::Action::Save { account, secret } => self.save(account, secret, PasswordStore::System),
            wizard::Action::SaveForSession { account, secret } => {
                self.save(account, secret, PasswordStore::SessionOnly)
            }
            wizard::Action::Cancel => {
                self.screen = self.home();
                Task::none()
            }
        }
    }

    pub(super) fn save(
        &self,
        account: tidings_mail::account::Account,
        secret: Secret,
        store: PasswordStore,
    ) -> Task<Message> {
        Task::perform(
            save::save(
                self.profile.clone(),
                self.secrets.clone(),
                self.config.clone(),
                account,
                secret,
                store,
            ),
            Message::Saved,
        )
    }

    pub(super) fn saved(&mut self, result: Result<Saved, SaveError>) -> Task<Message> {
        match (result, &mut self.screen) {
            (Ok(saved), _) => {
                self.config = saved.config;
                let notice = match saved.store {
                    PasswordStore::System => format!("Added “{}”.", saved.account_name),
                    PasswordStore::SessionOnly => format!(
                        "Added “{}”. Its password is kept only until Tidings closes.",
                        saved.account_name
                    ),
                };
                self.screen = Screen::Accounts(accounts::Accounts::with_notice(notice));
            }
            (Err(SaveError::NoSecretService(error)), Screen::Wizard(wizard)) => {
                wizard.no_secret_service(&error);
            }
            (Err(SaveError::Failed(error)), Screen::Wizard(wizard)) => {
                wizard.saving_failed(&error);
                return wizard::top_of_page();
            }
            // The wizard was left while saving: nothing waits for the answer.
            (Err(_), _) => {}
        }
        Task::none()
    }
}
