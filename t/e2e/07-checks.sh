#!/usr/bin/env bash
# t/e2e/07-checks.sh - the checks check something: each one fails on a
# deliberately broken input, and the tree as it is passes them.  In a temp
# copy, never in the tree:
#   - scripts/check-style: strcpy, fork outside lib/base/spawn.c, an
#     include pointing up a layer, a folder of lib/ that is no layer, a
#     file not saying its layer, a private header (NAME_int.h) included outside its module -> exit 1
#     naming file:line;
#   - scripts/include-graph: an include cycle (build <-> route) -> exit 1
#     naming it;
#   - scripts/check-static (the commands of `make check-static`): a
#     cppcheck-detectable bug and a clang-tidy-detectable bug -> exit 1,
#     each from its tool;
#   - the sanitizer flags of the Makefile (SAN=1): a heap overflow -> an
#     ASan report and a non-zero exit;
#   - valgrind with the flags of `make check-valgrind`: a leak -> exit 99;
#   - t/fuzz/run: a fuzz target that crashes on its seed -> exit 1.
. "$(dirname "$0")/../lib/common.sh"

need cppcheck clang-tidy clang valgrind pkg-config cc

tree=$T_TMP/tree
mkdir -p "$tree/scripts" "$tree/t/fuzz"
cp -p "$TOP/scripts/check-style" "$TOP/scripts/check-static" "$TOP/scripts/include-graph" "$tree/scripts/"
cp -p "$TOP/.clang-tidy" "$TOP/Makefile" "$tree/"
cp -pR "$TOP/lib" "$TOP/cgi" "$TOP/cron" "$tree/"
cp -p "$TOP/t/fuzz/run" "$tree/t/fuzz/"

# run VAR CMD...: ${VAR}_out (stdout+stderr), ${VAR}_rc.
run() {
	local v=$1
	shift
	"$@" >"$T_TMP/out" 2>&1
	printf -v "${v}_rc" '%s' $?
	printf -v "${v}_out" '%s' "$(cat "$T_TMP/out")"
}

# --- the tree as it is ----------------------------------------------------------
run st "$tree/scripts/check-style" "$tree/lib" "$tree/cgi" "$tree/cron"
is "check-style: the tree passes" "$st_rc" 0
# (the whole tree is make test's own check-static step: a baseline of two
# real files here shows the failures below come from the broken inputs)
run ss "$tree/scripts/check-static" lib/base/buf.c lib/base/xio.c
is "check-static: real files pass (cppcheck and clang-tidy)" "$ss_rc" 0 ||
	note "$(printf '%s' "$ss_out" | tail -n 20)"

# --- check-style ----------------------------------------------------------------
mkdir -p "$tree/bad"
cat >"$tree/bad/copy.c" <<'EOF'
#include <string.h>

void copy(char *dst, const char *src)
{
	strcpy(dst, src);
}
EOF
cat >"$tree/bad/child.c" <<'EOF'
#include <unistd.h>

int child(void)
{
	/* fork() in a comment is fine */
	return fork();
}
EOF
run st "$tree/scripts/check-style" "$tree/bad/copy.c"
is "check-style: strcpy -> exit 1" "$st_rc" 1
like "check-style: strcpy named with file:line" "$st_out" "bad/copy\.c:5: banned function: strcpy\(\)"
run st "$tree/scripts/check-style" "$tree/bad/child.c"
is "check-style: fork outside lib/base/spawn.c -> exit 1" "$st_rc" 1
like "check-style: fork named with file:line, the comment ignored" "$st_out" \
	"bad/child\.c:6: child process outside lib/base/spawn\.c: fork\(\)"
unlike "check-style: nothing on the comment's line" "$st_out" "child\.c:5:"

# --- check-style: layers -------------------------------------------------------------
# core (status.c) including a flow's header: an include that points up
printf '#include "route.h"\n' >>"$tree/lib/core/status.c"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: an include pointing up a layer -> exit 1" "$st_rc" 1
like "check-style: named with file:line and both layers" "$st_out" \
	'lib/core/status\.c:[0-9]+: layer: core includes route\.h of flows, a layer above it'
sed -i '$d' "$tree/lib/core/status.c"
# the same in a layer above flows' own: fine (flows includes core)
printf '#include "status.h"\n' >>"$tree/lib/flows/route.c"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: an include pointing down is fine" "$st_rc" 0
sed -i '$d' "$tree/lib/flows/route.c"
mkdir -p "$tree/lib/misc" && cp "$tree/lib/base/err.c" "$tree/lib/misc/"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: a folder of lib/ that is no layer -> exit 1" "$st_rc" 1
like "check-style: ... named" "$st_out" 'lib/misc/ is not a layer'
rm -rf "$tree/lib/misc"
# a file of lib/ whose opening comment does not name its layer
sed -i '1,3s/Layer: state/Layer: core/' "$tree/lib/state/dirq.c"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: a file not saying its layer -> exit 1" "$st_rc" 1
like "check-style: ... named" "$st_out" "lib/state/dirq\.c:1: layer: the opening comment does not say 'Layer: state'"
cp -p "$TOP/lib/state/dirq.c" "$tree/lib/state/dirq.c"
# a module's private header (s3_int.h) included by another module
printf '#include "s3_int.h"\n' >>"$tree/lib/adapters/github.c"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: a private header outside its module -> exit 1" "$st_rc" 1
like "check-style: ... named" "$st_out" \
	'lib/adapters/github\.c:[0-9]+: private header: s3_int\.h is for lib/adapters/s3\*\.c alone'
