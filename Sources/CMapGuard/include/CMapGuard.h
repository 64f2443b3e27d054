#ifndef CONVSIM_CMAPGUARD_H
#define CONVSIM_CMAPGUARD_H

#include <stddef.h>

/// Guards the pages of a read-only file mapping `[base, base + length)` against SIGBUS: when
/// another process truncates the file while it is mapped, a read past the new end of the file
/// raises SIGBUS; the handler maps zero-filled pages over the rest of the guarded range instead,
/// notes the range as cut, and the read goes on (reading zeros). The caller must ask
/// `convsim_map_guard_was_cut` before it trusts anything it read, and remove the guard before
/// it unmaps the range. A SIGBUS at any other address goes to the handler that was installed
/// before (or the default action: the process ends as it would have).
///
/// Returns the guard's slot (>= 0; 4096 slots), or -1 when no slot is free or the handler could not be
/// installed (the caller then must not map the file).
int convsim_map_guard_add(const void *base, size_t length);

/// 1 when a SIGBUS was absorbed in the slot's range since it was added, else 0.
int convsim_map_guard_was_cut(int slot);

/// Frees the slot; returns `convsim_map_guard_was_cut(slot)`.
int convsim_map_guard_remove(int slot);

/// How many SIGBUS the guard has absorbed since the process started (0: nothing was cut).
int convsim_map_guard_cuts(void);

/// 1 when a guarded range overlapping `[base, base + length)` was cut, else 0 (at once when
/// nothing was ever cut).
int convsim_map_guard_cut_in(const void *base, size_t length);

#endif
