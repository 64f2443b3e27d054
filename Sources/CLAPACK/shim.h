#include <stddef.h>
#include <cblas.h>
/* OpenBLAS's thread count (declared here too, whichever cblas.h the system selects). */
void openblas_set_num_threads(int num_threads);
/* LAPACK's symmetric eigensolver, from OpenBLAS itself (it carries the whole of LAPACK, through
   its Fortran interface: column-major, every argument by address, the lengths of the two
   character arguments last). Linking OpenBLAS alone, rather than LAPACKE and the reference
   LAPACK beside it, saves a millisecond of symbol binding at every start. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
