//! Instruction counts of the `transcode` operations under callgrind: stable
//! on a busy machine, where wall time is not.
//!
//! `cargo bench -p anycall-codec --bench instructions` runs this binary once
//! per operation under `valgrind --tool=callgrind`, counting only inside
//! the loop of operations (`--toggle-collect`, so building the fixtures
//! does not count), and prints instructions per operation with the
//! dynamic/typed ratio (typed: the hand-written typed baseline of
//! `typed.rs`). Without valgrind on `PATH` it says so and exits
//! successfully.
//!
//! Internally the binary is re-run as `instructions <direction> <side>
//! <fixture> <iterations>`.

mod fixtures;
mod typed;

use std::process::Command;

use fixtures::{Direction, Prepared, Side};

const ITERATIONS: u64 = 50;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 {
        return run_one(&args[1], &args[2], &args[3], &args[4]);
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("instructions: valgrind not found; nothing measured");
        return;
    }
    let pool = fixtures::pool();
    let fixtures = fixtures::fixtures(&pool);
    println!("typed: the hand-written typed baseline (benches/typed.rs), not generated code");
    println!(
        "{:<16} {:>9} {:>12} {:>12} {:>7} {:>8} {:>12} {:>11}",
        "direction",
        "fixture",
        "dynamic Ir",
        "typed Ir",
        "ratio",
        "Ir/B dyn",
        "JSON only Ir",
        "JSON share"
    );
    for fx in &fixtures {
        for d in Direction::ALL {
            let dynamic = per_op(&args[0], d, Side::Dynamic, fx);
            let typed = per_op(&args[0], d, Side::Typed, fx);
            // The JSON text's cost, paid by both sides: what is left for
            // the Thrift side is `dynamic - floor` against `typed - floor`.
            let (floor, share) = match d {
                Direction::JsonToThrift | Direction::ThriftToJson => {
                    let floor = per_op(&args[0], d, Side::Floor, fx);
                    (
                        floor.to_string(),
                        format!("{:.0} %", 100.0 * floor as f64 / dynamic as f64),
                    )
                }
                _ => ("-".to_owned(), "-".to_owned()),
            };
            println!(
                "{:<16} {:>9} {:>12} {:>12} {:>7.2} {:>8.1} {:>12} {:>11}",
                d.name(),
                fx.name,
                dynamic,
                typed,
                dynamic as f64 / typed as f64,
                dynamic as f64 / fx.thrift.len() as f64,
                floor,
                share,
            );
        }
    }
}

/// Instructions for one operation, counted inside [`hot_loop`] only. Large
/// fixtures run fewer times (at least 4), for about the same total work.
fn per_op(exe: &str, d: Direction, side: Side, fx: &fixtures::Fixture) -> u64 {
    let n = (ITERATIONS * 1024 / fx.thrift.len().max(1) as u64).clamp(4, ITERATIONS);
    total(exe, d, side, fx.name, n) / n
}

fn total(exe: &str, d: Direction, side: Side, fixture: &str, n: u64) -> u64 {
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*hot_loop*",
        ])
        .arg(exe)
        .args([d.name(), side.name(), fixture, &n.to_string()])
        .output()
        .expect("valgrind runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "callgrind run failed:\n{stderr}");
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, n)| n.trim().to_owned())
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in:\n{stderr}"))
}

fn run_one(direction: &str, side: &str, fixture: &str, n: &str) {
    let d = Direction::ALL
        .into_iter()
        .find(|d| d.name() == direction)
        .expect("a direction");
    let side = Side::ALL
        .into_iter()
        .chain([Side::Floor])
        .find(|s| s.name() == side)
        .expect("a side");
    let n: u64 = n.parse().expect("an iteration count");
    let pool = fixtures::pool();
    let name = fixtures::NAMES
        .into_iter()
        .find(|&n| n == fixture)
        .expect("a fixture");
    let fx = fixtures::fixture(&pool, name);
    let mut p = Prepared::new(&pool, &fx);
    // One untimed run first: buffers reach their working size.
    p.run(d, side);
    std::hint::black_box(hot_loop(&mut p, d, side, n));
}

/// The measured part: `n` operations.
#[inline(never)]
fn hot_loop(p: &mut Prepared<'_, '_>, d: Direction, side: Side, n: u64) -> usize {
    let mut sink = 0usize;
    for _ in 0..n {
        sink = sink.wrapping_add(p.run(d, side));
    }
    sink
}
