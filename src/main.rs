use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = oretrace::cli::Cli::parse();
    match oretrace::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Said once, on standard error (a log line as well printed it twice).
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
