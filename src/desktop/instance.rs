//! One Tidings per session. The first start owns the name `org.tidings.Tidings` on the
//! session bus and serves `org.freedesktop.Application` there (Activate, Open, ActivateAction);
//! a later `tidings`, `tidings mailto:…`, `tidings --compose` or `--get-mail` finds the name
//! taken, hands its request to the running window and ends. Without a session bus (or when it
//! does not answer quickly) each start simply runs on its own.
//!
//! The bus is spoken with zbus on its own executor thread, so this works before iced (and its
//! tokio runtime) starts; the requests reach the app through a channel ([`Instance::requests`]).

use std::collections::HashMap;
use std::time::Duration;

use iced::futures::channel::mpsc;
use zbus::zvariant::{OwnedValue, Value};

use tidings_mail::compose::mailto;

/// The well-known name, and the desktop file's and the window's application id.
pub const BUS_NAME: &str = "org.tidings.Tidings";
/// The object path `org.freedesktop.Application` derives from the name.
pub const OBJECT_PATH: &str = "/org/tidings/Tidings";
const INTERFACE: &str = "org.freedesktop.Application";
/// Connecting and asking for the name: a bus slower than this is treated as none.
const BUS_TIMEOUT: Duration = Duration::from_secs(3);

/// What a start of `tidings` asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Show the window (raise it when it is open already).
    Show,
    /// A new message; filled in from a `mailto:` link when there is one.
    Compose(Option<String>),
    /// Check every account for mail now.
    GetMail,
}

/// Which session bus.
#[derive(Debug, Clone)]
pub enum Bus {
    /// `DBUS_SESSION_BUS_ADDRESS`, as every program of the session finds it.
    Session,
    /// A bus at this address (tests: a private `dbus-daemon`).
    Address(String),
}

/// What came of looking for a running Tidings.
pub enum Claim {
    /// None runs: this process owns the name and takes the requests of later starts.
    First(Instance),
    /// One runs and took the request: this process is done.
    HandedOver,
    /// No session bus: run without the hand-over (the reason, for the log).
    NoBus(String),
}

/// The name owned on the bus, and the requests later starts hand over. Dropping it releases
/// the name.
pub struct Instance {
    _connection: zbus::Connection,
    requests: Option<mpsc::UnboundedReceiver<Request>>,
}

impl Instance {
    /// The requests of later starts (once: the app's subscription takes them).
    pub fn requests(&mut self) -> Option<mpsc::UnboundedReceiver<Request>> {
        self.requests.take()
    }
}

/// Owns the name, or hands `request` to the process that owns it.
pub fn claim(bus: Bus, request: &Request) -> Claim {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(e) => return Claim::NoBus(format!("cannot start the bus client: {e}")),
    };
    runtime.block_on(async {
        match tokio::time::timeout(BUS_TIMEOUT, claim_async(bus, request)).await {
            Ok(Ok(claim)) => claim,
            Ok(Err(e)) => Claim::NoBus(e.to_string()),
            Err(_) => Claim::NoBus(format!("the session bus did not answer within {BUS_TIMEOUT:?}")),
        }
    })
}

async fn claim_async(bus: Bus, request: &Request) -> zbus::Result<Claim> {
    let connection = match bus {
        Bus::Session => zbus::connection::Builder::session()?,
        Bus::Address(address) => zbus::connection::Builder::address(address.as_str())?,
    }
    .build()
    .await?;
    let (sender, receiver) = mpsc::unbounded();
    connection.object_server().at(OBJECT_PATH, Service { sender }).await?;
    let flags = zbus::fdo::RequestNameFlags::DoNotQueue.into();
    match connection.request_name_with_flags(BUS_NAME, flags).await {
        Ok(_) => Ok(Claim::First(Instance { _connection: connection, requests: Some(receiver) })),
        Err(zbus::Error::NameTaken) => {
            hand_over(&connection, request).await?;
            Ok(Claim::HandedOver)
        }
        Err(e) => Err(e),
    }
}

/// Asks the running Tidings, in `org.freedesktop.Application`'s words.
async fn hand_over(connection: &zbus::Connection, request: &Request) -> zbus::Result<()> {
    let platform_data: HashMap<&str, Value<'_>> = HashMap::new();
    match request {
        Request::Show => {
            connection
                .call_method(Some(BUS_NAME), OBJECT_PATH, Some(INTERFACE), "Activate", &(platform_data,))
                .await?
        }
        Request::Compose(Some(uri)) => {
            let uris = vec![uri.as_str()];
            connection
                .call_method(Some(BUS_NAME), OBJECT_PATH, Some(INTERFACE), "Open", &(uris, platform_data))
                .await?
        }
        Request::Compose(None) | Request::GetMail => {
            let action = if *request == Request::GetMail { ACTION_GET_MAIL } else { ACTION_COMPOSE };
            let parameter: Vec<Value<'_>> = Vec::new();
            let body = (action, parameter, platform_data);
            connection
                .call_method(Some(BUS_NAME), OBJECT_PATH, Some(INTERFACE), "ActivateAction", &body)
                .await?
        }
    };
    Ok(())
}

/// The actions of the desktop file (`[Desktop Action …]`), by name.
pub const ACTION_COMPOSE: &str = "compose";
pub const ACTION_GET_MAIL: &str = "get-mail";

/// The object on the bus: what it is asked goes into the app's channel.
struct Service {
    sender: mpsc::UnboundedSender<Request>,
}

impl Service {
    fn send(&self, request: Request) -> zbus::fdo::Result<()> {
        self.sender
            .unbounded_send(request)
            .map_err(|_| zbus::fdo::Error::Failed("Tidings is closing".to_string()))
    }
}

#[zbus::interface(name = "org.freedesktop.Application")]
impl Service {
    fn activate(&self, _platform_data: HashMap<String, OwnedValue>) -> zbus::fdo::Result<()> {
        self.send(Request::Show)
    }

    /// Opens `mailto:` links (a composer each); other addresses are refused.
    fn open(&self, uris: Vec<String>, _platform_data: HashMap<String, OwnedValue>) -> zbus::fdo::Result<()> {
        if let Some(other) = uris.iter().find(|uri| !mailto::is_mailto(uri)) {
            return Err(zbus::fdo::Error::InvalidArgs(format!("only mailto: links are opened, not {other}")));
        }
        uris.into_iter().try_for_each(|uri| self.send(Request::Compose(Some(uri))))
    }

    fn activate_action(
        &self,
        action_name: String,
        _parameter: Vec<OwnedValue>,
        _platform_data: HashMap<String, OwnedValue>,
    ) -> zbus::fdo::Result<()> {
        match action_name.as_str() {
            ACTION_COMPOSE => self.send(Request::Compose(None)),
            ACTION_GET_MAIL => self.send(Request::GetMail),
            other => Err(zbus::fdo::Error::InvalidArgs(format!("no action named {other}"))),
        }
    }
}
