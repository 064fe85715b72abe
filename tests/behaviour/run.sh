#!/usr/bin/env bash
# Behaviour tests: small programs, one mistake each, with the report they must produce written
# inside them. Usage:
#
#   tests/behaviour/run.sh [--summary] [--keep] BUILDDIR [TEST...]
#
# BUILDDIR holds memboss and libmemboss.so. TEST names a file of this directory (uaf_read.asm,
# double_free.c) or a shell pattern ('uaf_*'); default: every .asm, .c and .cc file here
# (.cc: C++, built with g++).
# Each program is built into BUILDDIR/behaviour/ and run as
#
#   BUILDDIR/memboss run RUN-ARGS -- PROGRAM   < /dev/null   (60 s timeout)
#
# Directives, in comments starting with `;` (NASM) or `//` (C):
#   EXPECT: text         text must be a substring of some line of the program's stderr
#   EXPECT-ANY: a || b   at least one of the alternatives must appear (same rule)
#   EXPECT-NOT: text     text must appear nowhere in stderr or stdout
#   EXPECT-STATUS: N     the exit status of `memboss run` (several allowed: `1 139`)
#   RUN-ARGS: options    memboss options placed before the program
#   LINK: static         link BUILDDIR/libmemboss.a into the program and run it directly
#                        with MEMBOSS_OPTIONS=mode=check:leak_check=2 (no memboss run)
#   LINK: static-all     the same, with the C library linked in too (gcc -static)
#   LINK: ld             (NASM) link with ld alone, no C library: what memboss run refuses
#   CFLAGS: flags        (C, C++) compiler flags after the defaults (-g -O0 -fno-omit-frame-pointer)
#   SHARED: lib/file.c   (C) build lib/file.c of this directory as libfile.so next to the program,
#                        which finds it by \$ORIGIN (for programs that dlopen it)
# A program with no EXPECT/EXPECT-ANY and no EXPECT-STATUS must print no line containing
# `memboss:` and exit 0.
#
# Output: one line per test, `PASS name` or `FAIL name: reasons` followed by the captured output,
# indented. The last line is `behaviour N M` (N passed, M failed) so that tests/run.sh can sum
# it; with --summary it is `N passed, M failed` instead. Exit status 0 iff nothing failed.

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

summary=0
keep=0
build=
tests=()
for arg in "$@"; do
    case $arg in
    --summary) summary=1 ;;
    --keep) keep=1 ;;
    -h | --help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) if [ -z "$build" ]; then build=$arg; else tests+=("$arg"); fi ;;
    esac
done
if [ -z "$build" ]; then
    echo "usage: $0 [--summary] [--keep] BUILDDIR [TEST...]" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$build" && build=$(cd "$build" && pwd) || exit 2
memboss=$build/memboss
out_dir=$build/behaviour
mkdir -p "$out_dir/work" || exit 2

CC=${CC:-gcc}
CXX=${CXX:-g++}
NASM=${NASM:-nasm}
TIMEOUT=60
MAX_SHOWN=60 # lines of captured output shown per failing test

# The expectations assume memboss's defaults plus RUN-ARGS: no options from the caller.
unset MEMBOSS_OPTIONS
# Programs that die of a signal must not leave core files around.
ulimit -c 0 2>/dev/null

