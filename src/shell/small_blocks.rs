//! Small blocks (up to 256 bytes) for the global allocator: carved from 64 KB chunks of
//! the system allocator and kept, once freed, on per-thread lists by size class.
//!
//! A state machine's data is many small values: a 10,000-item Map's run made 30,700
//! allocations and 20,600 frees, nearly all under 256 bytes. glibc's malloc took about
//! 135 instructions for each of both there (its per-thread cache holds 7 blocks a size;
//! past that, and for memory never used yet, it goes through its bins), 13% of the whole
//! run; a 1,000-state chain's loading spent 10% of its instructions in malloc. Here a
//! block is taken or given back in a few instructions, and carries no header. The chunks
//! come from the system allocator's heap, so the huge pages `shell::memory` asks for still
//! cover them.
//!
//! Rules that keep it sound:
//! - a layout is small or not by its size and alignment alone, so a block is always given
//!   back to the side that made it;
//! - a block freed on another thread joins that thread's lists;
//! - a thread that ends hands its lists and the rest of its chunk to a shared pool, which
//!   threads draw from before carving new chunks; so does every allocation made where
//!   the thread's lists are gone (while a thread's other thread-locals are dropped);
//! - a thread that keeps more than `MAX_KEPT` free blocks of a class hands them to the pool
//!   too, so that one thread freeing what another makes does not make memory grow;
//! - memory is not given back to the system (as `shell::memory` keeps glibc's freed
//!   memory for reuse).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr::null_mut;
use std::sync::Mutex;

/// Size classes are multiples of this (and blocks aligned to it).
const GRAIN: usize = 16;
/// The biggest small block.
const MAX_SMALL: usize = 256;
const CLASSES: usize = MAX_SMALL / GRAIN;
/// What a thread carves its new blocks from.
const CHUNK: usize = 64 * 1024;
/// Free blocks a thread keeps of one class before handing them to the pool.
const MAX_KEPT: usize = 16 * 1024;

/// The size class of a layout served here (its block is `(class + 1) * GRAIN` bytes).
#[inline]
fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size();
    (size != 0 && size <= MAX_SMALL && layout.align() <= GRAIN).then(|| (size - 1) / GRAIN)
}

#[inline]
fn block_size(class: usize) -> usize {
    (class + 1) * GRAIN
}

/// Free blocks of one class, linked through their first word, with the last one and
/// their number known (so that whole lists move in constant time).
#[derive(Clone, Copy)]
struct List {
    head: *mut u8,
    tail: *mut u8,
    len: usize,
}

impl List {
    const EMPTY: List = List {
        head: null_mut(),
        tail: null_mut(),
        len: 0,
    };

    /// # Safety
    /// `block` is a free block of this list's class (at least 16 bytes, 16-aligned), not on
    /// any list.
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn push(&mut self, block: *mut u8) {
        // SAFETY: the block is free and big enough for a pointer (the caller's promise).
        unsafe { block.cast::<*mut u8>().write(self.head) };
        if self.head.is_null() {
            self.tail = block;
        }
        self.head = block;
        self.len += 1;
    }

    /// # Safety
    /// Every block on the list is free and links to the next (as `push` left them).
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn pop(&mut self) -> Option<*mut u8> {
        let block = self.head;
        if block.is_null() {
            return None;
        }
        // SAFETY: a listed block holds the next one's address in its first word.
        self.head = unsafe { block.cast::<*mut u8>().read() };
        self.len -= 1;
        if self.head.is_null() {
            self.tail = null_mut();
        }
        Some(block)
    }

    /// Puts `other`'s blocks before this list's.
    ///
    /// # Safety
    /// Both are well-formed lists of one class, with no block on both.
    #[allow(unsafe_code)]
    unsafe fn append(&mut self, other: List) {
        if other.head.is_null() {
            return;
        }
        // SAFETY: `other`'s last block is free; its first word becomes the link onward.
        unsafe { other.tail.cast::<*mut u8>().write(self.head) };
        if self.head.is_null() {
            self.tail = other.tail;
        }
        self.head = other.head;
        self.len += other.len;
    }
}

