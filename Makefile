# eessi-bot - build-and-deploy bot for the EESSI software layer.
#
#   make                 build lib/, the webhook handler and the manager in $(BUILD)
#   make check           style checks + static analysis + unit tests (check)
#                        + end-to-end tests (t/e2e)
#   make check-unit      unit tests only
#   make check-e2e       end-to-end tests only (real Slurm, nginx, Apache, git, ...)
#   make check-static    cppcheck + clang-tidy (.clang-tidy) over lib/ cgi/ cron/
#   make include-graph   the module -> module include edges; fails on a cycle
#                        (also part of check-style)
#   make func-lengths    function lengths: median, p90, longest, over 60
#   make check-asan      unit and end-to-end tests built with
#                        -fsanitize=address,undefined (in build-asan/)
#   make check-valgrind  unit tests under valgrind memcheck (errors, leaks)
#   make test            install what the tests need, then check-style,
#                        check-static, check-unit, check-valgrind, fuzz-smoke
#                        (30 s a target), check-e2e and check-asan (what CI
#                        runs)
#   make demo            build and run the bot's main job on the embedded default
#   make install         programs, job script, manual pages, conf/ files with
#                        the paths and account put in (PREFIX, DESTDIR,
#                        sysconfdir, localstatedir, BOT_USER, BOT_GROUP)
#   make uninstall       removes what install installed (same variables)
#   make man             the manual pages, from --help and app.cfg.example
#   make fuzz-build      build the libFuzzer targets of t/fuzz (clang) in build-fuzz/
#   make fuzz-smoke      run each for FUZZ_SECONDS (10) on a copy of its corpus
#   make fuzz            the long run: FUZZ_SECONDS (600) each, corpus kept in
#                        build-fuzz/fuzz/corpus/ (not part of make test)
#   make fuzz-NAME       the same for one target (fuzz-webhook, fuzz-conf, ...)
#
# Out-of-tree: every object lands in $(BUILD) (default build/), so a sanitizer
# build (build-asan/) lives beside the normal one.

# Install layout (GNU names; a Debian package passes PREFIX=/usr), and the
# bot's account, put into the installed conf/ files.
PREFIX ?= /usr/local
bindir ?= $(PREFIX)/bin
libexecdir ?= $(PREFIX)/libexec
datadir ?= $(PREFIX)/share
mandir ?= $(datadir)/man
sysconfdir ?= /etc
localstatedir ?= /var
BOT_USER ?= eessi-bot
BOT_GROUP ?= $(BOT_USER)
VERSION := 0.1.0-dev
BUILD ?= build
CC ?= cc
SAN ?=

PKGS := fcgi libcurl json-c gnutls libjwt-gnutls libconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -Werror
HARDEN := -fstack-protector-strong -fstack-clash-protection -fPIE \
	-D_FORTIFY_SOURCE=2
# --as-needed: each program loads only the libraries it calls (the webhook
# handler no libcurl or libjwt: less memory, faster start).
HARDEN_LD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
OPT := -O2 -g

ifneq ($(SAN),)
OPT := -O1 -g -fno-omit-frame-pointer
HARDEN := -fPIE
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
# Programs and test tools (not the unit tests) report to files that
# t/run-e2e reads: t/san/options.c.
SAN_LOG_DIR := $(abspath $(BUILD))/t/sanitizer
SAN_OBJ := $(BUILD)/t/san/options.o
endif

# lib/ by layer, lowest first (README, "Map of the code"); a file includes
# its own layer or those below (scripts/check-style).
LAYERS := base core state adapters flows
LIB_INC := $(LAYERS:%=-Ilib/%)

CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) \
	$(LIB_INC) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(HARDEN_LD) $(SANFLAGS) $(LDFLAGS)

