#!/bin/sh
# memboss: the deps step (`make deps`, run by `make demo`; `make deps-test`, run by `make check`;
# `make deps-bench`, run by `make bench` and `make bench-quick`).
#
# Checks for the Debian packages memboss needs to build and test. When some are missing:
# as root it installs them with apt-get; otherwise it prints the apt-get line and fails.
# clang is not required to build (only for `make CC=clang`); `deps.sh fuzz` (make fuzz)
# also wants clang and its fuzzer and sanitizer runtimes (libclang-rt-14-dev, Debian 12).

# package:command (the command stands in for the package where dpkg does not know it).
# A command of "-": only dpkg can tell (a library package).
# `deps.sh` alone: what building and the demo need; `deps.sh test`: also what the tests run
# (node and npm install ajv for tests/formats/, chromium loads the HTML output);
# `deps.sh bench`: the benchmark's peers (jemalloc, tcmalloc, mimalloc), its checkers
# (Valgrind, clang for the ASan build) and its real programs.
NEEDED="nasm:nasm gcc:gcc make:make binutils:ld libc6-dev: libdw-dev: libcapstone-dev:"
[ "${1:-}" = test ] && NEEDED="$NEEDED git:git python3:python3 sqlite3:sqlite3 valgrind:valgrind \
    python3.11:python3.11 libpython3.11-testsuite: perl:perl ruby:ruby \
    nodejs:node npm:npm chromium:chromium"
[ "${1:-}" = fuzz ] && NEEDED="$NEEDED clang:clang libclang-rt-14-dev:"
[ "${1:-}" = bench ] && NEEDED="$NEEDED libjemalloc2:- libtcmalloc-minimal4:- libmimalloc2.0:- \
valgrind:valgrind clang:clang python3.11:python3.11 sqlite3:sqlite3 z3:z3 ruby:ruby perl:perl"

installed() { # package command
    if command -v dpkg-query >/dev/null 2>&1 &&
        [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; then
        return 0
    fi
    if [ "$2" = - ]; then
        return 1
    elif [ -n "$2" ]; then
        command -v "$2" >/dev/null 2>&1
    elif [ "$1" = libdw-dev ]; then
        # elfutils: the command's source lines
        [ -f /usr/include/elfutils/libdw.h ] && [ -f /usr/include/elfutils/libdwfl.h ]
    elif [ "$1" = libcapstone-dev ]; then
        # the command's disassembler
        [ -f /usr/include/capstone/capstone.h ]
    elif [ "$1" = libclang-rt-14-dev ]; then
        # clang's libFuzzer runtime
        clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null | grep -q /
    elif [ "$1" = libpython3.11-testsuite ]; then
        # CPython's regression tests, for `make check-real`
        [ -d /usr/lib/python3.11/test/libregrtest ] && [ -f /usr/lib/python3.11/test/test_dict.py ]
    else
        # libc6-dev: the C library headers and the linker's crt files
        [ -f /usr/include/stdio.h ] && [ -f /usr/include/malloc.h ]
    fi
}

missing=
for entry in $NEEDED; do
    pkg=${entry%%:*}
    cmd=${entry#*:}
    installed "$pkg" "$cmd" || missing="$missing $pkg"
done
missing=${missing# }

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "memboss: installing $missing"
    apt-get update || exit 1
    # shellcheck disable=SC2086 # the list is meant to split
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing || exit 1
    exit 0
fi

echo "memboss needs these Debian packages: $missing"
echo "sudo apt-get install -y $missing"
exit 1
