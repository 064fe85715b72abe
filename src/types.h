/* memboss — shared types, limits and switches. Read this file first.
 *
 * Glossary
 *   segment   4 MiB of address space, 4 MiB aligned, mapped read-write, that the fast heap
 *             carves into pages. Found from any address by the region map (radix table).
 *   slice     64 KiB unit of a segment; a page is a run of slices.
 *   page      a run of slices holding blocks of one size class. Its metadata (struct mb_page)
 *             lives out of band, in the segment's descriptor, never next to user data.
 *   block     what malloc hands out. In fast mode a block is exactly a size-class slot; in
 *             check mode a block is either a guarded block (own pages, guard page after) or
 *             a canary block (a fast-heap slot with red zones around the user bytes).
 *   thread heap  per-thread state: one bin per size class, taken without locks.
 *   region    anything the region map knows: a segment, a huge block, the guard arena.
 *   finding   one user error found by the checker; reported once by report.c.
 */
#ifndef MB_TYPES_H
#define MB_TYPES_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* ---- build switches ------------------------------------------------------------------ */
#ifndef MB_DEBUG
#define MB_DEBUG 0 /* 1: internal asserts; 2: also expensive invariant checks */
#endif

/* ---- address space geometry -------------------------------------------------------- */
#define MB_PAGE_SIZE 4096u                         /* the OS page size on x86-64 Linux  */
#define MB_SEGMENT_SHIFT 22                        /* 4 MiB segments                     */
#define MB_SEGMENT_SIZE ((size_t)1 << MB_SEGMENT_SHIFT)
#define MB_SLICE_SHIFT 16                          /* 64 KiB slices                      */
#define MB_SLICE_SIZE ((size_t)1 << MB_SLICE_SHIFT)
#define MB_SLICES_PER_SEGMENT (MB_SEGMENT_SIZE / MB_SLICE_SIZE) /* 64: one bitmap word    */
#define MB_ADDRESS_BITS 47                         /* user-space virtual addresses        */

/* Region map: a flat table from (address >> MB_SEGMENT_SHIFT) to a region, 2^25 entries
 * (256 MiB of address space, reserved once, resident only where regions are); under an
 * address-space limit, or when that reservation fails, a two-level radix table: 47 - 22 =
 * 25 bits, 13 bits of root, 12 bits per leaf. */
#define MB_RMAP_CHUNKS ((size_t)1 << (MB_ADDRESS_BITS - MB_SEGMENT_SHIFT))
#define MB_RMAP_LEAF_BITS 12
#define MB_RMAP_ROOT_BITS (MB_ADDRESS_BITS - MB_SEGMENT_SHIFT - MB_RMAP_LEAF_BITS)

/* ---- size classes ------------------------------------------------------------------ */
/* Class 1..8: 16..128 in steps of 16; then four classes per power of two up to
 * MB_SMALL_MAX. Class 0 is unused (malloc(0) takes class 1). Blocks above MB_SMALL_MAX are
 * "huge": a mapping of their own. */
#define MB_ALIGN 16u                               /* malloc's guaranteed alignment      */
#define MB_SMALL_MAX ((size_t)256 << 10)           /* 256 KiB                            */
#define MB_NUM_CLASSES 53                          /* 1 + 8 + 11*4                       */
#define MB_PAGE_MIN_BLOCKS 8                       /* a page holds at least this many    */
#define MB_PAGE_MAX_BLOCKS (MB_SLICE_SIZE / MB_ALIGN) /* 4096: 16-byte blocks, one slice */
#define MB_BITMAP_WORDS (MB_PAGE_MAX_BLOCKS / 64)  /* 64 words of 64 bits                */

/* ---- fill patterns (check mode) ---------------------------------------------------- */
/* Fresh blocks (and realloc's new tail) and freed canary blocks are filled with the
 * options malloc_fill_byte (0xbe: a pointer made of it is non-canonical) and free_fill_byte
 * (0xfd), -1 for none; canaries are fixed. docs/garbage-values.md lists them. */
#define MB_FILL_CANARY 0xca  /* red zones and the slack after the user bytes         */
#define MB_REDZONE 16u       /* canary bytes before a canary block's user bytes       */

/* ---- kinds of region in the region map -------------------------------------------- */
enum mb_region_kind {
    MB_REGION_NONE = 0,
    MB_REGION_SEGMENT, /* fast-heap segment                 */
    MB_REGION_HUGE,    /* one huge block, own mapping       */
    MB_REGION_GUARD,   /* check mode's guarded-block arena  */
};

/* ---- the fast heap ------------------------------------------------------------------ */
struct mb_heap;
struct mb_blockinfo;

