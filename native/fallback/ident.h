/*
 * ident.h - knowing a child by more than its pid, where the system allows.
 *
 * Without a process descriptor a pid is the only name of a child, and a
 * wait that bypasses the table (foreign native code calling the C
 * library's waitpid directly) can reap it and let the kernel give the pid
 * to another process. An identity taken while the child is certainly ours
 * (at spawn, under the table lock) tells afterwards whether the pid still
 * names that child.
 */
#ifndef PP_FALLBACK_IDENT_H
#define PP_FALLBACK_IDENT_H

/*
 * pp_fallback_ident_open takes the identity of the process pid: a
 * descriptor, or -1 where the system offers none.
 */
int pp_fallback_ident_open(int pid);

/*
 * pp_fallback_ident_alive is 1 while the process the identity was taken
 * from has not been reaped (it may be a zombie), 0 once it has (whatever
 * process has its pid now).
 */
int pp_fallback_ident_alive(int ident);

#endif
