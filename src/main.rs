//! The `lintage` binary: parse the command line, run, map the outcome to an exit code.

mod allocator;
mod cli;

#[global_allocator]
static ALLOCATOR: allocator::Split = allocator::Split;

fn main() -> std::process::ExitCode {
    cli::main()
}
