//! matmul: 1-D, 2-D and batched with broadcast batch dimensions.
//!
//! Floats go to the `gemm` crate, which computes `dst = alpha*dst + beta*lhs@rhs` on strided
//! operands; here alpha = 0 and `read_dst = false`. A column-major rhs (a transposed weight
//! matrix) is copied row-major first ([`pack`]), which the crate multiplies much faster.
//! float16 uses gemm's f16 kernels, bfloat16 computes in f32; integers use a plain i-k-j loop with
//! wrapping arithmetic. Work below [`PAR_FLOPS`] runs on the calling thread; above it, an output
//! large enough is cut into panels ([`split_plan`]) that the team computes, panel p always on
//! member p ([`crate::parallel::team`]). A float32 product
//! of one row by a row-major matrix (a Dense layer on one sample) goes to [`gemv`] instead, which
//! picks its own threads.
use super::arith::Arith;
use super::broadcast::broadcast_shapes;
use super::gemv;
use super::pack;
use crate::dtype::{result_type, DType, Elem};
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{in_worker, install, num_threads, team, GRAIN};
use crate::tensor::{Arr, Tensor};
use half::f16;
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// Multiply-adds (m*n*k summed over the batch) above which matmul uses the thread pool.
pub const PAR_FLOPS: usize = 1 << 20;

/// Whether a product of `nb` (m, k) @ (k, n) matrices should use the thread pool.
fn use_pool(nb: usize, m: usize, n: usize, k: usize) -> bool {
    let work = nb
        .saturating_mul(m)
        .saturating_mul(n)
        .saturating_mul(k.max(1));
    work >= PAR_FLOPS && !in_worker() && num_threads() > 1
}

/// The kernel for `x @ w` with one row of `x` in float32 and `w` row-major (see [`gemv`]), when
/// this product is one and the CPU has it.
fn vector_kernel<T: 'static>(m: usize, k: usize, r: &Mat<T>) -> Option<gemv::Kernel> {
    if m == 1 && k > 0 && r.cs == 1 && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
    {
        gemv::Kernel::detect()
    } else {
        None
    }
}

/// Matrix product with numpy `matmul` semantics and Keras dtype promotion.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
    if sa.is_empty() || sb.is_empty() {
        return Err(Error::value(
            "matmul",
            format!(
                "inputs must have at least one dimension. Received shapes {} and {}",
                fmt_shape(&sa),
                fmt_shape(&sb)
            ),
        ));
    }
    let k_a = sa[sa.len() - 1];
    let k_b = if sb.len() == 1 {
        sb[0]
    } else {
        sb[sb.len() - 2]
    };
    if k_a != k_b {
        return Err(Error::shape(
            "matmul",
            format!(
                "cannot multiply shapes {} and {}",
                fmt_shape(&sa),
                fmt_shape(&sb)
            ),
        ));
    }
    let dt = result_type(a.dtype(), b.dtype());
    match dt {
        DType::Bool => {
            let r = matmul(&a.cast(DType::I32), &b.cast(DType::I32))?;
            Ok(r.cast(DType::Bool))
        }
        DType::BF16 => Ok(matmul(&a.cast(DType::F32), &b.cast(DType::F32))?.cast(DType::BF16)),
        DType::F32 => Ok(Tensor::F32(batched(
            a.cast(dt).array::<f32>().expect("f32"),
            b.cast(dt).array::<f32>().expect("f32"),
            float_mm::<f32>,
        )?)),
        DType::F64 => Ok(Tensor::F64(batched(
            a.cast(dt).array::<f64>().expect("f64"),
            b.cast(dt).array::<f64>().expect("f64"),
            float_mm::<f64>,
        )?)),
        DType::F16 => Ok(Tensor::F16(batched(
            a.cast(dt).array::<f16>().expect("f16"),
            b.cast(dt).array::<f16>().expect("f16"),
            float_mm::<f16>,
        )?)),
        DType::U8 => Ok(Tensor::U8(batched(
            a.cast(dt).array::<u8>().expect("u8"),
            b.cast(dt).array::<u8>().expect("u8"),
            int_mm::<u8>,
        )?)),
        DType::I32 => Ok(Tensor::I32(batched(
            a.cast(dt).array::<i32>().expect("i32"),
            b.cast(dt).array::<i32>().expect("i32"),
            int_mm::<i32>,
        )?)),
        DType::I64 => Ok(Tensor::I64(batched(
            a.cast(dt).array::<i64>().expect("i64"),
            b.cast(dt).array::<i64>().expect("i64"),
            int_mm::<i64>,
        )?)),
    }
}

/// One matrix product on raw strided operands: `dst[m,n] (row-major, contiguous) = lhs[m,k] @ rhs[k,n]`.
/// `parallel` says whether this call may use several threads (it is not inside a parallel region).
/// `dst` may be uninitialised: every element is written, none is read.
type MmFn<T> = fn(&Mat<T>, &Mat<T>, Dst<T>, usize, usize, usize, bool);

