/* Guarded blocks. One large PROT_NONE arena is reserved once; a guarded block gets a run
 * of data pages made read-write, followed by one page left PROT_NONE. Every run is
 * preceded by the previous run's guard page (page 0 of the arena is never used), so an
 * overflow and a far underflow both fault at the instruction. The block is placed at the
 * end of its run, aligned only as much as its size needs (natural_align), so even a
 * 1-byte overflow of most blocks faults.
 *
 * Each mprotect splits the arena's mapping; the kernel caps mappings per process
 * (vm.max_map_count), so the number of guarded blocks is budgeted (guard_max, then one
 * in guard_sample), and the first failure turns guarding off for good, with one note. */
#include "internal.h"

#include <string.h>

#define ARENA_BYTES ((size_t)16 << 30)                  /* reserved address space          */
#define ARENA_PAGES (ARENA_BYTES / MB_PAGE_SIZE)
#define MAX_RECORDS ((size_t)1 << 17)
#define RUN_LISTS 65                                    /* exact lists for 1..64 pages     */
#define GUARD_LIVE_MAX 24000                            /* of 65530 mappings by default    */
#define MAP_RESERVE 1024       /* mappings left to the program and the heap: guarding stops */
#define MAP_CHECK_MIN 8        /* fewest guarded allocations between two counts of mappings */
#define MAP_BACKOFF_MAX 65536
/* A freed run of at most this many pages keeps its pages (PROT_NONE, not discarded): its
 * next block then opens it with one mprotect and no page fault, which costs as much again
 * as the call on a virtual machine. Such runs waiting in quarantine count against its
 * bytes already; of the free ones at most RESIDENT_FREE_MAX keep their pages. */
#define RESIDENT_PAGES_MAX 16
#define RESIDENT_FREE_MAX 1024

struct guard_region {
    uint8_t kind; /* MB_REGION_GUARD: what the region map points to */
};

static struct guard_region region = {MB_REGION_GUARD};
static uint8_t *arena;                 /* NULL: guarding is off                          */
static uint32_t *page_owner;           /* arena page -> record id (0 = none)             */
static uint8_t *page_flag;             /* unwritten_reads: arena page -> unwritten.c's state;
                                        * nonzero only on a live block's PROT_NONE page   */
static struct mb_guarded *records;     /* id 0 unused                                    */
static uint32_t rec_next = 1;          /* next unused record; a record keeps its run     */
static size_t arena_next = 1;          /* next unused arena page (page 0 is a guard)     */
static uint32_t run_free[RUN_LISTS];   /* record ids whose run is free, by data pages    */
static uint32_t long_free;             /* free runs of RUN_LISTS pages or more, any size */
static size_t guarded_count;           /* live + quarantined guarded blocks              */
static size_t guarded_quarantined;     /* of which in quarantine                         */
static unsigned long guarded_total;    /* guarded allocations so far                     */
static int degraded;                   /* a mapping failed: canaries only from now on    */
static long map_limit;                 /* vm.max_map_count; 0 not read yet, -1 unknown   */
static int map_tight;                  /* within MAP_RESERVE of it: no new guard pages   */
static unsigned long guard_asks;       /* allocations the budget chose for a guard page   */
static unsigned long map_due;          /* guard_asks at which mappings are counted next   */
static unsigned long map_backoff = MAP_CHECK_MIN; /* while tight: asks between counts, doubling      */
static size_t resident_free;           /* free runs whose pages were kept                 */
static mb_lock guard_lock;

void mb__guard_init(void)
{
    if (mb__opt.guard_max <= 0 && mb__opt.guard_sample <= 0) return;
    /* Aligned to the region map's 4 MiB chunks, so that no other region shares a chunk. */
    uint8_t *span = mb__os_reserve(ARENA_BYTES + MB_SEGMENT_SIZE);
    if (span) {
        arena = (uint8_t *)mb__align_up((uintptr_t)span, MB_SEGMENT_SIZE);
        if (arena > span) mb__os_unmap(span, (size_t)(arena - span));
        mb__os_unmap(arena + ARENA_BYTES, (size_t)(span + MB_SEGMENT_SIZE - arena));
    }
    page_owner = mb__os_map(ARENA_PAGES * sizeof *page_owner);
    records = mb__os_map(MAX_RECORDS * sizeof *records);
    if (mb__opt.unwritten_reads && !(page_flag = mb__os_map(ARENA_PAGES))) mb__opt.unwritten_reads = 0;
    if (!arena || !page_owner || !records) {
        arena = NULL;
        return;
    }
    mb__rmap_set((uintptr_t)arena, ARENA_BYTES, &region);
}

