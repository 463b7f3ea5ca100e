//! `tidings`: with no subcommand, the GUI; with one, the same core headless.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
