//! The allocator the lintage binary runs with (`src/main.rs` makes it the global one; the
//! library itself leaves the choice to its user): mimalloc, except for large blocks, which
//! the system allocator maps on their own.
//!
//! A scan makes and frees a great many small values (names, manifest trees, graph ids,
//! findings, rows, the report) on two threads. glibc's allocator spent about a third of an
//! unchanged re-scan in `malloc`/`free` and in faulting in fresh heap pages; mimalloc reuses
//! freed memory from per-thread pages (the README's performance section has the figures).
//!
//! Blocks of 1 MiB and more (the log reader's 2 MiB blocks, the buffer of a line near the
//! 16 MiB limit, big tables) go to the system allocator, which unmaps them when they are
//! freed. mimalloc keeps freed blocks for reuse, per thread: with it alone a log with
//! 100 MB lines held three times the longest line's buffer (`tests/hostile.rs` bounds that),
//! and the peak memory of a 1 GB scan went from 47 MB to 125-155 MB, varying from run to run
//! with which thread freed which block. With the split it is 63 MB (83-110 MB while the
//! kernel still gave mimalloc transparent huge pages).
//!
//! `prefer_small_pages` keeps the kernel from backing the process's memory with transparent
//! huge pages, which mimalloc asks for.

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Sizes from here on go to the system allocator.
const LARGE: usize = 1 << 20;

pub struct Split;

/// Asks the kernel not to back this process's memory with transparent huge pages. A huge page
/// is zeroed whole (2 MiB) the first time any of it is touched, and the kernel may first
/// compact memory to find one: the rules' first run on a million edges (`LINTAGE_BENCH_COLD=1
/// cargo bench --bench rules`) took 0.86-1.38 s with them and 0.74-0.78 s without, and scans
/// and re-scans were no faster with them. Linux only; elsewhere, or if the kernel refuses,
/// nothing changes.
pub fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; the arguments are plain
    // integers, as prctl(2) asks.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}

fn is_large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: every block is freed (and resized) by the allocator that made it, which its size
// tells: `dealloc` and `realloc` receive the layout the block was allocated or last resized
// with, and a resize across `LARGE` moves the block from one allocator to the other.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe {
            if is_large(layout.size()) {
                System.alloc(layout)
            } else {
                MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if is_large(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated with `layout`, so by the allocator its size selects.
        unsafe {
            if is_large(layout.size()) {
                System.dealloc(ptr, layout)
            } else {
                MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (was_large, will_be_large) = (is_large(layout.size()), is_large(new_size));
        // SAFETY: `ptr` and `layout` are as `dealloc` needs them; `new_size` is valid for
        // `layout.align()` by `realloc`'s contract, so `new_layout` cannot fail.
        unsafe {
            if was_large == will_be_large {
                return if was_large {
                    System.realloc(ptr, layout, new_size)
                } else {
                    MiMalloc.realloc(ptr, layout, new_size)
                };
            }
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_bytes_across_the_threshold() {
        let split = Split;
        let small = Layout::from_size_align(1000, 8).unwrap_or_else(|e| panic!("{e}"));
        // SAFETY: each block is used within its size and freed once, with its layout.
        unsafe {
            let ptr = split.alloc(small);
            assert!(!ptr.is_null());
            for i in 0..1000 {
                *ptr.add(i) = (i % 251) as u8;
            }
            // Small to large (system), large to larger, large back to small (mimalloc).
            let mut layout = small;
            let mut ptr = ptr;
            for size in [LARGE + 10, 2 * LARGE, 500] {
                ptr = split.realloc(ptr, layout, size);
                assert!(!ptr.is_null());
                layout = Layout::from_size_align(size, 8).unwrap_or_else(|e| panic!("{e}"));
                for i in 0..500 {
                    assert_eq!(*ptr.add(i), (i % 251) as u8, "byte {i} at size {size}");
                }
            }
            split.dealloc(ptr, layout);

            let zeroed = Layout::from_size_align(LARGE, 4096).unwrap_or_else(|e| panic!("{e}"));
            let ptr = split.alloc_zeroed(zeroed);
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % 4096, 0);
            assert!((0..LARGE).step_by(4093).all(|i| *ptr.add(i) == 0));
            split.dealloc(ptr, zeroed);
        }
    }
}
