#include <stddef.h>
#include <cblas.h>
/* OpenBLAS is not linked: it is opened at its first use (ConvSimCore's OpenBLAS.swift), so that
   a command which needs no BLAS — `--version`, `--help`, most of a search — neither loads it nor
   starts its thread pool. Its functions are reached through pointers of these types, each the
   type of the library's own declaration. */

/* OpenBLAS's thread count and pool (the pthread build's; absent from the serial and OpenMP ones). */
void openblas_set_num_threads(int num_threads);
int blas_thread_shutdown_(void);
/* LAPACK's symmetric eigensolver, from OpenBLAS itself (it carries the whole of LAPACK, through
   its Fortran interface: column-major, every argument by address, the lengths of the two
   character arguments last). */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);

typedef __typeof__(cblas_dgemm) *convsim_dgemm_fn;
typedef __typeof__(cblas_dsyrk) *convsim_dsyrk_fn;
typedef __typeof__(cblas_zgemm) *convsim_zgemm_fn;
typedef __typeof__(cblas_zsyrk) *convsim_zsyrk_fn;
typedef __typeof__(cblas_zherk) *convsim_zherk_fn;
typedef __typeof__(dsyevd_) *convsim_dsyevd_fn;
typedef __typeof__(openblas_set_num_threads) *convsim_set_threads_fn;
typedef __typeof__(blas_thread_shutdown_) *convsim_shutdown_fn;
