//! castor: a static-site generator for incident post-mortems.
//!
//! The build is a one-way pipeline, one module a stage:
//! [`config`] → [`content`] → [`site`] → [`render`] → [`output`].

pub mod build;
pub mod check;
pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod export;
pub mod guard;
pub mod highlight;
pub mod import;
pub mod init;
pub mod lint;
pub mod new;
pub mod output;
pub mod progress;
pub mod render;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod slug;
pub mod timings;
