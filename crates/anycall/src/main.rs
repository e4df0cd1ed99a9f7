//! The `anycall` command line.

fn main() -> std::process::ExitCode {
    anycall::cli::main()
}
