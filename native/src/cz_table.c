/*
 * cz_table.c: dlopen() of routes.so and the checks that keep a stale or foreign table
 * from ever matching a request.
 */
#include "cz_table.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cz_http.h"

static int cz__table_fail(cz_table_t* tab, char* err, size_t errlen, int code, const char* fmt,
                          const char* a, const char* b) {
  snprintf(err, errlen, fmt, a, b);
  cz_table_unload(tab);
  return code;
}

int cz_table_load(cz_table_t* tab, const char* path, const char* fingerprint, char* err,
                  size_t errlen) {
  const cz_route_table_t* (*get)(void);
  const cz_route_table_t* t;
  char* resolved;
  char num[64];
  uint32_t i;

  tab->dl = NULL;
  tab->t = NULL;
  /* dlopen() searches the library path for a name without '/': resolve it ourselves so
   * "routes.so" means the file in the current directory, as it would for fs calls. */
  resolved = realpath(path, NULL);
  if (resolved == NULL)
    return cz__table_fail(tab, err, errlen, UV_ENOENT, "catzilla: cannot load route table %s: %s",
                          path, strerror(errno));
  /* RTLD_LOCAL: two apps' tables in one process must not see each other's symbols. */
  tab->dl = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
  free(resolved);
  if (tab->dl == NULL)
    return cz__table_fail(tab, err, errlen, UV_ENOENT, "catzilla: cannot load route table %s: %s",
                          path, dlerror());
  *(void**)(&get) = dlsym(tab->dl, "catzilla_route_table");
  if (get == NULL)
    return cz__table_fail(tab, err, errlen, UV_ENOENT,
                          "catzilla: %s has no catzilla_route_table symbol%s; recompile the app",
                          path, "");
  t = get();
  if (t == NULL)
    return cz__table_fail(tab, err, errlen, UV_EINVAL,
                          "catzilla: %s returned no route table%s", path, "");
  if (t->abi_version != CZ_ROUTES_ABI_VERSION) {
    snprintf(num, sizeof(num), "%u (this server speaks %u)", (unsigned)t->abi_version,
             (unsigned)CZ_ROUTES_ABI_VERSION);
    return cz__table_fail(tab, err, errlen, UV_EINVAL,
                          "catzilla: route table %s has ABI version %s; recompile the app",
                          path, num);
  }
  if (fingerprint != NULL &&
      (t->fingerprint == NULL || strcmp(t->fingerprint, fingerprint) != 0))
    return cz__table_fail(tab, err, errlen, UV_EINVAL,
                          "catzilla: route table %s does not match the dispatch module "
                          "(fingerprint %s differs); recompile the app",
                          path, t->fingerprint ? t->fingerprint : "(none)");
  if (t->match == NULL || (t->nroutes > 0 && t->routes == NULL))
    return cz__table_fail(tab, err, errlen, UV_EINVAL,
                          "catzilla: route table %s is malformed%s; recompile the app", path, "");
  for (i = 0; i < t->nroutes; i++) {
    const cz_route_t* r = &t->routes[i];
    if (r->method >= 64 ||
        (r->kind == CZ_KIND_CONST && !cz_http_const_valid(r->const_response, r->const_len))) {
      return cz__table_fail(tab, err, errlen, UV_EINVAL,
                            "catzilla: route table %s has a malformed route (%s); "
                            "recompile the app",
                            path, r->pattern ? r->pattern : "?");
    }
  }
  for (i = 0; i < t->nnot_found; i++) {
    if (t->not_found == NULL || t->not_found[i].route >= t->nroutes || t->not_found[i].prefix == NULL)
      return cz__table_fail(tab, err, errlen, UV_EINVAL,
                            "catzilla: route table %s has a malformed notFound entry; recompile the app",
                            path, "");
  }
  tab->t = t;
  return 0;
}

void cz_table_unload(cz_table_t* tab) {
  if (tab->dl != NULL)
    dlclose(tab->dl);
  tab->dl = NULL;
  tab->t = NULL;
}
