//! Parse-and-link benchmark: a generated ~3 MB IDL (3000 structs of 20
//! fields, 40 enums, typedefs, constants, annotations, defaults, and a
//! service of 3000 methods) through [`Loader::in_memory`], plus the small
//! test corpus.
//!
//! Run with `cargo bench -p anycall-idl --bench parse`. The generated text
//! is the same on every run (a fixed-seed generator), so figures compare.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use anycall_idl::Loader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const STRUCTS: usize = 3000;
const FIELDS: usize = 20;
const ENUMS: usize = 40;
const METHODS: usize = 3000;

/// A small fixed-seed generator (SplitMix64), so the IDL is reproducible
/// without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A field type and, sometimes, a default value that fits it.
fn field_type(rng: &mut Rng, own: usize) -> (String, Option<String>) {
    let other = rng.below(STRUCTS);
    let e = rng.below(ENUMS);
    match rng.below(16) {
        0 => ("bool".into(), Some("true".into())),
        1 => ("i32".into(), Some(format!("{}", rng.below(1000)))),
        2 => ("i64".into(), None),
        3 => ("double".into(), Some("1.5".into())),
        4 => ("string".into(), Some("\"text\"".into())),
        5 => ("binary".into(), None),
        6 => ("list<string>".into(), Some("[\"a\", \"b\"]".into())),
        7 => ("set<i64>".into(), None),
        8 => (format!("map<string, S{other}>"), None),
        9 => (format!("list<S{other}>"), None),
        10 => (format!("S{other}"), None),
        11 => (format!("E{e}"), Some(format!("E{e}.V{}", rng.below(10)))),
        12 => ("Id".into(), Some("MAX_ID".into())),
        13 => (format!("map<E{e}, list<i32>>"), None),
        14 => ("Names".into(), None),
        _ => (format!("S{}", own.saturating_sub(1)), None),
    }
}

/// The generated IDL, about 3 MB.
fn generate() -> String {
    let mut rng = Rng(0x5eed);
    let mut out = String::with_capacity(4 << 20);
    out.push_str("namespace go bench\nnamespace rs bench\n\n");
    out.push_str("typedef i64 Id\ntypedef list<string> Names\n");
    out.push_str("const i64 MAX_ID = 9007199254740991\n");
    out.push_str("const map<string, i32> LIMITS = {\"a\": 1, \"b\": 2}\n\n");
    for e in 0..ENUMS {
        writeln!(out, "enum E{e} {{").unwrap();
        for v in 0..10 {
            writeln!(out, "    V{v} = {},", v * 3).unwrap();
        }
        out.push_str("}\n\n");
    }
    for s in 0..STRUCTS {
        writeln!(out, "/** Struct number {s}. */\nstruct S{s} {{").unwrap();
        for f in 1..=FIELDS {
            let (ty, default) = field_type(&mut rng, s);
            let req = ["", "optional ", "required "][rng.below(3)];
            write!(out, "    {f}: {req}{ty} f{f}").unwrap();
            if let Some(d) = default.filter(|_| rng.below(3) == 0) {
                write!(out, " = {d}").unwrap();
            }
            if rng.below(3) == 0 {
                write!(out, " (api.query = \"f{f}\", go.tag = 'json:\"f_{f}\"')").unwrap();
            }
            out.push_str(",\n");
        }
        out.push_str("} (api.struct = \"yes\")\n\n");
    }
    for x in 0..4 {
        writeln!(out, "exception Err{x} {{ 1: i32 code, 2: string message }}").unwrap();
    }
    out.push_str("\nservice Bench {\n");
    for m in 0..METHODS {
        let (a, b) = (rng.below(STRUCTS), rng.below(STRUCTS));
        write!(
            out,
            "    S{a} m{m}(1: S{b} req, 2: i64 id, 3: list<string> tags)"
        )
        .unwrap();
        if rng.below(2) == 0 {
            write!(out, " throws (1: Err{} e)", rng.below(4)).unwrap();
        }
        writeln!(out, " (api.post = \"/m/{m}\")").unwrap();
    }
    out.push_str("}\n");
    out
}

fn bench_generated(c: &mut Criterion) {
    let text = generate();
    let size = text.len();
    println!(
        "generated IDL: {size} bytes ({:.2} MiB), {STRUCTS} structs x {FIELDS} fields, {METHODS} methods",
        size as f64 / (1 << 20) as f64
    );
    let loader = Loader::in_memory().file("bench.thrift", text);
    let pool = loader
        .load("bench.thrift")
        .unwrap_or_else(|e| panic!("{e}"));
    let service = pool.service("Bench").expect("the service");
    assert_eq!(service.methods().count(), METHODS);
    report_cpu_time(&loader);

    let mut group = c.benchmark_group("parse_link");
    group.throughput(Throughput::Bytes(size as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    // Dropping the pool (about a sixth of the total) is not parsing or
    // linking: `iter_with_large_drop` keeps it out of the timing.
    group.bench_function("generated_3mb", |b| {
        b.iter_with_large_drop(|| black_box(loader.load("bench.thrift")).unwrap());
    });
    group.bench_function("generated_3mb_with_drop", |b| {
        b.iter(|| black_box(loader.load("bench.thrift")).unwrap());
    });
    group.finish();
}

/// CPU time of this thread, from `/proc/thread-self/schedstat` (Linux).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall time on a shared machine counts the other processes' load too; the
/// CPU time one load takes on this thread does not. Prints the median of 7.
fn report_cpu_time(loader: &Loader) {
    let mut samples = Vec::new();
    for _ in 0..7 {
        let Some(start) = thread_cpu_time() else {
            return;
        };
        let pool = black_box(loader.load("bench.thrift")).unwrap();
        let Some(end) = thread_cpu_time() else {
            return;
        };
        samples.push(end - start);
        drop(pool);
    }
    samples.sort();
    println!(
        "parse+link CPU time per load (median of 7): {:.1} ms",
        samples[3].as_secs_f64() * 1e3
    );
}

fn bench_corpus(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/idl/corpus");
    let files = ["main.thrift", "shared/common.thrift", "item/item.thrift"];
    let mut loader = Loader::in_memory();
    let mut size = 0;
    for f in files {
        let text = std::fs::read_to_string(format!("{dir}/{f}")).expect("read the corpus");
        size += text.len();
        loader = loader.file(f, text);
    }
    loader.load("main.thrift").unwrap_or_else(|e| panic!("{e}"));

    let mut group = c.benchmark_group("parse_link");
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| black_box(loader.load("main.thrift")).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench_generated, bench_corpus);
criterion_main!(benches);
