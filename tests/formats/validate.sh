#!/bin/bash
# memboss: the command's JSON, SARIF and HTML output, checked by outside tools.
#
#   bash tests/formats/validate.sh BUILDDIR
#
# 1. BUILDDIR/tests/cli/test_formats DIR writes findings built in memory as findings.json,
#    findings.sarif and findings.html (tests/cli/test_formats.c).
# 2. ajv validates the JSON against docs/findings.schema.json and the SARIF against the
#    official SARIF 2.1.0 schema (sarif-2.1.0-rtm.5.json, as the npm package
#    @microsoft/jest-sarif ships it, MIT); tests/formats/validate.js. The npm packages are
#    installed into BUILDDIR/npm on first use, never into the tree.
# 3. headless Chromium loads the page: every finding is in the DOM, the page's script ran
#    to its end (it marks <body data-ready="yes">) and the console shows no error. A copy
#    of the page with a script error must be caught the same way.
# 4. memboss runs examples/bin/overflow_c with --json, --sarif and --html, and its files
#    go through the same checks; the SARIF location is the example's source file.
# Each check prints PASS or FAIL; the last line is `formats N M` (passed, failed).
set -u

if [ $# -ne 1 ]; then
    echo "usage: bash tests/formats/validate.sh BUILDDIR" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$1" && pwd) || exit 2
cd "$ROOT" || exit 2
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/memboss-formats.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1"; FAILED=$((FAILED + 1)); }
finish() { echo "formats $PASSED $FAILED"; [ "$FAILED" -eq 0 ]; exit; }

# ---- the tools: ajv and the SARIF schema from the npm registry, into BUILDDIR/npm -------
NPM_DIR=$BUILD/npm
SARIF_SCHEMA=$NPM_DIR/sarif-2.1.0-rtm.5.json
AJV_PACKAGES="ajv@8 ajv-formats@3 ajv-draft-04@1"
SARIF_PACKAGE=@microsoft/jest-sarif@1.0.0-beta.0
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    fail "formats tools: node and npm are missing (make deps-test installs them)"
    finish
fi
mkdir -p "$NPM_DIR"
if [ ! -d "$NPM_DIR/node_modules/ajv-draft-04" ] || [ ! -d "$NPM_DIR/node_modules/ajv-formats" ]; then
    # --prefer-offline: the npm cache serves a machine that installed them before
    # shellcheck disable=SC2086 # the list is meant to split
    (cd "$NPM_DIR" && npm install --prefix . --no-save --no-package-lock --ignore-scripts \
        --no-audit --no-fund --prefer-offline $AJV_PACKAGES) >"$TMP/npm.log" 2>&1 ||
        { cat "$TMP/npm.log"; fail "formats tools: npm install $AJV_PACKAGES failed"; finish; }
fi
if [ ! -s "$SARIF_SCHEMA" ]; then
    # only its tarball (the schema is a file in it; its dependencies are not needed)
    (cd "$TMP" && npm pack --prefer-offline --silent "$SARIF_PACKAGE" >"$TMP/npm.log" 2>&1 &&
        tar -xzf microsoft-jest-sarif-*.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json &&
        cp package/lib/schemas/sarif-2.1.0-rtm.5.json "$SARIF_SCHEMA") ||
        { cat "$TMP/npm.log"; fail "formats tools: the SARIF schema ($SARIF_PACKAGE) could not be fetched"; finish; }
fi

# validate NAME DIR: the JSON and SARIF files of DIR against their schemas.
validate() {
    NODE_PATH=$NPM_DIR/node_modules node tests/formats/validate.js docs/findings.schema.json \
        "$2/findings.json" "$SARIF_SCHEMA" "$2/findings.sarif" >"$TMP/validate.out" 2>&1
    _rc=$?
    sed "s/^\(PASS\|FAIL\) formats/\1 formats $1/" "$TMP/validate.out"
    PASSED=$((PASSED + $(grep -c '^PASS ' "$TMP/validate.out")))
    _f=$(grep -c '^FAIL ' "$TMP/validate.out")
    FAILED=$((FAILED + _f))
    # node's status is the number of failed checks; anything else is a crash
    [ "$_rc" -eq "$_f" ] || fail "formats $1 validate.js: exit status $_rc"
}

# chromium_load HTML DIR: loads the page, DOM into DIR/dom, console into DIR/console.
chromium_load() {
    mkdir -p "$2/profile"
    timeout -k 5 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --user-data-dir="$2/profile" --enable-logging=stderr --v=0 \
        --dump-dom "file://$1" >"$2/dom" 2>"$2/console"
}

# page NAME HTML JSON: the page in Chromium shows every finding of JSON, without an error.
page() {
    _dir=$TMP/chromium-$1
    mkdir -p "$_dir"
    if ! chromium_load "$2" "$_dir"; then
        fail "formats $1 html: chromium failed"
        return
    fi
    _want=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).findings.length)' "$3")
    _have=$(grep -o 'id="finding-[0-9]*"' "$_dir/dom" | sort -u | wc -l)
    if [ "$_want" -gt 0 ] && [ "$_have" = "$_want" ]; then
        pass "formats $1 html: the page shows all $_want findings of the JSON"
    else
        fail "formats $1 html: $_have findings in the page, $_want in the JSON"
    fi
    if grep -q 'data-ready="yes"' "$_dir/dom" && ! grep -q ':CONSOLE' "$_dir/console"; then
        pass "formats $1 html: the script ran without an error"
    else
        grep ':CONSOLE' "$_dir/console"
        fail "formats $1 html: the script did not run to its end, or logged an error"
    fi
}

