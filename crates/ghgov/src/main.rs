use clap::Parser;

fn main() {
    let cli = ghgov::cli::Cli::parse();
    ghgov::telemetry::init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(ghgov::cli::run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
