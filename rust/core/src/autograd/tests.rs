//! Engine-level tests of the tape: recording rules, gradients against closed forms and finite
//! differences, nested tapes, memory release and thread-count determinism.
use super::ops::{self, add, matmul, mul, sum};
use super::{any_active, Tape, Tracked};
use crate::kernels::elementwise::UnaryOp;
use crate::{DType, Tensor};

fn t64(shape: &[usize], v: Vec<f64>) -> Tracked {
    Tracked::new(Tensor::from_vec(shape, v).unwrap())
}

fn vals(t: &Tracked) -> Vec<f64> {
    t.to_vec::<f64>()
}

#[test]
fn nothing_is_recorded_without_a_tape() {
    assert!(!any_active());
    let x = t64(&[3], vec![1.0, 2.0, 3.0]);
    let _ = mul(&x, &x).unwrap();
    let tape = Tape::new(false, true);
    // Not pushed: nothing watches, nothing recorded.
    tape.watch(x.id);
    let _ = mul(&x, &x).unwrap();
    assert_eq!(tape.num_nodes(), 0);
}

#[test]
fn only_ops_on_tracked_inputs_are_recorded() {
    let tape = Tape::new(true, true);
    tape.push().unwrap();
    let x = t64(&[2], vec![1.0, 2.0]);
    let c = t64(&[2], vec![3.0, 4.0]);
    let _ = mul(&c, &c).unwrap(); // c is not watched
    tape.watch(x.id);
    let y = mul(&x, &c).unwrap();
    let _ = ops::sum(&y, None, false).unwrap();
    tape.pop().unwrap();
    assert_eq!(tape.num_nodes(), 2);
}

#[test]
fn product_rule_and_accumulation() {
    let tape = Tape::new(false, true);
    tape.push().unwrap();
    let x = t64(&[3], vec![1.0, -2.0, 0.5]);
    tape.watch(x.id);
    // y = sum(x*x + x) -> dy/dx = 2x + 1
    let y = sum(&add(&mul(&x, &x).unwrap(), &x).unwrap(), None, false).unwrap();
    tape.pop().unwrap();
    let g = tape.gradient(&[y], &[x], &[]).unwrap();
    assert_eq!(vals(g[0].as_ref().unwrap()), vec![3.0, -3.0, 2.0]);
}

#[test]
fn non_persistent_tape_is_spent_after_one_gradient() {
    let tape = Tape::new(false, true);
    tape.push().unwrap();
    let x = t64(&[1], vec![2.0]);
    tape.watch(x.id);
    let y = mul(&x, &x).unwrap();
    tape.pop().unwrap();
    assert!(tape.gradient(&[y.clone()], &[x.clone()], &[]).is_ok());
    assert_eq!(tape.num_nodes(), 0, "the record is freed");
    assert!(matches!(
        tape.gradient(&[y], &[x], &[]),
        Err(crate::Error::Runtime(_))
    ));
}

#[test]
fn nested_tapes_give_second_derivatives() {
    let outer = Tape::new(false, true);
    let inner = Tape::new(false, true);
    outer.push().unwrap();
    inner.push().unwrap();
    let x = t64(&[2], vec![0.3, -1.2]);
    outer.watch(x.id);
    inner.watch(x.id);
    let y = ops::unary(UnaryOp::Sin, &x).unwrap();
    inner.pop().unwrap();
    let dy = inner.gradient(&[y], &[x.clone()], &[]).unwrap()[0]
        .clone()
        .unwrap();
    outer.pop().unwrap();
    let d2 = outer.gradient(&[dy], &[x], &[]).unwrap()[0]
        .clone()
        .unwrap();
    let want: Vec<f64> = [0.3f64, -1.2].iter().map(|v| -v.sin()).collect();
    for (a, b) in vals(&d2).iter().zip(want) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn matmul_gradient_matches_finite_differences() {
    let a_vals: Vec<f64> = (0..6).map(|i| (i as f64 * 0.37).sin()).collect();
    let b_vals: Vec<f64> = (0..12).map(|i| (i as f64 * 0.21).cos()).collect();
    let f = |a: &[f64]| -> f64 {
        let a = t64(&[2, 3], a.to_vec());
        let b = t64(&[3, 4], b_vals.clone());
        let y = ops::unary(UnaryOp::Tanh, &matmul(&a, &b).unwrap()).unwrap();
        sum(&y, None, false).unwrap().item_f64().unwrap()
    };
    let tape = Tape::new(false, true);
    tape.push().unwrap();
    let a = t64(&[2, 3], a_vals.clone());
    tape.watch(a.id);
    let b = t64(&[3, 4], b_vals.clone());
    let y = sum(
        &ops::unary(UnaryOp::Tanh, &matmul(&a, &b).unwrap()).unwrap(),
        None,
        false,
    )
    .unwrap();
    tape.pop().unwrap();
    let g = vals(tape.gradient(&[y], &[a], &[]).unwrap()[0].as_ref().unwrap());
    for i in 0..6 {
        let (mut p, mut m) = (a_vals.clone(), a_vals.clone());
        p[i] += 1e-6;
        m[i] -= 1e-6;
        let fd = (f(&p) - f(&m)) / 2e-6;
        assert!((fd - g[i]).abs() < 1e-7, "{i}: {fd} vs {}", g[i]);
    }
}

#[test]
fn half_precision_gradients_keep_their_dtype() {
    let tape = Tape::new(false, true);
    tape.push().unwrap();
    let x = Tracked::new(
        Tensor::from_vec(&[2], vec![1.5f32, -0.5])
            .unwrap()
            .cast(DType::F16),
    );
    tape.watch(x.id);
    let y = sum(&mul(&x, &x).unwrap(), None, false).unwrap();
    tape.pop().unwrap();
    let g = tape.gradient(&[y], &[x], &[]).unwrap()[0].clone().unwrap();
    assert_eq!(g.dtype(), DType::F16);
    assert_eq!(g.to_vec::<f64>(), vec![3.0, -1.0]);
}

#[test]
fn gradients_are_bitwise_identical_at_1_and_2_threads() {
    let n = 96 * 1024;
    let before = crate::parallel::num_threads();
    let grad_at = |threads: usize| {
        crate::parallel::set_num_threads(threads);
        let tape = Tape::new(false, true);
        tape.push().unwrap();
        let x = Tracked::new(
            Tensor::from_vec(&[n], (0..n).map(|i| (i as f32 * 1e-3).sin()).collect()).unwrap(),
        );
        tape.watch(x.id);
        let y = sum(
            &ops::unary(UnaryOp::Tanh, &mul(&x, &x).unwrap()).unwrap(),
            None,
            false,
        )
        .unwrap();
        tape.pop().unwrap();
        let g = tape.gradient(&[y], &[x], &[]).unwrap()[0].clone().unwrap();
        g.t
    };
    let g1 = grad_at(1);
    let g2 = grad_at(2);
    crate::parallel::set_num_threads(before);
    assert!(g1.bit_eq(&g2));
}

#[test]
fn a_spent_tape_still_lists_its_watched_variables() {
    let tape = Tape::new(false, true);
    tape.push().unwrap();
    let v = t64(&[1], vec![2.0]);
    super::variable_read(v.id, true);
    let y = mul(&v, &v).unwrap();
    tape.pop().unwrap();
    tape.gradient(&[y], &[v.clone()], &[]).unwrap();
    assert_eq!(tape.watched_variables(), vec![v.id]);
}
