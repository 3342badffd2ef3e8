//! castor's integration tests: one binary, a module per feature. Each test
//! runs the real `castor` binary on a fixture site copied into a temporary
//! directory, and asserts on what a user sees.

mod a11y;
mod aliases;
mod browser;
mod build;
mod contributors;
mod errors;
mod export;
mod facets;
mod helpers;
mod import;
mod insight;
mod insight_browser;
mod knowledge_base;
mod layout;
mod links;
mod offline;
mod output_safety;
mod pagination;
mod reading;
mod rebuild;
mod regressions;
mod reliability;
mod search;
mod serve;
mod table;
