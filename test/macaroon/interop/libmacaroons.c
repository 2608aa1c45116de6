/*
 * The libmacaroons side of test/macaroon/interop-libraries.test.ts (compiled with cc at test time).
 *   libmacaroons mint            prints {"v1": [M, D1, D2]}: the macaroon and its two bound
 *                                discharges, V1 binary in base64 (libmacaroons 0.3 writes no V2)
 *   libmacaroons check M D1 D2   reads a macaroon and two discharges (V1, base64) and prints what
 *                                libmacaroons sees: {identifier_hex, signature_hex, third_party:
 *                                [{location_hex, id_hex}], verified, error}
 * The macaroon: root key "root-key", location "", identifier "", caveats "" (an empty first-party id),
 * "org = acme", a third-party caveat at "" (key "caveat-key-1", id ""), and one at
 * "https://auth.example" (key "caveat-key-2", id "tp-2").
 */
#include <macaroons.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) (const unsigned char*)(x), strlen(x)

static void fail(const char* what, enum macaroon_returncode err) {
  fprintf(stderr, "%s failed: %d\n", what, (int)err);
  exit(1);
}

static void print_serialized(const struct macaroon* M, const char* after) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  size_t n = macaroon_serialize_size_hint(M);
  char* buf = malloc(n);
  if (macaroon_serialize(M, buf, n, &err) < 0) fail("serialize", err);
  printf("\"%s\"%s", buf, after);
  free(buf);
}

static void print_hex(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static int satisfy(void* f, const unsigned char* pred, size_t pred_sz) {
  (void)f;
  return (pred_sz == 0 || (pred_sz == 10 && memcmp(pred, "org = acme", 10) == 0)) ? 0 : -1;
}

static struct macaroon* discharge(const struct macaroon* M, const char* key, const char* id) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  struct macaroon* D = macaroon_create(S(""), S(key), S(id), &err);
  if (!D) fail("create discharge", err);
  struct macaroon* B = macaroon_prepare_for_request(M, D, &err);
  if (!B) fail("prepare_for_request", err);
  macaroon_destroy(D);
  return B;
}

int main(int argc, char** argv) {
  enum macaroon_returncode err = MACAROON_SUCCESS;
  if (argc == 2 && strcmp(argv[1], "mint") == 0) {
    struct macaroon* M = macaroon_create(S(""), S("root-key"), S(""), &err);
    if (!M) fail("create", err);
    struct macaroon* N;
    if (!(N = macaroon_add_first_party_caveat(M, S(""), &err))) fail("first-party", err);
    macaroon_destroy(M); M = N;
    if (!(N = macaroon_add_first_party_caveat(M, S("org = acme"), &err))) fail("first-party", err);
    macaroon_destroy(M); M = N;
    if (!(N = macaroon_add_third_party_caveat(M, S(""), S("caveat-key-1"), S(""), &err))) fail("third-party", err);
    macaroon_destroy(M); M = N;
    if (!(N = macaroon_add_third_party_caveat(M, S("https://auth.example"), S("caveat-key-2"), S("tp-2"), &err)))
      fail("third-party", err);
    macaroon_destroy(M); M = N;
    struct macaroon* D1 = discharge(M, "caveat-key-1", "");
    struct macaroon* D2 = discharge(M, "caveat-key-2", "tp-2");
    printf("{\"v1\":[");
    print_serialized(M, ",");
    print_serialized(D1, ",");
    print_serialized(D2, "]}\n");
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "check") == 0) {
    struct macaroon* ms[3];
    for (int i = 0; i < 3; i++) {
      ms[i] = macaroon_deserialize(argv[2 + i], &err);
      if (!ms[i]) {
        printf("{\"verified\":false,\"error\":\"deserialize %d: %d\"}\n", i, (int)err);
        return 0;
      }
    }
    const unsigned char* p;
    size_t n;
    macaroon_identifier(ms[0], &p, &n);
    printf("{\"identifier_hex\":\"");
    print_hex(p, n);
    macaroon_signature(ms[0], &p, &n);
    printf("\",\"signature_hex\":\"");
    print_hex(p, n);
    printf("\",\"third_party\":[");
    unsigned count = macaroon_num_third_party_caveats(ms[0]);
    for (unsigned i = 0; i < count; i++) {
      const unsigned char *loc, *id;
      size_t loc_sz, id_sz;
      if (macaroon_third_party_caveat(ms[0], i, &loc, &loc_sz, &id, &id_sz) < 0) fail("third_party_caveat", err);
      printf("%s{\"location_hex\":\"", i == 0 ? "" : ",");
      print_hex(loc, loc_sz);
      printf("\",\"id_hex\":\"");
      print_hex(id, id_sz);
      printf("\"}");
    }
    printf("],");
    struct macaroon_verifier* V = macaroon_verifier_create();
    if (macaroon_verifier_satisfy_general(V, satisfy, NULL, &err) < 0) fail("satisfy_general", err);
    int ok = macaroon_verify(V, ms[0], S("root-key"), ms + 1, 2, &err);
    if (ok == 0) printf("\"verified\":true,\"error\":null}\n");
    else printf("\"verified\":false,\"error\":\"%d\"}\n", (int)err);
    macaroon_verifier_destroy(V);
    return 0;
  }
  fprintf(stderr, "usage: libmacaroons mint | check M D1 D2\n");
  return 2;
}
