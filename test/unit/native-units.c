/*
 * native-units.c - unit checks of the native code that need no Node, one
 * per subcommand; each prints one JSON line and exits 0 (1 on a usage or
 * setup error).
 *
 *   sigmask   the signal mask while the table lock is held
 *   released  whether pp_linux_wait_released waits until a slow reaper
 *             has released an exited child (POLLHUP)
 *   stacks    anonymous memory mapped after two rounds of threads that each
 *             spawn (direct and hidden) once and end
 *   copies A B  load two copies of the table code (shared objects A and B,
 *             as two copies of the addon carry it) privately: do they use
 *             one table, or say why not?
 *   locked-death MS  a hidden child's intermediate killed while it holds the
 *             lock kill() takes: does kill() answer within MS milliseconds?
 *   close-each  the fallback's file actions where the C library has no
 *             addclosefrom_np: does a child of posix_spawn still find an
 *             fd above its slots open, close-on-exec or not?
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native/common/table.h"
#include "../../native/fallback/spawn_sys.h"
#include "../../native/linux/linux.h"

/* Prints the SigBlk line of this thread while it holds the table lock. */
static int unit_sigmask(void) {
  pp_sigmask saved;
  char line[256], blocked[64] = "";
  pp_table_lock(&saved);
  FILE *f = fopen("/proc/thread-self/status", "r");
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "SigBlk:", 7) == 0) sscanf(line + 7, "%63s", blocked);
  }
  if (f != NULL) fclose(f);
  pp_table_unlock(&saved);
  printf("{\"sigBlk\":\"%s\"}\n", blocked);
  return 0;
}

static void *unit_slow_reaper(void *arg) {
  usleep(200 * 1000);
  waitpid((pid_t)(intptr_t)arg, NULL, 0);
  return NULL;
}

/* An exited child that another thread reaps 200 ms later: does the wait see it released? */
static int unit_released(void) {
  pthread_t t;
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return 1;
  siginfo_t info;
  waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
  pthread_create(&t, NULL, unit_slow_reaper, (void *)(intptr_t)pid);
  int r = pp_linux_wait_released(fd, 5000);
  pthread_join(t, NULL);
  close(fd);
  printf("{\"released\":%s}\n", r == 0 ? "true" : "false");
  return 0;
}

/* Kibibytes of anonymous mappings (no file, not the stack) in this process. */
static long unit_anonymous_kib(void) {
  char line[512];
  long total = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    unsigned long lo, hi, inode;
    char perms[8], dev[16], name[256] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %15s %lu %255s", &lo, &hi, perms, dev, &inode, name) < 5)
      continue;
    if (inode == 0 && name[0] == '\0') total += (long)((hi - lo) / 1024);
  }
  if (f != NULL) fclose(f);
  return total;
}

static void *unit_spawn_once(void *arg) {
  static const char *const candidates[] = {"/bin/true", NULL};
  static char *const argv[] = {"true", NULL};
  static char *const envp[] = {NULL};
  static const int fds[] = {0, 1, 2};
  (void)arg;
  for (int hidden = 0; hidden < 2; hidden++) {
    pp_spawn_req req = {.candidates = candidates,
                        .argv = argv,
                        .envp = envp,
                        .fds = fds,
                        .nfds = 3,
                        .flags = hidden ? PP_SPAWN_HIDDEN : 0,
                        .creds = {PP_UNCHANGED, PP_UNCHANGED, PP_UNCHANGED, NULL, PP_UNCHANGED, 0}};
    pp_child child = {.fd = -1, .aux_fd = -1};
    pp_spawn_error err;
    pp_status st;
    if (pp_linux_backend.spawn(&req, &child, &err) != 0) continue;
    pp_linux_backend.reap(&child, &st);
    pp_linux_backend.release(&child);
  }
  return NULL;
}

static long unit_round(int threads) {
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, unit_spawn_once, NULL);
    pthread_join(t, NULL);
  }
  return unit_anonymous_kib();
}

static int unit_stacks(void) {
  const char *reason;
  if (pp_backend_select("linux", &reason) == NULL) return 1;
  long first = unit_round(40), second = unit_round(40);
  printf("{\"threads\":40,\"firstKiB\":%ld,\"secondKiB\":%ld}\n", first, second);
  return 0;
}

/* Loads a copy privately, as Node loads an addon, and asks it for its table. */
static int unit_copy(const char *file, void **table, int *conflict) {
  void *lib = dlopen(file, RTLD_LAZY | RTLD_LOCAL);
  if (lib == NULL) return -1;
  void *(*get)(void) = (void *(*)(void))dlsym(lib, "table_copy_table");
  int (*conflict_of)(void) = (int (*)(void))dlsym(lib, "table_copy_conflict");
  if (get == NULL || conflict_of == NULL) return -1;
  *table = get();
  *conflict = conflict_of();
  return 0;
}

static int unit_copies(const char *a, const char *b) {
  void *ta, *tb;
  int ca, cb;
  if (unit_copy(a, &ta, &ca) < 0 || unit_copy(b, &tb, &cb) < 0) return 1;
  printf("{\"shared\":%s,\"conflictA\":%d,\"conflictB\":%d}\n", ta == tb ? "true" : "false", ca,
         cb);
  return 0;
}

typedef struct unit_kill {
  pp_child *child;
  int r;
  int done;
} unit_kill;