# ---- 1-3: the unit test's files ------------------------------------------------------
if [ ! -x "$BUILD/tests/cli/test_formats" ]; then
    fail "formats: $BUILD/tests/cli/test_formats is missing (run make tests)"
    finish
fi
mkdir -p "$TMP/unit"
if "$BUILD/tests/cli/test_formats" "$TMP/unit" >"$TMP/unit.out" 2>&1; then
    pass "formats unit: test_formats wrote the three files"
else
    cat "$TMP/unit.out"
    fail "formats unit: test_formats failed"
fi
validate unit "$TMP/unit"
if [ ! -x /usr/bin/chromium ]; then
    fail "formats html: /usr/bin/chromium is missing (make deps-test installs it)"
    finish
fi
page unit "$TMP/unit/findings.html" "$TMP/unit/findings.json"
# The same check must see a script error.
sed 's#</body>#<script>memboss_no_such_function();</script></body>#' \
    "$TMP/unit/findings.html" >"$TMP/broken.html"
mkdir -p "$TMP/chromium-broken"
if chromium_load "$TMP/broken.html" "$TMP/chromium-broken" &&
    grep -q ':CONSOLE.*memboss_no_such_function' "$TMP/chromium-broken/console"; then
    pass "formats html: a script error in the page is seen"
else
    fail "formats html: a script error in the page went unseen"
fi

# ---- 4: the command itself -----------------------------------------------------------
PROG=examples/bin/overflow_c
if [ ! -x "$PROG" ]; then
    fail "formats run: $PROG is missing (make examples)"
else
    mkdir -p "$TMP/run"
    # the program dies of SIGSEGV, and memboss with it: the group's redirection keeps the
    # shell's note about it out of the log
    { "$BUILD/memboss" --json="$TMP/run/findings.json" --sarif="$TMP/run/findings.sarif" \
        --html="$TMP/run/findings.html" "$PROG" >"$TMP/run/out" 2>&1; } 2>/dev/null
    if [ -s "$TMP/run/findings.json" ] && grep -q '"kind": "heap-buffer-overflow"' "$TMP/run/findings.json" &&
        grep -q '"ruleId": "heap-buffer-overflow"' "$TMP/run/findings.sarif"; then
        pass "formats run: memboss --json --sarif --html $PROG"
        validate run "$TMP/run"
        page run "$TMP/run/findings.html" "$TMP/run/findings.json"
        # the example is built with -g: the location is its source file, relative to the
        # working directory (the repository's root here)
        if grep -q '"file": ".*/examples/overflow.c"' "$TMP/run/findings.json" &&
            grep -q '"uri": "examples/overflow.c"' "$TMP/run/findings.sarif"; then
            pass "formats run sarif: the location is examples/overflow.c under SRCROOT"
        else
            fail "formats run sarif: no source file examples/overflow.c, relative to SRCROOT"
        fi
    else
        cat "$TMP/run/out"
        fail "formats run: memboss --json --sarif --html $PROG wrote no heap-buffer-overflow"
    fi
fi
finish