/// A rectangle of a product's row-major output: rows `rows` and columns `cols` of an output whose
/// rows are `stride` elements apart. Handed to [`Hooks`] by the task that computes it.
pub(crate) struct Block<T> {
    origin: *mut T,
    stride: usize,
    /// The block's rows in the whole output.
    pub rows: std::ops::Range<usize>,
    /// The block's columns in the whole output.
    pub cols: std::ops::Range<usize>,
}

impl<T: Copy> Block<T> {
    /// Writes `values` into output row `i` (an index in the whole output, inside `rows`),
    /// columns `cols`; for the init hook, whose block is not yet initialised.
    pub fn write_row(&mut self, i: usize, values: &[T]) {
        assert!(self.rows.contains(&i), "row {i} outside the block");
        assert_eq!(
            values.len(),
            self.cols.len(),
            "write_row: one value per column"
        );
        // SAFETY: as in `row`; copying through raw pointers never reads the destination, so the
        // memory may be uninitialised.
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                self.origin.add(i * self.stride + self.cols.start),
                values.len(),
            )
        }
    }

    /// Output row `i` (an index in the whole output, inside `rows`), restricted to `cols`; for
    /// the finish hook, once the product has written the block.
    pub fn row(&mut self, i: usize) -> &mut [T] {
        assert!(self.rows.contains(&i), "row {i} outside the block");
        // SAFETY: the block's rows and columns lie inside the output (see `block`), no other
        // task holds this block, and `&mut self` keeps the slice unique.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.origin.add(i * self.stride + self.cols.start),
                self.cols.len(),
            )
        }
    }
}

/// Work on each block of a product's output, done by the task that computes the block while it
/// is in that core's cache (a bias and an activation, for a Dense layer).
pub(crate) struct Hooks<'a, T> {
    /// Fills the block before the product is added to it; without it the product overwrites
    /// the block. It must write every element of the block.
    pub init: Option<&'a (dyn Fn(Block<T>) + Sync)>,
    /// Runs on the block once the product is in it.
    pub finish: Option<&'a (dyn Fn(Block<T>) + Sync)>,
}

impl<T> Hooks<'_, T> {
    /// No work besides the product.
    pub const NONE: Self = Hooks {
        init: None,
        finish: None,
    };
}

/// The destination of one product: `m * n` elements, row-major, possibly uninitialised.
#[derive(Clone, Copy)]
struct Dst<T>(*mut T);
// SAFETY: each product writes only its own destination, and products never overlap.
unsafe impl<T: Send> Send for Dst<T> {}
unsafe impl<T: Send> Sync for Dst<T> {}

impl<T: Copy> Dst<T> {
    /// The destination `offset` elements further on.
    ///
    /// # Safety
    /// The result must stay inside the allocation.
    unsafe fn add(self, offset: usize) -> Self {
        Dst(self.0.add(offset))
    }

    /// Writes `value` into the first `len` elements.
    ///
    /// # Safety
    /// `len` elements from the pointer must be writable.
    unsafe fn fill(self, len: usize, value: T) {
        for i in 0..len {
            self.0.add(i).write(value);
        }
    }

    /// Rows `rows` and columns `cols` of the output this destination starts, whose rows are
    /// `stride` elements apart.
    ///
    /// # Safety
    /// The rectangle must lie inside the output, and no other block handed out may overlap it.
    unsafe fn block(
        self,
        stride: usize,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
    ) -> Block<T> {
        Block {
            origin: self.0,
            stride,
            rows,
            cols,
        }
    }
}

/// A strided matrix operand: pointer to element [0, 0] and row/column strides in elements.
pub struct Mat<T> {
    ptr: *const T,
    rs: isize,
    cs: isize,
}
// SAFETY: Mat only ever points into an Arc'd array that outlives the call and is never written.
unsafe impl<T: Sync> Sync for Mat<T> {}
unsafe impl<T: Sync> Send for Mat<T> {}

/// Products with at least this many rows copy a column-major rhs into row-major order first.
const MIN_ROWS_TO_REPACK: usize = 8;

/// Whether `r`, a `(k, n)` rhs with `n > 1`, is column-major (a transposed row-major matrix).
fn column_major<T>(r: &Mat<T>, n: usize) -> bool {
    r.rs == 1 && r.cs != 1 && n > 1
}

/// Whether a product copies its rhs into row-major order first (see [`float_mm_with`]).
fn repacks<T>(r: &Mat<T>, (m, n, k): (usize, usize, usize)) -> bool {
    column_major(r, n) && m >= MIN_ROWS_TO_REPACK && k > 1
}

