/*
 * Test harness for a generated routes.so: loads it with dlopen (as the server does),
 * prints the table, then matches "METHOD_NUMBER PATH" lines from stdin and prints
 * "match <route> <allow hex> <nparams> <bad_param>:<bad_route> <off>:<len>..." for each.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catzilla_routes.h"

typedef const cz_route_table_t* (*table_fn)(void);

static char line[1 << 18];

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s routes.so < requests\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  table_fn get;
  *(void**)(&get) = dlsym(lib, "catzilla_route_table");
  if (get == NULL) {
    fprintf(stderr, "dlsym: %s\n", dlerror());
    return 2;
  }
  const cz_route_table_t* t = get();
  printf("table abi=%u nroutes=%u fingerprint=%s\n", t->abi_version, t->nroutes, t->fingerprint);
  for (uint32_t i = 0; i < t->nroutes; i++) {
    const cz_route_t* r = &t->routes[i];
    printf("route %u method=%u kind=%u flags=%u body_limit=%u pattern=%s const=%s param_errors=%s\n", i, r->method,
           r->kind, r->flags, r->body_limit, r->pattern, r->const_response == NULL ? "null" : "set",
           r->param_errors == NULL ? "null" : "set");
  }
  while (fgets(line, sizeof line, stdin) != NULL) {
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    char* space = strchr(line, ' ');
    if (space == NULL) continue;
    *space = '\0';
    unsigned method = (unsigned)strtoul(line, NULL, 10);
    const char* path = space + 1;
    cz_match_t m;
    memset(&m, 0, sizeof m);
    int r = t->match(path, strlen(path), method, &m);
    printf("match %d %llx %u %u:%u", r, (unsigned long long)m.allow, (unsigned)m.nparams, (unsigned)m.bad_param,
           (unsigned)m.bad_route);
    for (unsigned i = 0; i < m.nparams; i++) printf(" %u:%u", (unsigned)m.params[i][0], (unsigned)m.params[i][1]);
    printf("\n");
  }
  return 0;
}
