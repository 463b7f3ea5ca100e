//! The report as Markdown, for a ticket.

use std::fmt::Write;

use super::Report;

pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Inspection of {}", r.target);
    let _ = writeln!(o);
    if r.includes_content {
        let _ = writeln!(
            o,
            "**This report contains message content**: the transcript shows the sampled messages' headers and bodies. Read it before you share it.\n"
        );
    }
    let _ = writeln!(o, "- started: {}", r.started);
    let _ = writeln!(
        o,
        "- result: {}",
        if r.ok {
            "all stages passed".to_string()
        } else {
            format!("FAILED at {}", r.failed_stage.as_deref().unwrap_or("connection"))
        }
    );
    // RFC 3501 7.1: for the person, so before everything else.
    for alert in &r.alerts {
        let _ = writeln!(o, "- **The server says: {alert}**");
    }
    if let Some(e) = &r.error {
        let _ = writeln!(o, "- error ({}): {}", e.kind, e.message);
        if let Some(words) = &e.server {
            let _ = writeln!(o, "- the server said: `{words}`");
        }
        let _ = writeln!(o, "- what to do: {}", r.explanation.as_deref().unwrap_or(e.advice));
    }
    let _ = writeln!(o, "\n## Stages\n\n| stage | result | time | detail |\n|---|---|---:|---|");
    for s in &r.stages {
        let _ = writeln!(
            o,
            "| {} | {} | {:.1} ms | {} |",
            s.name.label(),
            if s.ok { "ok" } else { "FAILED" },
            s.duration.as_secs_f64() * 1000.0,
            s.detail.as_deref().unwrap_or("").replace('|', "\\|")
        );
    }
    if let Some(tls) = &r.tls {
        let _ = writeln!(o, "\n## TLS\n");
        let _ = writeln!(o, "- version: {}", tls.version.as_deref().unwrap_or("—"));
        let _ = writeln!(o, "- cipher: {}", tls.cipher.as_deref().unwrap_or("—"));
        let _ = writeln!(o, "- trust: {}", tls.verdict);
        if let Some(m) = tls.hostname_matches {
            let _ = writeln!(o, "- host name matches the certificate: {}", if m { "yes" } else { "no" });
        }
        if let Some(c) = &tls.certificate {
            let _ = writeln!(
                o,
                "- subject: {}\n- issuer: {}\n- valid: {} to {}\n- names: {}\n- SHA-256: {}",
                c.subject,
                c.issuer,
                c.not_before,
                c.not_after,
                c.sans.join(", "),
                c.sha256
            );
        }
    }
    let _ = writeln!(o, "\n## Server\n");
    if let Some(g) = &r.greeting {
        let _ = writeln!(o, "- greeting: `{g}`");
    }
    if let Some(id) = &r.imap_id {
        let pairs: Vec<String> = id.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(o, "- IMAP ID: {}", pairs.join(", "));
    }
    if let Some(m) = &r.mailbox {
        let _ = writeln!(o, "- first mailbox command: {m}");
    }
    let _ = writeln!(
        o,
        "- authentication mechanisms: {}",
        if r.auth_mechanisms.is_empty() { "none offered".into() } else { r.auth_mechanisms.join(" ") }
    );
    if let Some(login) = &r.login {
        let _ = writeln!(o, "- logged in with: {login}");
    }
    if let Some(t) = &r.token {
        let _ = writeln!(o, "\n## OAuth2 access token\n");
        for warning in &t.warnings {
            let _ = writeln!(o, "- **Warning: {warning}**");
        }
        let _ =
            writeln!(o, "- mechanism: {}", t.mechanism.as_deref().unwrap_or("none offered by the server"));
        let _ = writeln!(o, "- audience: {}", t.grant.audience_words());
        let _ = writeln!(o, "- scopes granted: {}", t.grant.scope_words());
        let _ = writeln!(o, "- expiry: {}", t.expires.as_deref().unwrap_or("not stated by the provider"));
    }
    let c = &r.capabilities;
    let _ = writeln!(o, "\n## Capabilities\n");
    if !c.before_tls.is_empty() {
        let _ = writeln!(o, "- before TLS: {}", c.before_tls.join(" "));
    }
    let _ = writeln!(
        o,
        "- {}: {}",
        if c.before_tls.is_empty() { "on connect" } else { "after TLS" },
        c.after_tls.join(" ")
    );
    if !c.after_login.is_empty() {
        let _ = writeln!(o, "- after login: {}", c.after_login.join(" "));
    }
    for (what, list) in [
        ("added by TLS", &c.added_by_tls),
        ("removed by TLS", &c.removed_by_tls),
        ("added by login", &c.added_by_login),
        ("removed by login", &c.removed_by_login),
    ] {
        if !list.is_empty() {
            let _ = writeln!(o, "- {what}: {}", list.join(" "));
        }
    }
    let _ = writeln!(o, "\n## Behaviour checks\n\n| check | result | summary |\n|---|---|---|");
    for ch in &r.checks {
        let _ = writeln!(o, "| {} | {} | {} |", ch.name, ch.verdict.label(), ch.summary.replace('|', "\\|"));
        for e in &ch.evidence {
            let _ = writeln!(o, "|  |  | {} |", e.replace('|', "\\|"));
        }
    }
    let what = if r.includes_content {
        "credentials redacted, message content included"
    } else {
        "credentials redacted, message content left out"
    };
    let _ = writeln!(o, "\n## Transcript ({what})\n\n```");
    for l in &r.transcript {
        let _ = writeln!(o, "+{:>9.3} {} {}", l.at.as_secs_f64(), l.dir.marker(), l.text);
    }
    let _ = writeln!(o, "```");
    o
}
