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
check_PROGRAMS += tests/test_frame tests/test_util tests/test_flight
tests_test_frame_SOURCES = tests/test_frame.c
tests_test_frame_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_frame_LDADD = $(SG_TEST_LIBS)
tests_test_util_SOURCES = tests/test_util.c
tests_test_util_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_util_LDADD = $(SG_TEST_LIBS)

tests_test_msgq_SOURCES = tests/test_msgq.c
tests_test_msgq_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_msgq_LDADD = $(SG_TEST_LIBS)
check_PROGRAMS += tests/test_msgq
TESTS += tests/test_msgq

tests_test_flight_SOURCES = tests/test_flight.c
tests_test_flight_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_flight_LDADD = $(SG_TEST_LIBS)

TESTS += tests/test_frame tests/test_util tests/test_flight

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
SG_FUZZ_TARGETS += tests/fuzz/fuzz_cert
EXTRA_PROGRAMS += $(SG_FUZZ_TARGETS)
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_cert_SOURCES = tests/fuzz/fuzz_cert.c
tests_fuzz_fuzz_cert_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cert_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cert_LDADD = $(SG_CORE_LIBS)
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

# reader of `name = hex` vector files, shared by the vector-driven tests
SG_TEST_VECTORFILE_SOURCES = tests/vectorfile.c tests/vectorfile.h
check_PROGRAMS += tests/test_vectorfile
tests_test_vectorfile_SOURCES = tests/test_vectorfile.c $(SG_TEST_VECTORFILE_SOURCES)
tests_test_vectorfile_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_vectorfile_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_vectorfile

# RFC 9529 EDHOC vectors (data, read at test time)
EXTRA_DIST += tests/vectors/edhoc/README.md \
	tests/vectors/edhoc/rfc9529-trace1.txt \
	tests/vectors/edhoc/rfc9529-trace2.txt \
	tests/vectors/edhoc/rfc9529-invalid.txt

# strict JSON reader for Wycheproof vectors (tests only)
SG_TEST_JSON_SOURCES = tests/json.c tests/json.h
check_PROGRAMS += tests/test_json tests/test_crypto
tests_test_json_SOURCES = tests/test_json.c $(SG_TEST_JSON_SOURCES)
tests_test_json_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_json_LDADD = $(SG_TEST_LIBS)
# crypto adapter against Wycheproof, RFC 9529 trace 2 and unit tests
tests_test_crypto_SOURCES = tests/test_crypto.c $(SG_TEST_JSON_SOURCES) \
	$(SG_TEST_VECTORFILE_SOURCES)
tests_test_crypto_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_crypto_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_json tests/test_crypto

# Wycheproof vectors (data, read at test time)
EXTRA_DIST += tests/vectors/wycheproof/README.md \
	tests/vectors/wycheproof/aes_ccm_test.json \
	tests/vectors/wycheproof/ecdh_secp256r1_ecpoint_test.json \
	tests/vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json \
	tests/vectors/wycheproof/hkdf_sha256_test.json \
	tests/vectors/wycheproof/hmac_sha256_test.json

# ---- benchmarks: programs that print figures (`make bench`), not tests ----
EXTRA_PROGRAMS += tests/bench_crypto
tests_bench_crypto_SOURCES = tests/bench_crypto.c
tests_bench_crypto_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_crypto_LDADD = $(SG_CORE_LIBS)
CLEANFILES += tests/bench_crypto
BENCH_RUNS ?= 101
bench: tests/bench_crypto$(EXEEXT)
	./tests/bench_crypto$(EXEEXT) $(BENCH_RUNS)
.PHONY: bench

# ---- EDHOC (RFC 9528): CBOR, key schedule, handshake ------------------------
check_PROGRAMS += tests/test_cbor
tests_test_cbor_SOURCES = tests/test_cbor.c
tests_test_cbor_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_cbor_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_cbor
check_PROGRAMS += tests/test_edhoc
tests_test_edhoc_SOURCES = tests/test_edhoc.c tests/tracebuf.c tests/tracebuf.h \
	$(SG_TEST_VECTORFILE_SOURCES)