/// Columns `cols` of the `(k, n)` matrix `r` as a new row-major `(k, cols.len())` buffer (see
/// [`pack`]); bands of rows run in parallel when `parallel`.
fn repack_rows<T: Copy + Send + Sync + 'static>(
    r: &Mat<T>,
    k: usize,
    cols: std::ops::Range<usize>,
    parallel: bool,
) -> Vec<T> {
    const BAND: usize = 64;
    let w = cols.len();
    let len = k * w;
    let mut out: Vec<T> = Vec::with_capacity(len);
    let base = Dst(out.as_mut_ptr());
    let band = |p0: usize| {
        let p1 = (p0 + BAND).min(k);
        // SAFETY: rows p0..p1 and columns `cols` lie inside r's (k, n) index range (its strides
        // were checked by the caller); the band's destination rows lie inside the k * w buffer.
        unsafe {
            let from = r
                .ptr
                .offset(p0 as isize * r.rs + cols.start as isize * r.cs);
            pack::to_row_major(from, (r.rs, r.cs), (p1 - p0, w), base.add(p0 * w).0, w);
        }
    };
    let bands = k.div_ceil(BAND);
    if parallel && len >= GRAIN {
        install(|| (0..bands).into_par_iter().for_each(|b| band(b * BAND)));
    } else {
        (0..bands).for_each(|b| band(b * BAND));
    }
    // SAFETY: the bands cover every row p < k and every column of `cols`.
    unsafe { out.set_len(len) };
    out
}

/// `dst = lhs @ rhs` (the [`MmFn`] of the float types).
#[allow(clippy::too_many_arguments)]
fn float_mm<T: Elem + gemm_ty::GemmTy>(
    l: &Mat<T>,
    r: &Mat<T>,
    dst: Dst<T>,
    m: usize,
    n: usize,
    k: usize,
    parallel: bool,
) {
    float_mm_with(l, r, dst, (m, n, k), &Hooks::NONE, parallel);
}

/// `dst = lhs @ rhs`, or `init` then `dst += lhs @ rhs` (gemm's alpha = 1, read_dst), then
/// `finish`, block by block (see [`Hooks`]).
fn float_mm_with<T: Elem + gemm_ty::GemmTy>(
    l: &Mat<T>,
    r: &Mat<T>,
    dst: Dst<T>,
    (m, n, k): (usize, usize, usize),
    hooks: &Hooks<'_, T>,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if let Some(kernel) = vector_kernel(m, k, r) {
        // SAFETY: the whole (1, n) output is one block; nothing else holds it.
        let block = || unsafe { dst.block(n, 0..1, 0..n) };
        if let Some(init) = hooks.init {
            init(block());
        }
        // SAFETY: T is f32 (checked by `vector_kernel`); x is row 0 of `l` (k elements, stride
        // l.cs), `r` is (k, n) with unit column stride, and dst holds n elements, initialised
        // by the init hook when there is one.
        unsafe {
            gemv::vecmat(
                kernel,
                (l.ptr as *const f32, l.cs),
                (r.ptr as *const f32, r.rs),
                dst.0 as *mut f32,
                (n, k),
                hooks.init.is_some(),
            );
        }
        if let Some(finish) = hooks.finish {
            finish(block());
        }
        return;
    }
    // The gemm crate multiplies a column-major rhs (a transposed row-major matrix, as in
    // `dz @ wᵀ`) without packing it on x86, which is 1.7-2.5x slower than a row-major rhs for
    // m = 32..128; copying it row-major first costs far less than that. A product cut into
    // column panels copies each panel in the task that multiplies it, into that core's cache.
    let repack = repacks(r, (m, n, k));
    // A column-major rhs that is not copied (fewer than MIN_ROWS_TO_REPACK rows) is multiplied
    // whole and on this thread: the gemm crate sums such a product in an order that depends on
    // its number of columns, so cutting it would change the bits.
    let parallel = parallel && (repack || !column_major(r, n));
    let parts = if parallel { team().members() } else { 1 };
    let plan = split_plan(m, n, parts);
    let row_major_copy;
    let r = if repack && !plan.is_some_and(|(cols, _)| cols) {
        row_major_copy = repack_rows(r, k, 0..n, parallel);
        &Mat {
            ptr: row_major_copy.as_ptr(),
            rs: n as isize,
            cs: 1,
        }
    } else {
        r
    };
    match plan {
        Some(plan) => {
            let piece = |p: usize| mm_piece(l, r, dst, (m, n, k), plan, p, hooks);
            if in_worker() {
                // Already inside the pool (a test, or a caller's parallel region): tasks.
                (0..parts).into_par_iter().for_each(piece);
            } else {
                // Piece p always on team member p: each core multiplies the same panel of the
                // operands call after call, from its own cache.
                team().run(&|p, _| piece(p));
            }
        }
        None if parallel => install(|| {
            mm_block(
                l,
                Rhs::whole(r),
                dst,
                (m, n, k),
                (0..m, 0..n),
                hooks,
                gemm::Parallelism::Rayon(parts),
            )
        }),
        None => mm_block(
            l,
            Rhs::whole(r),
            dst,
            (m, n, k),
            (0..m, 0..n),
            hooks,
            gemm::Parallelism::None,
        ),
    }
}

/// Pieces narrower than this stay whole (gemm's own parallelism handles such products).
const MIN_PIECE: usize = 64;

