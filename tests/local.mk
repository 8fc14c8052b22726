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

check_PROGRAMS += tests/test_replay tests/test_record
tests_test_replay_SOURCES = tests/test_replay.c
tests_test_replay_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_replay_LDADD = $(SG_TEST_LIBS)
tests_test_record_SOURCES = tests/test_record.c
tests_test_record_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_record_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_replay tests/test_record

# rules of the code base that a script can check
dist_noinst_SCRIPTS += tests/check-proto-rules.sh
TESTS += tests/check-proto-rules.sh

# ---- fuzzing (configure --enable-fuzzing, CC=clang) -----------------------
SG_FUZZ_TARGETS = tests/fuzz/fuzz_frame
SG_FUZZ_TARGETS += tests/fuzz/fuzz_record
EXTRA_PROGRAMS += $(SG_FUZZ_TARGETS)
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_record_SOURCES = tests/fuzz/fuzz_record.c tests/fuzz/fuzz_record.h
tests_fuzz_fuzz_record_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_record_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_record_LDADD = $(SG_CORE_LIBS)
# Seed corpus generator of fuzz_record (tests/fuzz/README.md); any compiler.
EXTRA_PROGRAMS += tests/fuzz/gen_record_corpus
tests_fuzz_gen_record_corpus_SOURCES = tests/fuzz/gen_record_corpus.c tests/fuzz/fuzz_record.h
tests_fuzz_gen_record_corpus_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_fuzz_gen_record_corpus_LDADD = $(SG_CORE_LIBS)
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

# ---- benchmarks (make bench): programs that print figures -----------------
# Other parts append their programs: SG_BENCH_PROGRAMS += tests/bench_<x>
# Automake wants a directory for any *_PROGRAMS list: the benchmarks are
# built with everything else (so they cannot rot) and installed there.
SG_BENCHdir = $(pkglibexecdir)/bench
SG_BENCH_PROGRAMS = tests/bench_record
tests_bench_record_SOURCES = tests/bench_record.c
tests_bench_record_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_record_LDADD = $(SG_CORE_LIBS)

bench: $(SG_BENCH_PROGRAMS)
	@for p in $(SG_BENCH_PROGRAMS); do echo "== $$p"; ./$$p || exit 1; done
.PHONY: bench
