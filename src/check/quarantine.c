/* The quarantine: freed blocks wait here, inaccessible (guarded) or poisoned (canary
 * blocks), so that a use after free touches memory nobody else owns yet. A FIFO bounded
 * in bytes (quarantine_size_mb) and in entries; the oldest leave first. */
#include "internal.h"

#define Q_ENTRIES ((size_t)1 << 20)
/* Entries ahead of the oldest whose memory is prefetched at each push: by the time one
 * leaves, its record and first bytes are in cache (a full quarantine is cold memory). */
#define Q_PREFETCH 16
#define Q_OUT 16 /* entries taken out of the ring per lock hold */

struct q_entry {
    void *entry;   /* struct mb_guarded * or a canary block's start                      */
    struct mb_blockinfo *info;
    uint32_t guarded;
    uint32_t pad;
    size_t bytes;
};

static struct q_entry *q_ring;
static size_t q_head, q_tail;  /* entries [q_head, q_tail) modulo Q_ENTRIES              */
static size_t q_bytes;
static mb_lock q_lock;

void mb__quarantine_init(void) { q_ring = mb__os_map(Q_ENTRIES * sizeof *q_ring); }

static void release(const struct q_entry *e) { mb__check_release(e->entry, e->info, (int)e->guarded); }

void mb__quarantine_push(void *entry, struct mb_blockinfo *info, int guarded, size_t bytes)
{
    size_t limit = (size_t)mb__opt.quarantine_size_mb << 20;
    if (!q_ring) {
        mb__check_release(entry, info, guarded);
        return;
    }
    mb__lock(&q_lock);
    q_ring[q_tail % Q_ENTRIES] = (struct q_entry){entry, info, (uint32_t)guarded, 0, bytes};
    q_tail++;
    q_bytes += bytes;
    if (q_tail - q_head > Q_PREFETCH) {
        const struct q_entry *soon = &q_ring[(q_head + Q_PREFETCH) % Q_ENTRIES];
        __builtin_prefetch(soon->info, 1);
        if (!soon->guarded) /* the bytes whose fill is verified: the first few lines */
            for (size_t off = 0; off < soon->bytes && off < 4 * 64; off += 64)
                __builtin_prefetch((const char *)soon->entry + off, 1);
    }
    /* The oldest entries are taken under the lock, in FIFO order, and released (verified,
     * handed back to the heap) after it: threads freeing at once wait only for the ring. */
    for (;;) {
        struct q_entry out[Q_OUT];
        size_t n = 0;
        while (n < Q_OUT && q_head < q_tail && (q_bytes > limit || q_tail - q_head >= Q_ENTRIES)) {
            out[n] = q_ring[q_head++ % Q_ENTRIES];
            q_bytes -= out[n++].bytes;
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
        struct q_entry e = q_ring[q_head % Q_ENTRIES];
        q_head++;
        q_bytes -= e.bytes;
        release(&e);
        done = (int)e.guarded;
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
        const struct q_entry *e = &q_ring[i % Q_ENTRIES];
        fn(e->entry, e->info, (int)e->guarded);
    }
    mb__unlock(&q_lock);
}

int mb__quarantine_fork(int phase)
{
    return mb__lock_fork(&q_lock, phase);
}
