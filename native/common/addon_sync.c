/*
 * addon_sync.c - the binding runPrivateSync drives its child with: one
 * poll(2) over the child's stdin, stdout and stderr pipes (and its pidfd,
 * where the backend has one), then one write or read on each pipe that is
 * ready. Every pipe is made non-blocking first, so that a child that fills
 * stderr while we write its stdin can never deadlock the two of us; the
 * loop around it (maxBuffer, timeout, when to reap) is in lib/run-sync.ts.
 */
#include "addon.h"

#include <fcntl.h>
#include <poll.h>

#define PP_SYNC_CHUNK 65536

/* What pumpSync's flags say, as lib/run-sync.ts reads them. */
#define PP_SYNC_STDOUT_EOF 0x1
#define PP_SYNC_STDERR_EOF 0x2
#define PP_SYNC_CHILD 0x4 /* the child may have exited: try to reap it */

/* Without a pidfd to poll, how often an exit is looked for, in milliseconds. */
#define PP_SYNC_CHILD_POLL_MS 10

static int sync_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  return 0;
}

/* Reads one chunk: a Buffer, null when there was nothing, -errno; *eof set at the end. */
static napi_value sync_read(napi_env env, int fd, int *eof) {
  char buf[PP_SYNC_CHUNK];
  napi_value out = NULL;
  ssize_t n;
  do {
    n = read(fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  if (n == 0) *eof = 1;
  if (n < 0 && errno != EAGAIN) return pp_addon_int(env, -errno);
  if (n <= 0) {
    napi_get_null(env, &out);
    return out;
  }
  PP_NAPI_CALL(env, napi_create_buffer_copy(env, (size_t)n, buf, NULL, &out));
  return out;
}

/* Writes what the pipe takes of data[off..len): the count, or -errno (-EPIPE once the child closed
 * it). */
static int64_t sync_write(int fd, const char *data, size_t len, size_t off) {
  ssize_t n;
  if (off >= len) return 0;
  do {
    n = write(fd, data + off, len - off);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  return n;
}

/*
 * pumpSync(handle, [stdin, stdout, stderr], input, offset, timeoutMs,
 * watchChild) waits up to timeoutMs (-1: no limit) for one of the pipes
 * (-1: none) to be ready, or, with watchChild, for the child to exit, then
 * returns [written, stdout, stderr, flags]: the bytes of input written from
 * offset (or -errno; also when poll itself fails), what was read from each
 * (a Buffer, null, or -errno) and PP_SYNC_* flags.
 */
napi_value pp_addon_pump_sync(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], fdv, out;
  int32_t fds[3] = {-1, -1, -1}, timeout = -1;
  int64_t offset = 0, written = 0;
  bool watch_child = false;
  char *data = NULL;
  size_t len = 0;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pp_handle *h = pp_addon_get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  for (uint32_t i = 0; i < 3; i++) {
    PP_NAPI_CALL(env, napi_get_element(env, argv[1], i, &fdv));
    PP_NAPI_CALL(env, napi_get_value_int32(env, fdv, &fds[i]));
    if (fds[i] >= 0 && sync_nonblock(fds[i]) < 0) fds[i] = -1;
  }
  bool is_buffer = false;
  PP_NAPI_CALL(env, napi_is_buffer(env, argv[2], &is_buffer));
  if (is_buffer) PP_NAPI_CALL(env, napi_get_buffer_info(env, argv[2], (void **)&data, &len));
  PP_NAPI_CALL(env, napi_get_value_int64(env, argv[3], &offset));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[4], &timeout));
  PP_NAPI_CALL(env, napi_get_value_bool(env, argv[5], &watch_child));

  struct pollfd p[4];
  int child_fd = -1;
  if (watch_child && !h->done && h->child.backend->watch(&h->child, &child_fd) != PP_WATCH_FD) {
    child_fd = -1;
    if (timeout < 0 || timeout > PP_SYNC_CHILD_POLL_MS) timeout = PP_SYNC_CHILD_POLL_MS;
  }
  p[0] = (struct pollfd){.fd = data != NULL ? fds[0] : -1, .events = POLLOUT};
  p[1] = (struct pollfd){.fd = fds[1], .events = POLLIN};
  p[2] = (struct pollfd){.fd = fds[2], .events = POLLIN};
  p[3] = (struct pollfd){.fd = watch_child && !h->done ? child_fd : -1, .events = POLLIN};
  int r = poll(p, 4, timeout);
  int flags = watch_child && child_fd < 0 ? PP_SYNC_CHILD : 0;
  napi_value results[3];
  PP_NAPI_CALL(env, napi_get_null(env, &results[1]));
  results[2] = results[1];
  if (r > 0) {
    if (p[0].revents != 0) written = sync_write(fds[0], data, len, (size_t)offset);
    for (int i = 1; i <= 2; i++) {
      int eof = 0;
      if (p[i].revents == 0) continue;
      results[i] = sync_read(env, fds[i], &eof);
      if (results[i] == NULL) return NULL;
      if (eof) flags |= i == 1 ? PP_SYNC_STDOUT_EOF : PP_SYNC_STDERR_EOF;
    }
    if (p[3].revents != 0) flags |= PP_SYNC_CHILD;
  } else if (r < 0 && errno != EINTR) {
    written = -errno;
  }
  results[0] = pp_addon_int(env, written);
  PP_NAPI_CALL(env, napi_create_array_with_length(env, 4, &out));
  for (uint32_t i = 0; i < 3; i++) PP_NAPI_CALL(env, napi_set_element(env, out, i, results[i]));
  PP_NAPI_CALL(env, napi_set_element(env, out, 3, pp_addon_int(env, flags)));
  return out;
}
