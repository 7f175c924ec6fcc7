//! A size-bucketed cache of large heap blocks, usable as the global allocator.
//!
//! A training step allocates the same large buffers (activations, gradients, optimizer
//! temporaries) every step. glibc serves blocks above its mmap threshold with a fresh `mmap`, so
//! every step page-faults its buffers in again and `calloc` zeroes them page by page; measured on
//! the MLP train step, that was a third of the step's system time. [`BufferPool`] keeps freed
//! blocks of at least [`MIN_POOLED`] bytes in size classes (eight per power of two, so a block is
//! at most 12.5% larger than asked for) and hands them out again, up to a limit on the bytes it
//! holds ([`set_limit`]; 0 turns caching off). Smaller blocks go straight to the system allocator.
//!
//! The cache is a fixed array behind a mutex: it never allocates, so it can sit under
//! `#[global_allocator]`. If the system allocator fails, every cached block is released and the
//! allocation is retried once.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Blocks smaller than this (bytes) are not cached.
pub const MIN_POOLED: usize = 128 << 10;
/// Blocks larger than this (bytes) are not cached.
pub const MAX_POOLED: usize = 1 << 30;
/// The default limit on the bytes held by the cache.
pub const DEFAULT_LIMIT: usize = 512 << 20;

const MIN_LOG2: u32 = MIN_POOLED.trailing_zeros();
const SUB_BITS: u32 = 3;
const SUBS: usize = 1 << SUB_BITS;
const CLASSES: usize = ((MAX_POOLED.trailing_zeros() - MIN_LOG2) as usize) * SUBS + 1;
/// Cached blocks per size class.
const SLOTS: usize = 64;
/// Alignment of every pooled block (a cache line), enough for any tensor element type.
const BLOCK_ALIGN: usize = 64;

static LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_LIMIT);

#[derive(Clone, Copy)]
struct Class {
    len: usize,
    blocks: [usize; SLOTS],
}

struct Cache {
    bytes: usize,
    classes: [Class; CLASSES],
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    bytes: 0,
    classes: [Class {
        len: 0,
        blocks: [0; SLOTS],
    }; CLASSES],
});

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    // Nothing panics while the lock is held, but never let a poisoned lock stop allocation.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The size class of a request: `(index, block size)`, or None when the block is not pooled.
fn class_of(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size();
    if !(MIN_POOLED..=MAX_POOLED).contains(&size) || layout.align() > BLOCK_ALIGN {
        return None;
    }
    let step = 1usize << (size.ilog2() - SUB_BITS);
    let rounded = size.div_ceil(step) * step;
    let p = rounded.ilog2();
    let sub = (rounded >> (p - SUB_BITS)) - SUBS;
    Some(((p - MIN_LOG2) as usize * SUBS + sub, rounded))
}

fn block_layout(size: usize) -> Layout {
    // SAFETY: BLOCK_ALIGN is a power of two and size <= MAX_POOLED cannot overflow isize.
    unsafe { Layout::from_size_align_unchecked(size, BLOCK_ALIGN) }
}

/// Sets the most bytes the cache may hold; blocks freed beyond it go back to the system. 0 turns
/// caching off. Lowering the limit releases cached blocks until the cache fits.
pub fn set_limit(bytes: usize) {
    LIMIT.store(bytes, Ordering::Relaxed);
    let mut c = cache();
    for idx in (0..CLASSES).rev() {
        let size = class_size(idx);
        while c.bytes > bytes && c.classes[idx].len > 0 {
            let class = &mut c.classes[idx];
            class.len -= 1;
            let ptr = class.blocks[class.len] as *mut u8;
            c.bytes -= size;
            // SAFETY: the block came from System with this class's layout.
            unsafe { System.dealloc(ptr, block_layout(size)) };
        }
    }
}

/// The current limit in bytes.
pub fn limit() -> usize {
    LIMIT.load(Ordering::Relaxed)
}

/// Bytes currently held by the cache (freed blocks waiting to be reused).
pub fn cached_bytes() -> usize {
    cache().bytes
}

/// Returns every cached block to the system.
pub fn release() {
    let mut c = cache();
    for idx in 0..CLASSES {
        let size = class_size(idx);
        let class = &mut c.classes[idx];
        for &b in &class.blocks[..class.len] {
            // SAFETY: every cached block came from System with its class's layout.
            unsafe { System.dealloc(b as *mut u8, block_layout(size)) };
        }
        class.len = 0;
    }
    c.bytes = 0;
}

fn class_size(idx: usize) -> usize {
    let p = MIN_LOG2 as usize + idx / SUBS;
    (SUBS + idx % SUBS) << (p - SUB_BITS as usize)
}

fn take(idx: usize, size: usize) -> Option<*mut u8> {
    let mut c = cache();
    let class = &mut c.classes[idx];
    if class.len == 0 {
        return None;
    }
    class.len -= 1;
    let ptr = class.blocks[class.len] as *mut u8;
    c.bytes -= size;
    Some(ptr)
}

/// Caches a block, or frees it when the cache is full.
fn put(idx: usize, size: usize, ptr: *mut u8) {
    let mut c = cache();
    let fits = c.bytes + size <= LIMIT.load(Ordering::Relaxed);
    let class = &mut c.classes[idx];
    if fits && class.len < SLOTS {
        class.blocks[class.len] = ptr as usize;
        class.len += 1;
        c.bytes += size;
        return;
    }
    drop(c);
    // SAFETY: the block came from System with this class's layout.
    unsafe { System.dealloc(ptr, block_layout(size)) };
}

