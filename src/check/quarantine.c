/* The quarantine: freed blocks wait here, inaccessible (guarded) or poisoned (canary
 * blocks), so that a use after free touches memory nobody else owns yet. A FIFO bounded
 * in bytes (quarantine_size_mb) and in entries; the oldest leave first. */
#include "internal.h"

#define Q_ENTRIES ((size_t)1 << 20)
#define Q_FIRST ((size_t)1 << 10) /* the ring's first capacity, in entries */
/* Entries ahead of the oldest whose memory is prefetched at each push: by the time one
 * leaves, its record and first bytes are in cache (a full quarantine is cold memory). */
#define Q_PREFETCH 16
#define Q_OUT 16 /* entries taken out of the ring per lock hold */

/* 16 bytes: the ring is touched once per free, and a full ring is cold memory. */
struct q_entry {
    uintptr_t entry; /* struct mb_guarded * or a canary block's start; bit 0: guarded    */
    struct mb_blockinfo *info;
};

static struct q_entry *q_ring;
static size_t q_head, q_tail;  /* entries [q_head, q_tail), entry i at q_ring[i & (q_cap - 1)] */
/* The ring's capacity: a power of two, doubled when the ring is full, up to Q_ENTRIES.
 * Only the first q_cap entries of the mapping are ever touched: a ring as large as the
 * quarantine could hold would cost the first touch of all of its memory (16 MiB) even in
 * a program whose quarantine never holds more than a few thousand blocks. */
static size_t q_cap = Q_FIRST;
static size_t q_bytes;         /* sum of entry_bytes over the entries                    */
static mb_lock q_lock;

/* The ring is written front to back over and over: huge pages spare a fault per 4 KiB. */
void mb__quarantine_init(void)
{
    q_ring = mb__os_map(Q_ENTRIES * sizeof *q_ring);
    if (q_ring) mb__os_huge_pages(q_ring, Q_ENTRIES * sizeof *q_ring);
}

static inline struct q_entry *ring_at(size_t i) { return &q_ring[i & (q_cap - 1)]; }

/* The ring is full: double it. Entry i moves from i & (cap-1) to i & (2cap-1), which is
 * the same place or cap further on, in memory not yet touched: nothing is overwritten. */
static void ring_grow(void)
{
    size_t cap = q_cap;
    for (size_t i = q_head; i < q_tail; i++)
        if (i & cap) q_ring[(i & (cap - 1)) + cap] = q_ring[i & (cap - 1)];
    q_cap = cap * 2;
}

static void *entry_of(const struct q_entry *e) { return (void *)(e->entry & ~(uintptr_t)1); }
static int guarded_of(const struct q_entry *e) { return (int)(e->entry & 1); }

/* What an entry counts against the limit, from its record (unchanged while it waits):
 * a guarded block's pages; a canary block's red zones and rounded user bytes. */
static size_t entry_bytes(const struct q_entry *e)
{
    if (guarded_of(e)) return (size_t)((struct mb_guarded *)entry_of(e))->npages * MB_PAGE_SIZE;
    return e->info->user_off + mb__align_up(e->info->size, MB_ALIGN) + MB_REDZONE;
}

static void release(const struct q_entry *e) { mb__check_release(entry_of(e), e->info, guarded_of(e)); }

static MB_NOINLINE void release_oldest(size_t limit);

void mb__quarantine_push(void *entry, struct mb_blockinfo *info, int guarded)
{
    size_t limit = (size_t)mb__opt.quarantine_size_mb << 20;
    if (MB_UNLIKELY(!q_ring)) {
        mb__check_release(entry, info, guarded);
        return;
    }
    struct q_entry in = {(uintptr_t)entry | (guarded != 0), info};
    size_t bytes = entry_bytes(&in);
    mb__lock(&q_lock);
    /* Full, and so below Q_ENTRIES: every push leaves fewer entries than that. */
    if (MB_UNLIKELY(q_tail - q_head == q_cap)) ring_grow();
    *ring_at(q_tail) = in;
    q_tail++;
    q_bytes += bytes;
    if (q_tail - q_head > Q_PREFETCH) {
        const struct q_entry *soon = ring_at(q_head + Q_PREFETCH);
        __builtin_prefetch(soon->info, 1);
        if (!guarded_of(soon)) { /* the bytes whose fill is verified: the first lines */
            __builtin_prefetch((const char *)entry_of(soon), 1);
            __builtin_prefetch((const char *)entry_of(soon) + 64, 1);
        }
    }
    if (MB_LIKELY(q_bytes <= limit && q_tail - q_head < Q_ENTRIES)) {
        mb__unlock(&q_lock);
        return;
    }
    release_oldest(limit);
}

/* The oldest entries are taken under the lock (held on entry), in FIFO order, and
 * released (verified, handed back to the heap) after it: threads freeing at once wait only
 * for the ring. */
static void release_oldest(size_t limit)
{
    for (;;) {
        struct q_entry out[Q_OUT];
        size_t n = 0;
        while (n < Q_OUT && q_head < q_tail && (q_bytes > limit || q_tail - q_head >= Q_ENTRIES)) {
            out[n] = *ring_at(q_head++);
            q_bytes -= entry_bytes(&out[n++]);
        }
        mb__unlock(&q_lock);
        for (size_t i = 0; i < n; i++) release(&out[i]);
        if (n < Q_OUT) return;
        mb__lock(&q_lock);
    }
}

/* Guarded blocks are scarce (kernel mappings): let the oldest entries go until one
 * guarded block has left, so that a new block can be guarded. Returns 0 when the
 * quarantine holds none. */
int mb__quarantine_release_guarded(void)
{
    int done = 0;
    mb__lock(&q_lock);
    while (!done && q_head < q_tail) {
        struct q_entry e = *ring_at(q_head);
        q_head++;
        q_bytes -= entry_bytes(&e);
        release(&e);
        done = guarded_of(&e);
    }
    mb__unlock(&q_lock);
    return done;
}

/* Calls fn for each block waiting in quarantine, oldest first. Only pushed blocks count: a
 * block is filled before it is pushed, so one a fork cut in the middle of its fill is not
 * here (its state already says quarantined). */
void mb__quarantine_foreach(void (*fn)(void *entry, struct mb_blockinfo *info, int guarded))
{
    mb__lock(&q_lock);
    for (size_t i = q_head; i < q_tail; i++) {
        const struct q_entry *e = ring_at(i);
        fn(entry_of(e), e->info, guarded_of(e));
    }
    mb__unlock(&q_lock);
}

/* A fault in fn left mb__quarantine_foreach by a jump, with the lock held by this thread. */
void mb__quarantine_walk_abandoned(void) { mb__unlock(&q_lock); }

int mb__quarantine_fork(int phase)
{
    return mb__lock_fork(&q_lock, phase);
}
