/*
 * addon.h - what the files of the Node-API glue share: addon.c (the module
 * and its small bindings), addon_util.c (the helpers all of them use),
 * addon_handle.c (a child's life on the event loop), addon_calls.c (the
 * bindings on one handle) and addon_spawn.c (spawn and adopt). Only these
 * files call Node-API; the backends never do.
 *
 * A spawned child becomes a pp_handle: the backend's pp_child, the event
 * loop's watch on it, and the JavaScript callback to run when it has been
 * reaped. The JavaScript side holds the handle through an external; the
 * handle is freed once both the external is collected and the loop has
 * closed its watch, and the child's descriptor is closed only after the
 * loop has stopped polling it.
 */
#ifndef PP_ADDON_H
#define PP_ADDON_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "backend.h"
#include "host_wait.h"
#include "orphans.h"
#include "slots.h"
#include "table.h"

#define PP_MAX_SLOTS 1024
#define PP_MAX_GROUPS 65536

/* A flag of the JS side only: pass this process's environ on, unchanged. */
#define PP_SPAWN_INHERIT_ENV 0x100

extern char **environ;

/* Calls a Node-API function; on failure throws and returns NULL. */
#define PP_NAPI_CALL(env, call)                        \
  do {                                                 \
    napi_status pp_status_ = (call);                   \
    if (pp_status_ != napi_ok) {                       \
      pp_addon_throw_status((env), pp_status_, #call); \
      return NULL;                                     \
    }                                                  \
  } while (0)

typedef struct pp_handle {
  pp_child child;
  napi_env env;
  uv_poll_t poll;
  napi_ref on_exit;
  int kind;      /* how the loop watches it: PP_WATCH_FD or PP_WATCH_SIGCHLD */
  int watching;  /* in the live list, and watched by the loop */
  int poll_open; /* the poll handle exists and its close callback has not run */
  int done;      /* reaped, or its status is lost */
  int js_alive;  /* the external has not been collected */
  int refd;      /* keeps the loop alive (PP_WATCH_SIGCHLD: counted in sigchld_refs) */
  int recheck;   /* also tried on the environment's recheck timer (PP_WATCH_FD_RECHECK) */
  int collected; /* result and st hold the reap, delivered or about to be */
  int result;    /* what the last reap said, and its status, for delivery */
  pp_status st;
  napi_value cb; /* the exit callback while a delivery is under way */
  struct pp_handle *prev, *next, *ready;
} pp_handle;

/* A reader of one output pipe (addon_read.c), freed once the loop and JS have both let go. */
typedef struct pp_reader {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;   /* the read callback, until the reader closes */
  int fd;        /* the pipe, closed with the poll */
  int closing;   /* closed: no callback follows */
  int poll_open; /* the poll handle's close callback has not run */
  int js_alive;  /* the external has not been collected */
  struct pp_reader *prev, *next;
} pp_reader;

/*
 * Per-environment state: the handles still watched, for SIGCHLD and the
 * cleanup hook; the one SIGCHLD watcher (libuv lets several share the
 * signal) that the fallback backend's children need; the timer that
 * re-tries the children whose descriptor may miss their exit; and the one
 * async context every exit callback runs in.
 */
typedef struct addon_env {
  napi_env env;
  pp_handle *live;
  pp_reader *readers; /* the open readers, closed by the cleanup hook */
  napi_async_context async;
  uv_signal_t sigchld;
  int sigchld_open;
  int sigchld_refs;
  uv_timer_t recheck;
  int recheck_open;
  int recheck_count;
  int closing; /* loop handles still closing when the environment ends */
} addon_env;

/* addon_util.c */

/* pp_addon_throw_status throws the error of a failed Node-API call, unless one is pending. */
void pp_addon_throw_status(napi_env env, napi_status status, const char *call);

/* pp_addon_int makes a JS number. */
napi_value pp_addon_int(napi_env env, int64_t v);

/* pp_addon_reap_result is a reap as JS sees it: a status array, null (running), or -errno. */
napi_value pp_addon_reap_result(napi_env env, int r, const pp_status *st);

/* pp_addon_env_of returns the environment's state. */
addon_env *pp_addon_env_of(napi_env env);

/* pp_addon_get_handle reads a handle from its JS external, or throws. */
pp_handle *pp_addon_get_handle(napi_env env, napi_value v);

/* addon_handle.c */

/* pp_addon_poll_closed runs once the loop has closed a handle's poll: the pidfd goes then. */
void pp_addon_poll_closed(uv_handle_t *poll);

/* pp_addon_handle_collected is the finalizer of the JS external of a handle. */
void pp_addon_handle_collected(napi_env env, void *data, void *hint);

/* pp_addon_env_cleanup hands an ending environment's children to the orphan reaper. */
void pp_addon_env_cleanup(void *arg);

/* pp_addon_watch starts the loop's watch on a new child; -errno when the loop refuses. */
int pp_addon_watch(napi_env env, pp_handle *h, napi_value on_exit);

/* pp_addon_prepare_watch starts the SIGCHLD watcher before a backend that needs it spawns. */
int pp_addon_prepare_watch(napi_env env, const pp_backend *backend);

/* pp_addon_finish stops watching a child that was reaped (or lost): the loop lets go of it. */
void pp_addon_finish(pp_handle *h);

/* pp_addon_sigchld_ref has the SIGCHLD watcher keep the loop alive for a ref'd child, or not. */
void pp_addon_sigchld_ref(addon_env *ae, pp_handle *h, int on);

/* addon_calls.c */

/* pp_addon_release is the binding release(handle). */
napi_value pp_addon_release(napi_env env, napi_callback_info info);

/* pp_addon_try_reap is the binding tryReap(handle). */
napi_value pp_addon_try_reap(napi_env env, napi_callback_info info);

/* pp_addon_reap is the binding reap(handle). */
napi_value pp_addon_reap(napi_env env, napi_callback_info info);

/* pp_addon_signal is the binding signal(handle, signo). */
napi_value pp_addon_signal(napi_env env, napi_callback_info info);

/* pp_addon_ref is the binding ref(handle, on). */
napi_value pp_addon_ref(napi_env env, napi_callback_info info);

/* addon_privs.c and addon_spawn.c */

/* pp_addon_privs reads the privs array of spawn(...) into *p: 0, 1 when there is none, or -EINVAL.
 */
int pp_addon_privs(napi_env env, napi_value arr, pp_privs *p);

/* pp_addon_spawn is the binding spawn(...). */
napi_value pp_addon_spawn(napi_env env, napi_callback_info info);

/* pp_addon_adopt is the binding adopt(...). */
napi_value pp_addon_adopt(napi_env env, napi_callback_info info);

/* pp_addon_read_start is the binding readStart(fd, onRead) (addon_read.c). */
napi_value pp_addon_read_start(napi_env env, napi_callback_info info);

/* pp_addon_read_control is the binding readControl(reader, op). */
napi_value pp_addon_read_control(napi_env env, napi_callback_info info);

/* pp_addon_readers_cleanup closes an ending environment's open readers. */
void pp_addon_readers_cleanup(addon_env *ae);

/* pp_addon_pump_sync is the binding pumpSync(...) of runPrivateSync (addon_sync.c). */
napi_value pp_addon_pump_sync(napi_env env, napi_callback_info info);

#endif