/* One page's metadata. Owned by one thread heap: only the owner touches alloc[] and the
 * owner's fields; other threads free by setting bits in remote[] (atomically). The first
 * cache line holds all a local free reads and writes but the bitmap word: the fixed
 * geometry, the owner's counters and the remote-pending flag (so a local free touches two
 * lines of metadata). Threads freeing remotely read that line, write it only to raise
 * the flag, and otherwise write the next one. */
struct mb_page {
    /* Geometry: set when the page is carved, read by every thread that frees into it. */
    uint8_t *start;             /* first block; NULL when the slice is not a page head   */
    struct mb_heap *owner;      /* thread heap that allocates from this page             */
    /* Exact division by bsize = d << shift (d odd), free's block-start test: for any
     * offset, rotr(off * inv, shift) is off / bsize when bsize divides off, and is above
     * 2^64 / bsize (so above any capacity) when it does not; inv * d == 1 mod 2^64. */
    uint64_t inv;
    /* Written by the owner only. */
    struct mb_page *next;       /* in the owner's bin list of pages with free blocks     */
    struct mb_page *prev;
    /* Geometry again. */
    uint32_t bsize;             /* block size                                            */
    uint16_t capacity;          /* blocks in use so far: grows (owner only) as the page fills,
                                 * up to what its slices hold (segment.c)                 */
    /* Owner only. */
    uint16_t used;              /* blocks allocated or held by the bin's cache           */
    uint16_t cursor;            /* next bitmap word to scan for free blocks              */
    uint8_t shift;              /* geometry: see inv                                     */
    uint8_t cls;                /* geometry: size class                                  */
    /* in_list (owner only) and remote_pending side by side: a local free reads both as
     * one 16-bit state, MB_PAGE_STATE_PLAIN when it has nothing else to do. */
    union {
        struct {
            uint8_t in_list;    /* attached to its bin: current page or on the list      */
            /* Raised by a remote freer (once until the owner collects). */
            _Atomic uint8_t remote_pending; /* on the owner's remote stack               */
        };
        uint16_t state;
    };
    uint8_t nslices;            /* geometry: length of the page in slices                */
    uint64_t magic;             /* (off * magic) >> 40 == off / bsize for off < 2^22     */

    /* Written by the threads that free remotely; check mode's records. */
    _Alignas(64) struct mb_page *remote_next; /* in the owner's stack of remote pages     */
    _Atomic uint32_t remote_inflight; /* remote frees between their bit and their push:
                                       * the owner must not release the page meanwhile  */
    struct mb_blockinfo *info;  /* check mode: one record per block, else NULL           */
    uint32_t info_cap;          /* records info can hold                                 */

    _Alignas(64) uint64_t alloc[MB_BITMAP_WORDS];   /* 1 = allocated (owner only)         */
    _Atomic uint64_t remote[MB_BITMAP_WORDS];  /* 1 = freed by another thread, pending   */
};

/* A segment's descriptor, out of band (in metadata memory, not inside the segment). The
 * slice-to-page table comes first and is small; a page descriptor's memory is touched
 * only when a page starts at its slice, so an idle segment costs one OS page of it. */
struct mb_segment {
    uint8_t kind;               /* MB_REGION_SEGMENT                                      */
    uint8_t *base;              /* MB_SEGMENT_SIZE aligned                                */
    uint64_t free_slices;       /* bit i set: slice i is not part of any page             */
    uint64_t dirty_slices;      /* free slices whose memory was not yet discarded         */
    uint64_t dirty_old;         /* of those, the ones already dirty at the last discard pass */
    struct mb_segment *next;    /* in the global list of segments                         */
    struct mb_page *heads[MB_SLICES_PER_SEGMENT]; /* page of slice i, or &mb__page_none:
                                 * never NULL (free's fast path does not test)             */
    struct mb_page pages[MB_SLICES_PER_SEGMENT];  /* pages[i]: the page starting at slice i */
};

/* A huge block: its own mapping, aligned to MB_SEGMENT_SIZE so the region map finds it. */
struct mb_huge {
    uint8_t kind;               /* MB_REGION_HUGE                                         */
    uint8_t fresh;              /* never used since mapped: its pages are zero            */
    uint8_t cached;             /* freed, kept mapped for reuse (huge.c's cache)          */
    uint8_t live;               /* allocated; cleared under huge.c's lock by the one free
                                 * that wins, so a second (even racing) free sees it clear */
    uint8_t thp;                /* huge pages asked for (huge.c: a grown buffer, check mode) */
    uint8_t *base;              /* mapping start                                          */
    size_t map_size;            /* mapping length                                         */
    uint8_t *user;              /* pointer returned to the program                        */
    size_t usable;              /* bytes from user to the end of the mapping               */
    struct mb_huge *next_free;  /* descriptor free list                                   */
    struct mb_huge *live_next, *live_prev; /* the list of allocated huge blocks          */
    struct mb_blockinfo *info;  /* check mode: the block's record (from metadata memory)  */
};

