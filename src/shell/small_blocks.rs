//! Small blocks (up to 256 bytes) for the global allocator: carved from 64 KB chunks of
//! the system allocator and kept, once freed, on per-thread lists by size class.
//!
//! A state machine's data is many small values: a 10,000-item Map's run made 30,700
//! allocations and 20,600 frees, nearly all under 256 bytes. glibc's malloc took about
//! 135 instructions for each of both there (its per-thread cache holds 7 blocks a size;
//! past that, and for memory never used yet, it goes through its bins), 13% of the whole
//! run; a 1,000-state chain's loading spent 10% of its instructions in malloc. Here a
//! block is taken or given back in a few instructions, and carries no header.
//!
//! How blocks move (the "magazines" of Bonwick's slab allocator):
//! - a layout is small or not by its size and alignment alone, so a block is always given
//!   back to the side that made it;
//! - each thread keeps, per class, the list it takes from and frees to, and one spare
//!   full list; a block freed on another thread joins that thread's lists;
//! - past two full lists (`BATCH` blocks each), a thread hands one to a shared pool, and a
//!   thread that has none left and has used up its chunk takes one from there before
//!   carving a new chunk: so
//!   blocks flow from a thread that frees what others make (a consumer of a producer's
//!   values) back to the maker, and a shared lock is taken once a list, not a block;
//! - a thread that ends hands its lists, and what is left of its chunk, to the pool; so
//!   does every free made where the thread's lists are gone (while a thread's other
//!   thread-locals are dropped);
//! - memory is not given back to the system (as `shell::memory` keeps glibc's freed
//!   memory for reuse); a thread keeps at most two full lists a class (4.4 MB over all
//!   classes) beyond what it holds.
//!
//! Only for a process that runs one execution and ends (`stepdbg run`, `validate`,
//! `policy`: see [`enable`]). Blocks taken from lists come in the order their values were
//! dropped, scattered over the heap, where glibc, which merges freed neighbours, carves
//! the next values from one stretch again: an execution run again in the same process (a
//! replay, a restart) took 1.4 to 2 times as long with these lists (its instructions 25%
//! fewer), so the debugger, the DAP server and `serve` keep glibc's malloc.
//!
//! Only on Linux with glibc (see `expr::budget`): elsewhere std's mutex or thread-local
//! destructors may allocate, which would re-enter this allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr::null_mut;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Size classes are multiples of this (and blocks aligned to it).
const GRAIN: usize = 16;
/// The biggest small block.
const MAX_SMALL: usize = 256;
const CLASSES: usize = MAX_SMALL / GRAIN;
/// What a thread carves its new blocks from.
const CHUNK: usize = 64 * 1024;
/// The blocks of a full list: what moves between a thread and the pool at once.
const BATCH: usize = 1024;

/// Whether small layouts are served here; until then they go to the system allocator at
/// their class's size (see [`enable`]).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Serve small blocks here from now on, for the rest of the process. Safe at any time:
/// a block the system allocator made before is its class's size and 16-aligned (asked
/// so), so it joins the lists when freed like any other (it is never given back).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

#[inline]
fn enabled() -> bool {
    // Set once and never cleared: a thread that has seen it set sees it set after.
    ENABLED.load(Ordering::Relaxed)
}

/// A small class's block as the system allocator is asked for it before [`enable`].
#[allow(unsafe_code)]
#[inline]
fn class_layout(class: usize) -> Layout {
    // SAFETY: a non-zero size, a multiple of a valid alignment.
    unsafe { Layout::from_size_align_unchecked(block_size(class), GRAIN) }
}

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

/// The first and second words of a free block (every block has at least two): the next
/// block of its list, and, for a list's first block in the pool, the next list.
#[allow(unsafe_code)]
mod words {
    /// # Safety
    /// `block` is a free block (at least 16 bytes, 16-aligned).
    #[inline]
    pub(super) unsafe fn read(block: *mut u8, word: usize) -> *mut u8 {
        // SAFETY: within the block (the caller's promise), aligned for a pointer.
        unsafe { block.cast::<*mut u8>().add(word).read() }
    }

    /// # Safety
    /// As [`read`].
    #[inline]
    pub(super) unsafe fn write(block: *mut u8, word: usize, value: *mut u8) {
        // SAFETY: as in `read`.
        unsafe { block.cast::<*mut u8>().add(word).write(value) }
    }
}

