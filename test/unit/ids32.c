/*
 * ids32.c - the child-side identity code as a 32-bit x86 build runs it.
 *
 * Built with -m32 by test/unit/ids32.test.ts: on i386 (and 32-bit ARM) the
 * plain setresuid, setresgid and setgroups numbers are the 16-bit calls,
 * which would take uid 131072 for 0. Forks, runs pp_linux_child as a spawn
 * would (uid 131072, gid 131073, groups [131074]), and the child execs
 * `id`, whose output goes to stdout. Needs root.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/linux/linux.h"

int main(void) {
  static const char *const candidates[] = {"/bin/sh", NULL};
  static char *const argv[] = {"sh", "-c", "id -u; id -g; id -G", NULL};
  static char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
  static const int fds[] = {0, 1, 2};
  static const unsigned groups[] = {131074};
  pp_spawn_req req = {.candidates = candidates,
                      .argv = argv,
                      .envp = envp,
                      .fds = fds,
                      .nfds = 3,
                      .creds = {131072, 131073, 1, groups, PP_UNCHANGED, 0}};
  pp_linux_ctx ctx = {.req = &req, .close_range = 1, .parent_pid = getpid()};
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) pp_linux_child(&ctx);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
