//! castor: a static-site generator for incident post-mortems.
//!
//! The build is a one-way pipeline, one module a stage:
//! [`config`] → [`content`] → [`site`] → `render` → [`output`], with
//! `search` beside `render`, and [`build`] running them in order. The
//! commands (`cmd`) call the stages; no stage imports a command. The
//! public modules are what the binary and the tests use; the rest are
//! crate-private, so the compiler reports what nothing uses.

pub mod build;
pub mod cli;
pub(crate) mod cmd;
pub mod config;
pub mod content;
pub mod diagnostic;
pub(crate) mod export;
pub(crate) mod guard;
pub(crate) mod highlight;
pub(crate) mod import;
pub(crate) mod lint;
pub mod output;
pub(crate) mod progress;
pub(crate) mod render;
pub(crate) mod search;
pub mod site;
pub(crate) mod slug;
pub(crate) mod text;
pub mod timings;
pub mod urls;
