//! The application: which screen is shown, and the router between screens and the core.
//! Every account's send/receive runs in a subscription of its own ([`passes`]), whatever
//! the screen; the app keeps each account's command sender and status bar. Where the person
//! is and the window's size are kept for the next start ([`restore`]). The settings, the
//! inspector and the wizard are routed in [`setup_screens`].

mod desktop;
mod layout_report;
mod restore;
mod setup_screens;
mod startup_report;

use iced::keyboard::{self, key};
use iced::theme::Mode;
use std::time::{Duration, SystemTime};

use iced::widget::{container, operation};
use iced::{Element, Event, Length, Subscription, Task, Theme, event, system, window};

use tidings_mail::config::Config;
use tidings_mail::discover::DiscoverOptions;
use tidings_mail::error::{Error, Kind};
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::ui_state::UiState;

use crate::desktop::instance::Request;
use crate::passes::{self, Effect, Passes};
use crate::screen::settings::{self, store::Stored};
use crate::screen::wizard::save::{SaveError, Saved};
use crate::screen::{accounts, composer, help, inspector, loading, mailbox, welcome, wizard};
use crate::theme;

pub use layout_report::{Found as LayoutFound, VARIABLE as REPORT_LAYOUT};
pub use restore::{SAVE_AFTER, WindowEvent, window_settings};

pub struct App {
    profile: Profile,
    secrets: Secrets,
    /// The configuration as last read or written; empty until loaded.
    config: Config,
    screen: Screen,
    theme: Theme,
    /// Where the wizard's discovery looks: the real world, or the testkit's servers in tests.
    discover: DiscoverOptions,
    /// Each account's send/receive: its command sender and status bar.
    passes: Passes,
    /// The composer, shown over the screen (the mailbox keeps its state underneath).
    composer: Option<Box<composer::Composer>>,
    /// Help (shortcuts, About), shown over everything.
    help: Option<Box<help::Help>>,
    /// Requests from the desktop waiting for the settings, or for the composer to close.
    pending: Vec<Request>,
    /// Where the person is and the window's size, as last read or seen.
    ui: UiState,
    /// `ui` changed since it was last written.
    unsaved: bool,
    /// Print where the toolbar's actions are ([`layout_report`]), and the last line printed.
    report_layout: bool,
    last_layout: String,
    /// When the app began, until the first painted list is reported ([`startup_report`]).
    report_startup: Option<std::time::Instant>,
}

pub enum Screen {
    Loading,
    LoadFailed(loading::Failed),
    Welcome(welcome::Welcome),
    Wizard(Box<wizard::Wizard>),
    Accounts(accounts::Accounts),
    Inspector(Box<inspector::Inspector>),
    Settings(Box<settings::Settings>),
    Mailbox(Box<mailbox::Mailbox>),
}

#[derive(Debug, Clone)]
pub enum Message {
    /// The configuration, and where the person left the app.
    Loaded(Result<Config, Error>, Box<UiState>),
    Loading(loading::Message),
    Welcome(welcome::Message),
    Wizard(wizard::Message),
    Accounts(accounts::Message),
    Inspector(inspector::Message),
    Saved(Result<Saved, SaveError>),
    Settings(settings::Message),
    /// An account's settings were written, or the account removed.
    SettingsStored(Result<Stored, Error>),
    /// The notifications switch (for all accounts) was written to the config, or not.
    NotificationsStored {
        on: bool,
        result: Result<(), Error>,
    },
    Mailbox(mailbox::Message),
    /// A sender whose remote content shows without asking was written to the config, or not.
    RemoteAllowed(Result<Stored, Error>),
    Composer(composer::Message),
    /// The desktop's colour scheme, at start and whenever it changes.
    SystemTheme(Mode),
    Key(KeyAction),
    /// What an account's send/receive reports.
    Pass(passes::Event),
    /// The clock, while a status bar counts down (an account offline).
    Tick(SystemTime),
    Window(WindowEvent),
    /// Time to write where the person is and the window's size…
    SaveUiState,
    /// …written (or not: it is a convenience).
    UiStateSaved,
    /// Time to look where the actions are, and what was found ([`layout_report`]).
    ReportLayout,
    LayoutFound(LayoutFound),
    /// A frame was drawn, while the start-up is timed ([`startup_report`]).
    StartupFrame,
    /// A start of `tidings` asked for something (this one, or a later one over the bus).
    Desktop(Request),
    Help(help::Message),
    /// Tidings was made the desktop's mail program, or not.
    MailApp(Result<(), Error>),
}