/// How a product is cut into `parts` independent pieces: `(true, width)` for column panels of
/// `width` columns, `(false, height)` for row panels; `None` when the output is too small.
///
/// The pieces cut the longer side of the output. Cutting the output never changes a result's bits:
/// gemm blocks the reduction over k by a size that depends on k alone, so every element is
/// summed in the same order whichever piece computes it. Splitting the output ourselves instead
/// of using gemm's rayon mode keeps both cores busy: gemm's mode splits each k-block's tiles
/// statically with a barrier per block, and reached 1.4-1.65x on 2 cores where the pieces reach
/// 1.75-1.9x (m, n = 128..1024, k = 128..1024).
fn split_plan(m: usize, n: usize, parts: usize) -> Option<(bool, usize)> {
    if parts < 2 {
        return None;
    }
    let (long, align) = if n >= m { (n, 16) } else { (m, 8) };
    if long < MIN_PIECE * parts {
        return None;
    }
    Some((n >= m, long.div_ceil(parts).div_ceil(align) * align))
}

/// Computes piece `p` of `plan` (see [`split_plan`]) serially; a piece past the end does nothing.
fn mm_piece<T: Elem + gemm_ty::GemmTy>(
    l: &Mat<T>,
    r: &Mat<T>,
    dst: Dst<T>,
    mnk: (usize, usize, usize),
    (cols, size): (bool, usize),
    p: usize,
    hooks: &Hooks<'_, T>,
) {
    let (m, n, _) = mnk;
    let long = if cols { n } else { m };
    let start = (p * size).min(long);
    let end = (start + size).min(long);
    if start == end {
        return;
    }
    let block = if cols {
        (0..m, start..end)
    } else {
        (start..end, 0..n)
    };
    // A column panel of a column-major rhs is copied row-major here, in the task that multiplies
    // it; the copy's column 0 is the block's first column.
    let (copy, panel);
    let rhs = if cols && repacks(r, mnk) {
        copy = repack_rows(r, mnk.2, start..end, false);
        panel = Mat {
            ptr: copy.as_ptr(),
            rs: (end - start) as isize,
            cs: 1,
        };
        Rhs {
            mat: &panel,
            first_col: start,
        }
    } else {
        Rhs::whole(r)
    };
    mm_block(l, rhs, dst, mnk, block, hooks, gemm::Parallelism::None);
}

/// The rhs of [`mm_block`]: a matrix whose column 0 is column `first_col` of the product's rhs
/// (0 for the whole rhs; a copied column panel starts further right).
#[derive(Clone, Copy)]
struct Rhs<'a, T> {
    mat: &'a Mat<T>,
    first_col: usize,
}

impl<'a, T> Rhs<'a, T> {
    fn whole(mat: &'a Mat<T>) -> Self {
        Rhs { mat, first_col: 0 }
    }
}

/// Rows `rows` and columns `cols` of `dst = l @ r` with the hooks around them, in one gemm call.
fn mm_block<T: Elem + gemm_ty::GemmTy>(
    l: &Mat<T>,
    Rhs { mat: r, first_col }: Rhs<'_, T>,
    dst: Dst<T>,
    (m, n, k): (usize, usize, usize),
    (rows, cols): (std::ops::Range<usize>, std::ops::Range<usize>),
    hooks: &Hooks<'_, T>,
    par: gemm::Parallelism,
) {
    debug_assert!(rows.end <= m && cols.end <= n && first_col <= cols.start);
    // SAFETY: the rows and columns lie inside the (m, n) output; blocks handed to different tasks
    // do not overlap (`mm_piece`), and the hooks get each block once, before or after gemm.
    let block = || unsafe { dst.block(n, rows.clone(), cols.clone()) };
    let accumulate = hooks.init.is_some();
    if let Some(init) = hooks.init {
        init(block());
    }
    // SAFETY: offsetting by a row and a column inside the operands and the output (the rhs
    // starts at column `first_col`, at most the block's first column).
    let (l, r, at) = unsafe {
        (
            Mat {
                ptr: l.ptr.offset(rows.start as isize * l.rs),
                rs: l.rs,
                cs: l.cs,
            },
            Mat {
                ptr: r.ptr.offset((cols.start - first_col) as isize * r.cs),
                rs: r.rs,
                cs: r.cs,
            },
            dst.add(rows.start * n + cols.start),
        )
    };
    let (bm, bn) = (rows.len(), cols.len());
    if k == 0 {
        if !accumulate {
            for i in 0..bm {
                // SAFETY: row i of the block: bn elements inside the output.
                unsafe { at.add(i * n).fill(bn, T::zero()) };
            }
        }
    } else {
        gemm_call(&l, &r, at, n, (bm, bn, k), accumulate, par);
    }
    if let Some(finish) = hooks.finish {
        finish(block());
    }
}

