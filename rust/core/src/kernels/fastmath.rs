//! Branch-free f32 `exp` that compilers vectorise (range reduction to `[-ln2/2, ln2/2]`, a degree-6
//! polynomial, and `2^n` assembled in the exponent bits). Max error about 2 ulp over the normal range;
//! overflow gives `inf`, underflow `0`, NaN stays NaN.

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// 1.5 * 2^23: adding and subtracting it rounds an f32 of magnitude < 2^22 to the nearest integer.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for f32 (subnormal results included).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // f32::max/min ignore NaN, so `xc` is always finite and in range.
    let xc = x.max(-103.97).min(88.72);
    let n = (xc * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
    let r = xc - n * LN2_HI - n * LN2_LO;
    // Taylor coefficients of e^r (1/k!) are accurate enough on |r| <= ln2/2 at degree 6.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (0.166_666_67
                    + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))));
    // SAFETY: n is an integer in [-150, 128] by the clamp above, so the conversion is exact.
    let ni: i32 = unsafe { n.to_int_unchecked() };
    // 2^n as two normal factors 2^n1 * 2^n2 (n1, n2 in [-75, 64]) so subnormal results and
    // n = 128 (overflow to inf) come out right without branches.
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let y = p * s1 * s2;
    let y = if x > 88.722_84 { f32::INFINITY } else { y };
    let y = if x < -103.97 { 0.0 } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// Logistic sigmoid on top of [`exp_f32`], stable for both signs.
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    let e = exp_f32(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 {
        s
    } else {
        e * s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -103.0f32;
        while x < 88.7 {
            let got = exp_f32(x) as f64;
            let want = (x as f64).exp();
            if want > 1e-37 {
                worst = worst.max(((got - want) / want).abs());
            }
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        assert_eq!(exp_f32(-200.0), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn sigmoid_is_stable() {
        assert_eq!(sigmoid_f32(0.0), 0.5);
        assert!((sigmoid_f32(-100.0)).abs() < 1e-30);
        assert_eq!(sigmoid_f32(100.0), 1.0);
        for &x in &[-5.0f32, -0.3, 0.7, 4.0] {
            let want = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!(((sigmoid_f32(x) as f64) - want).abs() < 1e-6);
        }
    }
}