/// Free blocks of one class, linked through their first word.
#[derive(Clone, Copy)]
struct List {
    head: *mut u8,
    len: usize,
}

impl List {
    const EMPTY: List = List {
        head: null_mut(),
        len: 0,
    };

    /// # Safety
    /// `block` is a free block of this list's class, on no list.
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn push(&mut self, block: *mut u8) {
        // SAFETY: the caller's promise.
        unsafe { words::write(block, 0, self.head) };
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
        self.head = unsafe { words::read(block, 0) };
        self.len -= 1;
        Some(block)
    }
}

/// Blocks free for any thread, per class: full lists (linked through their first
/// block's second word), and one list being filled a block at a time; and the unused
/// ends of the chunks of threads that ended (each holding its end and the next one).
struct Pool {
    full: [*mut u8; CLASSES],
    filling: [List; CLASSES],
    rests: *mut u8,
}

// SAFETY: the pool only holds addresses of free memory, which belongs to no thread; it is
// read and written under its mutex.
#[allow(unsafe_code)]
unsafe impl Send for Pool {}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    full: [null_mut(); CLASSES],
    filling: [List::EMPTY; CLASSES],
    rests: null_mut(),
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    #[cfg(test)]
    tests::LOCKS.with(|n| n.set(n.get() + 1));
    // Nothing panics while holding it; a poisoned pool is still well-formed.
    POOL.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[allow(unsafe_code)]
impl Pool {
    /// # Safety
    /// `list` is `BATCH` free blocks of `class`, on no other list.
    unsafe fn put_full(&mut self, class: usize, list: List) {
        // SAFETY: the list's first block is free; its second word links the full lists.
        unsafe { words::write(list.head, 1, self.full[class]) };
        self.full[class] = list.head;
    }

    /// # Safety
    /// `block` is a free block of `class`, on no list.
    unsafe fn put_one(&mut self, class: usize, block: *mut u8) {
        let filling = &mut self.filling[class];
        // SAFETY: the caller's promise.
        unsafe { filling.push(block) };
        if filling.len == BATCH {
            let list = std::mem::replace(filling, List::EMPTY);
            // SAFETY: `BATCH` free blocks of `class`.
            unsafe { self.put_full(class, list) };
        }
    }

    /// An unused piece of a chunk under 256 bytes, as one block of the class it fits.
    ///
    /// # Safety
    /// `[start, end)` is unused memory of a chunk, 16-aligned, a multiple of 16 bytes and
    /// at least 16, that nothing hands out.
    unsafe fn put_piece(&mut self, start: *mut u8, end: *mut u8) {
        let class = ((end as usize) - (start as usize)) / GRAIN - 1;
        // SAFETY: the caller's promise: a free block of that class.
        unsafe { self.put_one(class, start) };
    }

    /// A list of free blocks of `class` (a full one first), taken whole.
    fn take(&mut self, class: usize) -> Option<List> {
        let head = self.full[class];
        if !head.is_null() {
            // SAFETY: a full list's first block links to the next full list.
            self.full[class] = unsafe { words::read(head, 1) };
            return Some(List { head, len: BATCH });
        }
        let filling = std::mem::replace(&mut self.filling[class], List::EMPTY);
        (filling.len > 0).then_some(filling)
    }

    /// # Safety
    /// `[start, end)` is unused memory of a chunk, 16-aligned, at least 16 bytes, that
    /// nothing hands out.
    unsafe fn put_rest(&mut self, start: *mut u8, end: *mut u8) {
        // SAFETY: the caller's promise; the rest's first words hold its end and the next.
        unsafe {
            words::write(start, 0, end);
            words::write(start, 1, self.rests);
        }
        self.rests = start;
    }

    /// The unused end of an ended thread's chunk, as (start, end).
    fn take_rest(&mut self) -> Option<(*mut u8, *mut u8)> {
        let start = self.rests;
        if start.is_null() {
            return None;
        }
        // SAFETY: a rest holds its end and the next rest (`put_rest`).
        unsafe {
            self.rests = words::read(start, 1);
            Some((start, words::read(start, 0)))
        }
    }
}