sed -i '$d' "$tree/lib/adapters/github.c"
run st "$tree/scripts/check-style" "$tree/lib"
is "check-style: the tree passes again" "$st_rc" 0

# --- include-graph: module -> module edges, a cycle fails --------------------------
run ig sh -c "cd '$tree' && scripts/include-graph"
is "include-graph: the tree has no cycle" "$ig_rc" 0
like "include-graph: prints the edges" "$ig_out" '^route -> build$'
like "include-graph: ... and says so" "$ig_out" 'no cycle'
# a private header is its module's: s3_multipart -> s3, no s3_int module
like "include-graph: a module's files point at it" "$ig_out" '^s3_multipart -> s3$'
unlike "include-graph: ... its private header is no module" "$ig_out" 's3_int'
# build.c including route.h again: the cycle this module split removed
printf '#include "route.h"\n' >>"$tree/lib/flows/build.c"
run ig sh -c "cd '$tree' && scripts/include-graph"
is "include-graph: a cycle -> exit 1" "$ig_rc" 1
like "include-graph: the cycle named" "$ig_out" 'cycle: build -> route -> build'
sed -i '$d' "$tree/lib/flows/build.c"

# --- check-static ----------------------------------------------------------------
# An out-of-bounds write cppcheck sees (arrayIndexOutOfBounds).
cat >"$tree/lib/broken_cppcheck.c" <<'EOF'
int broken_cppcheck(void);

int broken_cppcheck(void)
{
	int a[4] = { 0 };

	a[4] = 1;
	return a[0];
}
EOF
# A use after free clang-tidy's analyzer sees (clang-analyzer-unix.Malloc);
# cppcheck 2.10 does not follow it through the helper.
cat >"$tree/lib/broken_tidy.c" <<'EOF'
#include <stdlib.h>
#include <string.h>

int broken_tidy(size_t n);

static void drop(char *p)
{
	free(p);
}

int broken_tidy(size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return -1;
	memset(p, 'x', n);
	drop(p);
	return p[0];
}
EOF
run sc "$tree/scripts/check-static" lib/broken_cppcheck.c
is "check-static: out-of-bounds write -> exit 1" "$sc_rc" 1
like "check-static: cppcheck names it" "$sc_out" \
	"broken_cppcheck\.c:7:.*arrayIndexOutOfBounds"
like "check-static: cppcheck FAILED" "$sc_out" "cppcheck FAILED"
run sc "$tree/scripts/check-static" lib/broken_tidy.c
is "check-static: use after free -> exit 1" "$sc_rc" 1
like "check-static: clang-tidy names it" "$sc_out" \
	"broken_tidy\.c:[0-9]+:[0-9]+: error: .*\[clang-analyzer-unix\.Malloc"
like "check-static: clang-tidy FAILED" "$sc_out" "clang-tidy FAILED"
rm -f "$tree/lib/broken_cppcheck.c" "$tree/lib/broken_tidy.c"

# --- sanitizers (the Makefile's SANFLAGS) ---------------------------------------
sanflags=$(sed -n 's/^SANFLAGS := //p' "$TOP/Makefile")
like "sanitizer flags read from the Makefile" "$sanflags" "-fsanitize=address,undefined"
cat >"$T_TMP/overflow.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t n = 7 + (size_t)argc; /* 8, unknown to the compiler */
	char *p = malloc(n);

	(void)argv;
	if (!p)
		return 0;
	memset(p, 'x', n);
	printf("%c\n", p[n]); /* one byte past the end */
	free(p);
	return 0;
}
EOF
# shellcheck disable=SC2086
if cc -std=c11 -O1 -g -fno-omit-frame-pointer $sanflags -o "$T_TMP/overflow" \
	"$T_TMP/overflow.c" 2>"$T_TMP/cc.err"; then
	run as "$T_TMP/overflow"
	isnt_zero=$([ "$as_rc" -ne 0 ] && echo yes || echo "no (exit $as_rc)")
	is "asan: heap overflow -> non-zero exit" "$isnt_zero" yes
	like "asan: the report names it" "$as_out" \
		"ERROR: AddressSanitizer: heap-buffer-overflow"
else
	not_ok "asan: the test program builds" "$(cat "$T_TMP/cc.err")"
fi

