//! The `vigil` command. All the work, and the parsing of the command line, is in the library; this
//! only hands the exit code back: 0 nothing at the failing severity, 1 findings, 2 usage,
//! configuration or runtime errors.

/// A run allocates and frees millions of small values (paths, OpenSSL settings, manifest entries);
/// glibc's allocator spent about a quarter of a check's CPU time on them (see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vigil::main()
}
