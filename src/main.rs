//! The `vigil` command. All the work, and the parsing of the command line, is in the library; this
//! only hands the exit code back: 0 nothing at the failing severity, 1 findings, 2 usage,
//! configuration or runtime errors.

fn main() -> std::process::ExitCode {
    vigil::main()
}
