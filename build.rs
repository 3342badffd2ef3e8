//! Links the `castor` binary as a fixed-address executable on Linux.
//!
//! A position-independent castor starts by relocating some 46,000
//! pointers, which copies about 220 pages of its read-only data: 0.7 ms
//! and 230 page faults at every start, a twentieth of what `castor search`
//! may take in all. castor reads the user's own files, and `serve` is a
//! preview server on localhost by default: address randomization of its
//! code buys little against that cost.

fn main() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
