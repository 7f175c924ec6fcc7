//! Copying a strided matrix into a row-major buffer: the copy a product makes of an operand
//! the `gemm` crate multiplies slowly in its given layout (a transposed weight matrix, as in a
//! Dense layer's `dz @ wᵀ`).
//!
//! The copy of a column-major float32 matrix is a transpose; on x86-64 with AVX it moves 8x8
//! tiles through registers (eight loads, 24 shuffles, eight stores) instead of one element at a
//! time. Other layouts and types, and the edges that do not fill a tile, are copied element by
//! element in small square tiles so that reads and writes stay within a few cache lines.

/// Side of the square tiles of the element-by-element copy.
const TILE: usize = 32;

/// Copies the `(rows, cols)` matrix whose element `(i, j)` is at `src + i*rs + j*cs` into `dst`,
/// row-major with `ld` elements between rows.
///
/// # Safety
/// Every `(i, j)` with `i < rows`, `j < cols` must address an element of `src`'s allocation,
/// `dst` must be valid for writes of `(rows - 1) * ld + cols` elements (which may be
/// uninitialised) that overlap nothing `src` addresses, and `ld >= cols`.
pub(crate) unsafe fn to_row_major<T: Copy + 'static>(
    src: *const T,
    (rs, cs): (isize, isize),
    (rows, cols): (usize, usize),
    dst: *mut T,
    ld: usize,
) {
    let mut done = (0, 0);
    #[cfg(target_arch = "x86_64")]
    if rs == 1
        && std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
        && std::arch::is_x86_feature_detected!("avx")
    {
        // SAFETY: T is f32 (checked above), and the CPU has AVX; the caller's contract covers
        // the tiles, which lie inside (rows, cols).
        done = avx::column_major_f32(src as *const f32, cs, (rows, cols), dst as *mut f32, ld);
    }
    // What the tiles left: the rows below them (all columns), then the columns to their right.
    let (tile_rows, tile_cols) = done;
    copy_tiled(src, (rs, cs), tile_rows..rows, 0..cols, dst, ld);
    copy_tiled(src, (rs, cs), 0..tile_rows, tile_cols..cols, dst, ld);
}

/// The element-by-element copy of rows `rows` and columns `cols`, in square tiles.
///
/// # Safety
/// As [`to_row_major`], for the given rows and columns.
unsafe fn copy_tiled<T: Copy>(
    src: *const T,
    (rs, cs): (isize, isize),
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    dst: *mut T,
    ld: usize,
) {
    for i0 in rows.clone().step_by(TILE) {
        for j0 in cols.clone().step_by(TILE) {
            for i in i0..(i0 + TILE).min(rows.end) {
                for j in j0..(j0 + TILE).min(cols.end) {
                    dst.add(i * ld + j)
                        .write(*src.offset(i as isize * rs + j as isize * cs));
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// Copies the 8x8 tiles of a column-major `(rows, cols)` float32 matrix (column `j` starts
    /// at `src + j*cs`, its elements contiguous) into `dst`, row-major with stride `ld`.
    /// Returns how many rows and columns the tiles covered (multiples of 8).
    ///
    /// # Safety
    /// The CPU must have AVX; the caller's contract of [`super::to_row_major`] holds.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn column_major_f32(
        src: *const f32,
        cs: isize,
        (rows, cols): (usize, usize),
        dst: *mut f32,
        ld: usize,
    ) -> (usize, usize) {
        let (tr, tc) = (rows / 8 * 8, cols / 8 * 8);
        // Eight columns at a time, walking down them: eight sequential read streams, and each
        // destination row gets 32 contiguous bytes.
        for j0 in (0..tc).step_by(8) {
            for i0 in (0..tr).step_by(8) {
                let at = |j: usize| src.offset((j0 + j) as isize * cs + i0 as isize);
                let c = [
                    _mm256_loadu_ps(at(0)),
                    _mm256_loadu_ps(at(1)),
                    _mm256_loadu_ps(at(2)),
                    _mm256_loadu_ps(at(3)),
                    _mm256_loadu_ps(at(4)),
                    _mm256_loadu_ps(at(5)),
                    _mm256_loadu_ps(at(6)),
                    _mm256_loadu_ps(at(7)),
                ];
                let rows8 = transpose8(c);
                for (r, v) in rows8.into_iter().enumerate() {
                    _mm256_storeu_ps(dst.add((i0 + r) * ld + j0), v);
                }
            }
        }
        (tr, tc)
    }

    /// The transpose of the 8x8 matrix whose rows are `m`.
    #[inline]
    #[target_feature(enable = "avx")]
    fn transpose8(m: [__m256; 8]) -> [__m256; 8] {
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        let t0 = _mm256_unpacklo_ps(m[0], m[1]);
        let t1 = _mm256_unpackhi_ps(m[0], m[1]);
        let t2 = _mm256_unpacklo_ps(m[2], m[3]);
        let t3 = _mm256_unpackhi_ps(m[2], m[3]);
        let t4 = _mm256_unpacklo_ps(m[4], m[5]);
        let t5 = _mm256_unpackhi_ps(m[4], m[5]);
        let t6 = _mm256_unpacklo_ps(m[6], m[7]);
        let t7 = _mm256_unpackhi_ps(m[6], m[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout (row-major, column-major, padded, negative strides) and odd sizes, in f32
    /// (the tiled path) and f64, against indexing by the definition.
    #[test]
    fn copies_match_the_definition() {
        for &(rows, cols) in &[
            (1, 1),
            (8, 8),
            (7, 9),
            (16, 24),
            (37, 53),
            (64, 130),
            (3, 200),
        ] {
            let pad = 5;
            let len = (rows + pad) * (cols + pad);
            let data: Vec<f32> = (0..len).map(|i| i as f32 * 0.5 - 7.0).collect();
            let data64: Vec<f64> = data.iter().map(|&v| v as f64).collect();
            let layouts: [(isize, isize, isize); 4] = [
                ((cols + pad) as isize, 1, 0),
                (1, (rows + pad) as isize, 0),
                (1, (rows + 2) as isize, 0),
                // Rows walk backwards from the far end.
                (
                    -((cols + pad) as isize),
                    1,
                    ((rows - 1) * (cols + pad)) as isize,
                ),
            ];
            for &(rs, cs, start) in &layouts {
                let at = |i: usize, j: usize| (start + i as isize * rs + j as isize * cs) as usize;
                for ld in [cols, cols + 3] {
                    let mut out = vec![f32::NAN; (rows - 1) * ld + cols];
                    let mut out64 = vec![f64::NAN; (rows - 1) * ld + cols];
                    // SAFETY: every (i, j) lands inside `data` (at() computes in-range indices
                    // for these layouts), and the outputs hold (rows - 1) * ld + cols elements.
                    unsafe {
                        let p = data.as_ptr().offset(start);
                        to_row_major(p, (rs, cs), (rows, cols), out.as_mut_ptr(), ld);
                        let p = data64.as_ptr().offset(start);
                        to_row_major(p, (rs, cs), (rows, cols), out64.as_mut_ptr(), ld);
                    }
                    for i in 0..rows {
                        for j in 0..cols {
                            assert_eq!(out[i * ld + j], data[at(i, j)], "{rows}x{cols} {rs},{cs}");
                            assert_eq!(out64[i * ld + j], data64[at(i, j)]);
                        }
                    }
                }
            }
        }
    }
}
