//! The standalone `gluster-sim` executable (the service's `--demo` runs the same code as
//! `gluster-tasks gluster-sim`).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    simulator::main_with_args(&args)
}