static void degrade(const char *why)
{
    if (degraded) return;
    degraded = 1;
    mb__report_note("%s: from now on new blocks get canaries only, not guard pages "
                    "(%lu guarded blocks live or in quarantine)",
                    why, (unsigned long)guarded_count);
}

static void count_mapping(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
                          size_t pathlen, void *arg)
{
    (void)lo, (void)hi, (void)perms, (void)path, (void)pathlen;
    (*(long *)arg)++;
}

/* The process's own mappings count too (a program may use most of the kernel's limit):
 * guard pages stop while fewer than MAP_RESERVE mappings are left, so that canary blocks,
 * the heap and the program still get theirs; they resume when mappings are freed. Reading
 * /proc/self/maps costs time in proportion to the mappings, so the next count comes after a
 * quarter of the headroom in guarded allocations (each adds at most two mappings): far from
 * the limit rarely, near it every MAP_CHECK_MIN; while past it, less and less often (up to
 * MAP_BACKOFF_MAX), since a program at the limit tends to stay there. */
static void map_check(void)
{
    if (!map_limit) {
        char text[32] = {0};
        int fd = mb__os_open_read("/proc/sys/vm/max_map_count");
        map_limit = -1;
        if (fd >= 0) {
            long v = 0;
            if (mb__os_read(fd, text, sizeof text - 1) > 0)
                for (const char *p = text; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
            mb__os_close(fd);
            if (v > 2 * MAP_RESERVE) map_limit = v;
        }
    }
    if (map_limit < 0) {
        map_due = ~0UL;
        return;
    }
    long n = 0;
    mb__report_hold(1); /* where.c's maps reader is shared with reports */
    mb__where_foreach_mapping(count_mapping, &n);
    mb__report_hold(0);
    int tight = n > map_limit - MAP_RESERVE;
    long headroom = map_limit - MAP_RESERVE - n;
    if (!tight) map_backoff = MAP_CHECK_MIN;
    else if (map_backoff < MAP_BACKOFF_MAX) map_backoff *= 2;
    map_due = guard_asks + (headroom / 4 > (long)map_backoff ? (unsigned long)headroom / 4 : map_backoff);
    if (tight && !map_tight) {
        static int said;
        if (!said) {
            said = 1;
            mb__report_note("the process uses %ld of the kernel's %ld mappings: new blocks get canaries "
                            "only, not guard pages, until mappings are freed", n, map_limit);
        }
    }
    map_tight = tight;
}

/* Budget: the first guard_max allocations are all guarded (a small program is guarded
 * whole), then one in guard_sample, so that a program allocating millions of blocks pays
 * two system calls for a few of them only. Either way the guarded blocks alive or in
 * quarantine stay few enough for the kernel's mapping limit (two mappings each). */
static int may_guard(void)
{
    if (!arena || degraded) return 0;
    if (guard_asks++ >= map_due) map_check();
    if (map_tight) return 0;
    if (guarded_count >= GUARD_LIVE_MAX) {
        static int said;
        if (!said) {
            said = 1;
            mb__report_note("%lu guarded blocks are alive, near the kernel's limit of mappings: "
                            "new blocks get canaries only until some are freed",
                            (unsigned long)guarded_count);
        }
        return 0;
    }
    return 1;
}

/* The budget's choice, taken without the lock: most allocations beyond guard_max are
 * not sampled and return at once. guarded_total may run a little past guard_max when
 * threads race; each thread samples one in guard_sample of its own allocations. */
static inline int budget_chooses(void)
{
    static MB_TLS long sample_left; /* allocations until this thread's next sample */
    if ((long)__atomic_load_n(&guarded_total, __ATOMIC_RELAXED) < mb__opt.guard_max) return 1;
    if (mb__opt.guard_sample <= 0 || --sample_left > 0) return 0;
    sample_left = mb__opt.guard_sample;
    return 1;
}

/* Largest power of two not above size, at most MB_ALIGN: enough for any object that fits. */
static size_t natural_alignment(size_t size)
{
    size_t a = 1;
    while (a < MB_ALIGN && a * 2 <= size) a *= 2;
    return a;
}

/* A free long run of exactly npages, unlinked from long_free, or 0. The list is short:
 * long runs are few (each is 256 KiB or more). */
static uint32_t take_long_run(size_t npages)
{
    for (uint32_t *link = &long_free; *link; link = &records[*link].next_free) {
        uint32_t id = *link;
        if (records[id].npages == npages) {
            *link = records[id].next_free;
            return id;
        }
    }
    return 0;
}

static MB_NOINLINE struct mb_guarded *guard_alloc(size_t size, size_t align, int closed);

/* The budget's answer first: most allocations are not sampled and return at once, with
 * no frame. */
struct mb_guarded *mb__guard_alloc(size_t size, size_t align, int closed)
{
    if (size > ((size_t)mb__opt.guard_max_size_mb << 20) || align > MB_PAGE_SIZE) return NULL;
    if (!arena || !budget_chooses()) return NULL;
    return guard_alloc(size, align, closed);
}

static struct mb_guarded *guard_alloc(size_t size, size_t align, int closed)
{
    size_t npages = size ? (size + MB_PAGE_SIZE - 1) / MB_PAGE_SIZE : 1;
    /* At the mapping budget, freed guarded blocks leave quarantine early to make room:
     * live blocks matter more than old freed ones. (Outside guard_lock: releasing takes it.) */
    while (__atomic_load_n(&guarded_count, __ATOMIC_RELAXED) >= GUARD_LIVE_MAX &&
           __atomic_load_n(&guarded_quarantined, __ATOMIC_RELAXED) && mb__quarantine_release_guarded())
        ;
    mb__lock(&guard_lock);
    if (!may_guard()) {
        mb__unlock(&guard_lock);
        return NULL;
    }
    uint32_t id = 0;
    if (npages < RUN_LISTS && run_free[npages]) { /* reuse a run of the same length */
        id = run_free[npages];
        run_free[npages] = records[id].next_free;
    } else if (npages >= RUN_LISTS && (id = take_long_run(npages)) != 0) {
        /* a long run of the same length, freed earlier */
    } else if (arena_next + npages + 1 <= ARENA_PAGES) {
        if (rec_next < MAX_RECORDS) id = rec_next++;
        if (id) {
            records[id].run = arena + arena_next * MB_PAGE_SIZE;
            records[id].npages = (uint32_t)npages;
            for (size_t i = 0; i <= npages; i++) page_owner[arena_next + i] = id;
            arena_next += npages + 1;
        }
    }
    if (!id) {
        degrade(arena_next + npages + 1 > ARENA_PAGES ? "the guard arena is full"
                                                      : "too many guarded blocks");
        mb__unlock(&guard_lock);
        return NULL;
    }
    struct mb_guarded *g = &records[id];
    int stale = g->resident; /* the pages still hold the run's last block */
    if (closed) { /* left PROT_NONE: unwritten.c opens each page at its first access */
        memset(page_flag + (g->run - arena) / MB_PAGE_SIZE, 1, npages);
    } else if (mb__os_protect(g->run, npages * MB_PAGE_SIZE, 1) != 0) {
        /* Out of mappings (vm.max_map_count) or memory: give the run back, stop guarding. */
        uint32_t *list = npages < RUN_LISTS ? &run_free[npages] : &long_free;
        g->next_free = *list;
        *list = id;
        degrade("the kernel refused another guard page (vm.max_map_count or memory)");
        mb__unlock(&guard_lock);
        return NULL;
    }
    resident_free -= (size_t)stale; /* in use now (a run given back above stays counted) */
    g->resident = 0;
    guarded_count++;
    __atomic_fetch_add(&guarded_total, 1, __ATOMIC_RELAXED);
    mb__unlock(&guard_lock);
    /* A large run is filled whole: huge pages, where the kernel allows (its aligned middle),
     * spare a fault per 4 KiB. The hint goes with each opening: a freed run is mapped anew. */
    if (!closed && npages * MB_PAGE_SIZE >= ((size_t)4 << 20)) mb__os_huge_pages(g->run, npages * MB_PAGE_SIZE);

    uint8_t *end = g->run + npages * MB_PAGE_SIZE;
    size_t a = mb__opt.natural_align ? natural_alignment(size) : MB_ALIGN;
    if (align > a) a = align;
    g->user = (uint8_t *)(((uintptr_t)end - size) & ~(uintptr_t)(a - 1));
    g->next_free = 0;
    memset(&g->info, 0, sizeof g->info);
    g->info.size = size;
    g->info.user_off = (uint32_t)(g->user - g->run);
    /* As fresh: zeroes before the head canary, the one part of the run that the caller
     * does not write (canaries, fill or calloc's zeroes). closed is never stale:
     * mb__guard_quarantine keeps no pages while page_flag is in use. */
    if (stale) memset(g->run, 0, (size_t)(g->user - mb__guard_head_len(g) - g->run));
    return g;
}

/* Freed: the data pages become PROT_NONE, and a long run's contents are dropped (one call
 * either way). unwritten_reads opens pages one by one and wants them fresh: dropped too. */
void mb__guard_quarantine(struct mb_guarded *g)
{
    size_t len = (size_t)g->npages * MB_PAGE_SIZE;
    if (page_flag) memset(page_flag + (g->run - arena) / MB_PAGE_SIZE, 0, g->npages);
    if (!page_flag && g->npages <= RESIDENT_PAGES_MAX) g->resident = mb__os_protect(g->run, len, 0) == 0;
    else mb__os_discard_none(g->run, len);
    __atomic_fetch_add(&guarded_quarantined, 1, __ATOMIC_RELAXED);
}

/* Out of quarantine: the run (still PROT_NONE) and the record are reusable. */
void mb__guard_release(struct mb_guarded *g)
{
    uint32_t id = (uint32_t)(g - records);
    mb__lock(&guard_lock);
    g->info.state = MB_BLOCK_FREE;
    if (g->resident && resident_free >= RESIDENT_FREE_MAX) {
        mb__os_discard(g->run, (size_t)g->npages * MB_PAGE_SIZE);
        g->resident = 0;
    }
    resident_free += g->resident;
    /* The run keeps its record: a later block of the same length takes both. */
    uint32_t *list = g->npages < RUN_LISTS ? &run_free[g->npages] : &long_free;
    g->next_free = *list;
    *list = id;
    guarded_count--;
    __atomic_fetch_sub(&guarded_quarantined, 1, __ATOMIC_RELAXED);
    mb__unlock(&guard_lock);
}

struct mb_guarded *mb__guard_at(uintptr_t addr)
{
    if (!arena || addr < (uintptr_t)arena || addr >= (uintptr_t)arena + ARENA_BYTES) return NULL;
    uint32_t id = page_owner[(addr - (uintptr_t)arena) / MB_PAGE_SIZE];
    return id ? &records[id] : NULL;
}

uint8_t *mb__guard_page_flag(uintptr_t addr)
{
    if (!page_flag || addr < (uintptr_t)arena || addr >= (uintptr_t)arena + ARENA_BYTES) return NULL;
    return &page_flag[(addr - (uintptr_t)arena) / MB_PAGE_SIZE];
}

/* The canary before a guarded block is at most this long; the page before it is zeroes. */
size_t mb__guard_head_len(const struct mb_guarded *g)
{
    size_t room = (size_t)(g->user - g->run);
    return room < 64 ? room : 64;
}

struct mb_guarded *mb__guard_next(struct mb_guarded *g)
{
    return mb__guard_at((uintptr_t)(g->run + ((size_t)g->npages + 1) * MB_PAGE_SIZE));
}

void mb__guard_foreach_live(void (*fn)(struct mb_guarded *g, void *arg), void *arg)
{
    if (!arena) return;
    for (uint32_t id = 1; id < rec_next; id++)
        if (records[id].info.state == MB_BLOCK_LIVE) fn(&records[id], arg);
}

int mb__guard_fork(int phase)
{
    return mb__lock_fork(&guard_lock, phase);
}
