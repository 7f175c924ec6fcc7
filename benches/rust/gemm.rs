//! criterion: matmul throughput (f32, f64) from n = 64 to 2048.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lamina_core::kernels::gemm::matmul;
use lamina_core::{random, DType};

fn bench_gemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.sample_size(10);
    for &(dt, name) in &[(DType::F32, "f32"), (DType::F64, "f64")] {
        for &n in &[64usize, 128, 256, 512, 1024, 2048] {
            if dt == DType::F64 && n > 1024 {
                continue;
            }
            let a = random::normal(&[n, n], 0.0, 1.0, dt, 1, 0).unwrap();
            let b = random::normal(&[n, n], 0.0, 1.0, dt, 2, 0).unwrap();
            g.throughput(Throughput::Elements((2 * n * n * n) as u64)); // flops
            g.bench_with_input(BenchmarkId::new(name, n), &n, |bch, _| {
                bch.iter(|| matmul(&a, &b).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
