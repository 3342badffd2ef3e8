//! The search stage: a tantivy index of incidents and advice for
//! `castor search`, and a compact index for the site's `/search/` page.
//!
//! `castor build` writes the tantivy index (`[search] index_dir`, by
//! default `.castor/index/`, outside the published site) with a stamp of the
//! content beside it; `castor search` rebuilds it first when the stamp says
//! it is missing, stale or from another castor.

pub mod browser;
mod counted;
pub mod index;
pub mod query;
pub mod schema;
pub mod stamp;
mod stem;
pub mod vocabulary;

pub use stamp::{Freshness, Stamp};