LIB_SRC := $(wildcard lib/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA := $(BUILD)/libeessibot.a

PROGS := $(BUILD)/eessi-bot-webhook $(BUILD)/eessi-bot-manager \
	$(BUILD)/eessi-bot-resubmit $(BUILD)/eessi-bot-convert-config
UNIT_SRC := $(wildcard t/unit/*.c t/unit/*/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT := $(BUILD)/t/unit-tests
TOOLS := $(BUILD)/t/fcgi-probe $(BUILD)/t/github-probe $(BUILD)/t/loadgen \
	$(BUILD)/t/slurm-probe $(BUILD)/t/slurmq-probe $(BUILD)/t/s3-probe \
	$(BUILD)/t/soak

.PHONY: all check check-unit check-e2e check-asan check-valgrind check-style \
	check-static include-graph func-lengths \
	test demo \
	install uninstall man clean deps

all: $(LIBA) $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/eessi-bot-webhook: $(BUILD)/cgi/main.o $(LIBA) $(SAN_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/eessi-bot-manager: $(BUILD)/cron/main.o $(LIBA) $(SAN_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/eessi-bot-resubmit: $(BUILD)/cron/resubmit.o $(LIBA) $(SAN_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/eessi-bot-convert-config: $(BUILD)/cron/convert.o $(LIBA) $(SAN_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/t/san/options.o: t/san/options.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DSAN_LOG_DIR='"$(SAN_LOG_DIR)"' -c -o $@ $<

$(BUILD)/t/unit/%.o: t/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -It/unit -MMD -MP -c -o $@ $<

$(UNIT): $(UNIT_OBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS)

# Test tools: t/tools/NAME.c -> $(BUILD)/t/NAME, linked with lib/.
$(TOOLS): $(BUILD)/t/%: $(BUILD)/t/tools/%.o $(LIBA) $(SAN_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

check: check-style check-static check-unit check-e2e

check-unit: $(UNIT)
	cd t && ../$(UNIT)

check-e2e: all $(TOOLS)
	BUILD=$(abspath $(BUILD)) t/run-e2e

check-asan:
	$(MAKE) --no-print-directory BUILD=build-asan SAN=1 check-unit check-e2e

# In-process (CK_FORK=no) so that valgrind sees every test; any error or
# leak fails the run.  Children forked by lib/spawn (which _exit() without
# exec in spawn_detached's middle process) are not checked: what they hold
# is the parent's memory, checked in the parent.
check-valgrind: $(UNIT)
	cd t && CK_FORK=no valgrind -q --leak-check=full --show-leak-kinds=all \
		--errors-for-leak-kinds=all --error-exitcode=99 \
		--child-silent-after-fork=yes ../$(UNIT)

# The house rules a grep can check, then the module include graph
# (scripts/include-graph: module -> module edges; a cycle fails).
check-style:
	scripts/check-style
	@mkdir -p $(BUILD)
	@scripts/include-graph >$(BUILD)/include-graph.txt; rc=$$?; \
		tail -n 2 $(BUILD)/include-graph.txt | sed 's/^/include-graph: /'; \
		grep '^cycle:' $(BUILD)/include-graph.txt; exit $$rc

include-graph:
	scripts/include-graph

# Function lengths (count, median, p90, longest, over 60) and the longest.
func-lengths:
	scripts/func-lengths

# cppcheck and clang-tidy, the checks and why in scripts/check-static and
# .clang-tidy; any finding fails.
check-static:
	scripts/check-static

# What CI runs, each tier failing the run on any finding: the style and
# static checks, the unit tests (plain, then under valgrind), every fuzz
# target for FUZZ_SMOKE_SECONDS, the end-to-end suite on the normal build,
# and the unit and end-to-end suites again on the sanitizer build.  The
# end-to-end runner goes last: its "N passed, N failed" closes the run.
FUZZ_SMOKE_SECONDS ?= 30
test:
	scripts/install-test-deps
	$(MAKE) --no-print-directory all check-style check-static check-unit
	$(MAKE) --no-print-directory check-valgrind
	$(MAKE) --no-print-directory fuzz-smoke FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		FUZZ_PARALLEL=$(or $(FUZZ_PARALLEL),2)
	$(MAKE) --no-print-directory check-e2e
	$(MAKE) --no-print-directory check-asan

deps:
	scripts/install-test-deps

# The dependencies are installed first, then a sub-make builds (pkg-config
# is evaluated again there, after the install).
demo:
	scripts/install-test-deps --build
	$(MAKE) all
	BUILD=$(abspath $(BUILD)) scripts/demo

# --- Manual pages and installing.  A program's page is its --help
# (scripts/help2man), app.cfg(5) the documented example
# (scripts/cfg-manpage): made at build time, never out of step.
MAN8 := $(PROGS:$(BUILD)/%=$(BUILD)/man/%.8)
MANPAGES := $(MAN8) $(BUILD)/man/app.cfg.5
CONF_FILES := $(filter-out conf/app.cfg.example,$(wildcard conf/*))

man: $(MANPAGES)

$(BUILD)/man/%.8: $(BUILD)/% scripts/help2man
	@mkdir -p $(dir $@)
	EESSI_BOT_ALLOW_ROOT=1 $< --help | scripts/help2man $* 8 $(VERSION) >$@.tmp
	mv $@.tmp $@

$(BUILD)/man/app.cfg.5: conf/app.cfg.example scripts/cfg-manpage scripts/help2man
	@mkdir -p $(dir $@)
	scripts/cfg-manpage $< $(VERSION) >$@.tmp
	mv $@.tmp $@

# The conf/ files name /usr/local/..., /etc/eessi-bot, /var/{lib,log}/eessi-bot
# and the account eessi-bot: installed, they name the layout and account given.
SUBST := sed -e 's|/usr/local/bin|$(bindir)|g' \
	-e 's|/usr/local/libexec|$(libexecdir)|g' \
	-e 's|/etc/eessi-bot|$(sysconfdir)/eessi-bot|g' \
	-e 's|/var/lib/eessi-bot|$(localstatedir)/lib/eessi-bot|g' \
	-e 's|/var/log/eessi-bot|$(localstatedir)/log/eessi-bot|g' \
	-e 's|^User=eessi-bot$$|User=$(BOT_USER)|' \
	-e 's|^Group=eessi-bot$$|Group=$(BOT_GROUP)|' \
	-e 's| eessi-bot eessi-bot| $(BOT_USER) $(BOT_GROUP)|g' \
	-e 's|crontab -u eessi-bot|crontab -u $(BOT_USER)|g' \
	-e 's|\*  eessi-bot  /|*  $(BOT_USER)  /|' \
	-e 's|account, eessi-bot)|account, $(BOT_USER))|' \
	-e 's|EESSI_BOT_USER-eessi-bot}|EESSI_BOT_USER-$(BOT_USER)}|' \
	-e 's|EESSI_BOT_GROUP-eessi-bot}|EESSI_BOT_GROUP-$(BOT_GROUP)}|'

install: all man
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(libexecdir)/eessi-bot \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(datadir)/eessi-bot/conf $(DESTDIR)$(sysconfdir)/eessi-bot
	install -m 0755 $(PROGS) $(DESTDIR)$(bindir)/
	install -m 0755 scripts/bot-build.slurm $(DESTDIR)$(libexecdir)/eessi-bot/
	$(SUBST) conf/spawn-fcgi.sh >$(DESTDIR)$(libexecdir)/eessi-bot/spawn-fcgi.sh
	chmod 0755 $(DESTDIR)$(libexecdir)/eessi-bot/spawn-fcgi.sh
	install -m 0644 $(MAN8) $(DESTDIR)$(mandir)/man8/
	install -m 0644 $(BUILD)/man/app.cfg.5 $(DESTDIR)$(mandir)/man5/
	for f in $(notdir $(CONF_FILES)); do \
		$(SUBST) conf/$$f >$(DESTDIR)$(datadir)/eessi-bot/conf/$$f || exit 1; \
		chmod 0644 $(DESTDIR)$(datadir)/eessi-bot/conf/$$f; \
	done
	chmod 0755 $(DESTDIR)$(datadir)/eessi-bot/conf/*.sh
	$(SUBST) conf/app.cfg.example >$(DESTDIR)$(sysconfdir)/eessi-bot/app.cfg.example
	chmod 0644 $(DESTDIR)$(sysconfdir)/eessi-bot/app.cfg.example

uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(notdir $(PROGS))) \
		$(addprefix $(DESTDIR)$(mandir)/man8/,$(notdir $(MAN8))) \
		$(DESTDIR)$(mandir)/man5/app.cfg.5 \
		$(DESTDIR)$(libexecdir)/eessi-bot/bot-build.slurm \
		$(DESTDIR)$(libexecdir)/eessi-bot/spawn-fcgi.sh \
		$(addprefix $(DESTDIR)$(datadir)/eessi-bot/conf/,$(notdir $(CONF_FILES))) \
		$(DESTDIR)$(sysconfdir)/eessi-bot/app.cfg.example
	-rmdir $(DESTDIR)$(libexecdir)/eessi-bot $(DESTDIR)$(datadir)/eessi-bot/conf \
		$(DESTDIR)$(datadir)/eessi-bot $(DESTDIR)$(sysconfdir)/eessi-bot 2>/dev/null

clean:
	rm -rf build build-asan

# --- Fuzzing (t/fuzz): libFuzzer, so clang, in its own build directory.
# A sub-make builds with BUILD=build-fuzz CC=clang SAN=1 (ASan+UBSan) and
# -fsanitize=fuzzer-no-link on every object; the targets link with
# -fsanitize=fuzzer.  Only the lib/ modules the parsers need are built,
# so a module being written elsewhere in lib/ does not stop the fuzzers.
# FUZZ_PARALLEL=N runs N targets at a time.
FUZZ_BUILD := build-fuzz
FUZZ_CC := clang
FUZZ_TARGETS := webhook event command hmac sbatch slurmq ini jobrec conf spool \
	result cdoc ids index s3xml deploy
FUZZ_LIB := buf clock command conf dirq err event hmac ini jobargs jobrec jobstate log names num slurm \
	slurmq spawn spool target webhook xio result cdoc status mindex manager manager_args manager_decide manager_records github \
	httpc appjwt s3 s3_text s3_creds s3_multipart sign ledger deploy deploy_plan deploy_queue report cancel \
	delivery effects
FUZZ_LIBA := $(BUILD)/fuzz/libfuzz.a
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-bins fuzz-smoke fuzz-clean

fuzz-build:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=1 \
		CFLAGS=-fsanitize=fuzzer-no-link fuzz-bins

fuzz-bins: $(FUZZ_BINS)

FUZZ_LIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(foreach m,$(FUZZ_LIB),$(filter %/$(m).c,$(LIB_SRC))))
$(FUZZ_LIBA): $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(BUILD)/fuzz/fuzz_%: $(BUILD)/t/fuzz/fuzz_%.o $(FUZZ_LIBA)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-smoke: fuzz-build
	FUZZ_PARALLEL=$(or $(FUZZ_PARALLEL),1) \
		t/fuzz/run $(FUZZ_BUILD)/fuzz $(or $(FUZZ_SECONDS),10) $(FUZZ_TARGETS)

fuzz: fuzz-build
	FUZZ_PARALLEL=$(or $(FUZZ_PARALLEL),1) t/fuzz/run --keep $(FUZZ_BUILD)/fuzz $(or $(FUZZ_SECONDS),600) $(FUZZ_TARGETS)

# One target: make fuzz-NAME [FUZZ_SECONDS=600] (corpus kept, as make fuzz).
FUZZ_ONE := $(FUZZ_TARGETS:%=fuzz-%)
.PHONY: $(FUZZ_ONE)
$(FUZZ_ONE): fuzz-%: fuzz-build
	t/fuzz/run --keep $(FUZZ_BUILD)/fuzz $(or $(FUZZ_SECONDS),600) $*

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean: fuzz-clean

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) \
	$(wildcard $(BUILD)/cgi/*.d $(BUILD)/cron/*.d $(BUILD)/t/tools/*.d)
-include $(wildcard $(BUILD)/t/fuzz/*.d)