tests_test_edhoc_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_edhoc_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_edhoc

# ---- test PKI: fixtures committed, regenerated and checked with openssl ------
EXTRA_DIST += tests/pki/README.md tests/pki/make-test-pki.sh tests/pki/fixtures
dist_noinst_SCRIPTS += tests/test-pki-script.sh
TESTS += tests/test-pki-script.sh

# X.509 validation and identity (reads tests/pki/fixtures/)
check_PROGRAMS += tests/test_cert
tests_test_cert_SOURCES = tests/test_cert.c
tests_test_cert_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_cert_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_cert

# The operator's PKI tool, checked end to end; sg-cert-check runs the
# core's validator on the certificates it issues.
check_PROGRAMS += tests/sg-cert-check
tests_sg_cert_check_SOURCES = tests/sg-cert-check.c
tests_sg_cert_check_CFLAGS = $(SG_TEST_CFLAGS)
tests_sg_cert_check_LDADD = $(SG_CORE_LIBS)
dist_noinst_SCRIPTS += tests/test-serguard-pki.sh
TESTS += tests/test-serguard-pki.sh
dist_noinst_SCRIPTS += tests/test-man-serguard-pki.sh
TESTS += tests/test-man-serguard-pki.sh

# the session engine between two engines over a simulated line
check_PROGRAMS += tests/test_conn
tests_test_conn_SOURCES = tests/test_conn.c tests/simwire.c tests/simwire.h \
	tests/testenv.c tests/testenv.h
tests_test_conn_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_conn_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_conn

# certificate benchmark (`make bench` runs it too)
EXTRA_PROGRAMS += tests/bench_cert
tests_bench_cert_SOURCES = tests/bench_cert.c
tests_bench_cert_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_cert_LDADD = $(SG_CORE_LIBS)
CLEANFILES += tests/bench_cert
bench: bench-cert
bench-cert: tests/bench_cert$(EXEEXT)
	./tests/bench_cert$(EXEEXT) $(BENCH_RUNS) $(top_srcdir)/tests/pki/fixtures
.PHONY: bench-cert

# DTLS 1.2 baseline on the same mbedTLS, certificates and link framing
# (a benchmark; built for `make check` too, where a short run checks it
# still completes its handshake). SG_BENCH_TARGETS lists the benchmark
# programs, like SG_FUZZ_TARGETS (automake reserves *_PROGRAMS names for
# programs with an install directory).
SG_BENCH_TARGETS = tests/bench/dtls12
check_PROGRAMS += tests/bench/dtls12
tests_bench_dtls12_SOURCES = tests/bench/dtls12.c
tests_bench_dtls12_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_dtls12_LDADD = $(MBEDTLS_SSL_LIBS) $(SG_CORE_LIBS)
dist_noinst_SCRIPTS += tests/test_dtls12_bench.sh
TESTS += tests/test_dtls12_bench.sh
CLEANFILES += tests/bench/dtls12.json
bench: bench-dtls12
bench-dtls12: tests/bench/dtls12$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' ./tests/bench/dtls12$(EXEEXT) \
		-n $(BENCH_RUNS) --json tests/bench/dtls12.json
.PHONY: bench-dtls12

# ---- the spin model of the session engine (tests/model/README.md) --------
EXTRA_DIST += tests/model/README.md tests/model/session.pml
dist_noinst_SCRIPTS += tests/test-model.sh
TESTS += tests/test-model.sh
# Every configuration of the model with its figures (what the test does,
# but failing instead of skipping when spin is missing).
check-model:
	@if test -z '$(SPIN)'; then \
		echo "check-model: needs spin (configure found none)"; exit 1; fi
	top_srcdir='$(abs_top_srcdir)' SPIN='$(SPIN)' CC='$(CC)' \
		$(SHELL) $(top_srcdir)/tests/test-model.sh
.PHONY: check-model
