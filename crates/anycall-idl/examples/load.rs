//! Loads an IDL file and prints what it holds, or the first problems:
//! `cargo run -p anycall-idl --example load -- FILE [INCLUDE_DIR...]`.
//! Used to measure the loader's time and memory on large inputs.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: load FILE [INCLUDE_DIR...]");
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    let loaded = anycall_idl::Pool::from_file(&path, args);
    let took = started.elapsed();
    match loaded {
        Ok(pool) => {
            let methods = pool.services().next().map_or(0, |s| s.methods().count());
            println!(
                "ok in {took:?}: {} files, {} services, {methods} methods callable on the first",
                pool.files().count(),
                pool.services().count(),
            );
        }
        Err(e) => {
            let text = e.to_string();
            let cut: String = text.chars().take(400).collect();
            println!(
                "error in {took:?} ({} problems):\n{cut}",
                e.diagnostics().len()
            );
            std::process::exit(1);
        }
    }
}
