fn main() -> std::process::ExitCode {
    closeacct::run(std::env::args_os())
}