/// One call of the gemm crate: `dst[m, n] (row stride dst_rs, unit column stride) = [dst +] l @ r`.
fn gemm_call<T: Elem + gemm_ty::GemmTy>(
    l: &Mat<T>,
    r: &Mat<T>,
    dst: Dst<T>,
    dst_rs: usize,
    (m, n, k): (usize, usize, usize),
    accumulate: bool,
    par: gemm::Parallelism,
) {
    let alpha = if accumulate { T::one() } else { T::zero() };
    // SAFETY: the shapes were checked by the caller; `dst` addresses m rows of n elements with
    // row stride dst_rs; `l` and `r` point at arrays whose index ranges [m, k] and [k, n] are in
    // bounds for their strides. With alpha = 0 and read_dst = false gemm writes dst without
    // reading it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0,
            1,
            dst_rs as isize,
            accumulate,
            l.ptr,
            l.cs,
            l.rs,
            r.ptr,
            r.cs,
            r.rs,
            alpha,
            T::one(),
            false,
            false,
            false,
            par,
        );
    }
}

/// `a @ b` for 2-D views of any strides into a new row-major `(m, n)` buffer, using the pool above
/// [`PAR_FLOPS`], with `hooks` run on each block of the output by the task computing it. The
/// caller checks that the shapes agree.
pub(crate) fn gemm_2d_new_with<T: Elem + gemm_ty::GemmTy>(
    a: ndarray::ArrayView2<'_, T>,
    b: ndarray::ArrayView2<'_, T>,
    hooks: &Hooks<'_, T>,
) -> Vec<T> {
    let ((m, k), n) = (a.dim(), b.dim().1);
    assert_eq!(b.dim().0, k, "gemm_2d: inner dimensions differ");
    let (sa, sb) = (a.strides(), b.strides());
    let l = Mat {
        ptr: a.as_ptr(),
        rs: sa[0],
        cs: sa[1],
    };
    let r = Mat {
        ptr: b.as_ptr(),
        rs: sb[0],
        cs: sb[1],
    };
    let len = m * n;
    let mut out: Vec<T> = Vec::with_capacity(len);
    let dst = Dst(out.as_mut_ptr());
    float_mm_with(&l, &r, dst, (m, n, k), hooks, use_pool(1, m, n, k));
    // SAFETY: the product (or the init hook followed by the product) wrote all m * n elements.
    unsafe { out.set_len(len) };
    out
}

/// `a @ b` for 2-D views of any strides into a new row-major `(m, n)` buffer, using the pool above
/// [`PAR_FLOPS`]. The caller checks that the shapes agree.
pub(crate) fn gemm_2d_new<T: Elem + gemm_ty::GemmTy>(
    a: ndarray::ArrayView2<'_, T>,
    b: ndarray::ArrayView2<'_, T>,
) -> Vec<T> {
    gemm_2d_new_with(a, b, &Hooks::NONE)
}

#[allow(clippy::too_many_arguments)]
fn int_mm<T: Elem + Arith>(
    l: &Mat<T>,
    r: &Mat<T>,
    dst: Dst<T>,
    m: usize,
    n: usize,
    k: usize,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let row = |i: usize| {
        // SAFETY: row i of dst is n elements inside the m*n destination; it is zeroed before the
        // slice is formed, and rows do not overlap.
        let out = unsafe {
            let row = dst.add(i * n);
            row.fill(n, T::zero());
            std::slice::from_raw_parts_mut(row.0, n)
        };
        for p in 0..k {
            // SAFETY: i < m, p < k, j < n are in bounds of the operands by construction.
            let aip = unsafe { *l.ptr.offset(i as isize * l.rs + p as isize * l.cs) };
            if aip == T::zero() {
                continue;
            }
            for (j, o) in out.iter_mut().enumerate() {
                let bpj = unsafe { *r.ptr.offset(p as isize * r.rs + j as isize * r.cs) };
                *o = T::add(*o, T::mul(aip, bpj));
            }
        }
    };
    if parallel {
        install(|| (0..m).into_par_iter().for_each(row));
    } else {
        (0..m).for_each(row);
    }
}