/// Blocks free for any thread: those of threads that ended, and of allocations made where
/// a thread's own lists were gone.
struct Pool([List; CLASSES]);

// SAFETY: the pool only holds addresses of free blocks, which belong to no thread; it is
// read and written under its mutex.
#[allow(unsafe_code)]
unsafe impl Send for Pool {}

static POOL: Mutex<Pool> = Mutex::new(Pool([List::EMPTY; CLASSES]));

/// Chunks carved so far (the memory this layer holds is this many times `CHUNK`).
static CHUNKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // Nothing panics while holding it; a poisoned pool is still well-formed.
    POOL.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A thread's free lists and the rest of its current chunk.
struct Cache {
    free: [Cell<List>; CLASSES],
    next: Cell<*mut u8>,
    end: Cell<*mut u8>,
}

impl Cache {
    /// Carves what is left of the current chunk into blocks of the biggest classes that
    /// fit, onto `lists`, and forgets the chunk.
    #[allow(unsafe_code)]
    fn carve_rest(&self, lists: &mut [List; CLASSES]) {
        let mut at = self.next.get();
        let end = self.end.get();
        while !at.is_null() && (end as usize) - (at as usize) >= GRAIN {
            let size = ((end as usize) - (at as usize)).min(MAX_SMALL);
            let class = size / GRAIN - 1;
            // SAFETY: [at, at + block) lies in the unused rest of this thread's chunk,
            // 16-aligned; it is handed out by nothing else.
            unsafe {
                lists[class].push(at);
                at = at.add(block_size(class));
            }
        }
        self.next.set(null_mut());
        self.end.set(null_mut());
    }
}

impl Drop for Cache {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        let mut rest = [List::EMPTY; CLASSES];
        self.carve_rest(&mut rest);
        let mut shared = pool();
        for (class, list) in self.free.iter().enumerate() {
            // SAFETY: this thread's lists and its carved rest hold distinct free blocks,
            // none of them in the pool.
            unsafe {
                shared.0[class].append(list.replace(List::EMPTY));
                shared.0[class].append(rest[class]);
            }
        }
    }
}

thread_local! {
    static CACHE: Cache = const {
        Cache {
            free: [const { Cell::new(List::EMPTY) }; CLASSES],
            next: Cell::new(null_mut()),
            end: Cell::new(null_mut()),
        }
    };
}

/// The global allocator's layer that serves small blocks; bigger ones go to `A`.
pub struct SmallBlocks<A>(pub A);

impl<A: GlobalAlloc> SmallBlocks<A> {
    #[allow(unsafe_code)]
    #[inline]
    fn alloc_small(&self, class: usize) -> *mut u8 {
        let local = CACHE.try_with(|cache| {
            let mut list = cache.free[class].get();
            // SAFETY: the thread's lists are well-formed (only `List` methods change them).
            if let Some(block) = unsafe { list.pop() } {
                cache.free[class].set(list);
                return block;
            }
            self.carve(cache, class)
        });
        // The thread's lists are gone (its thread-locals are being dropped): the pool's.
        local.unwrap_or_else(|_| self.shared_block(class))
    }

