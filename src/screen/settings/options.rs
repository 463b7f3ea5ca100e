//! The per-account options as edited: when to check, IDLE and the folders it watches, the
//! POP3 options, offline copies, body format, read receipts, minimum TLS, notifications.
//! Numbers are kept as typed (so a half-typed value is not lost) next to the [`Options`] they
//! become.

use tidings_mail::options::{
    BodyFormat, DEFAULT_DELETE_AFTER_DAYS, IdleFolders, KeepOffline, MinTls, Options,
};

/// "Skip messages over N KB" starts at this when turned on.
pub const DEFAULT_SKIP_KB: u32 = 1024;

/// "Last N days" starts at this when chosen.
pub const DEFAULT_OFFLINE_DAYS: u32 = 30;

/// The choice for keeping mail offline (the days are a number of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineScope {
    Off,
    All,
    Days,
}

/// One change to the options.
#[derive(Debug, Clone)]
pub enum OptionEdit {
    AtStart(bool),
    /// `true`: every N minutes; `false`: only when I ask.
    Periodic(bool),
    EveryMinutes(String),
    Idle(bool),
    IdleFolders(IdleFolders),
    LeaveOnServer(bool),
    DeleteAfter(bool),
    DeleteAfterDays(String),
    DeleteWhenDeletedHere(bool),
    HeadersOnly(bool),
    SkipLarge(bool),
    SkipOverKb(String),
    BodyFormat(BodyFormat),
    MinTls(MinTls),
    Notify(bool),
    RequestReceipts(bool),
    KeepOffline(OfflineScope),
    OfflineDays(String),
}

/// What is wrong with the numbers; `None` means fine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionErrors {
    pub every_minutes: Option<&'static str>,
    pub delete_after_days: Option<&'static str>,
    pub skip_over_kb: Option<&'static str>,
    pub offline_days: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsForm {
    pub options: Options,
    /// Whether the schedule checks by itself (the minutes are kept while it doesn't).
    pub periodic: bool,
    pub every_minutes: String,
    pub delete_after_days: String,
    pub skip_over_kb: String,
    pub offline_days: String,
}

impl OptionsForm {
    pub fn new(options: Options) -> OptionsForm {
        OptionsForm {
            periodic: options.schedule.every_minutes.is_some(),
            every_minutes: options.schedule.every_minutes.unwrap_or(10).to_string(),
            delete_after_days: options
                .pop3
                .delete_after_days
                .unwrap_or(DEFAULT_DELETE_AFTER_DAYS)
                .to_string(),
            skip_over_kb: options.pop3.skip_larger_than_kb.unwrap_or(DEFAULT_SKIP_KB).to_string(),
            offline_days: match options.keep_offline {
                KeepOffline::Days(n) => n,
                _ => DEFAULT_OFFLINE_DAYS,
            }
            .to_string(),
            options,
        }
    }

    pub fn edit(&mut self, edit: OptionEdit) {
        let o = &mut self.options;
        match edit {
            OptionEdit::AtStart(on) => o.schedule.at_start = on,
            OptionEdit::Periodic(on) => self.periodic = on,
            OptionEdit::EveryMinutes(text) => set_number(&mut self.every_minutes, text),
            OptionEdit::Idle(on) => o.idle = on,
            OptionEdit::IdleFolders(folders) => o.idle_folders = folders,
            OptionEdit::LeaveOnServer(on) => o.pop3.leave_on_server = on,
            OptionEdit::DeleteAfter(on) => {
                o.pop3.delete_after_days = on.then_some(DEFAULT_DELETE_AFTER_DAYS);
                if on {
                    self.delete_after_days = DEFAULT_DELETE_AFTER_DAYS.to_string();
                }
            }
            OptionEdit::DeleteAfterDays(text) => set_number(&mut self.delete_after_days, text),
            OptionEdit::DeleteWhenDeletedHere(on) => o.pop3.delete_when_deleted_locally = on,
            OptionEdit::HeadersOnly(on) => o.pop3.headers_only = on,
            OptionEdit::SkipLarge(on) => {
                o.pop3.skip_larger_than_kb = on.then(|| self.skip_over_kb.parse().unwrap_or(DEFAULT_SKIP_KB));
            }
            OptionEdit::SkipOverKb(text) => set_number(&mut self.skip_over_kb, text),
            OptionEdit::BodyFormat(format) => o.body_format = format,
            OptionEdit::MinTls(min) => o.min_tls = min,
            OptionEdit::Notify(on) => o.notify = on,
            OptionEdit::RequestReceipts(on) => o.request_receipts = on,
            OptionEdit::KeepOffline(scope) => {
                o.keep_offline = match scope {
                    OfflineScope::Off => KeepOffline::Off,
                    OfflineScope::All => KeepOffline::All,
                    OfflineScope::Days => KeepOffline::Days(0),
                }
            }
            OptionEdit::OfflineDays(text) => set_number(&mut self.offline_days, text),
        }
        self.sync();
    }

    /// Puts the typed numbers into the options where they parse.
    fn sync(&mut self) {
        let o = &mut self.options;
        o.schedule.every_minutes = self.periodic.then(|| positive(&self.every_minutes).unwrap_or(0));
        if o.pop3.delete_after_days.is_some() {
            o.pop3.delete_after_days = Some(positive(&self.delete_after_days).unwrap_or(0));
        }
        if o.pop3.skip_larger_than_kb.is_some() {
            o.pop3.skip_larger_than_kb = Some(positive(&self.skip_over_kb).unwrap_or(0));
        }
        if let KeepOffline::Days(_) = o.keep_offline {
            o.keep_offline = KeepOffline::Days(positive(&self.offline_days).unwrap_or(0));
        }
    }

