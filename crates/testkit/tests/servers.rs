//! MailServers against the real daemons: greetings, TLS chain, logins, folders, lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failing test should panic

mod common;

use std::time::Instant;

use common::{Client, sha256_hex};
use tidings_testkit::MailServers;

fn start() -> MailServers {
    match MailServers::start() {
        Ok(servers) => servers,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn plain_ports_greet_and_offer_starttls() {
    let s = start();

    let mut imap = Client::plain(s.imap_port()).await;
    let greeting = imap.line().await;
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let caps = imap.ask("a CAPABILITY", |l| l.starts_with("a ")).await.join("\n");
    for cap in ["STARTTLS", "IDLE", "AUTH=PLAIN"] {
        assert!(caps.contains(cap), "IMAP lacks {cap}: {caps}");
    }

    let mut pop3 = Client::plain(s.pop3_port()).await;
    assert!(pop3.line().await.starts_with("+OK"));
    let capa = pop3.ask("CAPA", |l| l == ".").await;
    assert!(capa.iter().any(|l| l == "STLS"), "{capa:?}");

    let mut smtp = Client::plain(s.submission_port()).await;
    assert!(smtp.line().await.starts_with("220 "));
    let ehlo = smtp.ask("EHLO client.example.test", |l| l.starts_with("250 ")).await;
    assert!(ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    // smtpd_tls_auth_only: no AUTH before TLS.
    assert!(!ehlo.iter().any(|l| l.contains("AUTH")), "{ehlo:?}");
    let refused = smtp.ask("MAIL FROM:<alice@example.test>", |_| true).await;
    assert!(refused[0].starts_with("530"), "{refused:?}");
}

#[tokio::test]
async fn implicit_tls_ports_present_the_leaf_chained_to_the_ca() {
    let s = start();
    assert_eq!(s.ca_pem(), std::fs::read(s.ca_path()).unwrap().as_slice());
    assert_eq!(s.leaf_sha256_hex(), sha256_hex(s.leaf_der()));
    assert_eq!(s.leaf_sha256_hex().len(), 64);

    let ports = [(s.imaps_port(), "* OK"), (s.pop3s_port(), "+OK"), (s.submissions_port(), "220 ")];
    for (port, greeting) in ports {
        for name in ["localhost", "127.0.0.1"] {
            let (mut client, leaf) = Client::tls(port, Some(s.ca_pem()), name)
                .await
                .unwrap_or_else(|e| panic!("port {port} as {name}: {e}"));
            assert_eq!(leaf, s.leaf_der(), "port {port} presents another certificate");
            let line = client.line().await;
            assert!(line.starts_with(greeting), "port {port}: {line}");
        }
        // Without our CA the same handshake must fail: the chain really is what is verified.
        assert!(Client::tls(port, None, "localhost").await.is_err());
    }
}

#[tokio::test]
async fn starttls_then_login_with_short_and_full_name_and_folders() {
    let s = start();
    let alice = s.user("alice");
    assert_eq!(alice.email, "alice@example.test");
    assert!(alice.password.len() >= 16 && alice.password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(alice.password, s.user("bob").password);

    for login in [alice.login.as_str(), alice.email.as_str()] {
        let mut imap = Client::plain(s.imap_port()).await;
        imap.line().await;
        let ok = imap.ask("a STARTTLS", |l| l.starts_with("a ")).await;
        assert!(ok.last().unwrap().starts_with("a OK"), "{ok:?}");
        let mut imap = imap.starttls(s.ca_pem(), "localhost").await;
        let reply = imap.ask(&format!("b LOGIN {login} {}", alice.password), |l| l.starts_with("b ")).await;
        assert!(reply.last().unwrap().starts_with("b OK"), "{login}: {reply:?}");
        let lsub = imap.ask("c LSUB \"\" \"*\"", |l| l.starts_with("c ")).await.join("\n");
        for (folder, flag) in [
            ("Drafts", "\\Drafts"),
            ("Sent", "\\Sent"),
            ("Trash", "\\Trash"),
            ("Junk", "\\Junk"),
            ("Archive", "\\Archive"),
        ] {
            assert!(lsub.contains(folder) && lsub.contains(flag), "{folder} missing: {lsub}");
        }
    }

    let mut imap = Client::plain(s.imap_port()).await;
    imap.line().await;
    let bad = imap.ask("a LOGIN alice wrong-password", |l| l.starts_with("a ")).await;
    assert!(bad.last().unwrap().starts_with("a NO"), "{bad:?}");
    // No per-IP penalty: wrong passwords do not slow the next logins (Dovecot's default
    // would delay them by 2, 4, 8 … s).
    for _ in 0..2 {
        let t = Instant::now();
        let bad = imap.ask("b LOGIN bob wrong-password", |l| l.starts_with("b ")).await;
        assert!(bad.last().unwrap().starts_with("b NO"), "{bad:?}");
        let good = format!("c LOGIN alice {}", alice.password);
        let ok = imap.ask(&good, |l| l.starts_with("c ")).await;
        assert!(ok.last().unwrap().starts_with("c OK"), "{ok:?}");
        imap.ask("d LOGOUT", |l| l.starts_with("d ")).await;
        imap = Client::plain(s.imap_port()).await;
        imap.line().await;
        assert!(t.elapsed().as_secs_f64() < 1.5, "login after a failure took {:?}", t.elapsed());
    }

    // POP3 over STLS with the full address.
    let mut pop3 = Client::plain(s.pop3_port()).await;
    pop3.line().await;
    assert!(pop3.ask("STLS", |_| true).await[0].starts_with("+OK"));
    let mut pop3 = pop3.starttls(s.ca_pem(), "127.0.0.1").await;
    pop3.ask(&format!("USER {}", alice.email), |_| true).await;
    let pass = pop3.ask(&format!("PASS {}", alice.password), |_| true).await;
    assert!(pass[0].starts_with("+OK"), "{pass:?}");
}

#[tokio::test]
async fn two_instances_run_side_by_side() {
    let (a, b) = (start(), start());
    assert_ne!(a.dir(), b.dir());
    assert_ne!(a.imap_port(), b.imap_port());
    assert_ne!(a.leaf_sha256_hex(), b.leaf_sha256_hex());
    a.seed(a.user("alice"), 3).unwrap();
    b.seed(b.user("alice"), 5).unwrap();
    assert_eq!(a.message_count(a.user("alice"), "INBOX").unwrap(), 3);
    assert_eq!(b.message_count(b.user("alice"), "INBOX").unwrap(), 5);
    for s in [&a, &b] {
        for port in [s.imap_port(), s.pop3_port(), s.submission_port()] {
            let line = Client::plain(port).await.line().await;
            assert!(!line.is_empty(), "port {port} did not greet");
        }
        // Each instance trusts only its own CA.
        let other = if std::ptr::eq(s, &a) { &b } else { &a };
        assert!(Client::tls(s.imaps_port(), Some(other.ca_pem()), "localhost").await.is_err());
    }
}

#[test]
fn drop_stops_the_daemons_and_removes_the_dir_even_on_panic() {
    let t = Instant::now();
    let s = start();
    let started = t.elapsed();
    let (dir, ports) = (s.dir().to_owned(), [s.imap_port(), s.submission_port(), s.pop3s_port()]);
    assert!(dir.join("dovecot.log").exists());
    assert!(s.dovecot_log().contains("starting up"), "{}", s.dovecot_log());
    assert!(s.postfix_log().contains("daemon started"), "{}", s.postfix_log());

    let t = Instant::now();
    drop(s);
    let stopped = t.elapsed();
    eprintln!("start {started:?}, stop {stopped:?}");
    assert!(!dir.exists(), "{} left behind", dir.display());
    for port in ports {
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "port {port} still open");
    }

    // The same when the owning thread panics.
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let s = start();
        tx.send((s.dir().to_owned(), s.imap_port())).unwrap();
        panic!("test panics while holding MailServers");
    })
    .join();
    assert!(result.is_err());
    let (dir, port) = rx.recv().unwrap();
    assert!(!dir.exists(), "{} left behind after a panic", dir.display());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn handles_can_be_shared_across_threads_and_tasks() {
    fn check<T: Send + Sync>() {}
    check::<MailServers>();
    check::<tidings_testkit::User>();
    check::<tidings_testkit::TestkitError>();
    check::<tidings_testkit::fault::FaultServer>();
}

#[test]
#[should_panic(expected = "no test user \"carol\"")]
fn unknown_user_panics_clearly() {
    let s = start();
    s.user("carol");
}