# The list of tests.
shopt -s nullglob
files=()
if [ ${#tests[@]} -eq 0 ]; then
    files=("$here"/*.asm "$here"/*.c "$here"/*.cc)
else
    for t in "${tests[@]}"; do
        n=${#files[@]}
        # shellcheck disable=SC2206 # TEST may be a pattern
        for f in "$here"/$t "$here"/$t.asm "$here"/$t.c "$here"/$t.cc; do
            [ -f "$f" ] && files+=("$f")
        done
        [ ${#files[@]} -gt "$n" ] || { echo "run.sh: no test matches $t" >&2; exit 2; }
    done
fi
mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -E '\.(asm|c|cc)$' | LC_ALL=C sort -u)

passed=0
failed=0

# show FILE LABEL: print a captured file, indented, at most MAX_SHOWN lines.
show() {
    [ -s "$1" ] || return 0
    local n
    n=$(wc -l <"$1")
    echo "    [$2]"
    head -n "$MAX_SHOWN" "$1" | sed 's/^/    /'
    if [ "$n" -gt "$MAX_SHOWN" ]; then echo "    ... ($((n - MAX_SHOWN)) more lines)"; fi
}

# build SRC BIN LOG LINK: compile one program; 0 on success. LINK=static links memboss in;
# LINK=static-all links everything in, the C library too (gcc -static).
build_one() {
    local src=$1 bin=$2 log=$3 libs=() cc=$CC
    [ "$4" = static ] && libs=("$build/libmemboss.a" -lpthread)
    [ "$4" = static-all ] && libs=(-static "$build/libmemboss.a" -lpthread)
    if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$0" ] &&
        { [ -z "$4" ] || [ "$bin" -nt "$build/libmemboss.a" ]; }; then return 0; fi
    rm -f "$bin"
    case $src in
    *.asm)
        if [ "$4" = ld ]; then
            "$NASM" -felf64 -g -F dwarf -o "$bin.o" "$src" >"$log" 2>&1 &&
                ld -o "$bin" "$bin.o" >>"$log" 2>&1
            return
        fi
        "$NASM" -felf64 -g -F dwarf -o "$bin.o" "$src" >"$log" 2>&1 &&
            "$CC" -no-pie -z noexecstack -g -o "$bin" "$bin.o" "${libs[@]}" >>"$log" 2>&1
        ;;
    *.c | *.cc)
        : >"$log"
        [ "${src##*.}" = cc ] && cc=$CXX
        if [ -n "$shared" ]; then
            local so=${shared##*/}
            "$CC" -g -O0 -fPIC -shared -o "$(dirname "$bin")/lib${so%.c}.so" "$here/$shared" \
                >"$log" 2>&1 || return
            libs+=(-ldl "-Wl,-rpath,\$ORIGIN")
        fi
        # shellcheck disable=SC2086 # CFLAGS are words
        "$cc" -g -O0 -fno-omit-frame-pointer -fno-builtin -pthread $cflags -o "$bin" "$src" \
            "${libs[@]}" >>"$log" 2>&1
        ;;
    esac
}

for src in "${files[@]}"; do
    name=$(basename "$src")
    base=${name%.*}
    ext=${name##*.}
    bin=$out_dir/${base}_$ext
    log=$out_dir/${base}_$ext.log
    err=$out_dir/${base}_$ext.stderr
    out=$out_dir/${base}_$ext.stdout

    # Read the directives.
    expects=()
    anys=()
    nots=()
    statuses=
    runargs=
    link=
    cflags=
    shared=
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [[ $line =~ ^[[:space:]]*(\;|//)[[:space:]]*(EXPECT|EXPECT-ANY|EXPECT-NOT|EXPECT-STATUS|RUN-ARGS|LINK|CFLAGS|SHARED):[[:space:]]?(.*)$ ]]; then
            key=${BASH_REMATCH[2]}
            val=${BASH_REMATCH[3]}
            val=${val%"${val##*[![:space:]]}"} # trailing blanks
            case $key in
            EXPECT) expects+=("$val") ;;
            EXPECT-ANY) anys+=("$val") ;;
            EXPECT-NOT) nots+=("$val") ;;
            EXPECT-STATUS) statuses="$statuses ${val//[,|]/ }" ;;
            RUN-ARGS) runargs="$runargs $val" ;;
            LINK) link=$val ;;
            CFLAGS) cflags="$cflags $val" ;;
            SHARED) shared=$val ;;
            esac
        fi
    done <"$src"

    if ! build_one "$src" "$bin" "$log" "$link"; then
        echo "FAIL $name: does not build"
        show "$log" build
        failed=$((failed + 1))
        continue
    fi
    if [ ! -x "$memboss" ]; then
        echo "FAIL $name: $memboss is missing (run make)"
        failed=$((failed + 1))
        continue
    fi

    # The outer 2>/dev/null only hides bash's "Segmentation fault" notice about the subshell.
    # shellcheck disable=SC2086 # RUN-ARGS are words
    if [ "$link" = static ] || [ "$link" = static-all ]; then
        { (cd "$out_dir/work" && MEMBOSS_OPTIONS=mode=check:leak_check=2 \
            exec timeout -k 5 "$TIMEOUT" "$bin" </dev/null >"$out" 2>"$err"); } 2>/dev/null
    else
        { (cd "$out_dir/work" && exec timeout -k 5 "$TIMEOUT" "$memboss" run $runargs -- "$bin" \
            </dev/null >"$out" 2>"$err"); } 2>/dev/null
    fi
    status=$?

    reasons=()
    case $status in
    124 | 137)
        case " $statuses " in
        *" $status "*) ;;
        *) reasons+=("timed out after $TIMEOUT s, or killed (status $status)") ;;
        esac
        ;;
    esac
    for e in "${expects[@]}"; do
        grep -qF -- "$e" "$err" || reasons+=("missing '$e'")
    done
    for a in "${anys[@]}"; do
        found=0
        while IFS= read -r alt; do
            alt=${alt#"${alt%%[![:space:]]*}"}
            alt=${alt%"${alt##*[![:space:]]}"}
            if [ -n "$alt" ] && grep -qF -- "$alt" "$err"; then found=1; fi
        done <<<"${a// || /$'\n'}"
        [ $found -eq 1 ] || reasons+=("missing any of '$a'")
    done
    for n in "${nots[@]}"; do
        if grep -qF -- "$n" "$err" "$out"; then reasons+=("unexpected '$n'"); fi
    done
    if [ -n "${statuses// /}" ]; then
        case " $statuses " in
        *" $status "*) ;;
        *)
            read -ra wanted <<<"$statuses"
            want=$(printf '%s or ' "${wanted[@]}")
            reasons+=("exit status $status, expected ${want% or }")
            ;;
        esac
    elif [ ${#expects[@]} -eq 0 ] && [ ${#anys[@]} -eq 0 ]; then
        # A correct program: silent, and exit 0.
        if grep -qF -- 'memboss:' "$err" "$out"; then reasons+=("memboss reported something"); fi
        [ "$status" -eq 0 ] || reasons+=("exit status $status, expected 0")
    fi

    if [ ${#reasons[@]} -eq 0 ]; then
        echo "PASS $name"
        passed=$((passed + 1))
        [ $keep -eq 1 ] || rm -f "$err" "$out"
    else
        msg=$(printf '%s; ' "${reasons[@]}")
        echo "FAIL $name: ${msg%; }"
        show "$err" stderr
        show "$out" stdout
        failed=$((failed + 1))
    fi
done

if [ $summary -eq 1 ]; then
    echo "$passed passed, $failed failed"
else
    echo "behaviour $passed $failed"
fi
[ $failed -eq 0 ]
