//! The command line: raw arguments → a validated plan → a library call → output.

mod args;
mod codec;
mod demo;
mod describe;
mod input;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::Command;

/// How a run ended, as the process exit code.
///
/// 0 success; 1 local, IDL or transport failure; 2 usage; 3 the service
/// answered with a declared IDL exception; 64 + N a `TApplicationException`
/// of type N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0
    Ok,
    /// 1
    Failure,
    /// 2
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
        })
    }
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    exit: Exit,
    error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(e: E) -> Self {
        Self {
            exit: Exit::Failure,
            error: e.into(),
        }
    }
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => Exit::Ok.into(),
        Err(e) => {
            eprintln!("error: {:#}", e.error);
            e.exit.into()
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Describe(a) => describe::describe(&a),
        Command::List(a) => describe::list(&a),
        Command::Encode(a) => codec::encode(&a),
        Command::Decode(a) => codec::decode(&a),
        Command::Demo(a) => demo::run(&a),
    }
}
