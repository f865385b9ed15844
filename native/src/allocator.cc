// Keeps freed memory in the process instead of handing it back to the kernel.
//
// libtorch allocates every activation and gradient with malloc. glibc serves large blocks with
// mmap and returns them (munmap, or a heap trim) as soon as they are freed, so each training step
// maps its buffers afresh and touches them page by page: on Fashion-MNIST with ref-mbconv about
// ten times the minor page faults per batch, and several percent to a fifth of a step's CPU time
// (BENCHMARKS.md, bench/allocatorEffect.ts). With mmap off and trimming only above 2 GB of free
// heap, freed buffers are reused by the next step; peak RSS is about unchanged, the steps' peaks
// being the same. (PyTorch users get the same effect by
// preloading jemalloc or tcmalloc.)
//
// Skipped when the user chose glibc's malloc settings (MALLOC_*_ or GLIBC_TUNABLES) or set
// TSNAS_MALLOC=default.
#include "box.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tsnas {

static const char* allocatorMode = "default";

static bool userChoseMalloc() {
  static const char* vars[] = {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                               "MALLOC_MMAP_MAX_", "GLIBC_TUNABLES"};
  for (const char* v : vars)
    if (std::getenv(v)) return true;
  return false;
}

void tuneAllocator() {
#if defined(__GLIBC__)
  const char* choice = std::getenv("TSNAS_MALLOC");
  if (choice && std::strcmp(choice, "default") == 0) return;
  if (userChoseMalloc()) {
    allocatorMode = "user";
    return;
  }
  if (mallopt(M_MMAP_MAX, 0) && mallopt(M_TRIM_THRESHOLD, INT_MAX)) allocatorMode = "retain";
#endif
}

const char* allocatorSetting() { return allocatorMode; }

}  // namespace tsnas
