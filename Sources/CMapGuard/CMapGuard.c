#define _GNU_SOURCE
#include "CMapGuard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOTS = 4096 };

/// A guarded range; `hi == 0` marks a free slot. `lo`/`hi` are set before `hi` is published.
static struct {
    _Atomic uintptr_t lo, hi;
    _Atomic int cut;
} slots[SLOTS];

/// How many SIGBUS the guard has absorbed (0: nothing was ever cut, the fast answer).
static _Atomic int total_cuts = 0;

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static int installed = 0;
static uintptr_t page_size = 4096;

static void handler(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t hi = atomic_load(&slots[i].hi), lo = atomic_load(&slots[i].lo);
        if (hi == 0 || address < lo || address >= hi) continue;
        uintptr_t page = address & ~(page_size - 1);
        // mmap is a plain system call on Linux (async-signal-safe in practice).
        void *zeros = mmap((void *)page, hi - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (zeros != MAP_FAILED) {
            atomic_store(&slots[i].cut, 1);
            atomic_fetch_add(&total_cuts, 1);
            return;   // the faulting read runs again and reads zeros
        }
        break;
    }
    // Not a guarded range: whoever handled SIGBUS before, else the default action.
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != NULL) {
        previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler != NULL) {
        previous.sa_handler(sig);
        return;
    }
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGBUS, &fallback, NULL);   // the read faults again and ends the process
}

static void install(void) {
    long size = sysconf(_SC_PAGESIZE);
    if (size > 0) page_size = (uintptr_t)size;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    installed = sigaction(SIGBUS, &action, &previous) == 0;
}

int convsim_map_guard_add(const void *base, size_t length) {
    if (base == NULL || length == 0) return -1;
    pthread_once(&install_once, install);
    if (!installed) return -1;
    uintptr_t lo = (uintptr_t)base;
    uintptr_t hi = (lo + length + page_size - 1) & ~(page_size - 1);
    if (hi <= lo) return -1;
    int found = -1;
    pthread_mutex_lock(&slot_lock);
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&slots[i].hi) != 0) continue;
        atomic_store(&slots[i].cut, 0);
        atomic_store(&slots[i].lo, lo);
        atomic_store(&slots[i].hi, hi);
        found = i;
        break;
    }
    pthread_mutex_unlock(&slot_lock);
    return found;
}

int convsim_map_guard_was_cut(int slot) {
    if (slot < 0 || slot >= SLOTS) return 0;
    return atomic_load(&slots[slot].cut) != 0;
}

int convsim_map_guard_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return 0;
    pthread_mutex_lock(&slot_lock);
    int cut = atomic_load(&slots[slot].cut) != 0;
    atomic_store(&slots[slot].hi, 0);
    atomic_store(&slots[slot].lo, 0);
    atomic_store(&slots[slot].cut, 0);
    pthread_mutex_unlock(&slot_lock);
    return cut;
}

int convsim_map_guard_cuts(void) { return atomic_load(&total_cuts); }

int convsim_map_guard_cut_in(const void *base, size_t length) {
    if (base == NULL || length == 0 || atomic_load(&total_cuts) == 0) return 0;
    uintptr_t lo = (uintptr_t)base, hi = lo + length;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t shi = atomic_load(&slots[i].hi), slo = atomic_load(&slots[i].lo);
        if (shi != 0 && slo < hi && lo < shi && atomic_load(&slots[i].cut)) return 1;
    }
    return 0;
}
