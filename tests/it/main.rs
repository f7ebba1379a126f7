//! Integration tests: the real `vigil` binary over real git repositories. One test binary, so the suite
//! links once.

mod support;

mod core;
mod svn_support;

mod svn;
mod svn_pre_commit;
