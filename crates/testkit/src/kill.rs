//! For the tests that kill a child process at random points (the POP3 pass, the Outbox
//! flush): a seeded generator whose seed is printed and can be replayed, and the child —
//! an ignored test of the same test binary — started with its arguments and its progress
//! lines read as they come.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::SystemTime;

/// xorshift64*: the random delays and kill points of a run, the mutations of hostile input.
pub struct Rng(u64);

impl Rng {
    /// A fixed seed: the same numbers on every run.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

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

    /// A number below `n` (0 for an `n` of 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.draw() % n.max(1) as u64) as usize
    }

    /// A position, half the time among the first 4 KiB, where headers and lists are.
    pub fn pos(&mut self, len: usize) -> usize {
        if self.draw() & 1 == 0 { self.below(len.min(4096)) } else { self.below(len) }
    }
}

/// The ignored test `name` of the running test binary, as a command to start, with `args`
/// in the variable `env` (one per line).
pub fn child_command(name: &str, env: &str, args: &[String]) -> std::io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"]).env(env, args.join("\n"));
    Ok(command)
}

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
        let mut child =
            child_command(name, env, args)?.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
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