/* A bin: the thread's allocation cache for one size class. `mask` holds free blocks of
 * one bitmap word of `page`, already counted in page->used. */
struct mb_bin {
    uint64_t mask;              /* bit i: block base + i*bsize is free and ours           */
    uint8_t *base;              /* address of bit 0                                        */
    uint64_t *alloc;            /* the page's alloc bitmap word the mask came from        */
    struct mb_page *page;       /* page the mask came from                                 */
    uint64_t bsize;             /* block size of the class (64 bits: no extension at pop)  */
    struct mb_page *pages;      /* other pages of this class with free blocks              */
};

/* Remote frees a thread has made but not yet published (heap/remote.c): the blocks of one
 * bitmap word of one page. A direct-mapped table of MB_RFREE_SLOTS of them is flushed
 * when its blocks exceed MB_RFREE_BYTES, so that one atomic OR publishes many frees.
 * prodcons-2t: 64 slots and 256 KiB publish every 7th free, 128 and 512 KiB every 13th,
 * 256 and 1 MiB every 22nd. */
#define MB_RFREE_SHIFT 7
#define MB_RFREE_SLOTS (1u << MB_RFREE_SHIFT)
#define MB_RFREE_BYTES ((size_t)512 << 10)
struct mb_rfree {
    uintptr_t key;              /* page address | word index; 0: empty (pages are 64-aligned) */
    uint64_t mask;              /* blocks of that word freed by this thread, unpublished  */
};

struct mb_heap {
    /* free's cache of the region map: chunk seg_chunk (address >> MB_SEGMENT_SHIFT) is a
     * segment, and the page of slice number i (address >> MB_SLICE_SHIFT) in it is the
     * pointer at seg_slices + i * 8: its heads[] minus the chunk's first slice number.
     * Sound because a segment, once mapped, stays a segment with the same descriptor
     * (segment.c never unmaps one). seg_chunk ~0: nothing cached. */
    uintptr_t seg_chunk;
    uintptr_t seg_slices;
    uintptr_t seg_chunk2;       /* the segment cached before (free's miss path)            */
    uintptr_t seg_slices2;
    struct mb_bin bins[MB_NUM_CLASSES];
    _Atomic(struct mb_page *) remote_pages; /* pages with remote frees, pushed by others */
    struct mb_heap *next;       /* all heaps                                               */
    struct mb_heap *next_orphan;/* heaps of exited threads, to be adopted                  */
    int tid;                    /* owning thread, 0 when orphaned                          */
    /* The owning thread's unpublished remote frees; no other thread reads them. Their
     * blocks keep their alloc bits (still allocated for the owner: their pages are not
     * released) until published. Empty in an orphan: flushed when its thread exits,
     * dropped in a fork's child (the blocks stay allocated there). */
    size_t rfree_bytes;         /* bytes of the blocks in rfree[]                          */
    _Alignas(64) struct mb_rfree rfree[MB_RFREE_SLOTS];
};

/* ---- check mode ---------------------------------------------------------------------- */
/* Block states as the checker sees them. */
enum mb_block_state {
    MB_BLOCK_FREE = 0,          /* never allocated or fully released                       */
    MB_BLOCK_LIVE,
    MB_BLOCK_QUARANTINED,       /* freed, waiting in quarantine                            */
};

/* Out-of-band record of one check-mode block (canary or guarded). */
struct mb_blockinfo {
    uint64_t size;              /* requested size                                          */
    uint32_t user_off;          /* user pointer - block start                              */
    uint32_t alloc_stack;       /* stack depot id of the allocation                        */
    uint32_t free_stack;        /* stack depot id of the free, 0 while live                */
    int32_t alloc_tid;
    int32_t free_tid;
    uint8_t state;              /* enum mb_block_state                                     */
    uint8_t api;                /* enum mb_api of the allocation                           */
    uint8_t read_reported;      /* unwritten_reads: an uninitialized read was reported     */
    uint8_t sealed;             /* a huge canary block in quarantine: inaccessible, no fill */
};

/* A check-mode block, wherever it lives (check.c's mb__check_block_at finds it). */
struct mb_block {
    struct mb_blockinfo *info;
    uint8_t *slot;              /* start of the slot (canary) or of the data run (guarded)  */
    size_t slot_size;           /* bytes of the slot / data run                             */
    struct mb_guarded *g;       /* guarded record, or NULL                                  */
    uint8_t *user;
    int huge;                   /* a huge slot: its tail canary is one red zone long        */
};

