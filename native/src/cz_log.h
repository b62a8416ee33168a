/*
 * cz_log.h: the server's log line and its invariant checks, shared by every layer.
 */
#ifndef CZ_LOG_H
#define CZ_LOG_H

/* Where log lines go: fn(data, line) (one line, no newline), or stderr when fn is NULL. */
typedef struct cz_log_s {
  void (*fn)(void* data, const char* msg);
  void* data;
} cz_log_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void cz_log(const cz_log_t* log, const char* fmt, ...);

/* Invariants: checked in debug and sanitizer builds (CZ_DEBUG, node-gyp's Debug, ASan),
 * free in release builds, where the hot path runs. A failure names the file and line and
 * aborts, so a sanitizer run or the fuzzer reports it as a crash. */
#if defined(CZ_DEBUG) || defined(DEBUG) || defined(__SANITIZE_ADDRESS__)
#define CZ_CHECKS 1
void cz__assert_fail(const char* expr, const char* file, int line);
#define CZ_ASSERT(x) ((x) ? (void)0 : cz__assert_fail(#x, __FILE__, __LINE__))
#else
#define CZ_CHECKS 0
#define CZ_ASSERT(x) ((void)0)
#endif

#endif /* CZ_LOG_H */
