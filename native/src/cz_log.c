/*
 * cz_log.c: formatting a log line; the invariant-failure report of debug builds.
 */
#include "cz_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cz_log(const cz_log_t* log, const char* fmt, ...) {
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (log != NULL && log->fn != NULL)
    log->fn(log->data, msg);
  else
    fprintf(stderr, "catzilla: %s\n", msg);
}

#if CZ_CHECKS
void cz__assert_fail(const char* expr, const char* file, int line) {
  fprintf(stderr, "catzilla: invariant broken at %s:%d: %s\n", file, line, expr);
  abort();
}
#endif
