//! In-process unit tests of the pipeline's decisions, over an in-memory source and a fake version
//! control (see `crate::testing`): fast, and each able to name the one decision that broke.

mod approve;
mod check;
mod gate;
mod inventory;
mod properties;
mod staged;
mod stat_cache;
