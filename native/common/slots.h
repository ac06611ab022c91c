/*
 * slots.h - the descriptors a spawn gives its child's stdio slots.
 */
#ifndef PP_SLOTS_H
#define PP_SLOTS_H

/* The stdio kinds a spawn request gives per child slot, besides fd numbers. */
#define PP_STDIO_PIPE (-1)
#define PP_STDIO_IGNORE (-2)
#define PP_STDIO_NONE (-3)
/* A socket pair at any fd, 0-2 too: the IPC channel, which is read and written both ways. */
#define PP_STDIO_SOCKET (-4)

/*
 * pp_stdio_open makes the descriptors for n slots: child_fds[i] for the
 * child, parent_fds[i] for the parent's end of a pipe (else -1). A
 * PP_STDIO_PIPE is a one-way pipe on fds 0-2 and a socket pair above; a
 * PP_STDIO_SOCKET is a socket pair wherever it is. A PP_STDIO_IGNORE is the
 * process's one shared /dev/null descriptor, never closed. Returns 0 or
 * -errno with everything it opened closed again.
 */
int pp_stdio_open(const int *spec, int n, int *child_fds, int *parent_fds);

/* pp_stdio_close_child closes the child's ends once the child has them (not /dev/null). */
void pp_stdio_close_child(const int *spec, int n, const int *child_fds);

/* pp_stdio_close_parent closes the parent's ends after a failed spawn. */
void pp_stdio_close_parent(int n, int *parent_fds);

/*
 * pp_fd_make_blocking clears O_NONBLOCK on fd, as libuv does for every
 * child it starts: programs expect blocking stdio. The flag belongs to the
 * open file description, so every holder of it (the parent too) sees the
 * change. Two fcntl calls, async-signal-safe; 0 or -errno.
 */
int pp_fd_make_blocking(int fd);

#endif