/* A guarded block: data pages followed by a PROT_NONE guard page, in the guard arena. */
struct mb_guarded {
    uint8_t *run;               /* first data page                                         */
    uint32_t npages;            /* data pages                                              */
    uint32_t next_free;         /* free list of records / of runs of this length           */
    uint8_t *user;              /* pointer returned to the program                         */
    struct mb_blockinfo info;   /* info.size is the requested size                         */
    uint8_t resident;           /* freed with its pages kept (PROT_NONE): not zero         */
};

/* Which allocation function a block came from (reported on mismatches later). */
enum mb_api { MB_API_MALLOC = 0, MB_API_CALLOC, MB_API_REALLOC, MB_API_ALIGNED };

/* ---- findings ---------------------------------------------------------------------- */
/* One list of error kinds; the name is the fixed word on a report's first line. */
#define MB_FINDING_KINDS(X)                                                                \
    X(HEAP_USE_AFTER_FREE, "heap-use-after-free")                                          \
    X(HEAP_BUFFER_OVERFLOW, "heap-buffer-overflow")                                        \
    X(HEAP_BUFFER_UNDERFLOW, "heap-buffer-underflow")                                      \
    X(WRITE_AFTER_FREE, "write-after-free")                                                \
    X(DOUBLE_FREE, "double-free")                                                          \
    X(INVALID_FREE, "invalid-free")                                                        \
    X(INVALID_REALLOC, "invalid-realloc")                                                  \
    X(NULL_DEREFERENCE, "null-dereference")                                                \
    X(STACK_OVERFLOW, "stack-overflow")                                                    \
    X(SEGV, "segv")                                                                        \
    X(BUS_ERROR, "bus-error")                                                              \
    X(UNWRITTEN_BLOCK, "unwritten-block")                                                  \
    X(UNINITIALIZED_READ, "uninitialized-read")                                            \
    X(LEAK, "leak")

enum mb_finding_kind {
#define MB_X(id, name) MB_FINDING_##id,
    MB_FINDING_KINDS(MB_X)
#undef MB_X
    MB_FINDING_COUNT
};

/* A spinlock: fork-safe by reinitialising it in the child (mb__lock_fork). Locks nest
 * only in this order, outer first: quarantine > guard > report > heaps > segment > huge >
 * depot > rmap > records > meta > code. init.c's fork_phase takes them in that order (the report lock
 * is reset in the child instead: a report cut by fork is lost, not deadlocked; the code
 * table's lock is only try-locked, and also reset in the child). */
typedef struct {
    _Atomic int held;
} mb_lock;

/* A metadata arena (meta.c): power-of-two pieces bumped from mappings of its own, away from
 * user data; a freed piece goes on the list of its size. Pieces of a chunk's size or more
 * get a mapping each. */
#define MB_ARENA_BUCKETS 40     /* free lists for sizes 2^4 .. 2^43                         */
struct mb_arena {
    mb_lock lock;
    int huge;                   /* chunks on huge pages (a hint): for arenas touched densely */
    uint8_t *cur, *end;         /* bump area: [cur, end) is unused                          */
    void *free_list[MB_ARENA_BUCKETS];
};

/* ---- small fixed-buffer text output (report.c, where.c) --------------------------- */
struct mb_buf {
    char *p;                    /* storage, never heap memory                              */
    size_t len;                 /* bytes used                                              */
    size_t cap;                 /* bytes available                                         */
};

/* ---- stopping the world (os/stop_linux.c, for the leak scan) ----------------------- */
#define MB_STOP_NREGS 15        /* general registers but rip and rsp                        */
enum mb_stop_state {
    MB_STOP_RUNNING = 0,        /* listed, not signalled yet                               */
    MB_STOP_SKIPPED,            /* blocks the signal or vanished: running, registers unknown */
    MB_STOP_SIGNALLED,          /* signal sent, handler not reached yet                    */
    MB_STOP_STOPPED,            /* waiting in the handler; regs and sp are valid           */
    MB_STOP_RESUMED,            /* left the handler                                        */
};
struct mb_stopped_thread {
    int tid;
    _Atomic int state;          /* enum mb_stop_state                                      */
    uintptr_t sp;               /* stack pointer when interrupted                          */
    uintptr_t regs[MB_STOP_NREGS];
};
struct mb_stop {
    _Atomic int release;        /* futex: 1 lets the stopped threads go                    */
    _Atomic int arrivals;       /* futex: bumped as threads stop and leave                 */
    int sig;
    int handler_left;           /* 1: our handler stays installed (a thread never answered) */
    struct sigaction old_action;
    unsigned n, cap;
    struct mb_stopped_thread threads[]; /* cap entries                                     */
};

/* Stack traces. */
#define MB_STACK_MAX 32         /* deepest stack the depot stores                          */

#endif
