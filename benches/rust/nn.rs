//! criterion: the layer kernels on the MLP's shapes — fused Dense forward and backward, softmax
//! over the last axis, and the fused Adam update — at batch 1, 32 and 128.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lamina_core::kernels::dense::{dense, dense_grad, DenseActivation};
use lamina_core::kernels::nn::softmax;
use lamina_core::kernels::optim::{apply, Rule};
use lamina_core::{random, DType, Tensor};

// The allocator of the Python extension, so that buffers are reused as they are there.
#[global_allocator]
static ALLOC: lamina_core::pool::BufferPool = lamina_core::pool::BufferPool;

fn normal(shape: &[usize], seed: u64) -> Tensor {
    random::normal(shape, 0.0, 1.0, DType::F32, seed, 0).unwrap()
}

fn bench_dense(c: &mut Criterion) {
    let mut g = c.benchmark_group("dense_784x512_relu");
    let (k, n) = (784, 512);
    let w = normal(&[k, n], 1);
    let b = normal(&[n], 2);
    for &rows in &[1usize, 32, 128] {
        let x = normal(&[rows, k], 3);
        let y = dense(&x, &w, Some(&b), DenseActivation::Relu).unwrap();
        let dy = normal(&[rows, n], 4);
        g.throughput(Throughput::Elements((2 * rows * k * n) as u64));
        g.bench_with_input(BenchmarkId::new("forward", rows), &rows, |bch, _| {
            bch.iter(|| dense(&x, &w, Some(&b), DenseActivation::Relu).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("backward", rows), &rows, |bch, _| {
            bch.iter(|| dense_grad(&x, &w, Some(&y), &dy, [true; 3]).unwrap())
        });
    }
    g.finish();
}

fn bench_softmax(c: &mut Criterion) {
    let mut g = c.benchmark_group("softmax_last_axis");
    for &(rows, n) in &[(128usize, 10usize), (128, 1000), (1024, 1000)] {
        let x = normal(&[rows, n], 5);
        g.throughput(Throughput::Elements((rows * n) as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{rows}x{n}")),
            &n,
            |bch, _| bch.iter(|| softmax(&x, -1).unwrap()),
        );
    }
    g.finish();
}

fn bench_adam(c: &mut Criterion) {
    let mut g = c.benchmark_group("adam_update");
    for &n in &[4096usize, 401_408, 1 << 22] {
        let mut var = normal(&[n], 6);
        let grad = normal(&[n], 7);
        let mut slots = vec![
            Tensor::zeros(&[n], DType::F32),
            Tensor::zeros(&[n], DType::F32),
        ];
        let rule = Rule::Adam {
            lr: 1e-3,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            beta_1_power: 0.9,
            beta_2_power: 0.999,
            amsgrad: false,
        };
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bch, _| {
            bch.iter(|| apply(&rule, &mut var, &grad, &mut slots, 0.0).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_dense, bench_softmax, bench_adam);
criterion_main!(benches);
