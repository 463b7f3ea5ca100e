//! What a mailbox needs to open ([`Setup`]), and the opening of its store.

use std::path::PathBuf;

use iced::Task;

use tidings_mail::account::{Account, Incoming};
use tidings_mail::error::{Error, Kind};
use tidings_mail::message::remote::RemotePolicy;
use tidings_mail::options::BodyFormat;
use tidings_mail::profile::Profile;
use tidings_mail::secret::Secrets;
use tidings_mail::store::{Store, StoreHandle};

use super::{Message, Stores, signin};

/// What the mailbox needs to open.
pub struct Setup {
    /// The store's key of the account (the config's account id).
    pub account_key: String,
    /// Shown in the toolbar.
    pub title: String,
    pub store_path: PathBuf,
    pub prefer: BodyFormat,
    /// The account's folders live only in the store (POP3).
    pub local: bool,
    /// How to reach the server; without it the mailbox shows what the store holds.
    pub server: Option<Server>,
    /// Where private copies of attachments go to be opened (`Profile::open_copies`).
    pub open_copies: PathBuf,
    /// How remote images are fetched when the person asks.
    pub remote_policy: RemotePolicy,
    /// Senders whose remote images show without asking (the account's list).
    pub remote_from: Vec<String>,
    /// An OAuth2 account's sign-in, offered again when its server refuses the log-in.
    pub sign_in: Option<signin::SignIn>,
    /// Who reads invitations: times in their zone, their own attendee line by address.
    /// None: the account's addresses in the system's zone (read with each message).
    pub viewer: Option<tidings_mail::calendar::Viewer>,
    /// Where the accounts' names come from, for search (`account:`, other accounts' hits).
    pub profile: Option<Profile>,
}

pub struct Server {
    pub account: Account,
    pub secrets: Secrets,
    /// Where the redacted transcript goes, when the account asks for one.
    pub log: Option<PathBuf>,
}

impl Setup {
    /// A configured account: its store in the profile, its server, its password.
    pub fn for_account(profile: &Profile, account: &Account, secrets: Secrets) -> Setup {
        Setup {
            account_key: account.id.clone(),
            title: account.name.clone(),
            store_path: profile.store_path(),
            prefer: account.options.body_format,
            local: account.incoming_protocol == Incoming::Pop3,
            open_copies: profile.open_copies(),
            remote_policy: RemotePolicy::default(),
            remote_from: account.remote_content_from.clone(),
            sign_in: signin::SignIn::for_account(account, &secrets),
            viewer: None,
            profile: Some(profile.clone()),
            server: Some(Server {
                account: account.clone(),
                secrets,
                log: account.log_transcript.then(|| profile.transcript_log(&account.id)),
            }),
        }
    }

    /// Only what the store holds (previews, tests): no getting mail, no body downloads.
    pub fn store_only(account_key: &str, title: &str, store_path: PathBuf) -> Setup {
        Setup {
            account_key: account_key.into(),
            title: title.into(),
            prefer: BodyFormat::Best,
            local: false,
            open_copies: store_path.with_file_name("open"),
            store_path,
            remote_policy: RemotePolicy::default(),
            remote_from: Vec::new(),
            sign_in: None,
            server: None,
            viewer: None,
            profile: None,
        }
    }
}

/// Opens the two store handles on the store thread pool (file I/O, schema checks). A POP3
/// account's local folders are made at once, so they show before its first pass.
pub(super) fn open_store(key: String, path: PathBuf, local: bool) -> Task<Message> {
    Task::perform(
        async move {
            tokio::task::spawn_blocking(move || {
                let mut write = Store::open(&path)?;
                let account = write.account(&key)?;
                if local {
                    write.pop3_setup(account)?;
                }
                let read = Store::open(&path)?;
                Ok(Stores { read: StoreHandle::spawn(read)?, write: StoreHandle::spawn(write)?, account })
            })
            .await
            .unwrap_or_else(|e| {
                Err(Error::new(Kind::Storage, format!("cannot open the mail store (the task stopped: {e})")))
            })
        },
        Message::Ready,
    )
}
