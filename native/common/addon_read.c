/*
 * addon_read.c - reading a child's output pipe on the event loop without a
 * Node stream: what runPrivate captures when nothing streams it.
 *
 * A reader polls one pipe and hands each chunk it reads to a JavaScript
 * callback (a Buffer), then null at the end of the pipe, or -errno when a
 * read fails; its second argument is true for a chunk that is also the
 * end. It can be paused, resumed and closed. The descriptor is its own
 * from readStart on, and is closed once the loop has stopped polling it.
 */
#include "addon.h"

/* The most a reader reads at once, as much as a Linux pipe holds by default. */
#define PP_READ_CHUNK 65536

/* Chains a reader into the environment's list of open ones, for its cleanup hook. */
static void reader_link(addon_env *ae, pp_reader *r) {
  r->prev = NULL;
  r->next = ae->readers;
  if (ae->readers != NULL) ae->readers->prev = r;
  ae->readers = r;
}

static void reader_unlink(addon_env *ae, pp_reader *r) {
  if (r->prev != NULL)
    r->prev->next = r->next;
  else if (ae->readers == r)
    ae->readers = r->next;
  if (r->next != NULL) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

/* The loop has let go of the poll: the descriptor goes now, the reader once JS has too. */
static void reader_poll_closed(uv_handle_t *poll) {
  pp_reader *r = poll->data;
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
  r->poll_open = 0;
  if (!r->js_alive) free(r);
}

/* Stops reading for good; no callback follows. */
static void reader_close(pp_reader *r) {
  if (r->closing) return;
  r->closing = 1;
  reader_unlink(pp_addon_env_of(r->env), r);
  if (r->cb != NULL) napi_delete_reference(r->env, r->cb);
  r->cb = NULL;
  /* uv_close stops the poll itself: a uv_poll_stop first would only repeat its epoll_ctl DEL. */
  uv_close((uv_handle_t *)&r->poll, reader_poll_closed);
}

/* Runs the reader's callback with a value and whether the pipe ended, in the environment's async
 * context. */
static void reader_deliver(pp_reader *r, napi_value cb, napi_value *argv) {
  addon_env *ae = pp_addon_env_of(r->env);
  napi_value recv;
  napi_get_global(r->env, &recv);
  if (napi_make_callback(r->env, ae->async, recv, cb, 2, argv, NULL) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(r->env, &err);
    napi_fatal_exception(r->env, err);
  }
}

/*
 * Reads what the pipe holds: its length, 0 at its end, or -errno. A short
 * read is followed by another, which finds the end of a pipe whose writer
 * has gone already (a short run's child has often exited by the time the
 * loop polls): then *ended is set, and chunk and end go to JS in one call.
 */
static ssize_t reader_read(pp_reader *r, char *buf, size_t size, int *ended) {
  ssize_t n = read(r->fd, buf, size);
  if (n < 0) return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
  if (n > 0 && (size_t)n < size) {
    ssize_t more = read(r->fd, buf + n, size - (size_t)n);
    if (more == 0) *ended = 1;
    if (more > 0) n += more; /* an error shows again at the next poll */
  }
  return n;
}

static void reader_on_poll(uv_poll_t *poll, int status, int events) {
  pp_reader *r = poll->data;
  char buf[PP_READ_CHUNK];
  napi_handle_scope scope;
  napi_value cb = NULL, argv[2] = {NULL, NULL};
  int ended = 0;
  ssize_t n = status < 0 ? status : 0;
  (void)events;
  if (status == 0) n = reader_read(r, buf, sizeof buf, &ended);
  if (status == 0 && n == -EAGAIN) return;
  napi_open_handle_scope(r->env, &scope);
  napi_get_reference_value(r->env, r->cb, &cb);
  if (n > 0)
    napi_create_buffer_copy(r->env, (size_t)n, buf, NULL, &argv[0]);
  else if (n == 0)
    napi_get_null(r->env, &argv[0]);
  else
    argv[0] = pp_addon_int(r->env, n);
  napi_get_boolean(r->env, ended != 0, &argv[1]);
  /* The end of the pipe or an error: the callback is the last one. */
  if (n <= 0 || ended) reader_close(r);
  if (cb != NULL && argv[0] != NULL) reader_deliver(r, cb, argv);
  napi_close_handle_scope(r->env, scope);
}

/* The external was collected: a reader JS forgot to close is closed now. */
static void reader_collected(napi_env env, void *data, void *hint) {
  pp_reader *r = data;
  (void)env;
  (void)hint;
  r->js_alive = 0;
  if (!r->closing) reader_close(r);
  if (!r->poll_open) free(r);
}

void pp_addon_readers_cleanup(addon_env *ae) {
  while (ae->readers != NULL) reader_close(ae->readers);
}

/*
 * readStart(fd, onRead) starts reading a pipe descriptor, which the reader
 * owns from then on; returns the reader, or -errno when the loop cannot
 * poll it (the descriptor is then still the caller's, left open).
 */
napi_value pp_addon_read_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  int32_t fd = -1;
  uv_loop_t *loop = NULL;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[0], &fd));
  PP_NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  pp_reader *r = calloc(1, sizeof(*r));
  /* uv_poll_init makes the descriptor non-blocking itself (FIONBIO). */
  int err = r == NULL ? -ENOMEM : uv_poll_init(loop, &r->poll, fd);
  if (err < 0) {
    free(r);
    return pp_addon_int(env, err);
  }
  r->env = env;
  r->fd = fd;
  r->poll.data = r;
  r->poll_open = 1;
  r->js_alive = 1;
  reader_link(pp_addon_env_of(env), r);
  PP_NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &r->cb));
  PP_NAPI_CALL(env, napi_create_external(env, r, reader_collected, NULL, &out));
  err = uv_poll_start(&r->poll, UV_READABLE, reader_on_poll);
  if (err < 0) {
    r->fd = -1; /* the caller's again */
    reader_close(r);
    return pp_addon_int(env, err);
  }
  return out;
}

/* readControl(reader, op): 0 pauses the reading, 1 resumes it, 2 closes the reader. */
napi_value pp_addon_read_control(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t op = 0;
  void *data = NULL;
  PP_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  PP_NAPI_CALL(env, napi_get_value_external(env, argv[0], &data));
  PP_NAPI_CALL(env, napi_get_value_int32(env, argv[1], &op));
  pp_reader *r = data;
  if (r == NULL || r->closing) return NULL;
  if (op == 0) uv_poll_stop(&r->poll);
  if (op == 1) uv_poll_start(&r->poll, UV_READABLE, reader_on_poll);
  if (op == 2) reader_close(r);
  return NULL;
}
