use clap::Parser;
use std::process::ExitCode;

/// Rendering a page allocates many small strings; glibc's malloc spent about 30% of the CPU on
/// them (and its arena locks) under load, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = certdesk::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("certdesk: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(certdesk::cli::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("certdesk: {err:#}");
            ExitCode::FAILURE
        }
    }
}
