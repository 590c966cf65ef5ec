fn main() -> std::process::ExitCode {
    // libpq speaks TLS through the system's OpenSSL, which by default frees
    // its state from an exit handler; a pool thread still closing a
    // PostgreSQL connection at that moment corrupts the heap, and a clean
    // shutdown ends in SIGSEGV or SIGABRT now and then (diesel issue 3441).
    // Initialised here, OpenSSL registers no exit handler.
    openssl::init();
    tessera::cli::main()
}
