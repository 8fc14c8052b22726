# Tests. Included by the top-level Makefile.am; paths from the top.

AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	SOCAT='$(SOCAT)'; export SOCAT; \
	SPIN='$(SPIN)'; export SPIN; \
	MANDOC='$(MANDOC)'; export MANDOC; \
	VALGRIND='$(VALGRIND)'; export VALGRIND; \
	OPENSSL='$(OPENSSL)'; export OPENSSL; \
	CK_DEFAULT_TIMEOUT=120; export CK_DEFAULT_TIMEOUT;

SG_TEST_CFLAGS = $(AM_CFLAGS) $(SG_C11) $(CHECK_CFLAGS)
SG_TEST_LIBS = $(SG_CORE_LIBS) $(CHECK_LIBS)

# unit tests of the core (check)
check_PROGRAMS += tests/test_frame tests/test_util
tests_test_frame_SOURCES = tests/test_frame.c
tests_test_frame_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_frame_LDADD = $(SG_TEST_LIBS)
tests_test_util_SOURCES = tests/test_util.c
tests_test_util_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_util_LDADD = $(SG_TEST_LIBS)

TESTS += tests/test_frame tests/test_util

# rules of the code base that a script can check
dist_noinst_SCRIPTS += tests/check-proto-rules.sh
TESTS += tests/check-proto-rules.sh

# ---- fuzzing (configure --enable-fuzzing, CC=clang) -----------------------
SG_FUZZ_TARGETS = tests/fuzz/fuzz_frame
EXTRA_PROGRAMS += $(SG_FUZZ_TARGETS)
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDADD = $(SG_CORE_LIBS)
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run-fuzzers.sh tests/fuzz/corpus

if FUZZING
noinst_PROGRAMS += $(SG_FUZZ_TARGETS)
endif

# Bounded fuzz run (CI): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz-smoke: $(SG_FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzzers.sh $(FUZZ_SECONDS) $(SG_FUZZ_TARGETS)
fuzz: $(SG_FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzzers.sh 600 $(SG_FUZZ_TARGETS)
.PHONY: fuzz fuzz-smoke

# ---- daemon (serguardd) ---------------------------------------------------
SG_DAEMON_TEST_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
SG_DAEMON_TEST_CFLAGS = $(SG_DAEMON_CFLAGS) $(CHECK_CFLAGS)
SG_DAEMON_TEST_LIBS = daemon/libserguardd.a $(SG_CORE_LIBS) $(SG_DAEMON_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/test_config tests/test_bus tests/test_port tests/test_log \
	tests/test_keyfile tests/test_line
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_config_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_config_LDADD = $(SG_DAEMON_TEST_LIBS)
tests_test_bus_SOURCES = tests/test_bus.c
tests_test_bus_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_bus_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_bus_LDADD = $(SG_DAEMON_TEST_LIBS)
tests_test_port_SOURCES = tests/test_port.c
tests_test_port_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_port_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_port_LDADD = $(SG_DAEMON_TEST_LIBS)
tests_test_log_SOURCES = tests/test_log.c
tests_test_log_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_log_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_log_LDADD = $(SG_DAEMON_TEST_LIBS)
tests_test_keyfile_SOURCES = tests/test_keyfile.c
tests_test_keyfile_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_keyfile_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_keyfile_LDADD = $(SG_DAEMON_TEST_LIBS)

tests_test_line_SOURCES = tests/test_line.c
tests_test_line_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_line_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_line_LDADD = $(SG_DAEMON_TEST_LIBS)

TESTS += tests/test_config tests/test_bus tests/test_port tests/test_log tests/test_keyfile \
	tests/test_line

# serguardd as a program: --help, --check-config (with conf/serguard.conf),
# exit codes; the man page against the option table
dist_noinst_SCRIPTS += tests/test-serguardd.sh tests/test-serguardd-run.sh \
	tests/test-conf-doc.sh
TESTS += tests/test-serguardd.sh tests/test-serguardd-run.sh tests/test-conf-doc.sh
EXTRA_DIST += conf/serguard.conf

# ---- fuzzing: the configuration parser --------------------------------------
SG_FUZZ_TARGETS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c daemon/config.c
tests_fuzz_fuzz_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(SG_C11) $(INIH_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_config_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_config_LDADD = $(INIH_LIBS)
