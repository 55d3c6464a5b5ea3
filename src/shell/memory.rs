//! How the process's allocator hands memory back, and where the heap asks for huge pages.
//!
//! A debugger runs an execution again and again: stepping back replays it, restart and
//! reload build it anew, and each step keeps its records. glibc's malloc gives freed
//! memory back to the kernel once 128 KB sit free at the top of the heap, and serves
//! blocks from 128 KB up (growing with use) with their own mappings, unmapped when freed;
//! every replay then faults all its pages in again. On the 2-core machine of the README,
//! page faults were two thirds of what the debugger's records cost on a 10,000-iteration
//! loop, and stepping back over 100,000 steps went from 129 to 82 ms when freed memory was
//! kept for reuse. The price: resident memory stays at its high-water mark instead of
//! shrinking after a big execution is dropped, and big blocks that grow are copied within
//! the heap rather than remapped (a first run of 100,000 steps peaks at 83 MB instead of
//! 72 MB; with blocks from 1 MB mapped, as a middle way, stepping back took 92 ms).

/// Keep freed memory in the process for reuse (glibc on Linux; elsewhere, and with the
/// `mimalloc` feature's allocator, nothing changes). Returns whether the allocator took
/// the settings.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // Blocks up to this size come from the heap, where freed ones are reused.
        const MMAP_THRESHOLD: i32 = 32 << 20;
        // Give memory back only past this much free at the top of the heap.
        const TRIM_THRESHOLD: i32 = 1 << 30;
        #[allow(unsafe_code)] // mallopt(3): plain integer settings, no pointers.
        // SAFETY: mallopt only records the values; it is safe to call at any time.
        let ok = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        };
        ok
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Ask the kernel for transparent huge pages under the next stretch of the heap, once a
/// text of `text_len` bytes has been read: a big input or definition is parsed next into
/// many small values (a 10,000-item input of 280 KB becomes 7 MB of them, each 4 KB page
/// of which is a page fault without huge pages: a third of that run). Texts under 64 KB
/// ask nothing, so small runs keep small pages (a huge page's first touch zeroes 2 MB).
/// Where the kernel gives huge pages only on request (THP "madvise", the common default).
pub fn expect_heap_for_text(text_len: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        const MIN_TEXT: usize = 64 << 10;
        // Values take 20 to 30 times their text's size.
        const GROWTH: usize = 32;
        // Under the mmap threshold of `keep_freed_memory`, so the block is heap.
        const MAX_REGION: usize = 24 << 20;
        static ADVISED: AtomicUsize = AtomicUsize::new(0);
        if text_len < MIN_TEXT {
            return;
        }
        let region = text_len.saturating_mul(GROWTH).min(MAX_REGION);
        if ADVISED.fetch_max(region, Ordering::Relaxed) < region {
            advise_huge_pages_for_next(region);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"))))]
    let _ = text_len;
}

/// Marks the `bytes` the heap hands out next for huge pages: a block that size is taken,
/// advised and given back, and the next allocations are carved from it.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
fn advise_huge_pages_for_next(bytes: usize) {
    const PAGE: usize = 4096;
    #[allow(unsafe_code)] // malloc, madvise and free on a block of our own, no Rust values.
    // SAFETY: the block is allocated here, advised within its bounds (whole pages inside
    // it; MADV_HUGEPAGE changes no contents) and freed at once.
    unsafe {
        let block = libc::malloc(bytes);
        if block.is_null() {
            return;
        }
        let start = (block as usize).next_multiple_of(PAGE);
        let end = (block as usize + bytes) / PAGE * PAGE;
        if end > start {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
        libc::free(block);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_takes_the_settings() {
        assert!(super::keep_freed_memory());
        // Memory still comes and goes as before.
        let v = vec![7u8; 64 << 20];
        assert_eq!(v[v.len() - 1], 7);
    }

    /// The heap's next allocations land in memory marked for huge pages ("hg" in smaps),
    /// usable as before.
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
    #[test]
    fn the_next_allocations_are_marked_for_huge_pages() {
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            return; // a kernel without THP
        }
        assert!(super::keep_freed_memory());
        super::advise_huge_pages_for_next(8 << 20);
        let v = vec![7u8; 1 << 20];
        // Its middle: the block's first page, partly heap bookkeeping, is not advised.
        let at = v.as_ptr() as usize + v.len() / 2;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut flags = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&at);
            } else if inside && line.starts_with("VmFlags:") {
                flags = Some(line.to_string());
            }
        }
        let flags = flags.expect("the allocation's mapping");
        assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
        assert_eq!(v[v.len() - 1], 7);
    }
}
