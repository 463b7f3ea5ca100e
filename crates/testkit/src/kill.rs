//! For the tests that kill a child process at random points (the POP3 pass, the Outbox
//! flush): a seeded generator whose seed is printed and can be replayed, and the child —
//! an ignored test of the same test binary — started with its arguments and its progress
//! lines read as they come.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::SystemTime;

/// xorshift64*: the random delays and kill points of a run.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `TIDINGS_KILL_SEED`, else from the clock; the seed is printed so that a
    /// failing run can be replayed.
    pub fn from_env(what: &str) -> Rng {
        let seed =
            std::env::var("TIDINGS_KILL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        println!("{what} from seed {seed} (TIDINGS_KILL_SEED to replay)");
        Rng(seed)
    }

    /// The next number.
    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The child test `name` of the running test binary, its `args` passed in the variable
/// `env` (one per line), its stdout read line by line.
/// A child's stdout, line by line, until it ends or cannot be read.
pub type ChildLines = std::iter::MapWhile<
    std::io::Lines<BufReader<ChildStdout>>,
    fn(std::io::Result<String>) -> Option<String>,
>;

pub struct ChildTest {
    child: Child,
    pub lines: ChildLines,
}

impl ChildTest {
    pub fn start(name: &str, env: &str, args: &[String]) -> std::io::Result<ChildTest> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
            .env(env, args.join("\n"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout from the child"))?;
        let ok: fn(std::io::Result<String>) -> Option<String> = Result::ok;
        Ok(ChildTest { child, lines: BufReader::new(stdout).lines().map_while(ok) })
    }

    /// SIGKILL, and waits for it to be gone. The lines it wrote before stay readable.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(drop)
    }
}
