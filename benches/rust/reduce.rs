//! criterion: reductions (full, last axis, first axis) and softmax.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lamina_core::kernels::{nn, reduce};
use lamina_core::{random, DType};

fn bench_reduce(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce");
    for &(rows, cols) in &[(1usize, 1024usize), (256, 256), (1024, 1024), (4096, 1024)] {
        let n = rows * cols;
        let x = random::normal(&[rows, cols], 0.0, 1.0, DType::F32, 1, 0).unwrap();
        let id = format!("{rows}x{cols}");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("sum_all", &id), &n, |b, _| {
            b.iter(|| reduce::sum(&x, None, false).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("sum_last", &id), &n, |b, _| {
            b.iter(|| reduce::sum(&x, Some(&[-1]), false).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("sum_first", &id), &n, |b, _| {
            b.iter(|| reduce::sum(&x, Some(&[0]), false).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("softmax_last", &id), &n, |b, _| {
            b.iter(|| nn::softmax(&x, -1).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_reduce);
criterion_main!(benches);
