//! float32 row vector times row-major matrix, `out[1, n] = x[1, k] @ w[k, n]`: the product of a
//! Dense layer called on one sample.
//!
//! Such a product reads each weight once, so its speed is the speed at which weights arrive.
//! A 784x512 float32 matrix is 1.6 MB: read from a core's own L2 cache it takes a third of the
//! time it takes from the shared L3. Two things follow.
//!
//! * The reduction over `k` is cut into [`pieces`] fixed by `k` alone (a power of two, up to 8).
//!   Each piece is summed on its own, into its own row of partial sums, and the rows are added
//!   pairwise (pieces 0+1, 2+3, ..., then pairs of pairs), always in that tree. With two threads
//!   each sums one half of the tree: a contiguous half of the matrix's rows, always the same
//!   half (see [`crate::parallel::team`]), which stays in that core's L2 cache between calls,
//!   and its partial rows stay in that core's L1; only its final row crosses to the caller.
//!   (Cutting the columns instead would keep every element's sum in one piece, but half of each
//!   2 KB row is 1 KB of every 2 KB of addresses: it maps onto half of the L2's sets, and two
//!   such halves of consecutive layers no longer fit.) The result depends on `k` only, never on
//!   the number of threads or on which thread summed which piece.
//! * Each piece keeps a block of output columns in registers while it walks down its rows
//!   (256 columns with AVX-512, 64 with AVX2), one fused multiply-add per weight; the first
//!   row is a plain product, or a multiply-add onto the output's current values when the caller
//!   initialised them (a Dense layer's bias), as in the `gemm` crate's own vector path.
//!
//! Only x86-64 CPUs with FMA (AVX2 or AVX-512) take this path; elsewhere `gemm` computes these
//! products as before.
use crate::parallel::{in_worker, num_threads, team};

/// Rows per piece below which the reduction is not cut further.
const MIN_PIECE_ROWS: usize = 64;
/// At most this many pieces (enough for 8 threads).
const MAX_PIECES: usize = 8;
/// Multiply-adds (k * n) from which a product uses the team (about 128 KB of weights).
pub const TEAM_WORK: usize = 1 << 15;

/// The number of pieces the reduction over `k` is cut into: a power of two, and a function of
/// `k` alone.
pub fn pieces(k: usize) -> usize {
    prev_power_of_two((k / MIN_PIECE_ROWS).clamp(1, MAX_PIECES))
}

/// The rows of piece `p` of `parts`.
fn piece_rows(k: usize, parts: usize, p: usize) -> std::ops::Range<usize> {
    k * p / parts..k * (p + 1) / parts
}

/// One piece's kernel: `out[j] (=|+=) sum over the rows of x[p] * w[p, j]`, see [`Kernel::run`].
type KernelFn = unsafe fn(Operands, usize, *mut f32, bool);

/// A kernel compiled for the best instruction set of this CPU.
#[derive(Clone, Copy)]
pub struct Kernel(KernelFn);

/// The vector and the matrix of a product (rows `k0..k1` of them), with strides in elements.
#[derive(Clone, Copy)]
struct Operands {
    x: *const f32,
    xs: isize,
    w: *const f32,
    ws: isize,
    k0: usize,
    k1: usize,
}

impl Kernel {
    /// The kernel for this CPU, or `None` when it has no FMA (then `gemm` does these products).
    pub fn detect() -> Option<Kernel> {
        #[cfg(target_arch = "x86_64")]
        {
            static KERNEL: std::sync::OnceLock<Option<Kernel>> = std::sync::OnceLock::new();
            *KERNEL.get_or_init(|| {
                if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
                    Some(Kernel(x86::avx512))
                } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    Some(Kernel(x86::avx2))
                } else {
                    None
                }
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            None
        }
    }
}

