//! Counter-based random numbers (Philox4x32-10): element `i` of a draw with key `seed` at
//! `offset` depends only on `(seed, offset + i)`, so results are identical at any thread count.
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{install, should_parallelize};
use crate::tensor::Tensor;
use crate::with_dtype;
use rayon::prelude::*;

const M0: u64 = 0xD251_1F53;
const M1: u64 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// One Philox4x32 block with 10 rounds.
#[inline]
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for _ in 0..10 {
        let p0 = M0 * c[0] as u64;
        let p1 = M1 * c[2] as u64;
        c = [
            ((p1 >> 32) as u32) ^ c[1] ^ k[0],
            p1 as u32,
            ((p0 >> 32) as u32) ^ c[3] ^ k[1],
            p0 as u32,
        ];
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
    }
    c
}

#[inline]
fn block(seed: u64, index: u64, round: u32) -> [u32; 4] {
    philox4x32(
        [index as u32, (index >> 32) as u32, round, 0x6c61_6d69],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// A uniform f64 in [0, 1) with 53 random bits.
#[inline]
fn unit_f64(w0: u32, w1: u32) -> f64 {
    let bits = ((w0 as u64) << 21) ^ (w1 as u64 >> 11);
    (bits & ((1u64 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal from one block (Box-Muller on two 53-bit uniforms).
#[inline]
fn normal_from(b: [u32; 4]) -> f64 {
    let u1 = 1.0 - unit_f64(b[0], b[1]); // (0, 1]
    let u2 = unit_f64(b[2], b[3]);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn fill<T: Elem>(shape: &[usize], f: impl Fn(u64) -> f64 + Sync + Send) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<T> = if should_parallelize(n / 8) {
        install(|| {
            (0..n)
                .into_par_iter()
                .with_min_len(4096)
                .map(|i| T::from_f64(f(i as u64)))
                .collect()
        })
    } else {
        (0..n as u64).map(|i| T::from_f64(f(i))).collect()
    };
    Tensor::from_vec(shape, v)
}

fn float_only(op: &str, dtype: DType) -> Result<()> {
    if !dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a float dtype. Received: dtype={dtype}"),
        ));
    }
    Ok(())
}

/// Uniform values in `[minval, maxval)`.
pub fn uniform(
    shape: &[usize],
    minval: f64,
    maxval: f64,
    dtype: DType,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    float_only("uniform", dtype)?;
    if !(minval.is_finite() && maxval.is_finite()) || maxval < minval {
        return Err(Error::value(
            "uniform",
            format!("expected finite minval <= maxval. Received: minval={minval}, maxval={maxval}"),
        ));
    }
    let span = maxval - minval;
    with_dtype!(dtype, T => fill::<T>(shape, |i| {
        let b = block(seed, offset.wrapping_add(i), 0);
        let u = minval + span * unit_f64(b[0], b[1]);
        // Rounding to a narrower float may reach maxval; keep the interval half-open.
        if T::from_f64(u).to_f64() >= maxval && span > 0.0 { minval } else { u }
    }))
}

/// Normal values with the given mean and standard deviation.
pub fn normal(
    shape: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    float_only("normal", dtype)?;
    with_dtype!(dtype, T => fill::<T>(shape, |i| mean + stddev * normal_from(block(seed, offset.wrapping_add(i), 0))))
}

/// Normal values redrawn until within two standard deviations of the mean (Keras' truncated_normal).
pub fn truncated_normal(
    shape: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    float_only("truncated_normal", dtype)?;
    with_dtype!(dtype, T => fill::<T>(shape, |i| {
        let idx = offset.wrapping_add(i);
        let mut round = 0u32;
        loop {
            let z = normal_from(block(seed, idx, round));
            if z.abs() <= 2.0 || round == u32::MAX {
                return mean + stddev * z;
            }
            round += 1;
        }
    }))
}

/// Booleans that are true with probability `p` (cast to `dtype`).
pub fn bernoulli(shape: &[usize], p: f64, dtype: DType, seed: u64, offset: u64) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::value(
            "bernoulli",
            format!("expected a probability in [0, 1]. Received: p={p}"),
        ));
    }
    with_dtype!(dtype, T => fill::<T>(shape, |i| {
        let b = block(seed, offset.wrapping_add(i), 0);
        (unit_f64(b[0], b[1]) < p) as u8 as f64
    }))
}

/// Integers uniformly drawn from `[minval, maxval)`.
pub fn randint(
    shape: &[usize],
    minval: i64,
    maxval: i64,
    dtype: DType,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    if maxval <= minval {
        return Err(Error::value(
            "randint",
            format!(
                "expected minval < maxval. Received: minval={minval}, maxval={maxval}, shape={}",
                fmt_shape(shape)
            ),
        ));
    }
    let span = (maxval as i128 - minval as i128) as u128;
    let n: usize = shape.iter().product();
    with_dtype!(dtype, T => {
        let f = |i: u64| {
            let b = block(seed, offset.wrapping_add(i), 0);
            let r = (((b[0] as u64) << 32) | b[1] as u64) as u128;
            T::from_i64((minval as i128 + (r % span) as i128) as i64)
        };
        let v: Vec<T> = if should_parallelize(n / 8) {
            install(|| (0..n).into_par_iter().with_min_len(4096).map(|i| f(i as u64)).collect())
        } else {
            (0..n as u64).map(f).collect()
        };
        Tensor::from_vec(shape, v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_offsets_continue() {
        let a = uniform(&[10], 0.0, 1.0, DType::F32, 7, 0).unwrap();
        let b = uniform(&[10], 0.0, 1.0, DType::F32, 7, 0).unwrap();
        assert!(a.bit_eq(&b));
        let tail = uniform(&[5], 0.0, 1.0, DType::F32, 7, 5).unwrap();
        assert_eq!(&a.to_vec::<f32>()[5..], &tail.to_vec::<f32>()[..]);
        let c = uniform(&[10], 0.0, 1.0, DType::F32, 8, 0).unwrap();
        assert!(!a.bit_eq(&c));
    }

    #[test]
    fn normal_moments() {
        let t = normal(&[200_000], 1.0, 2.0, DType::F64, 3, 0).unwrap();
        let v = t.to_vec::<f64>();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64;
        assert!((m - 1.0).abs() < 0.02, "{m}");
        assert!((var - 4.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn truncated_normal_is_bounded() {
        let t = truncated_normal(&[50_000], 0.0, 1.0, DType::F32, 1, 0).unwrap();
        assert!(t.to_vec::<f32>().iter().all(|x| x.abs() <= 2.0));
    }

    #[test]
    fn randint_range() {
        let t = randint(&[1000], -3, 4, DType::I32, 1, 0).unwrap();
        let v = t.to_vec::<i32>();
        assert!(v.iter().all(|&x| (-3..4).contains(&x)));
        assert!(v.contains(&-3) && v.contains(&3));
    }
}
