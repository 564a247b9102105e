//! The `gluster-tasks` binary.

use clap::Parser;
use gluster_tasks::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::GlusterSim { args } => simulator::main_with_args(&args),
        Command::Openapi => match gluster_tasks::app::openapi_yaml() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot render the OpenAPI document: {e}");
                ExitCode::FAILURE
            }
        },
        Command::HashToken => {
            let mut token = String::new();
            match std::io::stdin().read_line(&mut token) {
                Ok(n) if n > 0 && !token.trim().is_empty() => {
                    println!("{}", gluster_tasks::auth::hash_token(token.trim()));
                    ExitCode::SUCCESS
                }
                _ => {
                    eprintln!("gluster-tasks hash-token: give the token on stdin");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => {
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
                .init();
            match actix_web::rt::System::new().block_on(gluster_tasks::server::serve(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("gluster-tasks: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
