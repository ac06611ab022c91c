#!/bin/sh
# zig-cc.sh: a C compiler for the arm64 guest, zig's clang ($ZIG cc) targeting its C library (Debian
# 12: glibc 2.36). zig links glibc only dynamically, so a program linked with -static is built
# against musl instead. scripts/test-arm64.sh builds the C test helpers with it (as $CC).
case " $* " in
  *" -static "*) target=aarch64-linux-musl ;;
  *) target=aarch64-linux-gnu.2.36 ;;
esac
exec "${ZIG:?zig-cc.sh: ZIG names zig's binary}" cc -target "$target" "$@"