/// A thread's lists and the rest of its current chunk.
struct Cache {
    /// Taken from and freed to.
    current: [Cell<List>; CLASSES],
    /// Empty, or `BATCH` blocks.
    spare: [Cell<List>; CLASSES],
    next: Cell<*mut u8>,
    end: Cell<*mut u8>,
}

impl Drop for Cache {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        let mut shared = pool();
        for class in 0..CLASSES {
            let spare = self.spare[class].replace(List::EMPTY);
            if spare.len == BATCH {
                // SAFETY: a full list of this thread's free blocks.
                unsafe { shared.put_full(class, spare) };
            }
            let mut current = self.current[class].replace(List::EMPTY);
            if current.len == BATCH {
                // SAFETY: a full list of this thread's free blocks.
                unsafe { shared.put_full(class, current) };
                continue;
            }
            // SAFETY: this thread's free blocks, each moved to the pool once.
            while let Some(block) = unsafe { current.pop() } {
                unsafe { shared.put_one(class, block) };
            }
        }
        let (next, end) = (self.next.get(), self.end.get());
        if !next.is_null() && (end as usize) - (next as usize) >= GRAIN {
            // SAFETY: the unused end of this thread's chunk.
            unsafe { shared.put_rest(next, end) };
        }
    }
}

thread_local! {
    static CACHE: Cache = const {
        Cache {
            current: [const { Cell::new(List::EMPTY) }; CLASSES],
            spare: [const { Cell::new(List::EMPTY) }; CLASSES],
            next: Cell::new(null_mut()),
            end: Cell::new(null_mut()),
        }
    };
}

/// The global allocator's layer that serves small blocks; bigger ones go to `A`, which
/// must not itself allocate through the global allocator.
pub struct SmallBlocks<A>(pub A);

impl<A: GlobalAlloc> SmallBlocks<A> {
    #[allow(unsafe_code)]
    #[inline]
    fn alloc_small(&self, class: usize) -> *mut u8 {
        let local = CACHE.try_with(|cache| {
            let mut current = cache.current[class].get();
            // SAFETY: the thread's lists are well-formed (only `List` methods change them).
            if let Some(block) = unsafe { current.pop() } {
                cache.current[class].set(current);
                return block;
            }
            let mut spare = cache.spare[class].replace(List::EMPTY);
            // SAFETY: as above.
            if let Some(block) = unsafe { spare.pop() } {
                cache.current[class].set(spare);
                return block;
            }
            self.carve(cache, class)
        });
        // The thread's lists are gone (its thread-locals are being dropped).
        local.unwrap_or_else(|_| self.shared_block(class))
    }

    /// A new block for a thread whose lists of `class` are empty: from its chunk.
    #[allow(unsafe_code)]
    #[inline]
    fn carve(&self, cache: &Cache, class: usize) -> *mut u8 {
        let size = block_size(class);
        let at = cache.next.get();
        if at.is_null() || (cache.end.get() as usize) - (at as usize) < size {
            return self.refill(cache, class);
        }
        // SAFETY: `size` more bytes fit before the chunk's end.
        cache.next.set(unsafe { at.add(size) });
        at
    }

    /// [`Self::carve`] once the chunk is used up: a list of the pool, else an ended
    /// thread's chunk end, else a new chunk. Out of line, so that the common paths stay
    /// small enough to inline into every allocation.
    #[allow(unsafe_code)]
    #[cold]
    #[inline(never)]
    fn refill(&self, cache: &Cache, class: usize) -> *mut u8 {
        let size = block_size(class);
        let at = cache.next.get();
        let (start, end) = {
            let mut shared = pool();
            if !at.is_null() && cache.end.get() > at {
                // What is left of the used-up chunk is under `size`, so at most 240 bytes.
                // SAFETY: the unused end of this thread's chunk.
                unsafe { shared.put_piece(at, cache.end.get()) };
                cache.next.set(null_mut());
                cache.end.set(null_mut());
            }
            if let Some(mut list) = shared.take(class) {
                drop(shared);
                // SAFETY: the pool's lists are well-formed; this one is the thread's now.
                let block = unsafe { list.pop() };
                cache.current[class].set(list);
                return block.unwrap_or_else(null_mut);
            }
            loop {
                match shared.take_rest() {
                    Some((start, end)) if (end as usize) - (start as usize) >= size => {
                        break (start, end);
                    }
                    // A rest too small for this block: under 256 bytes.
                    // SAFETY: an ended thread's unused chunk end.
                    Some((start, end)) => unsafe { shared.put_piece(start, end) },
                    None => {
                        drop(shared);
                        // SAFETY: a non-zero size and a valid alignment.
                        let chunk = unsafe {
                            self.0
                                .alloc(Layout::from_size_align_unchecked(CHUNK, GRAIN))
                        };
                        if chunk.is_null() {
                            return null_mut();
                        }
                        #[cfg(test)]
                        tests::CHUNKS.with(|n| n.set(n.get() + 1));
                        // SAFETY: one past the end of the chunk just allocated.
                        break (chunk, unsafe { chunk.add(CHUNK) });
                    }
                }
            }
        };
        cache.end.set(end);
        // SAFETY: `size` bytes fit in the stretch just taken (checked or a whole chunk).
        cache.next.set(unsafe { start.add(size) });
        start
    }

