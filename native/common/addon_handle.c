/*
 * addon_handle.c - a child's life on the event loop: the watch (a poll on
 * its pidfd, or the environment's one SIGCHLD watcher), delivering its
 * exit to JavaScript, and what happens to it when its environment goes
 * away. The bindings on a handle (addon_calls.c) stop its watch here.
 */
#include "addon.h"

#include <stdlib.h>

/* pp_addon_poll_closed runs once the loop has closed a handle's poll: the pidfd goes then. */
void pp_addon_poll_closed(uv_handle_t *poll) {
  pp_handle *h = poll->data;
  h->poll_open = 0;
  h->child.backend->release(&h->child);
  if (!h->js_alive) free(h);
}

/* pp_addon_sigchld_ref has the SIGCHLD watcher keep the loop alive for a ref'd child, or not. */
void pp_addon_sigchld_ref(addon_env *ae, pp_handle *h, int on) {
  if (h->kind != PP_WATCH_SIGCHLD || h->refd == on) return;
  h->refd = on;
  ae->sigchld_refs += on ? 1 : -1;
  if (ae->sigchld_refs > 0)
    uv_ref((uv_handle_t *)&ae->sigchld);
  else
    uv_unref((uv_handle_t *)&ae->sigchld);
}

/* pp_addon_finish stops watching a child that was reaped (or lost): the loop lets go of it. */
void pp_addon_finish(pp_handle *h) {
  addon_env *ae = pp_addon_env_of(h->env);
  h->done = 1;
  if (!h->watching) return;
  h->watching = 0;
  if (h->prev != NULL)
    h->prev->next = h->next;
  else
    ae->live = h->next;
  if (h->next != NULL) h->next->prev = h->prev;
  h->prev = h->next = NULL;
  if (h->on_exit != NULL) napi_delete_reference(h->env, h->on_exit);
  h->on_exit = NULL;
  if (h->recheck && --ae->recheck_count == 0) uv_timer_stop(&ae->recheck);
  if (h->kind == PP_WATCH_FD) {
    /* uv_close stops the watch itself: a uv_poll_stop first made a second, failing epoll_ctl. */
    uv_close((uv_handle_t *)&h->poll, pp_addon_poll_closed);
  } else {
    pp_addon_sigchld_ref(ae, h, 0);
    h->child.backend->release(&h->child);
  }
}

/*
 * Takes a reaped (or lost) child off the loop and chains it for delivery;
 * its callback is fetched first, since finishing drops the reference.
 */
static void addon_collect(pp_handle *h, int r, const pp_status *st, pp_handle **chain) {
  h->collected = 1;
  h->result = r;
  h->st = *st;
  napi_get_reference_value(h->env, h->on_exit, &h->cb);
  pp_addon_finish(h);
  h->ready = *chain;
  *chain = h;
}

