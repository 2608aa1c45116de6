/*
 * Bench driver for libmacaroons (C): decode + verify of one macaroon, the same work as the
 * "generic Macaroon.decode + verify" row of bench/verify.ts. Built and run by that bench when
 * Debian's libmacaroons-dev is installed; written for crumb, no code of libmacaroons here.
 * Usage: libmacaroons TOKEN_BASE64 ROOT_KEY ITERATIONS BATCHES CAVEAT...
 * Prints the process CPU time per op (ns) of each batch, as bench/harness.ts measures crumb.
 */
#include <macaroons.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char **allowed;
static int allowed_count;

/* 0 when the predicate is one of the allowed caveats (libmacaroons' convention). */
static int check(void *f, const unsigned char *pred, size_t pred_sz) {
  (void)f;
  for (int i = 0; i < allowed_count; i++)
    if (strlen(allowed[i]) == pred_sz && memcmp(allowed[i], pred, pred_sz) == 0) return 0;
  return -1;
}

static int decode_and_verify(const char *token, const char *key) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  struct macaroon *m = macaroon_deserialize(token, &err);
  if (m == NULL) return -1;
  struct macaroon_verifier *v = macaroon_verifier_create();
  macaroon_verifier_satisfy_general(v, check, NULL, &err);
  int rc = macaroon_verify(v, m, (const unsigned char *)key, strlen(key), NULL, 0, &err);
  macaroon_verifier_destroy(v);
  macaroon_destroy(m);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  const char *token = argv[1], *key = argv[2];
  long iterations = atol(argv[3]), batches = atol(argv[4]);
  allowed = argv + 5;
  allowed_count = argc - 5;
  if (decode_and_verify(token, key) != 0) {
    fprintf(stderr, "libmacaroons: the macaroon does not verify\n");
    return 1;
  }
  for (long b = 0; b < batches; b++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (long i = 0; i < iterations; i++) decode_and_verify(token, key);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%.1f\n", ns / iterations);
  }
  return 0;
}
