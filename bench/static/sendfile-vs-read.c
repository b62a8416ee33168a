/*
 * sendfile-vs-read.c: what it costs the sending thread to put one file on a loopback TCP
 * socket, per file, with the two ways cz_static.c could send a body:
 *   read   open, fstat, pread into a 128 KiB buffer, write it (cz_static.c's way: the bytes
 *          go through the connection's outgoing queue), close
 *   sendfile  open, fstat, sendfile() straight from the page cache to the socket, close
 * A reader thread drains the socket. The sender's CPU time (CLOCK_THREAD_CPUTIME_ID) per
 * file is printed for each size, for each way, medians of 5 runs.
 *
 *   cc -O2 -pthread -o bench/.tmp/sendfile-vs-read bench/static/sendfile-vs-read.c
 *   taskset -c 0 bench/.tmp/sendfile-vs-read <dir>   (dir holding 4k.bin and 1m.bin)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)

static void* drain(void* arg) {
  int fd = *(int*)arg;
  static char buf[1 << 20];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
  return NULL;
}

static double thread_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void send_file(int sock, const char* path, int use_sendfile) {
  static char buf[CHUNK];
  struct stat sb;
  off_t off = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &sb) != 0)
    exit(1);
  while (off < sb.st_size) {
    if (use_sendfile) {
      ssize_t n = sendfile(sock, fd, &off, (size_t)(sb.st_size - off));
      if (n <= 0)
        exit(2);
    } else {
      size_t want = sb.st_size - off > CHUNK ? CHUNK : (size_t)(sb.st_size - off);
      ssize_t n = pread(fd, buf, want, off);
      if (n <= 0)
        exit(3);
      for (ssize_t w = 0; w < n;) {
        ssize_t k = write(sock, buf + w, (size_t)(n - w));
        if (k <= 0)
          exit(4);
        w += k;
      }
      off += n;
    }
  }
  close(fd);
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "bench/.tmp/static/www";
  const char* names[2] = {"4k.bin", "1m.bin"};
  int iters[2] = {20000, 400};
  struct sockaddr_in a;
  socklen_t al = sizeof(a);
  int one = 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int cs = socket(AF_INET, SOCK_STREAM, 0);
  int ss;
  pthread_t t;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&a, sizeof(a)) != 0 || listen(ls, 1) != 0 || getsockname(ls, (struct sockaddr*)&a, &al) != 0 ||
      connect(cs, (struct sockaddr*)&a, sizeof(a)) != 0 || (ss = accept(ls, NULL, NULL)) < 0)
    return 1;
  setsockopt(ss, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  pthread_create(&t, NULL, drain, &cs);
  printf("| file | read+write µs/file | sendfile µs/file | sendfile / read |\n| --- | ---: | ---: | ---: |\n");
  for (int f = 0; f < 2; f++) {
    char path[4096];
    double med[2];
    snprintf(path, sizeof(path), "%s/%s", dir, names[f]);
    for (int way = 0; way < 2; way++) {
      double runs[5];
      for (int r = 0; r < 5; r++) {
        double t0 = thread_us();
        for (int i = 0; i < iters[f]; i++)
          send_file(ss, path, way);
        runs[r] = (thread_us() - t0) / iters[f];
      }
      qsort(runs, 5, sizeof(double), cmp);
      med[way] = runs[2];
    }
    printf("| %s | %.1f | %.1f | %.2fx |\n", names[f], med[0], med[1], med[1] / med[0]);
  }
  shutdown(ss, SHUT_WR);
  pthread_join(t, NULL);
  return 0;
}