/// What a key press means, whatever the screen (see [`key_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    FocusNext,
    FocusPrevious,
    /// F1, or `?` outside a text field: the shortcuts.
    Help,
}

impl App {
    /// Boots: reads the configuration, where the person left the app and the system colour
    /// scheme off the UI thread; fits the window to the screen.
    pub fn new(profile: Profile, secrets: Secrets) -> (App, Task<Message>) {
        let mut app = App::empty(profile, secrets);
        app.report_layout = layout_report::wanted();
        app.report_startup = startup_report::wanted();
        let load = app.load();
        (app, Task::batch([load, system::theme().map(Message::SystemTheme), App::measure_screen()]))
    }

    fn empty(profile: Profile, secrets: Secrets) -> App {
        App {
            profile,
            secrets,
            config: Config::default(),
            screen: Screen::Loading,
            theme: theme::for_mode(Mode::None),
            discover: DiscoverOptions::default(),
            passes: Passes::default(),
            composer: None,
            help: None,
            pending: Vec::new(),
            ui: UiState::default(),
            unsaved: false,
            report_layout: false,
            last_layout: String::new(),
            report_startup: None,
        }
    }

    /// An app whose configuration is already loaded (tests, and a future profile switch), on
    /// the overview (or the welcome screen).
    pub fn with_config(profile: Profile, secrets: Secrets, config: Config) -> App {
        let mut app = App::empty(profile, secrets);
        let _ = app.loaded(Ok(config), UiState::default());
        app
    }