    /// Which of Off / All / Last N days is chosen.
    pub fn offline_scope(&self) -> OfflineScope {
        match self.options.keep_offline {
            KeepOffline::Off => OfflineScope::Off,
            KeepOffline::All => OfflineScope::All,
            KeepOffline::Days(_) => OfflineScope::Days,
        }
    }

    /// The caution about checking very often (from the core's schedule).
    pub fn schedule_warning(&self) -> Option<String> {
        self.options.schedule.warning()
    }

    pub fn errors(&self) -> OptionErrors {
        let o = &self.options;
        OptionErrors {
            every_minutes: (self.periodic && positive(&self.every_minutes).is_none())
                .then_some("Enter how many minutes between checks (1 or more)."),
            delete_after_days: (o.pop3.delete_after_days.is_some()
                && positive(&self.delete_after_days).is_none())
            .then_some("Enter a number of days (1 or more)."),
            skip_over_kb: (o.pop3.skip_larger_than_kb.is_some() && positive(&self.skip_over_kb).is_none())
                .then_some("Enter a size in KB (1 or more)."),
            offline_days: (matches!(o.keep_offline, KeepOffline::Days(_))
                && positive(&self.offline_days).is_none())
            .then_some("Enter how many days of mail to keep offline (1 or more)."),
        }
    }

    /// The options, or what to fix.
    pub fn validate(&self) -> Result<Options, OptionErrors> {
        let errors = self.errors();
        if errors == OptionErrors::default() { Ok(self.options) } else { Err(errors) }
    }
}

/// Digits only, at most six.
fn set_number(field: &mut String, text: String) {
    if text.len() <= 6 && text.chars().all(|c| c.is_ascii_digit()) {
        *field = text;
    }
}

fn positive(text: &str) -> Option<u32> {
    text.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_warns_under_five_minutes_and_only_when_asked_has_no_timer() {
        let mut form = OptionsForm::new(Options::default());
        assert_eq!(form.options.schedule.every_minutes, Some(10));
        form.edit(OptionEdit::EveryMinutes("2".into()));
        assert_eq!(form.options.schedule.every_minutes, Some(2));
        assert!(form.schedule_warning().is_some_and(|w| w.starts_with("Checking every 2 minutes")));
        form.edit(OptionEdit::EveryMinutes("2x".into()));
        assert_eq!(form.every_minutes, "2", "digits only");
        form.edit(OptionEdit::Periodic(false));
        assert_eq!(form.options.schedule.every_minutes, None);
        assert_eq!(form.schedule_warning(), None);
        form.edit(OptionEdit::Periodic(true));
        assert_eq!(form.options.schedule.every_minutes, Some(2), "the minutes were kept");
        form.edit(OptionEdit::EveryMinutes(String::new()));
        assert!(form.validate().is_err_and(|e| e.every_minutes.is_some()));
    }

    #[test]
    fn pop3_deletion_after_days_starts_at_seven() {
        let mut form = OptionsForm::new(Options::default());
        assert!(form.options.pop3.leave_on_server);
        assert_eq!(form.options.pop3.delete_after_days, None);
        form.edit(OptionEdit::DeleteAfterDays("30".into()));
        form.edit(OptionEdit::DeleteAfter(true));
        assert_eq!(form.options.pop3.delete_after_days, Some(DEFAULT_DELETE_AFTER_DAYS));
        form.edit(OptionEdit::DeleteAfterDays("14".into()));
        assert_eq!(form.options.pop3.delete_after_days, Some(14));
        form.edit(OptionEdit::SkipLarge(true));
        assert_eq!(form.options.pop3.skip_larger_than_kb, Some(DEFAULT_SKIP_KB));
        form.edit(OptionEdit::SkipOverKb("0".into()));
        assert!(form.validate().is_err_and(|e| e.skip_over_kb.is_some()));
        form.edit(OptionEdit::SkipLarge(false));
        assert_eq!(form.validate().map(|o| o.pop3.skip_larger_than_kb), Ok(None));
    }

    #[test]
    fn keep_offline_off_all_or_the_last_days_as_typed() {
        let mut form = OptionsForm::new(Options::default());
        assert_eq!(form.offline_scope(), OfflineScope::Off);
        form.edit(OptionEdit::KeepOffline(OfflineScope::All));
        assert_eq!(form.options.keep_offline, KeepOffline::All);
        form.edit(OptionEdit::KeepOffline(OfflineScope::Days));
        assert_eq!(form.options.keep_offline, KeepOffline::Days(DEFAULT_OFFLINE_DAYS));
        form.edit(OptionEdit::OfflineDays("7".into()));
        assert_eq!(form.validate().map(|o| o.keep_offline), Ok(KeepOffline::Days(7)));
        form.edit(OptionEdit::OfflineDays(String::new()));
        assert!(form.validate().is_err_and(|e| e.offline_days.is_some()));
        form.edit(OptionEdit::KeepOffline(OfflineScope::Off));
        assert_eq!(form.validate().map(|o| o.keep_offline), Ok(KeepOffline::Off));
        let again = OptionsForm::new(Options { keep_offline: KeepOffline::Days(14), ..Options::default() });
        assert_eq!((again.offline_scope(), again.offline_days.as_str()), (OfflineScope::Days, "14"));
    }
}
