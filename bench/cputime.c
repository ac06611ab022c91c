/*
 * cputime.c: a child that tells what it has cost by the time it runs.
 *
 * Spawned in place of /bin/true (native.c --program, or spawnPrivate), it
 * appends one line to the file named by $CPUTIME_OUT: its CPU time since its
 * clone (CLOCK_THREAD_CPUTIME_ID, in ns) at the start of main, so the clone,
 * the child's steps before exec, the exec and the dynamic loader. Medians of
 * these lines compare one spawner with another child by child, steadier than
 * the children's total from getrusage. See bench/README.md, "Why the child
 * costs more under Node".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  const char *out = getenv("CPUTIME_OUT");
  if (out == NULL) return 2;
  char line[32];
  int len = snprintf(line, sizeof line, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
  int fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, (size_t)len) != len) return 1;
  return close(fd);
}