    /// The same app, with the wizard's discovery pointed elsewhere (tests: the testkit's DNS
    /// and web servers).
    pub fn with_discovery(mut self, options: DiscoverOptions) -> App {
        self.discover = options;
        self
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The composer, when one is open.
    pub fn composer(&self) -> Option<&composer::Composer> {
        self.composer.as_deref()
    }

    /// The accounts' send/receive state (status bars, running tasks).
    pub fn passes(&self) -> &Passes {
        &self.passes
    }

    pub fn title(&self) -> String {
        "Tidings".to_string()
    }

    pub fn theme(&self) -> Theme {
        self.theme.clone()
    }

    /// Whether where the person is (or the window's size) changed since it was last written.
    pub fn has_unsaved_place(&self) -> bool {
        self.unsaved
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        let task = self.route(message);
        self.remember_place();
        Task::batch([task, self.pending_requests()])
    }

    fn route(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Loaded(result, ui) => self.loaded(result, *ui),
            Message::Loading(message) => self.loading(message),
            Message::Welcome(message) => self.welcome(message),
            Message::Wizard(message) => self.wizard(message),
            Message::Accounts(message) => self.accounts(message),
            Message::Inspector(message) => self.inspector(message),
            Message::Saved(result) => self.saved(result),
            Message::Settings(message) => self.settings(message),
            Message::SettingsStored(result) => self.settings_stored(result),
            Message::NotificationsStored { on, result } => self.notifications_stored(on, result),
            Message::Mailbox(message) => self.mailbox(message),
            Message::RemoteAllowed(result) => self.remote_allowed(result),
            Message::Composer(message) => self.composer_message(message),
            Message::SystemTheme(mode) => self.system_theme(mode),
            Message::Key(action) => self.key(action),
            Message::Pass(event) => self.pass_event(event),
            Message::Tick(now) => {
                self.passes.tick(now);
                Task::none()
            }
            Message::Window(event) => self.window_event(event),
            Message::SaveUiState => self.save_ui_state(),
            Message::UiStateSaved => Task::none(),
            Message::ReportLayout => self.report_layout(),
            Message::LayoutFound(found) => self.layout_found(found),
            Message::StartupFrame => {
                self.startup_frame();
                Task::none()
            }
            Message::Desktop(request) => self.desktop_request(request),
            Message::Help(message) => self.help_message(message),
            Message::MailApp(result) => self.mail_app_made(result),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let screen = match &self.screen {
            _ if let Some(help) = &self.help => help.view().map(Message::Help),
            // The composer over the screen; the screen keeps its state underneath.
            _ if let Some(composer) = &self.composer => composer.view().map(Message::Composer),
            Screen::Loading => loading::view(),
            Screen::LoadFailed(failed) => failed.view().map(Message::Loading),
            Screen::Welcome(welcome) => welcome.view().map(Message::Welcome),
            Screen::Wizard(wizard) => wizard.view().map(Message::Wizard),
            Screen::Accounts(accounts) => accounts.view(&self.config, &self.passes).map(Message::Accounts),
            Screen::Inspector(inspector) => inspector.view().map(Message::Inspector),
            Screen::Settings(settings) => settings.view().map(Message::Settings),
            Screen::Mailbox(mailbox) => {
                mailbox.view(&self.theme, self.passes.status(mailbox.account_key())).map(Message::Mailbox)
            }
        };
        container(screen).width(Length::Fill).height(Length::Fill).style(theme::container::page).into()
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let screen = match &self.screen {
            _ if let Some(composer) = &self.composer => composer.subscription().map(Message::Composer),
            Screen::Wizard(wizard) => wizard.subscription().map(Message::Wizard),
            Screen::Mailbox(mailbox) => mailbox.subscription().map(Message::Mailbox),
            _ => Subscription::none(),
        };
        // Keyed by the account id: editing an account's options never restarts its task (only
        // new servers do, through a generation in the key).
        let passes =
            passes::subscription(&self.config, &self.profile, &self.secrets, &self.passes).map(Message::Pass);
        let tick = if self.passes.any_offline() {
            iced::time::every(Duration::from_secs(10)).map(|_| Message::Tick(SystemTime::now()))
        } else {
            Subscription::none()
        };
        Subscription::batch([
            system::theme_changes().map(Message::SystemTheme),
            event::listen_with(key_action),
            screen,
            passes,
            tick,
            App::window_events(),
            self.save_timer(),
            self.layout_timer(),
            self.startup_frames(),
        ])
    }

    fn load(&self) -> Task<Message> {
        let profile = self.profile.clone();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    let ui = UiState::load(&tidings_mail::ui_state::path(&profile));
                    (Config::load(&profile), Box::new(ui))
                })
                .await
                .unwrap_or_else(|join| {
                    let error = Error::new(
                        Kind::Storage,
                        format!("cannot read the configuration: the reading task stopped ({join})"),
                    );
                    (Err(error), Box::default())
                })
            },
            |(config, ui)| Message::Loaded(config, ui),
        )
    }

    /// The configuration is here: the mailbox the person left open, if its account is still
    /// there; else the overview (or the welcome screen).
    fn loaded(&mut self, result: Result<Config, Error>, ui: UiState) -> Task<Message> {
        match result {
            Ok(config) => {
                self.passes.set_notifications(config.notifications);
                self.config = config;
                self.screen = self.home();
                self.ui = ui;
                let place = self.ui.place.clone().filter(|p| self.config.account(&p.account).is_some());
                if let Some(place) = place {
                    let open = self.open_mailbox(&place.account);
                    if let Screen::Mailbox(mailbox) = &mut self.screen {
                        mailbox.return_to(place);
                    }
                    return open;
                }
            }
            Err(error) => self.screen = Screen::LoadFailed(loading::Failed::new(error)),
        }
        Task::none()
    }

    /// Where to go when nothing else is going on.
    fn home(&self) -> Screen {
        if self.config.accounts.is_empty() {
            Screen::Welcome(welcome::Welcome::new())
        } else {
            Screen::Accounts(accounts::Accounts::new())
        }
    }

    fn loading(&mut self, message: loading::Message) -> Task<Message> {
        let Screen::LoadFailed(failed) = &mut self.screen else { return Task::none() };
        match failed.update(message) {
            loading::Action::Retry => {
                self.screen = Screen::Loading;
                self.load()
            }
        }
    }

    fn welcome(&mut self, message: welcome::Message) -> Task<Message> {
        let Screen::Welcome(welcome) = &mut self.screen else { return Task::none() };
        match welcome.update(message) {
            welcome::Action::OpenWizard => self.open_wizard(),
            welcome::Action::OpenInspector => self.open_inspector(inspector::Inspector::new()),
        }
    }

    fn accounts(&mut self, message: accounts::Message) -> Task<Message> {
        let Screen::Accounts(accounts) = &mut self.screen else { return Task::none() };
        match accounts.update(message) {
            accounts::Action::OpenWizard => self.open_wizard(),
            accounts::Action::OpenInspector => self.open_inspector(inspector::Inspector::new()),
            accounts::Action::InspectAccount(id) => self.inspect_account(&id),
            accounts::Action::OpenSettings(id) => self.open_settings(&id),
            accounts::Action::OpenMailbox(id) => self.open_mailbox(&id),
            accounts::Action::SignInAgain(id) => self.sign_in_again(&id),
            accounts::Action::GetAllMail => {
                self.passes.run_all(self.config.accounts.iter().map(|a| a.id.as_str()));
                Task::none()
            }
            accounts::Action::SetNotifications(on) => self.set_notifications(on),
            accounts::Action::MakeMailApp => self.make_mail_app(),
            accounts::Action::Help => self.open_help(help::Page::Shortcuts),
            accounts::Action::None => Task::none(),
        }
    }

    /// Notifications on or off for all accounts: the running notifier follows at once (no
    /// account task restarts) and the config is written off the UI thread.
    fn set_notifications(&mut self, on: bool) -> Task<Message> {
        self.passes.set_notifications(on);
        self.config.notifications = on;
        let write = accounts::write_config(self.profile.clone(), self.config.clone());
        Task::perform(write, move |result| Message::NotificationsStored { on, result })
    }

    /// Not written: the switch and the notifier go back as they were, and the overview says why.
    fn notifications_stored(&mut self, on: bool, result: Result<(), Error>) -> Task<Message> {
        if result.is_err() && self.config.notifications == on {
            self.config.notifications = !on;
            self.passes.set_notifications(!on);
        }
        if let Screen::Accounts(accounts) = &mut self.screen {
            accounts.written(result.as_ref().map(|_| ()));
        }
        Task::none()
    }

    /// An OAuth2 account's mailbox with its sign-in started (from the overview, or the
    /// "sign in again" notification): the mailbox runs the sign-in and shows where it stands.
    fn sign_in_again(&mut self, id: &str) -> Task<Message> {
        let open = match &self.screen {
            Screen::Mailbox(mailbox) if mailbox.account_key() == id => Task::none(),
            _ => self.open_mailbox(id),
        };
        let sign_in = self.mailbox(mailbox::Message::SignIn(mailbox::SignInMsg::SignIn));
        Task::batch([open, sign_in])
    }

    /// An account's mailbox: shows what the store holds and gets mail.
    fn open_mailbox(&mut self, id: &str) -> Task<Message> {
        let Some(account) = self.config.account(id) else { return Task::none() };
        let setup = mailbox::Setup::for_account(&self.profile, account, self.secrets.clone());
        let (mailbox, open) = mailbox::Mailbox::new(setup);
        self.screen = Screen::Mailbox(Box::new(mailbox));
        open.map(Message::Mailbox)
    }

    fn mailbox(&mut self, message: mailbox::Message) -> Task<Message> {
        let Screen::Mailbox(mailbox) = &mut self.screen else { return Task::none() };
        let action = mailbox.update(message);
        self.mailbox_action(action)
    }

    fn mailbox_action(&mut self, action: mailbox::Action) -> Task<Message> {
        match action {
            mailbox::Action::None => Task::none(),
            mailbox::Action::Run(task) => task.map(Message::Mailbox),
            mailbox::Action::GetMail => {
                if let Screen::Mailbox(mailbox) = &self.screen {
                    self.passes.run_now(mailbox.account_key());
                }
                Task::none()
            }
            mailbox::Action::GetAllMail => {
                self.passes.run_all(self.config.accounts.iter().map(|a| a.id.as_str()));
                Task::none()
            }
            mailbox::Action::Compose(request) => self.open_composer(request),
            mailbox::Action::AllowRemote { address, then } => {
                let Screen::Mailbox(mailbox) = &self.screen else { return Task::none() };
                let Some(mut account) = self.config.account(mailbox.account_key()).cloned() else {
                    return then.map(Message::Mailbox);
                };
                if !account.shows_remote_content_from(&address) {
                    account.remote_content_from.push(address);
                }
                let (profile, secrets, config) =
                    (self.profile.clone(), self.secrets.clone(), self.config.clone());
                Task::batch([
                    then.map(Message::Mailbox),
                    Task::perform(
                        settings::store::save(profile, secrets, config, account, None),
                        Message::RemoteAllowed,
                    ),
                ])
            }
            // Leaving drops the screen: its sync and loads are aborted, its store closed.
            mailbox::Action::Back => {
                self.screen = self.home();
                Task::none()
            }
        }
    }

    /// "Always for this sender" was written: the config is the one on disk now (the open
    /// mailbox has the sender on its own list already).
    fn remote_allowed(&mut self, result: Result<Stored, Error>) -> Task<Message> {
        match result {
            Ok(stored) => self.config = stored.config,
            Err(error) => {
                if let Screen::Mailbox(mailbox) = &mut self.screen {
                    mailbox.tell(error);
                }
            }
        }
        Task::none()
    }

    /// The composer over the current screen.
    fn open_composer(&mut self, request: composer::ComposeRequest) -> Task<Message> {
        let context = composer::Context {
            profile: self.profile.clone(),
            accounts: self.config.accounts.clone(),
            secrets: self.secrets.clone(),
        };
        let (composer, task) = composer::Composer::new(context, request);
        self.composer = Some(Box::new(composer));
        task.map(Message::Composer)
    }

    fn composer_message(&mut self, message: composer::Message) -> Task<Message> {
        let Some(composer) = &mut self.composer else { return Task::none() };
        match composer.update(message) {
            composer::Action::None => Task::none(),
            composer::Action::Run(task) => task.map(Message::Composer),
            // Back to the screen underneath, as it was.
            composer::Action::Closed => {
                self.composer = None;
                Task::none()
            }
            // In the Outbox: the account's send/receive submits it now.
            composer::Action::Sent(queued) => {
                let cleanup = composer.cleanup_after_send().discard();
                self.composer = None;
                self.passes.run_now(&queued.account);
                cleanup
            }
        }
    }

    /// An account's send/receive reported: its status bar changes; the account's open
    /// mailbox reads the store again; a clicked notification opens its message.
    fn pass_event(&mut self, event: passes::Event) -> Task<Message> {
        let account = event.account.clone();
        match self.passes.apply(event) {
            Effect::None => Task::none(),
            Effect::News(news) => match &mut self.screen {
                // A view across every account hears every account's passes.
                Screen::Mailbox(mailbox)
                    if mailbox.account_key() == account || mailbox.shows_every_account() =>
                {
                    let action = mailbox.update(mailbox::Message::News(news));
                    self.mailbox_action(action)
                }
                _ => Task::none(),
            },
            Effect::Reveal(message) => {
                let reveal = mailbox::Message::Reveal { folder: message.folder, uid: message.uid };
                match &mut self.screen {
                    Screen::Mailbox(mailbox) if mailbox.account_key() == message.account => {
                        let action = mailbox.update(reveal);
                        self.mailbox_action(action)
                    }
                    _ => {
                        let open = self.open_mailbox(&message.account);
                        if let Screen::Mailbox(mailbox) = &mut self.screen {
                            mailbox.reveal_when_open(message.folder, message.uid);
                        }
                        open
                    }
                }
            }
            Effect::SignIn(account) => self.sign_in_again(&account),
        }
    }

    fn system_theme(&mut self, mode: Mode) -> Task<Message> {
        self.theme = theme::for_mode(mode);
        Task::none()
    }

    fn key(&mut self, action: KeyAction) -> Task<Message> {
        match action {
            KeyAction::FocusNext => operation::focus_next(),
            KeyAction::FocusPrevious => operation::focus_previous(),
            KeyAction::Help => self.open_help(help::Page::Shortcuts),
        }
    }
}

