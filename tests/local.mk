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
SG_FUZZ_TARGETS = tests/fuzz/fuzz_frame tests/fuzz/fuzz_conn
SG_FUZZ_TARGETS += tests/fuzz/fuzz_cert
SG_FUZZ_TARGETS += tests/fuzz/fuzz_cbor
SG_FUZZ_TARGETS += tests/fuzz/fuzz_record

SG_FUZZ_TARGETS += tests/fuzz/fuzz_edhoc_msg1 tests/fuzz/fuzz_edhoc_msg2 \
	tests/fuzz/fuzz_edhoc_msg3 tests/fuzz/fuzz_edhoc_msg4 tests/fuzz/fuzz_edhoc_error
EXTRA_PROGRAMS += $(SG_FUZZ_TARGETS)
tests_fuzz_fuzz_frame_SOURCES = tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_frame_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_conn_SOURCES = tests/fuzz/fuzz_conn.c tests/testenv.c tests/testenv.h
tests_fuzz_fuzz_conn_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_conn_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_conn_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_cbor_SOURCES = tests/fuzz/fuzz_cbor.c
tests_fuzz_fuzz_cbor_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cbor_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cbor_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_cert_SOURCES = tests/fuzz/fuzz_cert.c
tests_fuzz_fuzz_cert_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cert_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cert_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_record_SOURCES = tests/fuzz/fuzz_record.c tests/fuzz/fuzz_record.h
tests_fuzz_fuzz_record_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_record_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_record_LDADD = $(SG_CORE_LIBS)
# Seed corpus generator of fuzz_record (tests/fuzz/README.md); any compiler.
EXTRA_PROGRAMS += tests/fuzz/gen_record_corpus
tests_fuzz_gen_record_corpus_SOURCES = tests/fuzz/gen_record_corpus.c tests/fuzz/fuzz_record.h
tests_fuzz_gen_record_corpus_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_fuzz_gen_record_corpus_LDADD = $(SG_CORE_LIBS)

tests_fuzz_fuzz_edhoc_msg1_SOURCES = tests/fuzz/fuzz_edhoc_msg1.c tests/fuzz/edhoc_fuzz.h \
	tests/tracebuf.c tests/tracebuf.h
tests_fuzz_fuzz_edhoc_msg1_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg1_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg1_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_edhoc_msg2_SOURCES = tests/fuzz/fuzz_edhoc_msg2.c tests/fuzz/edhoc_fuzz.h \
	tests/tracebuf.c tests/tracebuf.h
tests_fuzz_fuzz_edhoc_msg2_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg2_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg2_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_edhoc_msg3_SOURCES = tests/fuzz/fuzz_edhoc_msg3.c tests/fuzz/edhoc_fuzz.h \
	tests/tracebuf.c tests/tracebuf.h
tests_fuzz_fuzz_edhoc_msg3_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg3_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg3_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_edhoc_msg4_SOURCES = tests/fuzz/fuzz_edhoc_msg4.c tests/fuzz/edhoc_fuzz.h \
	tests/tracebuf.c tests/tracebuf.h
tests_fuzz_fuzz_edhoc_msg4_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg4_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_msg4_LDADD = $(SG_CORE_LIBS)
tests_fuzz_fuzz_edhoc_error_SOURCES = tests/fuzz/fuzz_edhoc_error.c tests/fuzz/edhoc_fuzz.h \
	tests/tracebuf.c tests/tracebuf.h
tests_fuzz_fuzz_edhoc_error_CFLAGS = $(AM_CFLAGS) $(SG_C11) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_error_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_edhoc_error_LDADD = $(SG_CORE_LIBS)
EXTRA_DIST += tests/fuzz/make-edhoc-corpus.sh
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
# Built with everything else (noinst: they cannot rot, and they are not
# installed); `make bench` runs each through its own bench-<name> rule.
BENCH_RUNS ?= 101
noinst_PROGRAMS += tests/bench_crypto
tests_bench_crypto_SOURCES = tests/bench_crypto.c
tests_bench_crypto_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_crypto_LDADD = $(SG_CORE_LIBS)
bench: bench-crypto
bench-crypto: tests/bench_crypto$(EXEEXT)
	./tests/bench_crypto$(EXEEXT) $(BENCH_RUNS)