/// `out = x @ w` (or `out += x @ w` with `accumulate`, onto values the caller wrote), for
/// `x` a row of `k` elements with stride `xs` and `w` a `(k, n)` matrix with row stride `ws`
/// and unit column stride. Uses the team when the product is large enough and the caller is
/// not inside a parallel region.
///
/// # Safety
/// `x` must address `k` elements with stride `xs`, `w` a `(k, n)` matrix with row stride `ws`
/// and unit column stride, `out` `n` writable elements (readable too with `accumulate`), and
/// `k >= 1`.
pub(crate) unsafe fn vecmat(
    kernel: Kernel,
    (x, xs): (*const f32, isize),
    (w, ws): (*const f32, isize),
    out: *mut f32,
    (n, k): (usize, usize),
    accumulate: bool,
) {
    debug_assert!(k >= 1);
    let parts = pieces(k);
    let all = Operands {
        x,
        xs,
        w,
        ws,
        k0: 0,
        k1: k,
    };
    // Members take aligned runs of pieces, so each sums a whole subtree of the reduction.
    let members = if k.saturating_mul(n) >= TEAM_WORK && parts > 1 && !in_worker() {
        prev_power_of_two(num_threads().min(parts))
    } else {
        1
    };
    if members == 1 {
        subtree(kernel, all, n, parts, 0..parts, Ptr(out), accumulate);
        return;
    }
    // Member m > 0 leaves its subtree's row at row m - 1 of `rows`.
    let mut rows: Vec<f32> = Vec::with_capacity((members - 1) * n);
    let (out_p, rows_p) = (Ptr(out), Ptr(rows.as_mut_ptr()));
    team().run(&|m, t| {
        let size = parts / t;
        // SAFETY: row m - 1 of the (members - 1) x n buffer; the caller's contract otherwise.
        unsafe {
            let dst = if m == 0 {
                out_p
            } else {
                Ptr(rows_p.get().add((m - 1) * n))
            };
            subtree(
                kernel,
                all,
                n,
                parts,
                m * size..(m + 1) * size,
                dst,
                accumulate && m == 0,
            );
        }
    });
    // SAFETY: every member wrote its row.
    rows.set_len((members - 1) * n);
    // The members' subtrees, paired up level by level.
    let row = |m: usize| {
        if m == 0 {
            out
        } else {
            rows.as_ptr().add((m - 1) * n) as *mut f32
        }
    };
    let mut step = 1;
    while step < members {
        for m in (0..members).step_by(2 * step) {
            add_into(row(m), row(m + step), n);
        }
        step *= 2;
    }
}

/// The largest power of two not above `n` (`n >= 1`).
fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.leading_zeros())
}

/// `dst[j] += src[j]` for `n` elements.
///
/// # Safety
/// Both must address `n` elements; they may not overlap.
unsafe fn add_into(dst: *mut f32, src: *const f32, n: usize) {
    let (d, s) = (
        std::slice::from_raw_parts_mut(dst, n),
        std::slice::from_raw_parts(src, n),
    );
    for (a, &b) in d.iter_mut().zip(s) {
        *a += b;
    }
}

/// Partial sums (floats) a thread keeps between products: 256 KB.
const MAX_KEPT_SCRATCH: usize = 1 << 16;

