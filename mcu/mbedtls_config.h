/*
 * mbedTLS 2.28 configuration for serguard on a bare-metal Cortex-M device.
 *
 * Used through -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"' -I mcu for the
 * mbedTLS library objects and for proto/src/crypto_mbedtls*.c alike (the
 * two must agree: the adapter puts mbedTLS structs on its stack).
 *
 * Exactly what the crypto adapter (proto/src/crypto_mbedtls.c,
 * crypto_mbedtls_x509.c) calls, and nothing else:
 *   SHA-256 (the adapter builds HMAC and HKDF on it itself, so neither
 *   MBEDTLS_HKDF_C nor mbedtls_md_hmac is compiled in), AES-128-CCM,
 *   P-256 arithmetic (ECDH is mbedtls_ecp_mul on the peer's point, so the
 *   ECDH module is not needed), ECDSA sign (deterministic, RFC 6979) and
 *   verify, X.509 certificate and CRL parsing and chain verification with
 *   key usage and extended key usage.
 * No RSA, no TLS, no PEM, no file system, no entropy module (randomness is
 * the caller's sg_rng_fn), no threads, and no time: certificate validity
 * is checked by the adapter's verify callback against the wall-clock time
 * pushed into the engine (sg_conn_set_time), never a platform clock.
 *
 * Memory: mbedTLS allocates (bignum limbs, X.509 parse results). All of it
 * goes to the buffer allocator's static arena, which the firmware hands
 * over with mbedtls_memory_buffer_alloc_init() before the first call; no
 * newlib malloc is linked (MBEDTLS_PLATFORM_NO_STD_FUNCTIONS leaves
 * mbedtls_calloc returning NULL until then). The arena bound is in
 * doc/MCU.md.
 *
 * The firmware supplies one function:
 *   void sg_mcu_fatal(int code);
 * called by the buffer allocator when it finds its arena corrupted (a
 * memory-safety bug somewhere in the image): stop, or reset the device.
 */
#ifndef SG_MCU_MBEDTLS_CONFIG_H
#define SG_MCU_MBEDTLS_CONFIG_H

/* ---- system ------------------------------------------------------------ */
/* Bignum inner loops in assembly: UMAAL/UMLAL on v7-M/v8-M, the Thumb-1
 * sequence on v6-M (bn_mul.h). */
#define MBEDTLS_HAVE_ASM
/* No 64-by-32 division in bignum code: Cortex-M has no instruction for
 * it and libgcc's __aeabi_uldivmod would be pulled in. */
#define MBEDTLS_NO_UDBL_DIVISION
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_PLATFORM_EXIT_MACRO sg_mcu_fatal
void sg_mcu_fatal(int code);
/* Only reached by code the linker drops (certificate info strings). */
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
#include <stdio.h>

/* The measuring build compiles memory_buffer_alloc.c once more with
 * SG_MCU_HEAP_DEBUG for its high-water mark (mcu/mcu.mk); the library
 * objects themselves do not depend on it. */
#if defined(SG_MCU_HEAP_DEBUG)
#define MBEDTLS_MEMORY_DEBUG
#endif

/* ---- symmetric ----------------------------------------------------------- */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES	 /* tables in flash, not RAM */
#define MBEDTLS_AES_FEWER_TABLES /* 2 KiB of tables instead of 8 KiB */
#define MBEDTLS_CIPHER_C	 /* CCM sets its key through the cipher layer */
#define MBEDTLS_CCM_C

#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* rolled loop: ~1 KiB less, ~30% slower */
#define MBEDTLS_MD_C	       /* HMAC_DRBG (RFC 6979) and X.509 use it */
#define MBEDTLS_HMAC_DRBG_C    /* deterministic ECDSA nonces */

/* ---- public key ---------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM /* fast reduction modulo the P-256 prime */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* required by MBEDTLS_ECDSA_C */
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* ---- size and RAM -------------------------------------------------------- */
#define MBEDTLS_MPI_MAX_SIZE 32 /* 256-bit numbers are the largest */
#define MBEDTLS_MPI_WINDOW_SIZE 2
#define MBEDTLS_ECP_MAX_BITS 256
/* Window 2 without the fixed-point comb: the smallest heap. Window 6
 * with the comb (mbedTLS's default) is ~13% faster per operation and
 * needs ~2.4 KiB more heap (see doc/MCU.md). -D overrides these. */
#ifndef MBEDTLS_ECP_WINDOW_SIZE
#define MBEDTLS_ECP_WINDOW_SIZE 2
#endif
#ifndef MBEDTLS_ECP_FIXED_POINT_OPTIM
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#endif
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 4

/* ---- the DTLS 1.2 comparison build only (mcu/dtls/) ---------------------- */
/* DTLS 1.2 with TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8 and nothing else, as
 * tests/bench/dtls12.c runs it on the host: no cookie exchange, record
 * buffers of 1 KiB (the test PKI's certificates fit; mbedTLS's default is
 * 16 KiB each way). SG_MCU_DTLS_CLIENT_ONLY leaves the server out: what a
 * device would carry. */
#if defined(SG_MCU_DTLS)
#define MBEDTLS_ECDH_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#if !defined(SG_MCU_DTLS_CLIENT_ONLY)
#define MBEDTLS_SSL_SRV_C
#endif
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_MAX_CONTENT_LEN 1024
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
#endif

#include "mbedtls/check_config.h"

#endif