/// Handles ranks (1-D promotion), batch broadcasting and parallel strategy around `mm`.
fn batched<T: Elem>(a: &Arr<T>, b: &Arr<T>, mm: MmFn<T>) -> Result<Arr<T>> {
    let a_vec = a.ndim() == 1;
    let b_vec = b.ndim() == 1;
    let a2 = if a_vec {
        a.view().insert_axis(ndarray::Axis(0))
    } else {
        a.view()
    };
    let b2 = if b_vec {
        b.view().insert_axis(ndarray::Axis(1))
    } else {
        b.view()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let (m, k) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let n = b2.shape()[rb - 1];
    let batch =
        broadcast_shapes("matmul", &a2.shape()[..ra - 2], &b2.shape()[..rb - 2]).map_err(|_| {
            Error::shape(
                "matmul",
                format!(
                    "cannot broadcast the batch dimensions of shapes {} and {}",
                    fmt_shape(a.shape()),
                    fmt_shape(b.shape())
                ),
            )
        })?;
    let nb: usize = batch.iter().product();
    let mut full_a = batch.clone();
    full_a.extend([m, k]);
    let mut full_b = batch.clone();
    full_b.extend([k, n]);
    let av = a2.broadcast(IxDyn(&full_a)).expect("checked");
    let bv = b2.broadcast(IxDyn(&full_b)).expect("checked");
    let (sa, sbs) = (av.strides().to_vec(), bv.strides().to_vec());
    let nd = batch.len();
    let offset = |idx: usize, strides: &[isize]| -> isize {
        let mut rem = idx;
        let mut off = 0isize;
        for d in (0..nd).rev() {
            let i = rem % batch[d];
            rem /= batch[d];
            off += i as isize * strides[d];
        }
        off
    };
    // Every product writes its whole destination, so the buffer starts uninitialised: zeroing a
    // large fresh buffer first costs as much as a small product.
    let total = nb * m * n;
    let mut out: Vec<T> = Vec::with_capacity(total);
    let base = Dst(out.as_mut_ptr());
    // SAFETY: i < nb, so the product's m*n elements lie inside the buffer.
    let dst = |i: usize| unsafe { base.add(i * m * n) };
    let parallel = use_pool(nb, m, n, k)
        && !(nb == 1
            && vector_kernel(
                m,
                k,
                &Mat {
                    ptr: bv.as_ptr(),
                    rs: sbs[nd],
                    cs: sbs[nd + 1],
                },
            )
            .is_some());
    let mat_a = |i: usize| Mat {
        ptr: unsafe { av.as_ptr().offset(offset(i, &sa)) },
        rs: sa[nd],
        cs: sa[nd + 1],
    };
    let mat_b = |i: usize| Mat {
        ptr: unsafe { bv.as_ptr().offset(offset(i, &sbs)) },
        rs: sbs[nd],
        cs: sbs[nd + 1],
    };
    if m * n > 0 {
        if parallel && nb >= 2 * num_threads() {
            // Many products: one per task, each serial.
            install(|| {
                (0..nb)
                    .into_par_iter()
                    .for_each(|i| mm(&mat_a(i), &mat_b(i), dst(i), m, n, k, false))
            });
        } else {
            for i in 0..nb {
                mm(&mat_a(i), &mat_b(i), dst(i), m, n, k, parallel);
            }
        }
    }
    // SAFETY: the products above wrote all nb * m * n elements.
    unsafe { out.set_len(total) };
    let mut shape = batch;
    if !a_vec {
        shape.push(m);
    }
    if !b_vec {
        shape.push(n);
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), out)
        .expect("shape")
        .into_shared())
}

pub(crate) mod gemm_ty {
    /// Element types the `gemm` crate multiplies natively.
    pub trait GemmTy: 'static {}
    impl GemmTy for f32 {}
    impl GemmTy for f64 {}
    impl GemmTy for half::f16 {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    fn seq(n: usize) -> Vec<f64> {
        (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect()
    }

    #[test]
    fn edge_shapes_match_naive() {
        for &(m, k, n) in &[
            (0, 3, 2),
            (2, 0, 3),
            (1, 1, 1),
            (3, 5, 7),
            (17, 33, 9),
            (64, 64, 64),
            (130, 70, 129),
        ] {
            let (av, bv) = (seq(m * k), seq(k * n));
            let a = Tensor::from_vec(&[m, k], av.clone()).unwrap();
            let b = Tensor::from_vec(&[k, n], bv.clone()).unwrap();
            let c = matmul(&a, &b).unwrap();
            assert_eq!(c.shape(), &[m, n]);
            assert_eq!(c.to_vec::<f64>(), naive(&av, &bv, m, k, n), "{m}x{k}x{n}");
            let ci = matmul(&a.cast(DType::I32), &b.cast(DType::I64)).unwrap();
            assert_eq!(ci.dtype(), DType::I64);
            assert_eq!(ci.to_vec::<f64>(), naive(&av, &bv, m, k, n));
            let cf = matmul(&a.cast(DType::F32), &b.cast(DType::F32)).unwrap();
            assert_eq!(cf.to_vec::<f64>(), naive(&av, &bv, m, k, n));
        }
    }

