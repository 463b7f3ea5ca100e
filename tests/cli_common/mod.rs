//! Helpers shared by the tests of the real `tidings` binary: run it on a profile, read its
//! output, and start what it needs (the testkit's servers, a Secret Service).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tidings_testkit::MailServers;

/// Runs `tidings --profile PROFILE ARGS…`, with `stdin` on its standard input (none: empty).
pub fn run(profile: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.arg("--profile").arg(profile).args(args);
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run tidings");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Its standard output as JSON (the test fails with both outputs when it is not).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Standard output and standard error, as text.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

pub fn need_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test stores passwords in a Secret Service: run it under scripts/with-keyring (the README's test command does)"
    );
}

pub fn servers() -> MailServers {
    MailServers::start().unwrap_or_else(|e| panic!("cannot start the test mail servers: {e}"))
}

/// Adds the account `name` for `user` on the testkit's servers: `protocol` "imap" on the IMAPS
/// port or "pop3" on the POP3S port, sending through submission with STARTTLS, the testkit's
/// CA trusted, the password on standard input.
pub fn add_account(
    profile: &Path,
    s: &MailServers,
    name: &str,
    user: &tidings_testkit::User,
    protocol: &str,
) {
    let port = if protocol == "pop3" { s.pop3s_port() } else { s.imaps_port() }.to_string();
    let sub = s.submission_port().to_string();
    let args = [
        "account",
        "add",
        "--name",
        name,
        "--email",
        &user.email,
        "--incoming",
        protocol,
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "implicit",
        "--user",
        &user.login,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &sub,
        "--smtp-tls",
        "starttls",
        "--ca-file",
        s.ca_path().to_str().unwrap(),
        "--password-stdin",
    ];
    let out = run(profile, &args, Some(format!("{}\n", user.password).as_bytes()));
    assert!(out.status.success(), "{}", text(&out));
}
