//! Integration tests: the real `vigil` binary over real git repositories. One test binary, so the suite
//! links once.

mod support;

mod attacks_git;
mod bad_input;
mod cli_conventions;
mod completions;
mod core;
mod deploy;

mod attacks_io;
mod attacks_svn;
mod audit_log;
mod author_approval;
mod discovery;
mod examples;
mod extract;
mod findings;
mod gate;
mod gate_formats;
mod hook_fast_path;
mod hooks;
mod ignore_rules;
mod library;
mod man;
mod nightly;
mod object_format;
mod openssl_ca;
mod openssl_inventory;
mod package;
mod policy;
mod prometheus;
mod push_fast_path;
mod readme;
mod requirements;
mod sample_gate;
mod sarif_consumer;
mod schema;
mod server_policy;
mod shared_findings;
mod signed_approvals;
mod signed_svn;
mod signers_change;
mod snapshots;
mod stat_cache;
mod svn;
mod svn_gate;
mod svn_ignore_rules;
mod svn_pre_commit;
mod svn_support;
mod units;