static void *unit_kill_thread(void *arg) {
  unit_kill *k = arg;
  k->r = pp_linux_backend.signal(k->child, SIGTERM, 0);
  __atomic_store_n(&k->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

/*
 * Traces the intermediate ipid from system call to system call until it holds the lock word, then
 * SIGKILLs it there and waits for its end without reaping it. 1 when it was held.
 */
static int unit_kill_holding(int ipid, const int *lock) {
  int st, held = 0;
  if (ptrace(PTRACE_INTERRUPT, ipid, 0, 0) != 0 || waitpid(ipid, &st, __WALL) != ipid) return 0;
  for (int i = 0; i < 10000 && !held; i++) {
    if (ptrace(PTRACE_SYSCALL, ipid, 0, 0) != 0 || waitpid(ipid, &st, __WALL) != ipid) break;
    held = __atomic_load_n(lock, __ATOMIC_ACQUIRE) != 0;
  }
  kill(ipid, SIGKILL);
  siginfo_t info;
  waitid(P_PID, (id_t)ipid, &info, WEXITED | WNOWAIT | __WALL);
  return held;
}

/*
 * A hidden child (cat, reading a pipe) whose intermediate is traced and, once the child has
 * exited, killed inside its report, with the lock held. Does kill() then answer within
 * timeout_ms, and what do kill() and the reap say?
 */
static int unit_locked_death(int timeout_ms) {
  static const char *const candidates[] = {"/bin/cat", NULL};
  static char *const argv[] = {"cat", NULL};
  static char *const envp[] = {NULL};
  const char *reason;
  int in[2];
  if (pp_backend_select("linux", &reason) == NULL || pipe2(in, O_CLOEXEC) != 0) return 1;
  int fds[] = {in[0], 1, 2};
  pp_spawn_req req = {.candidates = candidates,
                      .argv = argv,
                      .envp = envp,
                      .fds = fds,
                      .nfds = 3,
                      .flags = PP_SPAWN_HIDDEN,
                      .creds = {PP_UNCHANGED, PP_UNCHANGED, PP_UNCHANGED, NULL, PP_UNCHANGED, 0}};
  pp_child child = {.fd = -1, .aux_fd = -1};
  pp_spawn_error err;
  if (pp_linux_backend.spawn(&req, &child, &err) != 0) return 1;
  close(in[0]);
  int ipid = child.reap_pid;
  if (ptrace(PTRACE_SEIZE, ipid, 0, 0) != 0) return 1;
  /* The child reads the end of its input and exits once the intermediate is stopped. */
  close(in[1]);
  int held = unit_kill_holding(ipid, &((pp_linux_region *)child.priv)->hidden.lock);
  unit_kill k = {.child = &child};
  pthread_t t;
  pthread_create(&t, NULL, unit_kill_thread, &k);
  struct timespec tick = {0, 1000 * 1000};
  for (int ms = 0; ms < timeout_ms && !__atomic_load_n(&k.done, __ATOMIC_ACQUIRE); ms++)
    nanosleep(&tick, NULL);
  if (!__atomic_load_n(&k.done, __ATOMIC_ACQUIRE)) {
    printf("{\"held\":%s,\"returned\":false}\n", held ? "true" : "false");
    fflush(stdout);
    _exit(0);
  }
  pthread_join(t, NULL);
  pp_status st;
  int reaped = pp_linux_backend.reap(&child, &st);
  pp_linux_backend.release(&child);
  printf("{\"held\":%s,\"returned\":true,\"kill\":%d,\"reap\":%d}\n", held ? "true" : "false", k.r,
         reaped);
  return 0;
}

/* Whether a child spawned with pp_spawn_close_each_above(fa, 3) (or without, `each` 0) has fd `fd`.
 */
static int unit_child_has_fd(int each, int fd) {
  char script[64];
  snprintf(script, sizeof(script), "{ true <&%d; } 2>/dev/null", fd);
  char *argv[] = {"/bin/sh", "-c", script, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  pid_t pid = -1;
  int status = -1;
  if ((!each || pp_spawn_close_each_above(&fa, 3) == 0) &&
      posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
    waitpid(pid, &status, 0);
  }
  posix_spawn_file_actions_destroy(&fa);
  return status == 0;
}

/* Whether children keep an fd above the slots, with and without pp_spawn_close_each_above. */
static int unit_close_each(void) {
  int kept = dup2(open("/dev/null", O_RDONLY), 8);
  int cloexec = fcntl(kept, F_DUPFD_CLOEXEC, 9);
  if (kept != 8 || cloexec != 9) return 1;
  printf("{\"without\":{\"open\":%d,\"cloexec\":%d},\"with\":{\"open\":%d,\"cloexec\":%d}}\n",
         unit_child_has_fd(0, 8), unit_child_has_fd(0, 9), unit_child_has_fd(1, 8),
         unit_child_has_fd(1, 9));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 1;
  if (strcmp(argv[1], "sigmask") == 0) return unit_sigmask();
  if (strcmp(argv[1], "released") == 0) return unit_released();
  if (strcmp(argv[1], "stacks") == 0) return unit_stacks();
  if (strcmp(argv[1], "copies") == 0 && argc == 4) return unit_copies(argv[2], argv[3]);
  if (strcmp(argv[1], "locked-death") == 0 && argc == 3) return unit_locked_death(atoi(argv[2]));
  if (strcmp(argv[1], "close-each") == 0) return unit_close_each();
  return 1;
}
