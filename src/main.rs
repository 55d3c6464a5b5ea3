fn main() {
    std::process::exit(stepdbg::cli::main());
}
