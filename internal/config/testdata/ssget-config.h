/* minimal config.h for building testdata/ssget.c against strongSwan 5.9 headers */
#define CONFIG_H_INCLUDED 1
#define HAVE_SIGWAITINFO 1
#define HAVE_STRUCT_SADB_X_POLICY_SADB_X_POLICY_PRIORITY 1
#define HAVE_QSORT_R 1
#define HAVE_GNU_QSORT_R 1
#define HAVE_DLADDR 1
#define HAVE_BACKTRACE 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_CONDATTR_CLOCK_MONOTONIC 1
#define HAVE_PTHREAD_CONDATTR_INIT 1
#define HAVE_FMEMOPEN 1
#define HAVE_FOPENCOOKIE 1
#define HAVE_GLOB_H 1
#define HAVE_STDINT_H 1
#define HAVE_BYTESWAP_H 1
#define HAVE_ENDIAN_H 1
#define HAVE_PRINTF_HOOKS 1
