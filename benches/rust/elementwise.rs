//! criterion: elementwise kernels from tiny (dispatch overhead) to large (throughput).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lamina_core::kernels::elementwise::{binary, unary, BinaryOp, UnaryOp};
use lamina_core::{random, DType};

fn bench_elementwise(c: &mut Criterion) {
    let mut g = c.benchmark_group("elementwise");
    for &n in &[4usize, 1024, 65_536, 1 << 20, 1 << 22] {
        let a = random::normal(&[n], 0.0, 1.0, DType::F32, 1, 0).unwrap();
        let b = random::normal(&[n], 0.0, 1.0, DType::F32, 2, 0).unwrap();
        let row = random::normal(&[256], 0.0, 1.0, DType::F32, 3, 0).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("add", n), &n, |bch, _| {
            bch.iter(|| binary(BinaryOp::Add, &a, &b).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("exp", n), &n, |bch, _| {
            bch.iter(|| unary(UnaryOp::Exp, &a).unwrap())
        });
        if n >= 256 {
            let m = a.clone();
            let m = lamina_core::kernels::shape::reshape(&m, &[(n / 256) as i64, 256]).unwrap();
            g.bench_with_input(BenchmarkId::new("add_broadcast_row", n), &n, |bch, _| {
                bch.iter(|| binary(BinaryOp::Add, &m, &row).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_elementwise);
criterion_main!(benches);