/* Runs the exit callbacks of a chain, in a handle scope the caller opened. */
static void addon_deliver(addon_env *ae, pp_handle *chain) {
  napi_env env = ae->env;
  napi_value recv;
  napi_get_global(env, &recv);
  for (pp_handle *h = chain, *next; h != NULL; h = next) {
    next = h->ready;
    h->ready = NULL;
    napi_value result = pp_addon_reap_result(env, h->result, &h->st);
    napi_value cb = h->cb;
    h->cb = NULL;
    if (napi_make_callback(env, ae->async, recv, cb, 1, &result, NULL) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
}

static void addon_on_poll(uv_poll_t *poll, int status, int events) {
  pp_handle *h = poll->data;
  addon_env *ae = pp_addon_env_of(h->env);
  napi_handle_scope scope;
  pp_handle *chain = NULL;
  pp_status st;
  (void)status;
  (void)events;
  int r = h->child.backend->try_reap(&h->child, &st);
  if (r == -EAGAIN) return;
  napi_open_handle_scope(ae->env, &scope);
  addon_collect(h, r, &st, &chain);
  addon_deliver(ae, chain);
  napi_close_handle_scope(ae->env, scope);
}

/* Tries every live child for which pick is true, and delivers those that are done. */
static void addon_try_all(addon_env *ae, int (*pick)(const pp_handle *h)) {
  napi_handle_scope scope;
  pp_handle *chain = NULL;
  napi_open_handle_scope(ae->env, &scope);
  for (pp_handle *h = ae->live, *next; h != NULL; h = next) {
    pp_status st;
    next = h->next;
    if (!pick(h)) continue;
    int r = h->child.backend->try_reap(&h->child, &st);
    if (r != -EAGAIN) addon_collect(h, r, &st, &chain);
  }
  addon_deliver(ae, chain);
  napi_close_handle_scope(ae->env, scope);
}

static int addon_watches_sigchld(const pp_handle *h) {
  return h->kind == PP_WATCH_SIGCHLD;
}

static int addon_rechecks(const pp_handle *h) {
  return h->recheck;
}

/* One SIGCHLD may stand for many exits: every child watched this way is tried. */
static void addon_on_sigchld(uv_signal_t *signal, int signum) {
  (void)signum;
  addon_try_all(signal->data, addon_watches_sigchld);
}

static void addon_on_recheck(uv_timer_t *timer) {
  addon_try_all(timer->data, addon_rechecks);
}

/* Runs the recheck timer, every second, while a child needs it; it never keeps the loop alive. */
static int addon_recheck_start(addon_env *ae) {
  uv_loop_t *loop = NULL;
  if (!ae->recheck_open) {
    if (napi_get_uv_event_loop(ae->env, &loop) != napi_ok) return -EINVAL;
    int r = uv_timer_init(loop, &ae->recheck);
    if (r < 0) return r;
    ae->recheck.data = ae;
    ae->recheck_open = 1;
    uv_unref((uv_handle_t *)&ae->recheck);
  }
  if (ae->recheck_count == 0) {
    int r = uv_timer_start(&ae->recheck, addon_on_recheck, 1000, 1000);
    if (r < 0) return r;
  }
  ae->recheck_count++;
  return 0;
}

/* Starts the environment's SIGCHLD watcher, once, before its first such child is spawned. */
static int addon_sigchld_start(addon_env *ae) {
  uv_loop_t *loop = NULL;
  if (ae->sigchld_open) return 0;
  if (napi_get_uv_event_loop(ae->env, &loop) != napi_ok) return -EINVAL;
  int r = uv_signal_init(loop, &ae->sigchld);
  if (r < 0) return r;
  ae->sigchld.data = ae;
  ae->sigchld_open = 1;
  r = uv_signal_start(&ae->sigchld, addon_on_sigchld, SIGCHLD);
  uv_unref((uv_handle_t *)&ae->sigchld);
  return r;
}

/* pp_addon_handle_collected is the finalizer of the JS external of a handle. */
void pp_addon_handle_collected(napi_env env, void *data, void *hint) {
  pp_handle *h = data;
  (void)env;
  (void)hint;
  h->js_alive = 0;
  if (h->poll_open) return;
  /* An unwatched (adopted) child that nobody released: let go of it now. */
  if (!h->done) h->child.backend->release(&h->child);
  free(h);
}

/* The environment's state goes once each of its loop handles has closed. */
static void addon_env_handle_closed(uv_handle_t *handle) {
  addon_env *ae = handle->data;
  if (--ae->closing == 0) free(ae);
}

/*
 * When a worker's environment goes away, its loop stops watching; children
 * still running move to the orphan reaper, so that none stays a zombie.
 */
void pp_addon_env_cleanup(void *arg) {
  addon_env *ae = arg;
  for (pp_handle *h = ae->live, *next; h != NULL; h = next) {
    next = h->next;
    h->prev = h->next = NULL;
    h->watching = 0;
    if (h->kind == PP_WATCH_FD) uv_poll_stop(&h->poll);
    pp_orphans_adopt(&h->child);
    if (h->kind == PP_WATCH_FD) uv_close((uv_handle_t *)&h->poll, pp_addon_poll_closed);
  }
  ae->live = NULL;
  pp_addon_readers_cleanup(ae);
  napi_async_destroy(ae->env, ae->async);
  ae->closing = ae->sigchld_open + ae->recheck_open;
  if (ae->sigchld_open) uv_close((uv_handle_t *)&ae->sigchld, addon_env_handle_closed);
  if (ae->recheck_open) uv_close((uv_handle_t *)&ae->recheck, addon_env_handle_closed);
  if (ae->closing == 0) free(ae);
}

/* Starts the loop's watch on a new child; -errno when the loop refuses. */
int pp_addon_watch(napi_env env, pp_handle *h, napi_value on_exit) {
  uv_loop_t *loop = NULL;
  addon_env *ae = pp_addon_env_of(env);
  int fd = -1;
  h->kind = h->child.backend->watch(&h->child, &fd);
  int recheck = h->kind == PP_WATCH_FD_RECHECK;
  if (recheck) h->kind = PP_WATCH_FD;
  if (h->kind == PP_WATCH_FD) {
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return -EINVAL;
    int r = uv_poll_init(loop, &h->poll, fd);
    if (r < 0) return r;
    h->poll.data = h;
    h->poll_open = 1;
    r = uv_poll_start(&h->poll, UV_READABLE, addon_on_poll);
    if (r < 0) return r;
  } else {
    int r = addon_sigchld_start(ae);
    if (r < 0) return r;
    pp_addon_sigchld_ref(ae, h, 1);
  }
  if (recheck) {
    int r = addon_recheck_start(ae);
    if (r < 0) return r;
    h->recheck = 1;
  }
  h->watching = 1;
  napi_create_reference(env, on_exit, 1, &h->on_exit);
  h->next = ae->live;
  if (ae->live != NULL) ae->live->prev = h;
  ae->live = h;
  return 0;
}

/* How the backend's children are watched; SIGCHLD's watcher must run before the first spawn. */
int pp_addon_prepare_watch(napi_env env, const pp_backend *backend) {
  pp_child none = {.pid = 0, .fd = -1, .backend = backend};
  int fd;
  if (backend->watch(&none, &fd) != PP_WATCH_SIGCHLD) return 0;
  return addon_sigchld_start(pp_addon_env_of(env));
}