.PHONY: bench bench-crypto

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
check_PROGRAMS += tests/test_handshake
tests_test_handshake_SOURCES = tests/test_handshake.c
tests_test_handshake_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_handshake_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_handshake
# the vector tool: runs EDHOC on a vector file's inputs, prints every value
check_PROGRAMS += tests/edhoc-vector
tests_edhoc_vector_SOURCES = tests/edhoc-vector.c tests/tracebuf.c tests/tracebuf.h \
	$(SG_TEST_VECTORFILE_SOURCES)
tests_edhoc_vector_CFLAGS = $(SG_TEST_CFLAGS)
tests_edhoc_vector_LDADD = $(SG_CORE_LIBS)
dist_noinst_SCRIPTS += tests/test-edhoc-vector.sh
TESTS += tests/test-edhoc-vector.sh

# the session engine between two engines over a simulated line
check_PROGRAMS += tests/test_conn
tests_test_conn_SOURCES = tests/test_conn.c tests/simwire.c tests/simwire.h \
	tests/testenv.c tests/testenv.h
tests_test_conn_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_conn_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_conn

# certificate benchmark (`make bench` runs it too)
noinst_PROGRAMS += tests/bench_cert
tests_bench_cert_SOURCES = tests/bench_cert.c
tests_bench_cert_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_cert_LDADD = $(SG_CORE_LIBS)
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

# make install into a staging root, the unit's exposure, the sysusers.d
# file, mandoc lint of the installed pages, make uninstall (needs the
# built tree; runs a nested make that only installs)
dist_noinst_SCRIPTS += tests/test-install.sh
TESTS += tests/test-install.sh
AM_TESTS_ENVIRONMENT += SYSTEMD_ANALYZE='$(SYSTEMD_ANALYZE)'; export SYSTEMD_ANALYZE; \
	MAKE='$(MAKE)'; export MAKE;
# The installation directories and what `all` compiles, as shell
# assignments, for that test.
print-install-dirs:
	@echo "prefix='$(prefix)'"
	@echo "bindir='$(bindir)'"
	@echo "sbindir='$(sbindir)'"
	@echo "sysconfdir='$(sysconfdir)'"
	@echo "docdir='$(docdir)'"
	@echo "mandir='$(mandir)'"
	@echo "systemdsystemunitdir='$(systemdsystemunitdir)'"
	@echo "sysusersdir='$(sysusersdir)'"
	@echo "compiled='$(LIBRARIES) $(PROGRAMS) $(SCRIPTS)'"
.PHONY: print-install-dirs

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

# serguard's handshake and records counted like the DTLS baseline, and the
# side-by-side table (`make bench`; runs after bench-dtls12)
noinst_PROGRAMS += tests/bench/serguard
tests_bench_serguard_SOURCES = tests/bench/serguard.c tests/testenv.c tests/testenv.h
tests_bench_serguard_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_serguard_LDADD = $(SG_CORE_LIBS)
bench: bench-protocol
bench-protocol: tests/bench/serguard$(EXEEXT) tests/bench/dtls12$(EXEEXT) bench-dtls12
	@echo "== serguard, minimal test certificates (gw, dev-a)"
	top_srcdir='$(abs_top_srcdir)' ./tests/bench/serguard$(EXEEXT) -n $(BENCH_RUNS) \
		--json tests/bench/serguard.json --dtls tests/bench/dtls12.json
	@echo "== DTLS 1.2 and serguard, certificates of a typical plant PKI (gw-typical, dev-a-typical)"
	top_srcdir='$(abs_top_srcdir)' ./tests/bench/dtls12$(EXEEXT) -n $(BENCH_RUNS) \
		--gw gw-typical --dev dev-a-typical --key dtls12_typical_certs \
		--json tests/bench/dtls12-typical.json >tests/bench/dtls12-typical.out
	top_srcdir='$(abs_top_srcdir)' ./tests/bench/serguard$(EXEEXT) -n $(BENCH_RUNS) \
		--gw gw-typical --dev dev-a-typical --key serguard_typical_certs \
		--json tests/bench/serguard-typical.json --dtls tests/bench/dtls12-typical.json
