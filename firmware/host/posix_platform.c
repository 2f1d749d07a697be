#define _GNU_SOURCE /* getrandom */
#include "posix_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vigil/error.h"

/* Before this instant (2020-01-01) the clock has not been set: docs/protocol.md §8 forbids
 * stamping readings with it. */
#define CLOCK_SET_AFTER_MS 1577836800000ull

static int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  int rc;
  if (fd < 0) return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

int posix_store_open(posix_store_t *s, const char *dir, uint32_t region_size) {
  char path[4200];
  struct stat st;
  memset(s, 0, sizeof(*s));
  s->region_fd = -1;
  if (strlen(dir) >= sizeof(s->dir)) return -1;
  strcpy(s->dir, dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "%s: %s\n", dir, strerror(errno));
    return -1;
  }
  snprintf(path, sizeof(path), "%s/outbox.ring", dir);
  s->region_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->region_fd < 0 || fstat(s->region_fd, &st) != 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  /* a new file is extended (sparse, reads as zeros: a blank ring); an existing one keeps its
   * size, and the core refuses a ring of another geometry instead of misreading it */
  if (st.st_size == 0 && (ftruncate(s->region_fd, region_size) != 0 || fsync(s->region_fd) != 0 ||
                          fsync_dir(dir) != 0)) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  s->region_size = st.st_size == 0 ? region_size : (uint32_t)st.st_size;
  return 0;
}

void posix_store_close(posix_store_t *s) {
  if (s->region_fd >= 0) close(s->region_fd);
  s->region_fd = -1;
}

int posix_random(void *ctx, uint8_t *buf, size_t len) {
  (void)ctx;
  while (len > 0) {
    ssize_t n = getrandom(buf, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return VIGIL_E_RNG;
    }
    buf += n;
    len -= (size_t)n;
  }
  return VIGIL_OK;
}

int posix_now_ms(void *ctx, uint64_t *ms) {
  struct timespec ts;
  (void)ctx;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return VIGIL_E_NOTIME;
  *ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  return *ms < CLOCK_SET_AFTER_MS ? VIGIL_E_NOTIME : VIGIL_OK;
}

uint64_t posix_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int kv_path(const posix_store_t *s, const char *key, const char *suffix, char *out, size_t cap) {
  size_t i;
  /* keys are the core's own short names; refuse anything that could leave the directory */
  for (i = 0; key[i]; i++) {
    char c = key[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return -1;
  }
  if (i == 0 || i > 15) return -1;
  return snprintf(out, cap, "%s/%s%s", s->dir, key, suffix) < (int)cap ? 0 : -1;
}

int posix_kv_get(void *ctx, const char *key, uint8_t *buf, size_t cap, size_t *len) {
  posix_store_t *s = ctx;
  char path[4200];
  size_t got = 0;
  int fd;
  if (kv_path(s, key, ".kv", path, sizeof(path)) != 0) return VIGIL_E_ARG;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_STORAGE;
  for (;;) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return VIGIL_E_STORAGE;
    }
    if (n == 0) break;
    got += (size_t)n;
    if (got == cap) {
      char extra;
      ssize_t more = read(fd, &extra, 1);
      close(fd);
      return more == 0 ? (*len = got, VIGIL_OK) : VIGIL_E_NOSPACE;
    }
  }
  close(fd);
  *len = got;
  return VIGIL_OK;
}

int posix_kv_put(void *ctx, const char *key, const uint8_t *data, size_t len) {
  posix_store_t *s = ctx;
  char path[4200], tmp[4200];
  size_t done = 0;
  int fd;
  if (kv_path(s, key, ".kv", path, sizeof(path)) != 0 || kv_path(s, key, ".kv.tmp", tmp, sizeof(tmp)) != 0)
    return VIGIL_E_ARG;
  /* write-then-rename: a crash leaves either the old or the new record, never a mix */
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return VIGIL_E_STORAGE;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      unlink(tmp);
      return VIGIL_E_STORAGE;
    }
    done += (size_t)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0 || fsync_dir(s->dir) != 0) {
    unlink(tmp);
    return VIGIL_E_STORAGE;
  }
  return VIGIL_OK;
}

int posix_kv_del(void *ctx, const char *key) {
  posix_store_t *s = ctx;
  char path[4200];
  if (kv_path(s, key, ".kv", path, sizeof(path)) != 0) return VIGIL_E_ARG;
  if (unlink(path) != 0) return errno == ENOENT ? VIGIL_E_NOTFOUND : VIGIL_E_STORAGE;
  return fsync_dir(s->dir) == 0 ? VIGIL_OK : VIGIL_E_STORAGE;
}

int posix_region_read(void *ctx, uint32_t off, uint8_t *buf, size_t len) {
  posix_store_t *s = ctx;
  size_t done = 0;
  if ((uint64_t)off + len > s->region_size) return VIGIL_E_ARG;
  while (done < len) {
    ssize_t n = pread(s->region_fd, buf + done, len - done, (off_t)off + (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return VIGIL_E_STORAGE;
    if (n == 0) {
      memset(buf + done, 0, len - done); /* beyond the end of a sparse file: zeros */
      break;
    }
    done += (size_t)n;
  }
  return VIGIL_OK;
}

int posix_region_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len) {
  posix_store_t *s = ctx;
  size_t done = 0;
  if ((uint64_t)off + len > s->region_size) return VIGIL_E_ARG;
  while (done < len) {
    ssize_t n = pwrite(s->region_fd, buf + done, len - done, (off_t)off + (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return VIGIL_E_STORAGE;
    done += (size_t)n;
  }
  return VIGIL_OK;
}

int posix_region_sync(void *ctx) {
  posix_store_t *s = ctx;
  return fdatasync(s->region_fd) == 0 ? VIGIL_OK : VIGIL_E_STORAGE;
}
