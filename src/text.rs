//! Small helpers on text and files shared by several stages.

use std::fs::File;
use std::path::Path;

/// The first `max` characters of `text`, cut at a word boundary, with an
/// ellipsis when anything was cut.
pub fn cut_at_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..end])
}

/// The text of a file that castor reads to show it (a source line under a
/// diagnostic) or to parse it (book.toml): only a regular file, never a
/// pipe or a device, and never more than `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > limit {
        return Err(std::io::Error::other(format!(
            "{} bytes, over the limit of {limit}",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(File::open(path)?, limit),
        &mut text,
    )?;
    Ok(text)
}
