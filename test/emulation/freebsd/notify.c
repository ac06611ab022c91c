/*
 * notify.c - the fallback backend's kqueue exit watch (macOS, FreeBSD), its
 * real source, built on Linux against the emulation's EVFILT_PROC.
 */
#define _GNU_SOURCE
#include "emulation.h"

#include "../../../native/fallback/notify_kqueue.c"