    /// A block of `class` without the thread's lists: the pool's, else one of its own.
    #[allow(unsafe_code)]
    fn shared_block(&self, class: usize) -> *mut u8 {
        {
            let mut shared = pool();
            // SAFETY: the pool's lists are well-formed.
            if let Some(block) = unsafe { shared.filling[class].pop() } {
                return block;
            }
            // The filling list is empty: a full one's other blocks become it.
            if let Some(mut list) = shared.take(class) {
                // SAFETY: the pool's lists are well-formed.
                let block = unsafe { list.pop() };
                shared.filling[class] = list;
                if let Some(block) = block {
                    return block;
                }
            }
        }
        // SAFETY: a valid layout. The block is small by its layout when freed, so it joins
        // the lists and never goes back to `A`.
        unsafe { self.0.alloc(class_layout(class)) }
    }

    #[allow(unsafe_code)]
    #[inline]
    fn free_small(&self, block: *mut u8, class: usize) {
        let local = CACHE.try_with(|cache| {
            let mut current = cache.current[class].get();
            if current.len >= BATCH {
                // Two full lists kept: the older goes to the pool.
                let older = cache.spare[class].replace(current);
                if older.len == BATCH {
                    // SAFETY: a full list of this thread's free blocks.
                    unsafe { pool().put_full(class, older) };
                }
                current = List::EMPTY;
            }
            // SAFETY: the block is free now (the allocator's caller gave it back) and was
            // made for this class.
            unsafe { current.push(block) };
            cache.current[class].set(current);
        });
        if local.is_err() {
            // SAFETY: as above, onto the pool.
            unsafe { pool().put_one(class, block) };
        }
    }
}