    /// A new block for a thread whose list of `class` is empty: from the thread's chunk;
    /// once that is used up, from the blocks of threads that ended (the pool's, taken
    /// over whole), else from a new chunk. The pool is locked once a chunk, not a block.
    #[allow(unsafe_code)]
    fn carve(&self, cache: &Cache, class: usize) -> *mut u8 {
        let size = block_size(class);
        let at = cache.next.get();
        if at.is_null() || (cache.end.get() as usize) - (at as usize) < size {
            let mut lists = [List::EMPTY; CLASSES];
            cache.carve_rest(&mut lists);
            {
                let mut shared = pool();
                for (k, list) in lists.iter_mut().enumerate() {
                    let taken = std::mem::replace(&mut shared.0[k], List::EMPTY);
                    // SAFETY: the pool's blocks and the chunk's rest are distinct free
                    // blocks of each class; the ones taken are this thread's now.
                    unsafe { list.append(taken) };
                }
            }
            for (k, list) in lists.into_iter().enumerate() {
                let mut mine = cache.free[k].get();
                // SAFETY: as above; none of them is on this thread's lists yet.
                unsafe { mine.append(list) };
                cache.free[k].set(mine);
            }
            let mut mine = cache.free[class].get();
            // SAFETY: the thread's lists are well-formed.
            if let Some(block) = unsafe { mine.pop() } {
                cache.free[class].set(mine);
                return block;
            }
            // SAFETY: a non-zero size and a valid alignment.
            let chunk = unsafe {
                self.0
                    .alloc(Layout::from_size_align_unchecked(CHUNK, GRAIN))
            };
            if chunk.is_null() {
                return null_mut();
            }
            CHUNKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            cache.next.set(chunk);
            // SAFETY: one past the end of the chunk just allocated.
            cache.end.set(unsafe { chunk.add(CHUNK) });
        }
        let block = cache.next.get();
        // SAFETY: `size` more bytes fit before the chunk's end (checked or just made).
        cache.next.set(unsafe { block.add(size) });
        block
    }

    /// A block of `class` without the thread's lists: the pool's, else one of its own.
    #[allow(unsafe_code)]
    fn shared_block(&self, class: usize) -> *mut u8 {
        // SAFETY: the pool's lists are well-formed.
        if let Some(block) = unsafe { pool().0[class].pop() } {
            return block;
        }
        // SAFETY: a non-zero size and a valid alignment. The block is small by its layout
        // when freed, so it joins the lists and never goes back to `A`.
        unsafe {
            self.0
                .alloc(Layout::from_size_align_unchecked(block_size(class), GRAIN))
        }
    }

    #[allow(unsafe_code)]
    #[inline]
    fn free_small(&self, block: *mut u8, class: usize) {
        let local = CACHE.try_with(|cache| {
            let mut list = cache.free[class].get();
            // SAFETY: the block is free now (the allocator's caller gave it back) and was
            // made for this class.
            unsafe { list.push(block) };
            if list.len >= MAX_KEPT {
                // A thread that frees what others made (a consumer of a producer's
                // values) hands the blocks on, rather than keep them from the producer.
                // SAFETY: the list is this thread's; the pool gets it whole.
                unsafe { pool().0[class].append(list) };
                list = List::EMPTY;
            }
            cache.free[class].set(list);
        });
        if local.is_err() {
            // SAFETY: as above, onto the pool's list.
            unsafe { pool().0[class].push(block) };
        }
    }
}

