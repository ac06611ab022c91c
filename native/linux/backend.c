/*
 * backend.c - the Linux pidfd backend's table.
 */
#include "linux.h"

const pp_backend pp_linux_backend = {
    .key = "linux",
    .probe = pp_linux_probe,
    .spawn = pp_linux_spawn,
    .watch = pp_linux_watch,
    .try_reap = pp_linux_try_reap,
    .reap = pp_linux_reap,
    .signal = pp_linux_signal,
    .release = pp_linux_release,
    .adopt = pp_linux_adopt,
};