/// The key map: key presses no widget used, turned into actions.
fn key_action(event: Event, status: event::Status, _window: window::Id) -> Option<Message> {
    if status == event::Status::Captured {
        return None;
    }
    match event {
        Event::Keyboard(keyboard::Event::KeyPressed {
            key: keyboard::Key::Named(key::Named::Tab),
            modifiers,
            ..
        }) => Some(Message::Key(if modifiers.shift() {
            KeyAction::FocusPrevious
        } else {
            KeyAction::FocusNext
        })),
        Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) => {
            let help = matches!(key, keyboard::Key::Named(key::Named::F1))
                || (matches!(&key, keyboard::Key::Character(c) if c.as_str() == "?")
                    && !modifiers.control()
                    && !modifiers.alt());
            help.then_some(Message::Key(KeyAction::Help))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced::keyboard::{Location, Modifiers};

    /// A key press as the window delivers it (also for the desktop module's tests).
    pub(super) fn press(key: keyboard::Key, modifiers: Modifiers) -> Event {
        Event::Keyboard(keyboard::Event::KeyPressed {
            key: key.clone(),
            modified_key: key,
            physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
            location: Location::Standard,
            modifiers,
            text: None,
            repeat: false,
        })
    }

    #[test]
    fn tab_moves_the_focus_both_ways_unless_a_widget_used_it() {
        let tab = || keyboard::Key::Named(key::Named::Tab);
        let window = window::Id::unique();
        let action = |event, status| match key_action(event, status, window) {
            Some(Message::Key(action)) => Some(action),
            _ => None,
        };
        assert_eq!(
            action(press(tab(), Modifiers::empty()), event::Status::Ignored),
            Some(KeyAction::FocusNext)
        );
        assert_eq!(
            action(press(tab(), Modifiers::SHIFT), event::Status::Ignored),
            Some(KeyAction::FocusPrevious)
        );
        assert_eq!(action(press(tab(), Modifiers::empty()), event::Status::Captured), None);
        let enter = keyboard::Key::Named(key::Named::Enter);
        assert_eq!(action(press(enter, Modifiers::empty()), event::Status::Ignored), None);
    }
}