thread_local! {
    /// Rows of partial sums of the pieces a thread sums (kept, so they stay in its cache).
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Sums pieces `run` (a power-of-two-sized run aligned to its size, within `parts`) into `dst`:
/// each piece on its own, then pairs of adjacent pieces, pairs of pairs, and so on. This is the
/// subtree over `run` of the one reduction tree every product of this `k` uses, so the result
/// does not depend on how the pieces were shared out. The first piece starts from `dst`'s values
/// when `from_dst`.
///
/// # Safety
/// As for [`vecmat`], with `dst` addressing `n` writable elements.
unsafe fn subtree(
    kernel: Kernel,
    all: Operands,
    n: usize,
    parts: usize,
    run: std::ops::Range<usize>,
    dst: Ptr,
    from_dst: bool,
) {
    let k = all.k1;
    let count = run.len();
    (kernel.0)(
        all.rows(piece_rows(k, parts, run.start)),
        n,
        dst.get(),
        from_dst,
    );
    if count == 1 {
        return;
    }
    SCRATCH.with(|cell| {
        let need = (count - 1) * n;
        let mut kept = cell.borrow_mut();
        // Large rows get a buffer of their own rather than one kept for the thread's lifetime.
        let mut own = Vec::new();
        let scratch = if need <= MAX_KEPT_SCRATCH {
            if kept.len() < need {
                kept.resize(need, 0.0);
            }
            &mut *kept
        } else {
            own.resize(need, 0.0);
            &mut own
        };
        // Row i - 1 of the scratch holds piece run.start + i.
        let row = |i: usize| {
            if i == 0 {
                dst.get()
            } else {
                scratch.as_ptr().add((i - 1) * n) as *mut f32
            }
        };
        for i in 1..count {
            (kernel.0)(
                all.rows(piece_rows(k, parts, run.start + i)),
                n,
                row(i),
                false,
            );
        }
        let mut step = 1;
        while step < count {
            for i in (0..count).step_by(2 * step) {
                add_into(row(i), row(i + step), n);
            }
            step *= 2;
        }
    });
}

impl Operands {
    /// The same operands restricted to rows `rows`.
    fn rows(self, rows: std::ops::Range<usize>) -> Operands {
        Operands {
            k0: rows.start,
            k1: rows.end,
            ..self
        }
    }
}

// SAFETY: the operands are only read, by the pieces of one product, while it runs.
unsafe impl Send for Operands {}
unsafe impl Sync for Operands {}

/// A pointer handed to the team's threads.
#[derive(Clone, Copy)]
struct Ptr(*mut f32);
// SAFETY: each piece writes its own row of the destination (see `vecmat`).
unsafe impl Send for Ptr {}
unsafe impl Sync for Ptr {}

impl Ptr {
    /// The pointer (a method, so that closures capture the whole `Ptr`).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// One block of `B` output columns starting at column `c`: the block's sums stay in registers
/// while the piece's rows go by.
///
/// # Safety
/// As for [`vecmat`], with `c + width <= n` where `width` is `B` (or `tail` when given).
#[inline(always)]
unsafe fn block<const B: usize>(ops: Operands, c: usize, out: *mut f32, first_from_out: bool) {
    let mut acc = [0f32; B];
    let row = |p: usize| ops.w.offset(p as isize * ops.ws).add(c);
    let xv = |p: usize| *ops.x.offset(p as isize * ops.xs);
    let (r0, x0) = (row(ops.k0), xv(ops.k0));
    if first_from_out {
        for j in 0..B {
            acc[j] = x0.mul_add(*r0.add(j), *out.add(c + j));
        }
    } else {
        for j in 0..B {
            acc[j] = x0 * *r0.add(j);
        }
    }
    for p in ops.k0 + 1..ops.k1 {
        let (r, xp) = (row(p), xv(p));
        for j in 0..B {
            acc[j] = xp.mul_add(*r.add(j), acc[j]);
        }
    }
    std::ptr::copy_nonoverlapping(acc.as_ptr(), out.add(c), B);
}

/// Fewer than 16 columns: the same sums with a run-time width (the chains of the columns
/// interleave, so their multiply-adds still overlap).
///
/// # Safety
/// As for [`block`], with `width <= 16`.
#[inline(always)]
unsafe fn narrow(ops: Operands, c: usize, width: usize, out: *mut f32, first_from_out: bool) {
    let mut acc = [0f32; 16];
    let row = |p: usize| ops.w.offset(p as isize * ops.ws).add(c);
    let xv = |p: usize| *ops.x.offset(p as isize * ops.xs);
    let (r0, x0) = (row(ops.k0), xv(ops.k0));
    for j in 0..width {
        acc[j] = if first_from_out {
            x0.mul_add(*r0.add(j), *out.add(c + j))
        } else {
            x0 * *r0.add(j)
        };
    }
    for p in ops.k0 + 1..ops.k1 {
        let (r, xp) = (row(p), xv(p));
        for j in 0..width {
            acc[j] = xp.mul_add(*r.add(j), acc[j]);
        }
    }
    std::ptr::copy_nonoverlapping(acc.as_ptr(), out.add(c), width);
}

/// A piece: blocks of `B` columns, then of 16, then the last few.
///
/// # Safety
/// As for [`vecmat`] (for rows `k0..k1`, `k0 < k1`).
#[inline(always)]
unsafe fn piece<const B: usize>(ops: Operands, n: usize, out: *mut f32, from_out: bool) {
    let mut c = 0;
    while c + B <= n {
        block::<B>(ops, c, out, from_out);
        c += B;
    }
    while c + 16 <= n {
        block::<16>(ops, c, out, from_out);
        c += 16;
    }
    if c < n {
        narrow(ops, c, n - c, out, from_out);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{piece, Operands};

    /// 256 columns: 16 of the 32 zmm registers.
    #[target_feature(enable = "avx512f,fma")]
    pub(super) unsafe fn avx512(ops: Operands, n: usize, out: *mut f32, from_out: bool) {
        piece::<256>(ops, n, out, from_out)
    }

    /// 64 columns: 8 of the 16 ymm registers.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(ops: Operands, n: usize, out: *mut f32, from_out: bool) {
        piece::<64>(ops, n, out, from_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same sums, spelled out: each piece a chain of multiply-adds in row order, then
    /// adjacent pieces added pairwise, level by level.
    fn reference(x: &[f32], w: &[f32], k: usize, n: usize, init: Option<&[f32]>) -> Vec<f32> {
        let parts = pieces(k);
        let mut rows: Vec<Vec<f32>> = Vec::new();
        for p in 0..parts {
            let r = piece_rows(k, parts, p);
            let mut acc = vec![0f32; n];
            for j in 0..n {
                let first = r.start;
                acc[j] = match (p, init) {
                    (0, Some(b)) => x[first].mul_add(w[first * n + j], b[j]),
                    _ => x[first] * w[first * n + j],
                };
                for q in first + 1..r.end {
                    acc[j] = x[q].mul_add(w[q * n + j], acc[j]);
                }
            }
            rows.push(acc);
        }
        while rows.len() > 1 {
            rows = rows
                .chunks(2)
                .map(|pair| pair[0].iter().zip(&pair[1]).map(|(a, b)| a + b).collect())
                .collect();
        }
        rows.pop().unwrap()
    }

    fn data(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 2001) as f32 / 1000.0
                    - 1.0
            })
            .collect()
    }

    fn run(
        kernel: Kernel,
        x: &[f32],
        w: &[f32],
        k: usize,
        n: usize,
        init: Option<&[f32]>,
    ) -> Vec<f32> {
        let mut out = init
            .map(|b| b.to_vec())
            .unwrap_or_else(|| vec![f32::NAN; n]);
        unsafe {
            vecmat(
                kernel,
                (x.as_ptr(), 1),
                (w.as_ptr(), n as isize),
                out.as_mut_ptr(),
                (n, k),
                init.is_some(),
            )
        };
        out
    }

    #[test]
    fn pieces_depend_on_k_alone_and_cover_it() {
        assert_eq!(pieces(1), 1);
        assert_eq!(pieces(127), 1);
        assert_eq!(pieces(128), 2);
        assert_eq!(pieces(200), 2);
        assert_eq!(pieces(300), 4);
        assert_eq!(pieces(784), 8);
        assert_eq!(pieces(100_000), 8);
        for k in [1, 5, 64, 100, 200, 513, 784] {
            let parts = pieces(k);
            let mut next = 0;
            for p in 0..parts {
                let r = piece_rows(k, parts, p);
                assert_eq!(r.start, next);
                assert!(!r.is_empty());
                next = r.end;
            }
            assert_eq!(next, k);
        }
    }

    #[test]
    fn equals_its_reference_bitwise_at_every_width() {
        let Some(kernel) = Kernel::detect() else {
            return;
        };
        for &k in &[1, 2, 63, 64, 129, 300, 784] {
            for &n in &[1, 7, 15, 16, 17, 63, 64, 65, 255, 256, 257, 300, 512, 530] {
                let (x, w, b) = (data(k, 1), data(k * n, 2), data(n, 3));
                assert_eq!(
                    run(kernel, &x, &w, k, n, None),
                    reference(&x, &w, k, n, None),
                    "k={k} n={n}"
                );
                assert_eq!(
                    run(kernel, &x, &w, k, n, Some(&b)),
                    reference(&x, &w, k, n, Some(&b)),
                    "k={k} n={n} with init"
                );
            }
        }
    }

    #[test]
    fn rows_too_wide_to_keep_use_a_buffer_of_their_own() {
        let Some(kernel) = Kernel::detect() else {
            return;
        };
        // 2 pieces of 70,000 columns: more partial sums than a thread keeps.
        let (k, n) = (128, 70_000);
        assert!((pieces(k) - 1) * n > MAX_KEPT_SCRATCH);
        let (x, w) = (data(k, 8), data(k * n, 9));
        assert_eq!(
            run(kernel, &x, &w, k, n, None),
            reference(&x, &w, k, n, None)
        );
        crate::parallel::install(|| {
            assert_eq!(
                run(kernel, &x, &w, k, n, None),
                reference(&x, &w, k, n, None)
            );
        });
    }

    #[test]
    fn close_to_a_float64_product() {
        let Some(kernel) = Kernel::detect() else {
            return;
        };
        let (k, n) = (784, 512);
        let (x, w) = (data(k, 4), data(k * n, 5));
        let got = run(kernel, &x, &w, k, n, None);
        for j in 0..n {
            let want: f64 = (0..k).map(|p| x[p] as f64 * w[p * n + j] as f64).sum();
            assert!(
                (got[j] as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
                "column {j}"
            );
        }
    }

    #[test]
    fn same_bits_on_the_team_and_alone_with_strided_operands() {
        let Some(kernel) = Kernel::detect() else {
            return;
        };
        // x every other element of a row; w the left 300 columns of a (784, 320) matrix.
        let (k, n, ws) = (784, 300, 320);
        let (xx, w) = (data(2 * k, 6), data(k * ws, 7));
        let x: Vec<f32> = xx.iter().step_by(2).copied().collect();
        let dense: Vec<f32> = (0..k)
            .flat_map(|p| w[p * ws..p * ws + n].to_vec())
            .collect();
        let want = reference(&x, &dense, k, n, None);
        let strided = || {
            let mut out = vec![0f32; n];
            unsafe {
                vecmat(
                    kernel,
                    (xx.as_ptr(), 2),
                    (w.as_ptr(), ws as isize),
                    out.as_mut_ptr(),
                    (n, k),
                    false,
                )
            };
            out
        };
        // On the team (from this thread) and alone (inside a parallel region).
        for _ in 0..50 {
            assert_eq!(strided(), want);
        }
        let inside = crate::parallel::install(strided);
        assert_eq!(inside, want);
    }
}
