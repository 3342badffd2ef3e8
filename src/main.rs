use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    castor::cli::Cli::parse().run()
}
