//! Helpers shared by the iced_test flows: run tasks like the runtime would, and compare
//! snapshots against committed hashes (renderer pinned to tiny-skia by .cargo/config.toml).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use iced::Theme;
use iced_test::Simulator;
use iced_test::futures::futures::StreamExt;
use iced_test::selector::Candidate;

use tidings::app::{App, Message};

/// Runs a task to its end (on tokio, like the app) and returns the messages it produced.
pub fn run<M: Send + 'static>(task: iced::Task<M>) -> Vec<M> {
    run_on(&tokio::runtime::Runtime::new().unwrap(), task)
}

/// The same on `runtime`: tasks that must share one (a loopback listener one task opens and
/// the next waits on lives on the runtime that opened it).
pub fn run_on<M: Send + 'static>(runtime: &tokio::runtime::Runtime, task: iced::Task<M>) -> Vec<M> {
    let Some(stream) = iced_test::runtime::task::into_stream(task) else {
        return Vec::new();
    };
    runtime.block_on(
        stream
            .filter_map(|action| async move {
                match action {
                    iced_test::runtime::Action::Output(message) => Some(message),
                    _ => None,
                }
            })
            .collect(),
    )
}

/// Feeds every message a simulated interaction produced back into the app, then runs the
/// tasks they start and feeds their results back too, like the runtime would.
pub fn settle(app: &mut App, mut pending: Vec<Message>) {
    while !pending.is_empty() {
        let tasks: Vec<_> = pending.drain(..).map(|message| app.update(message)).collect();
        pending = tasks.into_iter().flat_map(run).collect();
    }
}

pub fn assert_snapshot(ui: &mut Simulator<'_, Message>, theme: &Theme, name: &str) {
    assert_eq!(
        std::env::var("ICED_TEST_BACKEND").as_deref(),
        Ok("tiny-skia"),
        "snapshots are pinned to the tiny-skia renderer: run with ICED_TEST_BACKEND=tiny-skia"
    );
    let snapshot = ui.snapshot(theme).unwrap();
    let base = format!("{}/tests/snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = format!("{base}-tiny-skia.sha256");
    assert!(
        Path::new(&file).exists() || std::env::var_os("CI").is_none(),
        "{file} is missing: generate it locally, look at it and commit it"
    );
    if let Some(dir) = std::env::var_os("TIDINGS_SNAPSHOT_PNG") {
        let _ = snapshot.matches_image(Path::new(&dir).join(name)).unwrap();
    }
    assert!(
        snapshot.matches_hash(&base).unwrap(),
        "the {name} screen no longer matches {file}; if the change is intended, delete the \
         file, rerun, look at the image (TIDINGS_SNAPSHOT_PNG) and commit the new hash"
    );
}

/// Every text a simulated screen shows, in order.
pub fn texts(mut ui: Simulator<'_, Message>) -> Vec<String> {
    let mut found = Vec::new();
    let _ = ui.find(|candidate: Candidate<'_>| {
        if let Candidate::Text { content, .. } = candidate {
            found.push(content.to_string());
        }
        None::<()>
    });
    found
}
