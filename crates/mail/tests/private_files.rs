//! Everything the core writes is its owner's alone from the moment it exists, whatever the
//! umask: the config, the store with its -wal and -shm files, the POP3 spool (its folder,
//! lock and `.part` files), a message saved by RETR, drafts, transcript logs. The umask
//! belongs to the whole process, so the test runs itself again in a child whose umask is
//! 000 (a file or folder created without an explicit mode would then be 0666 / 0777).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3_common;
mod pop3_script;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pop3_script::{Script, Server};
use tidings_mail::account::Security;
use tidings_mail::auth::Credential;
use tidings_mail::check::SessionFacts;
use tidings_mail::compose::{Address, Draft, Drafts};
use tidings_mail::config::Config;
use tidings_mail::net::{Endpoint, Transcript};
use tidings_mail::options::Pop3Options;
use tidings_mail::pop3::{self, Pop3, Pop3Target, no_progress};
use tidings_mail::profile::Profile;
use tidings_mail::store::{Store, StoreHandle};

const CHILD: &str = "TIDINGS_PRIVATE_FILES_CHILD";

#[test]
fn everything_written_is_private_whatever_the_umask() {
    if std::env::var_os(CHILD).is_some() {
        in_child();
        return;
    }
    let me = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000 && exec "$0" "$@""#)
        .arg(me)
        .args([
            "--exact",
            "everything_written_is_private_whatever_the_umask",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o7777
}

fn assert_private(paths: &[PathBuf]) {
    for p in paths {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(p), want, "{} is {:o}", p.display(), mode(p));
    }
}

/// A message of about 256 KiB: over the pass's memory limit, so it goes through a spool file.
fn big() -> Vec<u8> {
    let mut m = b"Subject: big\r\nMessage-ID: <big@example.test>\r\n\r\n".to_vec();
    for _ in 0..4096 {
        m.extend_from_slice(b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq\r\n");
    }
    m
}

fn in_child() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(status.lines().any(|l| l.split_whitespace().eq(["Umask:", "0000"])), "umask is not 000");

    let top = tempfile::tempdir().unwrap();
    let profile = Profile::at(top.path().join("profile"));
    let data = profile.data_dir().to_path_buf();
    let mut checked = Vec::new();

    Config::default().save(&profile).unwrap();
    checked.extend([profile.config_dir().to_path_buf(), profile.config_file()]);

    let mut draft = Draft::new("acct", Address::new(None, "alice@example.test"));
    draft.bcc = "secret@example.test".into();
    let drafts = Drafts::new(&profile);
    drafts.save(&mut draft).unwrap();
    checked.extend([drafts.dir().to_path_buf(), drafts.dir().join(format!("{}.json", draft.id))]);

    let log = profile.transcript_log("acct");
    let transcript = Transcript::new();
    transcript.log_to(&log).unwrap();
    transcript.note("a line");
    transcript.flush();
    checked.extend([log.parent().unwrap().to_path_buf(), log.clone()]);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = StoreHandle::spawn(Store::open(profile.store_path()).unwrap()).unwrap();
        let slow = Script { slow_retr: Some((4, Duration::from_millis(300))), ..Script::default() };
        let server = Server::start(slow, vec![big()]).await;
        let mut target = Pop3Target::new(
            pop3_common::KEY,
            Endpoint::new("127.0.0.1", server.port, Security::None),
            "user",
            "secret-password",
        );
        target.tuning.memory_limit = 4096;
        let spool = data.join("pop3-spool").join(pop3_common::KEY);

        // While the message downloads: the spool folder, its lock and the .part file.
        let pass = {
            let (store, target) = (store.clone(), target.clone());
            tokio::spawn(async move {
                let opts = Pop3Options { leave_on_server: true, ..Pop3Options::default() };
                pop3::receive(&target, &opts, &store, pop3_common::day(0), &Transcript::new(), &no_progress)
                    .await
            })
        };
        let part = loop {
            let found = std::fs::read_dir(&spool)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "part"));
            if let Some(p) = found {
                break p;
            }
            assert!(!pass.is_finished(), "the pass ended without a spool file");
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert_private(&[data.join("pop3-spool"), spool.clone(), spool.join(".lock"), part]);
        let report = pass.await.unwrap().unwrap();
        assert!(report.error.is_none(), "{:?}", report.error);
        assert_eq!(report.downloaded, 1);

        // The store has written (WAL mode): its -wal and -shm files are there while it is open.
        let db = profile.store_path();
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        let shm = PathBuf::from(format!("{}-shm", db.display()));
        assert!(wal.exists() && shm.exists(), "the store is not in WAL mode");
        // Checked now: SQLite removes them when the store closes.
        assert_private(&[wal, shm]);
        checked.extend([data.clone(), db]);

        // A message saved by RETR to a file of its own.
        let mut facts = SessionFacts::default();
        let ep = Endpoint::new("127.0.0.1", server.port, Security::None);
        let mut p = Pop3::open(&ep, &Transcript::new(), &mut facts).await.unwrap();
        p.login(&Credential::password("user", "secret-password"), &facts).await.unwrap();
        let saved = data.join("saved.eml");
        p.retr_to_file(1, 0, &saved).await.unwrap();
        p.quit().await.unwrap();
        checked.push(saved);
        drop(store);
    });
    assert_private(&checked);
}