    #[test]
    fn row_vectors_match_naive_in_any_layout() {
        // (1, k) @ (k, n): small and pool-sized products, a 1-D left operand, a strided row (a
        // column of a transposed matrix) and a transposed right operand.
        for &(k, n) in &[(1, 1), (7, 3), (300, 130), (600, 700)] {
            let (av, bv) = (seq(k), seq(k * n));
            let a = Tensor::from_vec(&[1, k], av.clone()).unwrap();
            let b = Tensor::from_vec(&[k, n], bv.clone()).unwrap();
            let want = naive(&av, &bv, 1, k, n);
            assert_eq!(matmul(&a, &b).unwrap().to_vec::<f64>(), want, "1x{k}x{n}");
            let a1 = Tensor::from_vec(&[k], av.clone()).unwrap();
            assert_eq!(matmul(&a1, &b).unwrap().to_vec::<f64>(), want);
            let col = Tensor::from_vec(&[k, 1], av.clone()).unwrap();
            let row = crate::kernels::shape::transpose(&col, None).unwrap();
            assert_eq!(matmul(&row, &b).unwrap().to_vec::<f64>(), want);
            let bt = Tensor::from_vec(&[n, k], seq(k * n)).unwrap();
            let bt = crate::kernels::shape::transpose(&bt, None).unwrap();
            let want_t = naive(&av, &bt.to_vec::<f64>(), 1, k, n);
            assert_eq!(matmul(&a, &bt).unwrap().to_vec::<f64>(), want_t);
        }
    }