/// Allocates a fresh block from the system, releasing the cache and retrying once on failure.
unsafe fn fresh(layout: Layout, zeroed: bool) -> *mut u8 {
    let get = || {
        if zeroed {
            System.alloc_zeroed(layout)
        } else {
            System.alloc(layout)
        }
    };
    let p = get();
    if !p.is_null() {
        return p;
    }
    release();
    get()
}

/// The global allocator that caches large blocks (see the module documentation).
pub struct BufferPool;

// SAFETY: every block is allocated and freed by `System` with one layout per size class; a cached
// block is handed to one caller at a time (the cache is behind a mutex), and a reused block is
// at least as large and as aligned as the request.
unsafe impl GlobalAlloc for BufferPool {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some((idx, size)) => {
                take(idx, size).unwrap_or_else(|| fresh(block_layout(size), false))
            }
            None => fresh(layout, false),
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some((idx, size)) => match take(idx, size) {
                Some(p) => {
                    std::ptr::write_bytes(p, 0, layout.size());
                    p
                }
                // A fresh block from calloc is zero already (and for mmap'd blocks, lazily).
                None => fresh(block_layout(size), true),
            },
            None => fresh(layout, true),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some((idx, size)) => put(idx, size, ptr),
            None => System.dealloc(ptr, layout),
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class_of(layout), class_of(new_layout)) {
            (None, None) => System.realloc(ptr, layout, new_size),
            (Some((a, _)), Some((b, _))) if a == b => ptr,
            _ => {
                let p = self.alloc(new_layout);
                if !p.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                p
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tests call the allocator directly (the test binary keeps the system allocator), and
    // share the one cache, so they run under one lock.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn classes_cover_the_range_in_order() {
        let mut last = 0;
        for idx in 0..CLASSES {
            let s = class_size(idx);
            assert!(s > last);
            assert_eq!(class_of(block_layout(s)), Some((idx, s)));
            if idx > 0 {
                // Just above the previous class: rounded up into this one.
                assert_eq!(class_of(block_layout(last + 1)).map(|c| c.0), Some(idx));
            }
            last = s;
        }
        assert_eq!(class_size(0), MIN_POOLED);
        assert_eq!(class_size(CLASSES - 1), MAX_POOLED);
        assert_eq!(class_of(block_layout(MIN_POOLED - 1)), None);
        assert_eq!(class_of(block_layout(MAX_POOLED + 1)), None);
        let big_align = Layout::from_size_align(MIN_POOLED, 4096).unwrap();
        assert_eq!(class_of(big_align), None);
        // At most 12.5% over the request.
        for size in (MIN_POOLED..MIN_POOLED * 64).step_by(4093) {
            let (_, s) = class_of(block_layout(size)).unwrap();
            assert!(s >= size && (s - size) * 8 <= size, "{size} -> {s}");
        }
    }

    #[test]
    fn freed_blocks_are_reused_zeroed_and_bounded() {
        let _g = SERIAL.lock().unwrap();
        release();
        let pool = BufferPool;
        let lay = Layout::from_size_align(300_000, 8).unwrap();
        unsafe {
            let p = pool.alloc(lay);
            assert!(!p.is_null());
            std::ptr::write_bytes(p, 0xAB, lay.size());
            pool.dealloc(p, lay);
            assert!(cached_bytes() >= lay.size());
            // A request of the same class gets the same block back; zeroed when asked.
            let lay2 = Layout::from_size_align(300_100, 4).unwrap();
            let q = pool.alloc_zeroed(lay2);
            assert_eq!(q, p);
            assert_eq!(cached_bytes(), 0);
            let s = std::slice::from_raw_parts(q, lay2.size());
            assert!(s.iter().all(|&b| b == 0));
            // Growing within the class keeps the block; growing past it moves the contents.
            let r = pool.realloc(q, lay2, 300_200);
            assert_eq!(r, q);
            *r.add(7) = 42;
            let big = pool.realloc(r, Layout::from_size_align(300_200, 4).unwrap(), 1 << 21);
            assert_eq!(*big.add(7), 42);
            assert_eq!(cached_bytes(), class_of(lay2).unwrap().1);
            pool.dealloc(big, Layout::from_size_align(1 << 21, 4).unwrap());
            // Small blocks bypass the cache entirely.
            let small = Layout::from_size_align(64, 8).unwrap();
            let before = cached_bytes();
            let s = pool.alloc(small);
            pool.dealloc(s, small);
            assert_eq!(cached_bytes(), before);
            // Lowering the limit releases blocks until the cache fits; 0 turns caching off.
            let old = limit();
            set_limit(1 << 20);
            assert!(cached_bytes() <= 1 << 20);
            set_limit(0);
            assert_eq!(cached_bytes(), 0);
            let t = pool.alloc(lay);
            pool.dealloc(t, lay);
            assert_eq!(cached_bytes(), 0);
            set_limit(old);
        }
        release();
    }

    #[test]
    fn many_threads_share_the_cache() {
        let _g = SERIAL.lock().unwrap();
        release();
        let pool = &BufferPool;
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || unsafe {
                    for i in 0..200 {
                        let lay =
                            Layout::from_size_align(MIN_POOLED + (i % 5) * 40_000, 16).unwrap();
                        let p = pool.alloc(lay);
                        std::ptr::write_bytes(p, t as u8, lay.size());
                        assert!(std::slice::from_raw_parts(p, lay.size())
                            .iter()
                            .all(|&b| b == t as u8));
                        pool.dealloc(p, lay);
                    }
                });
            }
        });
        assert!(cached_bytes() <= limit());
        release();
        assert_eq!(cached_bytes(), 0);
    }
}