// SAFETY: a small layout's block is at least its size and 16-aligned (its class rounds
// the size up; chunks and blocks are 16-aligned), and is handed out once until freed; a
// block is freed on the side that made it (see the module docs); other layouts are `A`'s.
#[allow(unsafe_code)]
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(class) => self.alloc_small(class),
            // SAFETY: forwarded as is.
            None => unsafe { self.0.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(class) => {
                let block = self.alloc_small(class);
                if !block.is_null() {
                    // SAFETY: the block has at least `layout.size()` bytes.
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: forwarded as is.
            None => unsafe { self.0.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(class) => self.free_small(ptr, class),
            // SAFETY: forwarded as is.
            None => unsafe { self.0.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `GlobalAlloc::realloc`'s contract: the new size, at this alignment, is a
        // valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(&layout), class_of(&new_layout)) {
            // SAFETY: forwarded as is.
            (None, None) => unsafe { self.0.realloc(ptr, layout, new_size) },
            (Some(old), Some(new)) if old == new => ptr,
            _ => {
                // SAFETY: a new block of the new layout, the old one's bytes that fit
                // copied over, then the old one freed by the side that made it.
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    moved
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The process's allocator is this layer: these exercise it through ordinary
    /// collections, on several threads that end while others still hold their blocks.
    #[test]
    fn blocks_move_between_threads_and_outlive_theirs() {
        let made: Vec<Vec<Box<[u8]>>> = std::thread::scope(|s| {
            (0..4u8)
                .map(|t| {
                    s.spawn(move || {
                        (0..5_000usize)
                            .map(|k| vec![t; 1 + (k * 7) % 300].into_boxed_slice())
                            .collect::<Vec<_>>()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect()
        });
        // Freed here, on this thread, after the threads that made them ended.
        for (t, blocks) in made.iter().enumerate() {
            for (k, b) in blocks.iter().enumerate() {
                assert_eq!(b.len(), 1 + (k * 7) % 300);
                assert!(b.iter().all(|&x| usize::from(x) == t));
            }
        }
        drop(made);
        // Reused, growing and shrinking across classes and past the small sizes.
        let mut grown: Vec<String> = Vec::new();
        for k in 0..2_000 {
            let mut s = String::new();
            for _ in 0..k % 40 {
                s.push_str("abcdefgh");
            }
            s.truncate(k % 300);
            s.shrink_to_fit();
            grown.push(s);
        }
        for (k, s) in grown.iter().enumerate() {
            assert_eq!(s.len(), (k % 300).min((k % 40) * 8));
            assert!(s.bytes().enumerate().all(|(i, b)| b == b"abcdefgh"[i % 8]));
        }
    }

    /// One thread makes values, another frees them: the freed blocks come back to the
    /// maker through the pool instead of piling up while new chunks are carved. 2 M blocks
    /// of 48 bytes (1,500 chunks' worth if none came back) cost a few dozen chunks.
    #[test]
    fn blocks_freed_by_a_consumer_return_to_the_producer() {
        use std::sync::atomic::Ordering;
        let before = CHUNKS.load(Ordering::Relaxed);
        let (send, receive) = std::sync::mpsc::sync_channel::<Box<[u8; 48]>>(1024);
        let consumer =
            std::thread::spawn(move || receive.iter().map(|b| usize::from(b[47])).sum::<usize>());
        for k in 0..2_000_000usize {
            send.send(Box::new([(k % 251) as u8; 48])).unwrap();
        }
        drop(send);
        let sum = consumer.join().unwrap();
        assert_eq!(sum, (0..2_000_000usize).map(|k| k % 251).sum::<usize>());
        // Other tests allocate meanwhile; without the hand-over this alone is 1,500.
        let carved = CHUNKS.load(Ordering::Relaxed) - before;
        assert!(carved < 500, "{carved} chunks carved");
    }

    #[test]
    fn zeroed_small_blocks_are_zero_even_when_reused() {
        for _ in 0..3 {
            let dirty: Vec<Vec<u8>> = (0..1000).map(|k| vec![0xAB; 1 + k % 256]).collect();
            drop(dirty);
            let clean: Vec<Vec<u8>> = (0..1000).map(|k| vec![0; 1 + k % 256]).collect();
            assert!(clean.iter().all(|v| v.iter().all(|&b| b == 0)));
        }
    }

    #[test]
    fn classes_cover_sizes_and_alignments() {
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class_of(&layout(1, 1)), Some(0));
        assert_eq!(class_of(&layout(16, 8)), Some(0));
        assert_eq!(class_of(&layout(17, 16)), Some(1));
        assert_eq!(class_of(&layout(256, 8)), Some(CLASSES - 1));
        assert_eq!(class_of(&layout(257, 8)), None);
        assert_eq!(class_of(&layout(64, 32)), None);
        assert_eq!(class_of(&layout(0, 1)), None);
        for size in 1..=MAX_SMALL {
            let class = class_of(&layout(size, 1)).unwrap();
            assert!(block_size(class) >= size && block_size(class) < size + GRAIN);
        }
    }
}