CLEANFILES += tests/bench/serguard.json tests/bench/serguard-typical.json \
	tests/bench/dtls12-typical.json tests/bench/dtls12-typical.out
.PHONY: bench-protocol

# Every figure `make bench` printed, merged into bench-results.json in the
# build directory (each program writes its own JSON piece).
bench: bench-results
bench-results: bench-protocol
	@if command -v jq >/dev/null 2>&1; then \
		jq -s 'reduce .[] as $$x ({}; . * $$x)' tests/bench/*.json >bench-results.json && \
		echo "== figures written to $$(pwd)/bench-results.json"; \
	else echo "bench: jq not found (Debian: jq); bench-results.json not written" >&2; exit 1; fi
CLEANFILES += bench-results.json
.PHONY: bench-results

# record layer benchmark (`make bench` runs it too)
noinst_PROGRAMS += tests/bench_record
tests_bench_record_SOURCES = tests/bench_record.c
tests_bench_record_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_record_LDADD = $(SG_CORE_LIBS)
bench: bench-record
bench-record: tests/bench_record$(EXEEXT)
	./tests/bench_record$(EXEEXT)
.PHONY: bench-record

# EDHOC handshake bytes per message and CPU time per side (make bench)
noinst_PROGRAMS += tests/bench_handshake
tests_bench_handshake_SOURCES = tests/bench_handshake.c
tests_bench_handshake_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_handshake_LDADD = $(SG_CORE_LIBS)
bench: bench-handshake
bench-handshake: tests/bench_handshake$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' ./tests/bench_handshake$(EXEEXT) $(BENCH_RUNS)
.PHONY: bench-handshake

# a device's link (engine, identity policy, queues) against a device engine,
# and the gateway's credential loading
check_PROGRAMS += tests/test_link
tests_test_link_SOURCES = tests/test_link.c tests/testenv.c tests/testenv.h
tests_test_link_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_link_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_link_LDADD = $(SG_DAEMON_TEST_LIBS)
TESTS += tests/test_link

# the device sockets: SOCK_SEQPACKET semantics, fan-out, backpressure
check_PROGRAMS += tests/test_client
tests_test_client_SOURCES = tests/test_client.c
tests_test_client_CPPFLAGS = $(SG_DAEMON_TEST_CPPFLAGS)
tests_test_client_CFLAGS = $(SG_DAEMON_TEST_CFLAGS)
tests_test_client_LDADD = $(SG_DAEMON_TEST_LIBS)
TESTS += tests/test_client

# ---- the emulated field device (device/) -----------------------------------
# gw-peer: a minimal scripted gateway on sg_conn, the device's test peer
check_PROGRAMS += tests/gw-peer
tests_gw_peer_SOURCES = tests/gw-peer.c $(SG_DEVICE_COMMON_SOURCES)
tests_gw_peer_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_gw_peer_LDADD = $(SG_CORE_LIBS)
# end-to-end over socat pty pairs (SKIP without socat)
EXTRA_DIST += tests/device-lib.sh
dist_noinst_SCRIPTS += tests/test-device-pair.sh
TESTS += tests/test-device-pair.sh
dist_noinst_SCRIPTS += tests/test-device-reboot.sh tests/test-device-line.sh \
	tests/test-device-plaintext.sh tests/test-device-behaviour.sh \
	tests/test-man-serguard-device.sh
TESTS += tests/test-device-reboot.sh tests/test-device-line.sh \
	tests/test-device-plaintext.sh tests/test-device-behaviour.sh \
	tests/test-man-serguard-device.sh
# the device's pure parts: line-rate emulation and application behaviours
check_PROGRAMS += tests/test_device_line tests/test_device_app
tests_test_device_line_SOURCES = tests/test_device_line.c device/line.c device/line.h
tests_test_device_line_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_device_line_LDADD = $(SG_TEST_LIBS)
tests_test_device_app_SOURCES = tests/test_device_app.c device/app.c device/app.h
tests_test_device_app_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_device_app_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_device_line tests/test_device_app

# ---- the gateway end to end (serguardd + serguard-device on socat ptys) ----
# sg-sock: a device-socket client; json-get: strict JSON check and lookup
check_PROGRAMS += tests/sg-sock tests/json-get
tests_sg_sock_SOURCES = tests/sg-sock.c
tests_sg_sock_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_json_get_SOURCES = tests/json-get.c $(SG_TEST_JSON_SOURCES)
tests_json_get_CFLAGS = $(AM_CFLAGS) $(SG_C11)
dist_noinst_SCRIPTS += tests/test-gateway.sh
EXTRA_DIST += tests/gateway-lib.sh
TESTS += tests/test-gateway.sh
# the same under 20 % line loss, key updates mid-traffic, a daemon restart
dist_noinst_SCRIPTS += tests/test-gateway-resilience.sh
TESTS += tests/test-gateway-resilience.sh
# sd_notify against a fake NOTIFY_SOCKET
dist_noinst_SCRIPTS += tests/test-serguardd-notify.sh
TESTS += tests/test-serguardd-notify.sh

# serguardd(8) and `serguardd --help` list the same options
dist_noinst_SCRIPTS += tests/test-man-serguardd.sh
TESTS += tests/test-man-serguardd.sh

# the attack and fault catalogue at the session level (tests/ATTACKS.md)
check_PROGRAMS += tests/test_attacks
tests_test_attacks_SOURCES = tests/test_attacks.c tests/simwire.c tests/simwire.h \
	tests/testenv.c tests/testenv.h
tests_test_attacks_CFLAGS = $(SG_TEST_CFLAGS)
tests_test_attacks_LDADD = $(SG_TEST_LIBS)
TESTS += tests/test_attacks
EXTRA_DIST += tests/ATTACKS.md

# ---- serguardd at scale (`make bench`): one process plays every device over
# ptys; figures at 16, 256 and GATEWAY_MAX devices, a table, bench JSON, and
# the scaling plot (gnuplot; skipped with a note when absent)
GATEWAY_MAX ?= 1024
GATEWAY_BENCH_ARGS ?=
noinst_PROGRAMS += tests/bench/gateway-load
tests_bench_gateway_load_SOURCES = tests/bench/gateway-load.c
tests_bench_gateway_load_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_bench_gateway_load_LDADD = $(SG_CORE_LIBS)
EXTRA_DIST += tests/bench/gateway-scaling.gp
bench: bench-gateway
bench-gateway: tests/bench/gateway-load$(EXEEXT) daemon/serguardd$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		./tests/bench/gateway-load$(EXEEXT) --sizes 16,256,$(GATEWAY_MAX) \
		--json tests/bench/gateway.json --data tests/bench/gateway-scaling.dat \
		$(GATEWAY_BENCH_ARGS)
	@if command -v gnuplot >/dev/null 2>&1; then \
		gnuplot -e "datafile='tests/bench/gateway-scaling.dat'; outfile='tests/bench/gateway-scaling.svg'" \
			$(top_srcdir)/tests/bench/gateway-scaling.gp && \
		echo "== plot written to $$(pwd)/tests/bench/gateway-scaling.svg"; \
	else echo "bench-gateway: gnuplot not found (Debian: gnuplot-nox); plot skipped"; fi
# copy the plot just made into doc/ (after `make bench-gateway`)
bench-plot-docs:
	cp tests/bench/gateway-scaling.svg $(top_srcdir)/doc/gateway-scaling.svg
CLEANFILES += tests/bench/gateway.json tests/bench/gateway-scaling.dat \
	tests/bench/gateway-scaling.svg
.PHONY: bench-gateway bench-plot-docs
bench-results: bench-gateway
# the load program at 8 devices as a check (all up, every message delivered)
dist_noinst_SCRIPTS += tests/test-gateway-load.sh
TESTS += tests/test-gateway-load.sh
EXTRA_DIST += doc/BENCHMARKS.md doc/gateway-scaling.svg

# wire-mitm: a scripted attacker on the serial line; the system-level attack scenarios
check_PROGRAMS += tests/wire-mitm
tests_wire_mitm_SOURCES = tests/wire-mitm.c
tests_wire_mitm_CFLAGS = $(AM_CFLAGS) $(SG_C11)
tests_wire_mitm_LDADD = $(SG_CORE_LIBS)
dist_noinst_SCRIPTS += tests/test-wire-attacks.sh
TESTS += tests/test-wire-attacks.sh

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
