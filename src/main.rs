//! The `lintage` binary: parse the command line, run, map the outcome to an exit code.

mod cli;

#[global_allocator]
static ALLOCATOR: lintage::allocator::Split = lintage::allocator::Split;

fn main() -> std::process::ExitCode {
    lintage::allocator::prefer_small_pages();
    cli::main()
}
