//! The store's own thread. Async code (the sync engine) sends it jobs and awaits replies.
//!
//! Why a dedicated thread rather than `spawn_blocking` around a `Mutex<Store>`: jobs run in
//! the order they were sent, so the engine can hand over chunk k and fetch chunk k+1 from
//! the network while k is written, without two writes overtaking each other; the one
//! connection keeps its prepared statements warm; and it needs no tokio runtime, so the GUI
//! or the CLI can use the same handle from any thread ([`StoreHandle::blocking_call`]).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::Store;
use crate::error::{Error, Kind, Result};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// How long the thread waits without a job before it indexes queued bodies for search.
const IDLE_BEFORE_INDEXING: Duration = Duration::from_millis(200);

/// A cheap, clonable handle to the store thread. The thread ends (closing the store) when
/// the last handle is dropped and its queued jobs are done.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreHandle")
    }
}

/// The answer to one job; await it (or [`Reply::wait_blocking`]).
pub struct Reply<R> {
    rx: oneshot::Receiver<Result<R>>,
}

fn gone() -> Error {
    Error::new(Kind::Storage, "the mail store stopped unexpectedly (its thread ended); restart Tidings")
}

impl<R> Future for Reply<R> {
    type Output = Result<R>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        Pin::new(&mut self.rx).poll(cx).map(|r| r.unwrap_or_else(|_| Err(gone())))
    }
}

impl<R> Reply<R> {
    /// The result if the job has finished, without waiting.
    pub fn try_take(&mut self) -> Option<Result<R>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(gone())),
        }
    }

    /// Waits on a plain thread (not inside an async task).
    pub fn wait_blocking(self) -> Result<R> {
        self.rx.blocking_recv().unwrap_or_else(|_| Err(gone()))
    }
}

impl StoreHandle {
    /// Moves `store` onto a new thread named "tidings-store".
    pub fn spawn(store: Store) -> Result<StoreHandle> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tidings-store".into())
            .spawn(move || {
                let mut store = store;
                // Bodies not yet indexed for search (after the update that added search, a
                // big store has them all) are indexed a chunk at a time between jobs: a job
                // waits at most for one chunk, and while jobs keep coming the chunks take at
                // most half of the thread's time.
                let mut maybe_pending = true;
                let mut due = Instant::now() + IDLE_BEFORE_INDEXING;
                loop {
                    let wait = if maybe_pending {
                        due.saturating_duration_since(Instant::now())
                    } else {
                        Duration::from_secs(60 * 60)
                    };
                    match rx.recv_timeout(wait) {
                        Ok(job) => {
                            job(&mut store);
                            // The job may have stored bodies.
                            maybe_pending = true;
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                    if maybe_pending && Instant::now() >= due {
                        let started = Instant::now();
                        let chunk = store.index_pending(crate::limits::INDEX_CHUNK, Duration::from_secs(1));
                        let chunk = store
                            .thread_pending(crate::limits::THREAD_CHUNK, Duration::from_secs(1))
                            .and_then(|t| chunk.map(|n| n + t));
                        // Nothing left (or the store cannot be written now): wait for jobs.
                        maybe_pending = matches!(chunk, Ok(n) if n > 0);
                        due = Instant::now() + started.elapsed().max(IDLE_BEFORE_INDEXING / 10);
                        if !maybe_pending {
                            due = Instant::now() + IDLE_BEFORE_INDEXING;
                        }
                    }
                }
            })
            .map_err(|e| Error::storage("cannot start the mail store's thread", e))?;
        Ok(StoreHandle { tx })
    }

    /// Queues `f` and returns at once; jobs run one after the other, in order.
    pub fn submit<R, F>(&self, f: F) -> Reply<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R> + Send + 'static,
    {
        let (reply_tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            // A panic must not take the thread (and every later job) down; an open
            // transaction is rolled back as it unwinds.
            let r = catch_unwind(AssertUnwindSafe(|| f(store))).unwrap_or_else(|_| {
                Err(Error::new(Kind::Storage, "internal error in the mail store (a bug)"))
            });
            let _ = reply_tx.send(r);
        });
        // A send error means the thread is gone; the dropped reply sender then reports it.
        let _ = self.tx.send(job);
        Reply { rx }
    }

    /// Runs `f` on the store thread and waits for its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R> + Send + 'static,
    {
        self.submit(f).await
    }

    /// [`StoreHandle::call`] for plain threads.
    pub fn blocking_call<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R> + Send + 'static,
    {
        self.submit(f).wait_blocking()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_and_a_panic_is_an_error() {
        let h = StoreHandle::spawn(Store::open_in_memory().unwrap()).unwrap();
        let first = h.submit(|s| s.account("a"));
        let second = h.submit(|s| s.account("b"));
        let boom: Reply<()> = h.submit(|_| panic!("test panic"));
        let (a, b) = (first.await.unwrap(), second.await.unwrap());
        assert!(a.0 < b.0);
        assert_eq!(boom.await.unwrap_err().kind(), Kind::Storage);
        // Still alive after the panic.
        assert_eq!(h.call(|s| s.account("a")).await.unwrap(), a);
        let h2 = h.clone();
        let v = tokio::task::spawn_blocking(move || h2.blocking_call(|s| s.schema_version()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v, crate::store::schema::latest());
    }

    /// Bodies stored by a job are indexed for search in the background, also while other
    /// jobs keep coming.
    #[tokio::test]
    async fn queued_bodies_are_indexed_between_jobs() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.account("a").unwrap();
        let inbox = store.pop3_setup(a).unwrap();
        let h = StoreHandle::spawn(store).unwrap();
        h.call(move |s| {
            let mut batch = crate::store::Pop3Batch::default();
            for k in 0..450 {
                let raw = format!("Subject: {k}\r\n\r\nword{k}\r\n");
                batch.push(format!("u{k}"), raw.len() as u64, raw.as_bytes(), false);
            }
            s.pop3_commit(a, inbox, batch, 0)
        })
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            // A job every few milliseconds: the indexing must not wait for a quiet moment.
            let left = h.call(|s| s.index_backlog()).await.unwrap();
            if left == 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{left} bodies still waiting");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let found = h.call(|s| {
            crate::search::search(s, "word449", &Default::default(), 10, 0)
                .map_err(|e| Error::new(Kind::Storage, e.to_string()))
        });
        assert_eq!(found.await.unwrap().len(), 1);
    }
}
