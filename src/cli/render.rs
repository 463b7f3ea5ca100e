//! `tidings render FILE.eml`: the reader's display model of a message file — the same model
//! the mailbox shows — as text, or as JSON with `--json`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tidings_mail::message::{self, Display};
use tidings_mail::options::BodyFormat;
use tidings_mail::{Error, Kind, limits};

use super::Out;
use super::output::{errln, outln};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The message file (RFC 5322, as saved by a mail program: .eml).
    file: PathBuf,
    /// Which body to show when the message offers several.
    #[arg(long, value_enum, default_value_t = Format::Best)]
    format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum Format {
    /// Text: HTML and enriched text rendered as text when there is no text part.
    Text,
    /// HTML when there is some, else enriched text, else text.
    Html,
    /// The richest part that renders.
    Best,
}

impl From<Format> for BodyFormat {
    fn from(f: Format) -> BodyFormat {
        match f {
            Format::Text => BodyFormat::PlainText,
            Format::Html => BodyFormat::Html,
            Format::Best => BodyFormat::Best,
        }
    }
}

pub fn run(args: RenderArgs, out: &Out) -> ExitCode {
    let raw = match std::fs::read(&args.file) {
        Ok(raw) => raw,
        Err(e) => {
            let e =
                Error::new(Kind::Storage, format!("cannot read the message file {}", args.file.display()))
                    .with_source(e)
                    .with_advice("Check the file's path and that you may read it.");
            return out.error(&e);
        }
    };
    print(&message::render(&raw, args.format.into()), out);
    ExitCode::SUCCESS
}

/// A display model as JSON, or as text for people.
pub(super) fn print(display: &Display, out: &Out) {
    if out.json {
        match serde_json::to_value(display) {
            Ok(v) => out.print_json(&v),
            Err(e) => errln!("tidings: cannot write JSON: {e}"),
        }
    } else {
        print_text(display, 0);
    }
}

fn print_text(d: &Display, level: usize) {
    let pad = "    ".repeat(level);
    let list = |v: &[message::Mailbox]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    outln!("{pad}Subject: {}", d.subject.as_deref().unwrap_or("(no subject)"));
    if !d.from.is_empty() {
        outln!("{pad}From: {}", list(&d.from));
    }
    if !d.to.is_empty() {
        outln!("{pad}To: {}", list(&d.to));
    }
    if !d.cc.is_empty() {
        outln!("{pad}Cc: {}", list(&d.cc));
    }
    if let Some(date) = &d.date {
        outln!("{pad}Date: {date}");
    }
    if !d.read_receipt_to.is_empty() {
        outln!("{pad}Asks for a read receipt to: {}", list(&d.read_receipt_to));
    }
    outln!(
        "{pad}Body ({}):",
        serde_json::to_value(d.body.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    );
    outln!("");
    for line in d.body.text.lines() {
        outln!("{pad}{line}");
    }
    outln!("");
    if let Some(report) = &d.report {
        outln!(
            "{pad}Report ({}){}:",
            report.kind,
            report.reporter.as_deref().map(|r| format!(" from {r}")).unwrap_or_default()
        );
        for r in &report.recipients {
            let what = [r.action.as_deref(), r.status.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            outln!("{pad}  {}: {what}", r.recipient);
            if let Some(diagnostic) = &r.diagnostic {
                outln!("{pad}    {diagnostic}");
            }
        }
    }
    if !d.attachments.is_empty() {
        outln!("{pad}Attachments:");
        for a in &d.attachments {
            let inline = if a.inline { ", inline" } else { "" };
            let cid = a.content_id.as_deref().map(|c| format!(", cid:{c}")).unwrap_or_default();
            outln!("{pad}  {} ({}, {}{inline}{cid})", a.name, a.content_type, limits::size(a.size as u64));
        }
    }
    for c in &d.calendar {
        outln!("{pad}Calendar: {} ({} bytes)", c.method.as_deref().unwrap_or("no method"), c.text.len());
    }
    if d.tnef {
        outln!("{pad}Decoded from TNEF (winmail.dat).");
    }
    for note in &d.notes {
        outln!("{pad}Note: {note}");
    }
    for f in &d.forwarded {
        outln!("{pad}--- Forwarded message ---");
        print_text(f, level + 1);
    }
}