// SAFETY: a small layout's block is at least its class's size and 16-aligned (the class
// rounds the size up; chunks and blocks are 16-aligned, and before `enable` the system
// allocator is asked for the class's size), and is handed out once until freed; a block
// made here is freed here (a layout is small by its size and alignment, and `enable` is
// never undone); other layouts are `A`'s.
#[allow(unsafe_code)]
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(class) if enabled() => self.alloc_small(class),
            // SAFETY: a valid layout.
            Some(class) => unsafe { self.0.alloc(class_layout(class)) },
            // SAFETY: forwarded as is.
            None => unsafe { self.0.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(class) if enabled() => {
                let block = self.alloc_small(class);
                if !block.is_null() {
                    // SAFETY: the block has at least `layout.size()` bytes.
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            // SAFETY: a valid layout.
            Some(class) => unsafe { self.0.alloc_zeroed(class_layout(class)) },
            // SAFETY: forwarded as is.
            None => unsafe { self.0.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(class) if enabled() => self.free_small(ptr, class),
            // SAFETY: made by `A` at this layout (small blocks are made here only once
            // enabled, and then freed here).
            Some(class) => unsafe { self.0.dealloc(ptr, class_layout(class)) },
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
            (Some(old), Some(new)) if !enabled() => {
                // SAFETY: made by `A` at its class's layout; resized to the new class's
                // size at the same alignment, the layout it is freed with later.
                unsafe { self.0.realloc(ptr, class_layout(old), block_size(new)) }
            }
            _ => {
                // SAFETY: a new block of the new layout, the old one's bytes that fit
                // copied over, then the old one freed by the side that made it (`alloc`
                // and `dealloc` each read the switch, which only ever goes on; a block
                // `A` made at a small layout may go either way).
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

    thread_local! {
        /// Chunks this thread carved, and pool locks it took.
        pub(super) static CHUNKS: Cell<usize> = const { Cell::new(0) };
        pub(super) static LOCKS: Cell<usize> = const { Cell::new(0) };
    }

    /// The process's allocator is this layer: these exercise it through ordinary
    /// collections, on several threads that end while others still hold their blocks.
    /// This thread then takes the ended threads' lists and chunk ends over, and what the
    /// others made must be intact.
    #[cfg(not(feature = "mimalloc"))]
    #[test]
    fn blocks_move_between_threads_and_outlive_theirs() {
        enable();
        let made: Vec<Vec<Box<[u8]>>> = std::thread::scope(|s| {
            (0..4u8)
                .map(|t| {
                    s.spawn(move || {
                        let blocks = (0..5_000usize)
                            .map(|k| vec![t; 1 + (k * 7) % 300].into_boxed_slice())
                            .collect::<Vec<_>>();
                        // Some freed on the thread that made them, before it ends.
                        blocks.into_iter().step_by(2).collect::<Vec<_>>()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect()
        });
        // Reused, growing and shrinking across classes and past the small sizes.
        let mut grown: Vec<String> = Vec::new();
        for k in 0..20_000 {
            let mut s = String::new();
            for _ in 0..k % 40 {
                s.push_str("abcdefgh");
            }
            s.truncate(k % 300);
            s.shrink_to_fit();
            grown.push(s);
        }
        for (t, blocks) in made.iter().enumerate() {
            for (k, b) in blocks.iter().enumerate() {
                assert_eq!(b.len(), 1 + (2 * k * 7) % 300);
                assert!(b.iter().all(|&x| usize::from(x) == t));
            }
        }
        // Freed here, on this thread, after the threads that made them ended.
        drop(made);
        for (k, s) in grown.iter().enumerate() {
            assert_eq!(s.len(), (k % 300).min((k % 40) * 8));
            assert!(s.bytes().enumerate().all(|(i, b)| b == b"abcdefgh"[i % 8]));
        }
    }

    /// One thread makes values, another frees them: the freed blocks come back to the
    /// maker through the pool instead of piling up while it carves new chunks. 200,000
    /// blocks of 48 bytes (150 chunks' worth if none came back) cost a few chunks.
    #[cfg(not(feature = "mimalloc"))]
    #[test]
    fn blocks_freed_by_a_consumer_return_to_the_producer() {
        enable();
        const N: usize = 200_000;
        let (send, receive) = std::sync::mpsc::sync_channel::<Box<[u8; 48]>>(64);
        let consumer =
            std::thread::spawn(move || receive.iter().map(|b| usize::from(b[47])).sum::<usize>());
        let producer = std::thread::spawn(move || {
            for k in 0..N {
                send.send(Box::new([(k % 251) as u8; 48])).unwrap();
            }
            CHUNKS.with(Cell::get)
        });
        let carved = producer.join().unwrap();
        let sum = consumer.join().unwrap();
        assert_eq!(sum, (0..N).map(|k| k % 251).sum::<usize>());
        assert!(carved < 20, "{carved} chunks carved");
    }

    /// Rounds of `BATCH + 1` allocations then as many frees cross a full list's boundary
    /// both ways each round, and take no lock: one full list stays with the thread as its
    /// spare until a second one fills.
    #[cfg(not(feature = "mimalloc"))]
    #[test]
    fn a_thread_at_a_full_list_does_not_hand_blocks_back_and_forth() {
        enable();
        std::thread::spawn(|| {
            // Big (not a small block itself), made once.
            let mut held: Vec<Box<[u8; 40]>> = Vec::with_capacity(BATCH + 1);
            let mut round = |k: u8| {
                held.extend((0..=BATCH).map(|_| Box::new([k; 40])));
                assert!(held.iter().all(|b| b[39] == k));
                held.clear();
            };
            round(0);
            let before = LOCKS.with(Cell::get);
            for k in 1..=50 {
                round(k);
            }
            assert_eq!(LOCKS.with(Cell::get) - before, 0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn zeroed_small_blocks_are_zero_even_when_reused() {
        enable();
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