# --- the whole end-to-end suite under the sanitizers ----------------------------
# A program of a SAN=1 build (linked with t/san/options.c) writes its report
# to $BUILD/t/sanitizer/; t/run-e2e counts it as a failure of the script
# that was running, even when the script saw nothing wrong.
rt=$T_TMP/runner
mkdir -p "$rt/t/e2e" "$rt/build/t"
cp -p "$TOP/t/run-e2e" "$rt/t/"
# shellcheck disable=SC2086
if cc -std=c11 -O1 -g -fno-omit-frame-pointer $sanflags \
	-DSAN_LOG_DIR="\"$rt/build/t/sanitizer\"" -o "$rt/overflow" \
	"$T_TMP/overflow.c" "$TOP/t/san/options.c" 2>"$T_TMP/cc.err"; then
	cat >"$rt/t/e2e/01-quiet.sh" <<EOF
"$rt/overflow" >/dev/null 2>&1
echo "ok - the script itself sees nothing wrong"
EOF
	cat >"$rt/t/e2e/02-clean.sh" <<'EOF'
echo "ok - a script after it"
EOF
	run rn env BUILD="$rt/build" "$rt/t/run-e2e"
	is "run-e2e: a sanitizer report -> exit 1" "$rn_rc" 1
	like "run-e2e: ... a failure of the script that ran it" "$rn_out" \
		"not ok - 01-quiet: sanitizer report $rt/build/t/sanitizer/reported/01-quiet\.asan\.[0-9]+"
	like "run-e2e: ... its report shown" "$rn_out" "#   .*ERROR: AddressSanitizer: heap-buffer-overflow"
	like "run-e2e: ... not of the next script" "$rn_out" "--- 02-clean: 1 passed, 0 failed"
	like "run-e2e: ... counted in the closing line" "$rn_out" "2 passed, 1 failed$"
	is "run-e2e: ... stderr stayed quiet (the report went to the file)" \
		"$(ls "$rt/build/t/sanitizer/reported" | wc -l)" 1
else
	not_ok "san: the test program builds with t/san/options.c" "$(cat "$T_TMP/cc.err")"
fi

# This build's own programs: in a sanitizer build each carries the report
# directory that t/run-e2e reads (else a report under nginx would be lost).
if grep -aq '__asan_init' "$BUILD/eessi-bot-manager" 2>/dev/null; then
	for p in eessi-bot-webhook eessi-bot-manager t/fcgi-probe t/github-probe t/slurmq-probe; do
		if grep -aq "log_path=$BUILD/t/sanitizer/asan" "$BUILD/$p"; then
			ok "sanitizer build: $p reports to \$BUILD/t/sanitizer/"
		else
			not_ok "sanitizer build: $p reports to \$BUILD/t/sanitizer/" \
				"no log_path=$BUILD/t/sanitizer/asan in $BUILD/$p"
		fi
	done
else
	note "not a sanitizer build ($BUILD): make check-asan runs this suite on one"
fi

# --- valgrind (the flags of check-valgrind) -------------------------------------
vgflags=$(sed -n '/^check-valgrind:/,/^$/p' "$TOP/Makefile" | tr -d '\\\n' |
	grep -oE 'valgrind .*--child-silent-after-fork=yes' | sed 's/^valgrind //')
like "valgrind flags read from the Makefile" "$vgflags" "--error-exitcode=99"
cat >"$T_TMP/leak.c" <<'EOF'
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *p = malloc(64);

	if (p)
		memset(p, 0, 64);
	p = NULL; /* lost */
	return 0;
}
EOF
if cc -std=c11 -O0 -g -o "$T_TMP/leak" "$T_TMP/leak.c" 2>"$T_TMP/cc.err"; then
	# shellcheck disable=SC2086
	run vg valgrind $vgflags "$T_TMP/leak"
	is "valgrind: a leak -> exit 99" "$vg_rc" 99
	like "valgrind: the report names it" "$vg_out" "definitely lost"
else
	not_ok "valgrind: the test program builds" "$(cat "$T_TMP/cc.err")"
fi

# --- the fuzz runner --------------------------------------------------------------
fz=$T_TMP/fuzz
mkdir -p "$fz/bin" "$fz/corpus/crashme"
cat >"$fz/fuzz_crashme.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 5 && memcmp(data, "CRASH", 5) == 0)
		abort();
	return 0;
}
EOF
printf 'CRASH' >"$fz/corpus/crashme/seed"
printf 'fine' >"$fz/corpus/crashme/ok"
if clang -g -fsanitize=fuzzer,address -o "$fz/bin/fuzz_crashme" \
	"$fz/fuzz_crashme.c" 2>"$T_TMP/cc.err"; then
	run fr env FUZZ_CORPUS_DIR="$fz/corpus" "$tree/t/fuzz/run" "$fz/bin" 5 crashme
	is "fuzz: a crashing seed -> exit 1" "$fr_rc" 1
	like "fuzz: the target is reported FAILED" "$fr_out" "fuzz_crashme: FAILED"
	like "fuzz: the crashing input is kept" "$fr_out" "input: $fz/bin/crashes/crashme-"
else
	not_ok "fuzz: the target builds" "$(cat "$T_TMP/cc.err")"
fi

# Nothing broken was left in the tree.
run gs git -C "$TOP" status --porcelain --untracked-files=all -- lib cgi cron t/fuzz
unlike "nothing broken left in the tree" "$gs_out" "broken_|crashme|overflow\.c|leak\.c"

done_testing
