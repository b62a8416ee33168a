/*
 * cz_table.h: loading an app's generated route table (routes.so) with dlopen().
 */
#ifndef CZ_TABLE_H
#define CZ_TABLE_H

#include <stddef.h>

#include "catzilla_routes.h"

typedef struct cz_table_s {
  void* dl;
  const cz_route_table_t* t;
} cz_table_t;

/* Loads and checks the table: ABI version, fingerprint, routes, const responses.
 * 0, or a negative error with a sentence in err. */
int cz_table_load(cz_table_t* tab, const char* path, const char* fingerprint, char* err,
                  size_t errlen);
void cz_table_unload(cz_table_t* tab);

#endif /* CZ_TABLE_H */