    #[test]
    fn transposed_operands_agree() {
        // Small and large (a column-major rhs is copied row-major first, in parallel bands when
        // large); both operands transposed too.
        for (m, k, n) in [(40, 30, 20), (70, 300, 190), (9, 17, 33)] {
            let av = seq(m * k);
            let bv = seq(n * k);
            let a = Tensor::from_vec(&[m, k], av.clone()).unwrap();
            let bt = Tensor::from_vec(&[n, k], bv.clone()).unwrap();
            let tr = |t: &Tensor| match t {
                Tensor::F64(x) => Tensor::F64(x.clone().reversed_axes()),
                _ => unreachable!(),
            };
            let b = tr(&bt);
            let c = matmul(&a, &b).unwrap();
            let b_std = b.to_standard_layout().to_vec::<f64>();
            let expected = naive(&av, &b_std, m, k, n);
            assert_eq!(c.to_vec::<f64>(), expected);
            let at = tr(&a.to_standard_layout());
            let at_t = tr(&at.to_standard_layout());
            assert_eq!(matmul(&at_t, &b).unwrap().to_vec::<f64>(), expected);
            let c32 = matmul(&a.cast(DType::F32), &b.cast(DType::F32)).unwrap();
            assert_eq!(
                c32.to_vec::<f32>(),
                expected.iter().map(|&v| v as f32).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn vectors_and_batches() {
        let a = Tensor::from_vec(&[3], vec![1.0f32, 2.0, 3.0]).unwrap();
        let b = Tensor::from_vec(&[3], vec![4.0f32, 5.0, 6.0]).unwrap();
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.shape(), &[] as &[usize]);
        assert_eq!(c.to_vec::<f32>(), vec![32.0]);
        let x = Tensor::from_vec(&[2, 1, 2, 3], (0..12).map(|i| i as f32).collect()).unwrap();
        let w = Tensor::from_vec(&[4, 3, 2], (0..24).map(|i| i as f32).collect()).unwrap();
        let y = matmul(&x, &w).unwrap();
        assert_eq!(y.shape(), &[2, 4, 2, 2]);
        let e = matmul(
            &Tensor::zeros(&[2, 3], DType::F32),
            &Tensor::zeros(&[4, 5], DType::F32),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "matmul: cannot multiply shapes (2, 3) and (4, 5)"
        );
    }

    /// The pieces of every split plan, computed one after another, against one whole product:
    /// bitwise equal, for both operand layouts, with and without hooks (a bias-like init, then a
    /// finish on each block).
    fn pieces_match_whole<T: Elem + gemm_ty::GemmTy>(to: impl Fn(f64) -> T + Sync) {
        let shapes = [
            (128, 512, 784),
            (1024, 512, 100),
            (300, 130, 1000),
            (129, 257, 513),
            (512, 128, 64),
            (64, 700, 3),
            (1, 512, 784),
            (1, 700, 300),
        ];
        for &(m, n, k) in &shapes {
            let vals = |len: usize, seed: usize| -> Vec<T> {
                (0..len)
                    .map(|i| to((((i * 7919 + seed) % 1013) as f64 - 506.0) / 97.0))
                    .collect()
            };
            let (a, b, c0) = (vals(m * k, 1), vals(k * n, 2), vals(m * n, 3));
            for (transposed_lhs, transposed_rhs) in [(false, false), (true, false), (false, true)] {
                // The lhs either row-major (m, k) or the transpose of a row-major (k, m).
                let l = if transposed_lhs {
                    Mat {
                        ptr: a.as_ptr(),
                        rs: 1,
                        cs: m as isize,
                    }
                } else {
                    Mat {
                        ptr: a.as_ptr(),
                        rs: k as isize,
                        cs: 1,
                    }
                };
                // The rhs either row-major (k, n) or the transpose of a row-major (n, k), which
                // is copied row-major first: by the whole product, or panel by panel by the
                // pieces that cut columns.
                let r = if transposed_rhs {
                    Mat {
                        ptr: b.as_ptr(),
                        rs: 1,
                        cs: k as isize,
                    }
                } else {
                    Mat {
                        ptr: b.as_ptr(),
                        rs: n as isize,
                        cs: 1,
                    }
                };
                // The init hook copies c0 into its block (so the product is added to it); the
                // finish hook halves its block.
                let init = |mut blk: Block<T>| {
                    for i in blk.rows.clone() {
                        let cols = blk.cols.clone();
                        blk.write_row(i, &c0[i * n + cols.start..i * n + cols.end]);
                    }
                };
                let finish = |mut blk: Block<T>| {
                    for i in blk.rows.clone() {
                        for v in blk.row(i) {
                            *v = to(v.to_f64() * 0.5);
                        }
                    }
                };
                for with_hooks in [false, true] {
                    let hooks = if with_hooks {
                        Hooks {
                            init: Some(&init),
                            finish: Some(&finish),
                        }
                    } else {
                        Hooks::NONE
                    };
                    let mut whole = vec![to(f64::NAN); m * n];
                    float_mm_with(&l, &r, Dst(whole.as_mut_ptr()), (m, n, k), &hooks, false);
                    if with_hooks {
                        // Spot-check the hooks against the definition: (c0 + a @ b) / 2.
                        let (i, j) = (m / 2, n / 3);
                        let mut acc = c0[i * n + j].to_f64();
                        for p in 0..k {
                            let aip = if transposed_lhs {
                                a[p * m + i]
                            } else {
                                a[i * k + p]
                            };
                            let bpj = if transposed_rhs {
                                b[j * k + p]
                            } else {
                                b[p * n + j]
                            };
                            acc += aip.to_f64() * bpj.to_f64();
                        }
                        let got = whole[i * n + j].to_f64();
                        assert!(
                            (got - acc * 0.5).abs() <= 1e-2 * (1.0 + acc.abs()),
                            "{got} vs {acc}"
                        );
                    }
                    // Vector products (one row, float32) are summed in pieces of k by the
                    // vector kernel and never cut by columns; `gemv`'s tests cover them.
                    if vector_kernel(m, k, &r).is_some() {
                        continue;
                    }
                    // A column-major rhs with too few rows to copy is never cut (see
                    // `float_mm_with`).
                    if transposed_rhs && !repacks(&r, (m, n, k)) {
                        continue;
                    }
                    for parts in 2..=4 {
                        let Some(plan) = split_plan(m, n, parts) else {
                            assert!(m.max(n) < MIN_PIECE * parts, "{m}x{n} not split");
                            continue;
                        };
                        let mut cut = vec![to(f64::NAN); m * n];
                        for p in 0..parts {
                            mm_piece(&l, &r, Dst(cut.as_mut_ptr()), (m, n, k), plan, p, &hooks);
                        }
                        assert!(
                            whole.iter().zip(&cut).all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits()),
                            "{m}x{n}x{k} in {parts} pieces {plan:?}, lhs transposed {transposed_lhs}, \
                             rhs transposed {transposed_rhs}, hooks {with_hooks}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn split_products_equal_whole_products_bitwise() {
        pieces_match_whole::<f32>(|v| v as f32);
        pieces_match_whole::<f64>(|v| v);
        pieces_match_whole::<f16>(f16::from_f64);
    }

    #[test]
    fn split_plan_cuts_the_longer_side_into_aligned_pieces() {
        assert_eq!(split_plan(128, 512, 2), Some((true, 256)));
        assert_eq!(split_plan(1024, 512, 2), Some((false, 512)));
        assert_eq!(split_plan(300, 130, 2), Some((false, 152)));
        assert_eq!(split_plan(129, 257, 3), Some((true, 96)));
        assert_eq!(split_plan(100, 100, 2), None); // pieces under MIN_PIECE
        assert_eq!(split_plan(4096, 4096, 1), None);
    }

    #[test]
    fn large_parallel_equals_serial_bitwise() {
        // Row-major and transposed operands; outputs cut into column panels (copied panel by
        // panel when the rhs is transposed), into row panels, and not cut (few rows, transposed
        // rhs: one serial product).
        let shapes = [
            (256, 256, 256),
            (128, 784, 512),
            (700, 300, 130),
            (1, 1500, 1400),
            (4, 900, 700),
        ];
        for &(m, k, n) in &shapes {
            let a = crate::random::normal(&[m, k], 0.0, 1.0, DType::F32, 1, 0).unwrap();
            let b = crate::random::normal(&[k, n], 0.0, 1.0, DType::F32, 2, 0).unwrap();
            let bt = crate::random::normal(&[n, k], 0.0, 1.0, DType::F32, 3, 0).unwrap();
            let bt = crate::kernels::shape::transpose(&bt, None).unwrap();
            for rhs in [&b, &bt] {
                // Twice: the team's helper may be parked or spinning.
                for _ in 0..2 {
                    let par = matmul(&a, rhs).unwrap();
                    // Inside a parallel region, kernels stay serial.
                    let ser = parallel::install(|| matmul(&a, rhs).unwrap());
                    assert!(par.bit_eq(&ser), "{m}x{k}x{n}");
                }
            }
        }
    }
}
