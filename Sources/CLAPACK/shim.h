#include <lapacke.h>
#include <cblas.h>
/* OpenBLAS's thread count (declared here too, whichever cblas.h the system selects). */
void openblas_set_num_threads(int num_threads);
