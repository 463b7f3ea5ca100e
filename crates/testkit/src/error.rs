//! The one error type of the testkit. Messages carry what a developer needs to fix a failing
//! run without re-running it: the command line, its stderr, and the daemons' log tails.

/// Everything that can go wrong while starting, feeding or stopping the mail servers.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// Dovecot, Postfix or openssl is not installed. Tests must fail on this, never skip.
    #[error("{0}")]
    MissingServer(String),

    /// A helper command (openssl, doveadm, postfix …) exited unsuccessfully.
    #[error("`{command}` failed ({status}):\n{stderr}")]
    Command { command: String, status: String, stderr: String },

    /// A file-system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },

    /// The environment cannot host the daemons (not root, unusable temp dir, unknown system user).
    #[error("{0}")]
    Environment(String),

    /// The daemons did not come up; `reason` says which step, the tails say why.
    #[error(
        "mail servers did not start: {reason}\n--- dovecot log (tail) ---\n{dovecot_log}\n--- postfix log (tail) ---\n{postfix_log}"
    )]
    Start { reason: String, dovecot_log: String, postfix_log: String },
}

impl TestkitError {
    /// Wraps an `io::Error` with a short description of what was being done.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestkitError {
        let what = what.into();
        move |source| TestkitError::Io { what, source }
    }
}
