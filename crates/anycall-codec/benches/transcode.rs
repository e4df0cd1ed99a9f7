//! Dynamic codec against the hand-written typed baseline (`typed.rs`), in the
//! same run (wall time).
//!
//! See `fixtures.rs` for what each direction measures. Throughput is counted
//! in bytes of JSON for JSON → Thrift and in bytes of Thrift for the other
//! directions.
//! On a shared machine wall time is noisy; the `instructions` bench gives
//! stable instruction counts for the same operations.
//!
//! Run: `cargo bench -p anycall-codec --bench transcode`.

mod fixtures;
mod typed;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use fixtures::{Direction, Prepared, Side};

fn bench(c: &mut Criterion) {
    let pool = fixtures::pool();
    let fixtures = fixtures::fixtures(&pool);
    eprintln!("typed: the hand-written typed baseline (benches/typed.rs), not generated code");
    for fx in &fixtures {
        eprintln!(
            "fixture {}: {} B JSON, {} B Thrift Binary",
            fx.name,
            fx.json.len(),
            fx.thrift.len()
        );
        let mut p = Prepared::new(&pool, fx);
        for d in Direction::ALL {
            let mut g = c.benchmark_group(d.name());
            // JSON → Thrift is counted in bytes of JSON read, the other
            // directions in bytes of Thrift.
            let bytes = if d == Direction::JsonToThrift {
                fx.json.len()
            } else {
                fx.thrift.len()
            };
            g.throughput(Throughput::Bytes(bytes as u64));
            let floor = matches!(d, Direction::JsonToThrift | Direction::ThriftToJson)
                .then_some(Side::Floor);
            for side in Side::ALL.into_iter().chain(floor) {
                g.bench_function(BenchmarkId::new(side.name(), fx.name), |b| {
                    b.iter(|| p.run(d, side));
                });
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40);
    targets = bench
}
criterion_main!(benches);
