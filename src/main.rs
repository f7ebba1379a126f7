//! The `vigil` command. All the work is in the library; this maps outcomes to exit codes:
//! 0 nothing at the failing severity, 1 findings, 2 usage, configuration or runtime errors.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
