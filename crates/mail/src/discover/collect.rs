//! Where the sources put what they find, as they find it: when the overall time limit cuts
//! the sources off, everything already here is kept and the unfinished sources are reported
//! as timed out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::names::Email;
use super::rank;
use super::types::{
    Attempt, Candidate, Discovery, MxInfo, NeedsConfirmation, ProbeReport, SourceKind, SourceReport,
    SourceStatus,
};

/// What one step of a source produced.
pub(crate) struct Finding {
    pub kind: SourceKind,
    /// In an exclusive group only the best-priority finding with candidates counts (the four
    /// autoconfig URLs of a domain are alternatives, not four opinions).
    pub group: Option<String>,
    pub priority: u32,
    pub candidates: Vec<Candidate>,
    pub confirm: Option<NeedsConfirmation>,
}

impl Finding {
    pub fn new(kind: SourceKind, priority: u32) -> Finding {
        Finding { kind, group: None, priority, candidates: Vec::new(), confirm: None }
    }
    pub fn with_priority(mut self, priority: u32) -> Finding {
        self.priority = priority;
        self
    }
    pub fn group(mut self, group: String) -> Finding {
        self.group = Some(group);
        self
    }
    pub fn candidates(mut self, candidates: Vec<Candidate>) -> Finding {
        self.candidates = candidates;
        self
    }
    pub fn confirm(mut self, confirm: NeedsConfirmation) -> Finding {
        self.confirm = Some(confirm);
        self
    }
}

#[derive(Default)]
struct Progress {
    starts: u32,
    ends: u32,
    failure: Option<String>,
    elapsed_ms: Option<u64>,
    attempts: Vec<Attempt>,
}

#[derive(Default)]
struct Inner {
    findings: Vec<Finding>,
    progress: HashMap<SourceKind, Progress>,
    probes: Vec<ProbeReport>,
    mx: Option<MxInfo>,
}

pub(crate) struct Collector {
    t0: Instant,
    inner: Mutex<Inner>,
}

impl Collector {
    pub fn new() -> Collector {
        Collector { t0: Instant::now(), inner: Mutex::new(Inner::default()) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A source (or one more part of it) begins; each `start` needs a `finish`.
    pub fn start(&self, kind: SourceKind) {
        self.with(|i| i.progress.entry(kind).or_default().starts += 1);
    }

    pub fn finish(&self, kind: SourceKind, failure: Option<String>) {
        let ms = self.t0.elapsed().as_millis() as u64;
        self.with(|i| {
            let p = i.progress.entry(kind).or_default();
            p.ends += 1;
            p.elapsed_ms = Some(ms);
            if failure.is_some() {
                p.failure = failure;
            }
        });
    }

    /// The source did not run, and why.
    pub fn skip(&self, kind: SourceKind, why: &str) {
        let a = Attempt { what: "skipped".into(), outcome: why.into() };
        self.with(|i| i.progress.entry(kind).or_default().attempts.push(a));
    }

    pub fn attempt(&self, kind: SourceKind, what: impl Into<String>, outcome: impl Into<String>) {
        let a = Attempt { what: what.into(), outcome: outcome.into() };
        self.with(|i| i.progress.entry(kind).or_default().attempts.push(a));
    }

    pub fn finding(&self, f: Finding) {
        self.with(|i| i.findings.push(f));
    }

    pub fn probe(&self, report: ProbeReport) {
        self.with(|i| i.probes.push(report));
    }

    pub fn set_mx(&self, mx: MxInfo) {
        self.with(|i| i.mx = Some(mx));
    }

    /// Picks the kept findings, ranks the candidates and reports every source.
    pub fn into_discovery(self, email: &Email, timed_out: bool) -> Discovery {
        let elapsed_ms = self.t0.elapsed().as_millis() as u64;
        let inner = self.inner.into_inner().unwrap_or_else(|e| e.into_inner());
        let (kept, confirms) = select(inner.findings);

        let mut numbered: Vec<(u8, u32, usize, Candidate)> = Vec::new();
        for (priority, cands) in kept {
            for c in cands {
                numbered.push((rank::source_rank(&c), priority, numbered.len(), c));
            }
        }
        numbered.sort_by_key(|(r, p, i, _)| (*r, *p, *i));
        let candidates: Vec<Candidate> = numbered.into_iter().map(|(_, _, _, c)| c).collect();

        let mut progress = inner.progress;
        let sources = SourceKind::ALL
            .iter()
            .map(|&kind| {
                let p = progress.remove(&kind).unwrap_or_default();
                let found = match kind {
                    SourceKind::Mx => usize::from(inner.mx.is_some()),
                    k => candidates.iter().filter(|c| c.source.kind() == k).count(),
                };
                let status = if p.starts > p.ends {
                    SourceStatus::TimedOut
                } else if p.starts == 0 {
                    SourceStatus::Skipped
                } else if found > 0 {
                    SourceStatus::Found
                } else if p.failure.is_some() {
                    SourceStatus::Failed
                } else {
                    SourceStatus::NothingFound
                };
                let mut attempts = p.attempts;
                if let Some(f) = p.failure {
                    attempts.push(Attempt { what: "failed".into(), outcome: f });
                }
                if status == SourceStatus::TimedOut {
                    attempts.push(Attempt {
                        what: "cut off".into(),
                        outcome: "the overall time limit ran out".into(),
                    });
                }
                SourceReport { kind, status, found, attempts, elapsed_ms: p.elapsed_ms }
            })
            .collect();

        Discovery {
            email: email.address.clone(),
            domain: email.domain.clone(),
            best: rank::best(&candidates),
            disagreements: rank::disagreements(&candidates),
            candidates,
            needs_confirmation: confirms,
            mx: inner.mx,
            probes: inner.probes,
            sources,
            timed_out,
            elapsed_ms,
        }
    }
}

type Kept = Vec<(u32, Vec<Candidate>)>;

/// Exclusive groups keep their best finding with candidates, and the confirmations that
/// rank above it (a better source redirected elsewhere: the person may prefer it).
fn select(findings: Vec<Finding>) -> (Kept, Vec<NeedsConfirmation>) {
    let mut kept = Vec::new();
    let mut confirms: Vec<(u32, NeedsConfirmation)> = Vec::new();
    let mut groups: HashMap<(SourceKind, String), Vec<Finding>> = HashMap::new();
    for f in findings {
        match f.group.clone() {
            Some(g) => groups.entry((f.kind, g)).or_default().push(f),
            None => {
                confirms.extend(f.confirm.map(|c| (f.priority, c)));
                kept.push((f.priority, f.candidates));
            }
        }
    }
    for (_, group) in groups {
        let chosen = group.iter().filter(|f| !f.candidates.is_empty()).map(|f| f.priority).min();
        for f in group {
            if let Some(c) = f.confirm
                && chosen.is_none_or(|best| f.priority < best)
            {
                confirms.push((f.priority, c));
            }
            if Some(f.priority) == chosen && !f.candidates.is_empty() {
                kept.push((f.priority, f.candidates));
            }
        }
    }
    confirms.sort_by_key(|(p, _)| *p);
    confirms.dedup_by(|a, b| a.1 == b.1);
    (kept, confirms.into_iter().map(|(_, c)| c).collect())
}
