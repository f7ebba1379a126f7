//! In-process unit tests of the pipeline's decisions, over an in-memory source and a fake version
//! control (see `crate::testing`): fast, and each able to name the one decision that broke; and the
//! library's pieces against the real tools that are their authority (`openssl`, `ssh-keygen`, pkilint).

mod approve;
mod check;
mod gate;
mod inventory;
mod openssl_differential;
mod properties;
mod sample;
mod signature;
mod staged;
mod stat_cache;
