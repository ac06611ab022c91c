/*
 * limits.c: a Node-API addon for the exhaustion tests. It reads and sets this process's resource
 * limits (Node has no setrlimit), and makes chosen system calls fail in the calling thread only, to
 * stand in for a system-wide shortage (ENFILE) that a test must not cause for real on a shared
 * machine.
 *
 *   getrlimit(name) -> [soft, hard]       name: 'nofile' | 'nproc'; RLIM_INFINITY is -1
 *   setrlimit(name, soft, hard)           throws an Error with code and errno on failure
 *   refuseInThisThread(names, errno)      a seccomp filter on the calling thread: every call of the
 *                                         named system calls ('pipe2', 'socketpair', 'clone',
 *                                         'clone3', 'openat') fails with errno. It cannot be
 *                                         lifted: call it in a worker thread that ends afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define LIMITS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define LIMITS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define LIMITS_MAX_RULES 8

static napi_value limits_throw(napi_env env, const char *code, int err, const char *what) {
  napi_value msg, codev, errv, error;
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codev);
  napi_create_error(env, codev, msg, &error);
  napi_create_int32(env, -err, &errv);
  napi_set_named_property(env, error, "errno", errv);
  napi_throw(env, error);
  return NULL;
}

static int limits_resource(napi_env env, napi_value v) {
  char name[16] = "";
  napi_get_value_string_utf8(env, v, name, sizeof(name), NULL);
  if (strcmp(name, "nofile") == 0) return RLIMIT_NOFILE;
  if (strcmp(name, "nproc") == 0) return RLIMIT_NPROC;
  return -1;
}

static napi_value limits_number(napi_env env, rlim_t v) {
  napi_value out;
  napi_create_double(env, v == RLIM_INFINITY ? -1.0 : (double)v, &out);
  return out;
}

static napi_value limits_get(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  struct rlimit lim;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int res = limits_resource(env, argv[0]);
  if (res < 0) return limits_throw(env, "ERR_INVALID_ARG_VALUE", EINVAL, "unknown resource");
  if (getrlimit(res, &lim) < 0) return limits_throw(env, "EINVAL", errno, "getrlimit failed");
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, limits_number(env, lim.rlim_cur));
  napi_set_element(env, out, 1, limits_number(env, lim.rlim_max));
  return out;
}

static rlim_t limits_value(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d < 0 ? RLIM_INFINITY : (rlim_t)d;
}

static napi_value limits_set(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int res = limits_resource(env, argv[0]);
  if (res < 0) return limits_throw(env, "ERR_INVALID_ARG_VALUE", EINVAL, "unknown resource");
  struct rlimit lim = {limits_value(env, argv[1]), limits_value(env, argv[2])};
  if (setrlimit(res, &lim) < 0) {
    return limits_throw(env, errno == EPERM ? "EPERM" : "EINVAL", errno, "setrlimit failed");
  }
  return NULL;
}

static long limits_syscall_nr(const char *name) {
  if (strcmp(name, "pipe2") == 0) return SYS_pipe2;
  if (strcmp(name, "socketpair") == 0) return SYS_socketpair;
  if (strcmp(name, "clone") == 0) return SYS_clone;
  if (strcmp(name, "clone3") == 0) return SYS_clone3;
  if (strcmp(name, "openat") == 0) return SYS_openat;
  return -1;
}

static napi_value limits_refuse(napi_env env, napi_callback_info info) {
#ifdef LIMITS_AUDIT_ARCH
  size_t argc = 2;
  napi_value argv[2];
  uint32_t n = 0;
  int32_t err = 0;
  struct sock_filter prog[4 + 2 * LIMITS_MAX_RULES + 1];
  int k = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_array_length(env, argv[0], &n);
  napi_get_value_int32(env, argv[1], &err);
  if (n > LIMITS_MAX_RULES || err <= 0 || err > 4095) {
    return limits_throw(env, "ERR_INVALID_ARG_VALUE", EINVAL, "bad rules");
  }
  /* Another architecture's calls are allowed; the rest are judged by number. */
  prog[k++] =
      (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LIMITS_AUDIT_ARCH, 1, 0);
  prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[k++] =
      (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char name[16] = "";
    napi_get_element(env, argv[0], i, &v);
    napi_get_value_string_utf8(env, v, name, sizeof(name), NULL);
    long nr = limits_syscall_nr(name);
    if (nr < 0) return limits_throw(env, "ERR_INVALID_ARG_VALUE", EINVAL, "unknown system call");
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t)err);
  }
  prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog fprog = {(unsigned short)k, prog};
  /* Both apply to this thread alone: no SECCOMP_FILTER_FLAG_TSYNC. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
    return limits_throw(env, "EPERM", errno, "seccomp filter refused");
  }
  return NULL;
#else
  (void)info;
  return limits_throw(env, "ERR_NOT_SUPPORTED", ENOSYS, "no seccomp filter on this architecture");
#endif
}

static napi_value limits_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"getrlimit", NULL, limits_get, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setrlimit", NULL, limits_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"refuseInThisThread", NULL, limits_refuse, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, limits_init)
