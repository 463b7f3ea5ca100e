//! Secrets in a real Secret Service (gnome-keyring-daemon in a private D-Bus session, started
//! by `scripts/with-keyring`, which the test command uses).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tidings_mail::account::SecretRole;
use tidings_mail::secret::Secrets;

#[test]
fn real_secret_service_round_trip() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a Secret Service: run it under scripts/with-keyring (the README's test command does)"
    );
    let secrets = Secrets::system();
    let id = format!("keyring-test-{}", std::process::id());
    secrets.set(&id, SecretRole::Incoming, "pw-in").unwrap_or_else(|e| panic!("{e}"));
    secrets.set(&id, SecretRole::Outgoing, "pw-out").unwrap();
    secrets.set(&id, SecretRole::OAuth2Refresh, "rt-1").unwrap();
    // A fresh handle reads it back from the daemon, not from memory.
    let again = Secrets::system();
    assert_eq!(again.get(&id, SecretRole::Incoming).unwrap().as_deref(), Some("pw-in"));
    assert_eq!(again.get(&id, SecretRole::Outgoing).unwrap().as_deref(), Some("pw-out"));
    again.delete_account(&id).unwrap();
    assert_eq!(Secrets::system().get(&id, SecretRole::Incoming).unwrap(), None);
    // Removing the account removes its OAuth2 sign-in too.
    assert_eq!(Secrets::system().get(&id, SecretRole::OAuth2Refresh).unwrap(), None);
}

#[test]
fn no_secret_service_is_a_plain_storage_error() {
    // In a child process with a bus address where nothing listens (the variable cannot be
    // changed safely inside this multi-threaded process), the error says so plainly.
    if std::env::var_os("TIDINGS_KEYRING_PROBE").is_some() {
        let e = Secrets::system().set("x", SecretRole::Incoming, "pw").unwrap_err();
        assert_eq!(e.kind(), tidings_mail::Kind::Storage);
        println!("probe: {e}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "no_secret_service_is_a_plain_storage_error", "--nocapture"])
        .env("TIDINGS_KEYRING_PROBE", "1")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tidings-bus")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("probe: no secret service is reachable"), "{text}");
}
