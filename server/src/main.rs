use clap::Parser;
use std::process::ExitCode;

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
