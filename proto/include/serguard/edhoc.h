/*
 * serguard protocol core: the EDHOC handshake (RFC 9528), both roles.
 *
 * Message level and sans-I/O: the caller moves whole EDHOC messages. It
 * tells the engine what a received buffer is (message_N or an error
 * message: the transport's frame kinds say so) and writes what the engine
 * produces. Fragmentation, retransmission, timers and correlation belong
 * to the transport/session layer.
 *
 * Profile (doc/PROTOCOL.md section 2): method 0 (signature/signature) with
 * cipher suite 2 by default, suite 3 selectable; method 3 (static DH /
 * static DH) when the configuration allows it. Credentials: X.509 sent
 * whole (x5chain) or by reference (x5t, SHA-256/64) and raw keys (CCS) by
 * kid. EAD: padding only; unknown critical items are refused.
 *
 * Calling sequence (every call returns 0 or a negative SG_E* code):
 *
 *   Initiator                               Responder
 *   sg_edhoc_init(INITIATOR)                sg_edhoc_init(RESPONDER)
 *   sg_edhoc_write_message_1  --- m1 --->   sg_edhoc_process_message_1
 *   sg_edhoc_process_message_2 <-- m2 ---   sg_edhoc_write_message_2
 *   sg_edhoc_write_message_3  --- m3 --->   sg_edhoc_process_message_3
 *   (established, tentative)                (established)
 *   sg_edhoc_process_message_4 <-- m4 ---   sg_edhoc_write_message_4 (optional)
 *
 * When a process call fails, the session is aborted (state
 * SG_EDHOC_ABORTED) and sg_edhoc_write_error() gives the EDHOC error
 * message RFC 9528 section 6 says to send, if any. Exceptions that leave
 * the session untouched: SG_EUNEXPECTED (a message this state does not
 * expect, e.g. a replayed message_1 at a finished responder, is dropped),
 * SG_EINVAL and SG_ENOSPC (caller errors).
 *
 * Buffers and ownership:
 * - The caller owns struct sg_edhoc, the config it points to, and every
 *   buffer; the config and everything it points to must stay valid and
 *   unchanged for the life of the engine. The engine keeps no pointer to
 *   a message buffer after a call returns.
 * - write_message_N writes into out (capacity cap); sizes below. The
 *   written bytes ARE the message for retransmission: keep them until the
 *   next message arrives and resend those bytes. The engine never writes
 *   a message twice (a second call gives SG_ESTATE): regenerating
 *   message_2 or message_3 would reuse KEYSTREAM_2 or K_3/IV_3 with
 *   another plaintext (RFC 9528 section 7).
 * - process_message_N decrypts IN PLACE: msg must be writable and holds
 *   plaintext/garbage afterwards. Credentials found inside (x5chain) are
 *   used during the call only.
 *
 * Secrets (ephemeral keys, PRKs, K_3, K_4) are wiped as soon as the step
 * that needs them is done, on every error path, and by sg_edhoc_wipe().
 */
#ifndef SERGUARD_EDHOC_H
#define SERGUARD_EDHOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/cert.h"
#include "serguard/sg.h"

/* Methods (RFC 9528 3.2) this implementation runs. */
#define SG_EDHOC_METHOD_SIG 0	    /* signature / signature */
#define SG_EDHOC_METHOD_STATIC_DH 3 /* static DH / static DH */
#define SG_EDHOC_METHOD_BIT(m) (1u << (m))

/* Cipher suites (RFC 9528 10.2) this implementation runs. */
#define SG_EDHOC_SUITE_2 2 /* AES-CCM-16-64-128, SHA-256, 8, P-256, ES256 */
#define SG_EDHOC_SUITE_3 3 /* AES-CCM-16-128-128, SHA-256, 16, P-256, ES256 */

/* Bounds of this implementation. */
#define SG_EDHOC_CID_MAX 8    /* connection identifier bytes */
#define SG_EDHOC_KID_MAX 8    /* kid bytes of a raw-key credential */
#define SG_EDHOC_SUITES_MAX 8 /* entries of SUITES_I / SUITES_R */
#define SG_EDHOC_PLAINTEXT_2_MAX 8160 /* 255 * 32: one EDHOC_KDF output */

/*
 * Buffer sizes. n = the own certificate's DER length (for a raw key:
 * its CCS length), ead = the EAD bytes the caller attaches (0 without).
 * These are upper bounds; the exact sizes of the profile are in
 * doc/PROTOCOL.md (37 / 115 / 90 bytes with x5t, 37 / N+108 / N+83 with
 * x5chain and N >= 256). A receive buffer must hold the peer's message,
 * which depends on the peer's certificate: size it with the peer's n.
 */
#define SG_EDHOC_MSG1_MAX(ead) (1 + 25 + 34 + 9 + (ead))
#define SG_EDHOC_MSG2_MAX(n, ead) (5 + 32 + 9 + ((n) + 41) + 67 + (ead))
#define SG_EDHOC_MSG3_MAX(n, ead) (5 + ((n) + 41) + 67 + (ead) + 16)
#define SG_EDHOC_MSG4_MAX(ead) (5 + (ead) + 16)
#define SG_EDHOC_ERROR_MAX 48

/* How a credential is identified in ID_CRED_x. */
enum sg_edhoc_idcred {
	SG_EDHOC_ID_X5T = 0, /* x5t with SHA-256/64 (14 bytes): by reference */
	SG_EDHOC_ID_X5CHAIN, /* x5chain: the certificate itself */
	SG_EDHOC_ID_KID	     /* kid: a raw public key (CCS) by reference */
};

/* An own credential. */
enum sg_edhoc_credtype {
	SG_EDHOC_CRED_X509 = 0, /* bytes = end-entity certificate, DER */
	SG_EDHOC_CRED_CCS	/* bytes = CWT Claims Set holding a COSE_Key; kid set */
};

struct sg_edhoc_cred {
	enum sg_edhoc_credtype type;
	const unsigned char *bytes;
	size_t len;
	const unsigned char *kid; /* CCS only: 1..SG_EDHOC_KID_MAX bytes */
	size_t kid_len;
};

/*
 * Peer credential lookup (the caller's cache of known credentials).
 * kind SG_EDHOC_ID_X5T: ref is the x5t hash (8 bytes for SHA-256/64, 32
 * for SHA-256); return the certificate's DER (the engine checks that it
 * hashes to ref). kind SG_EDHOC_ID_KID: ref is the kid; return the CCS.
 * Return 0 and set *cred and *len when found; anything else means unknown
 * (the engine then answers ERR_CODE 3). The bytes must stay valid until
 * the processing call returns.
 */
typedef int (*sg_edhoc_lookup_fn)(void *ctx, enum sg_edhoc_idcred kind,
				  const unsigned char *ref, size_t ref_len,
				  const unsigned char **cred, size_t *len);

/*
 * Identity policy: called once per handshake after the peer's credential
 * validated (X.509: chain, validity, key usage, revocation) and BEFORE
 * its signature or MAC is checked. Return 0 to allow this peer here,
 * anything else to refuse (SG_EIDENTITY). For a raw key (CCS) peer->id
 * holds the CCS "sub" claim in subject_cn and the SPKI pin of the key;
 * the other fields are empty. This is the moment to copy what the caller
 * wants to keep of the peer's identity: the engine does not store it.
 */
typedef int (*sg_edhoc_identity_fn)(void *ctx, const struct sg_peer_cert *peer);

/*
 * Diagnostic hook: every intermediate value, named as in RFC 9529's
 * traces (TH_2, PRK_3e2m, K_3, Sig_structure_2_cbor, ...). A value may
 * come in several pieces: `more` is true for every piece but the last.
 * It sees secrets: for test tools only, NULL in products.
 */
typedef void (*sg_edhoc_trace_fn)(void *ctx, const char *name, const unsigned char *data,
				  size_t len, bool more);

enum sg_edhoc_role { SG_EDHOC_INITIATOR = 0, SG_EDHOC_RESPONDER = 1 };

struct sg_edhoc_config {
	enum sg_edhoc_role role;
	/* Initiator: the method it uses. */
	uint8_t method;
	/* Methods this side accepts from/uses with the peer, as
	 * SG_EDHOC_METHOD_BIT()s. 0 means method 0 only. Method 3 must be
	 * enabled explicitly (never a fallback from signatures). */
	unsigned methods;
	/* Cipher suites, most preferred first (2 and/or 3). Initiator:
	 * SUITES_I; responder: the suites it accepts (and SUITES_R). n = 0
	 * means { 2 }. */
	uint8_t suites[SG_EDHOC_SUITES_MAX];
	size_t n_suites;

	/* Own credential and how to send it (x5t by default for X.509; the
	 * engine sends x5chain after sg_edhoc_set_id_cred() or retry after
	 * ERR_CODE 3). */
	struct sg_edhoc_cred cred;
	enum sg_edhoc_idcred id_cred;
	/* Own private key, 32-byte big-endian scalar: the ES256 signing key
	 * for method 0, the static DH key for method 3. */
	const unsigned char *priv;
	/* Own connection identifier (C_I or C_R): fixed bytes, or NULL for a
	 * random one-byte value (one of the 48 that encode as one byte),
	 * which for the responder always differs from C_I. */
	const unsigned char *cid;
	size_t cid_len;

	/* Peer validation. */
	const struct sg_cert_store *store; /* trust anchors for X.509 peers */
	struct sg_cert_policy cert_policy; /* now (see sg_edhoc_set_time), notime, role;
					      usage follows the method */
	sg_edhoc_identity_fn check_identity; /* required */
	void *identity_ctx;
	sg_edhoc_lookup_fn lookup; /* x5t / kid references; NULL: none known */
	void *lookup_ctx;

	sg_rng_fn rng; /* ephemeral keys, random C_x, ECDSA blinding */
	void *rng_ctx;

	sg_edhoc_trace_fn trace; /* NULL in products */
	void *trace_ctx;
};

/* States, named by what the engine waits for. */
enum sg_edhoc_state {
	SG_EDHOC_START = 0,   /* I: write_message_1 */
	SG_EDHOC_WAIT_M1,     /* R: process_message_1 */
	SG_EDHOC_WAIT_M2,     /* I: process_message_2 (or an error) */
	SG_EDHOC_SEND_M2,     /* R: write_message_2 */
	SG_EDHOC_SEND_M3,     /* I: write_message_3 */
	SG_EDHOC_WAIT_M3,     /* R: process_message_3 (or an error) */
	SG_EDHOC_WAIT_M4,     /* I: established, tentative until message_4
				 or the first record from R */
	SG_EDHOC_ESTABLISHED, /* R after message_3, I after message_4 */
	SG_EDHOC_DONE,	      /* R after writing message_4 */
	SG_EDHOC_ABORTED
};

/*
 * The engine. About 400 bytes (doc/PROTOCOL.md gives the exact figure);
 * fields are private to edhoc.c.
 */
struct sg_edhoc {
	const struct sg_edhoc_config *cfg;
	int64_t now;
	const unsigned char *ead; /* EAD for the next written message */
	size_t ead_len;
	uint8_t state, role, method, suite;
	uint8_t id_cred;     /* enum sg_edhoc_idcred used for the own credential */
	uint8_t err_send;    /* ERR_CODE to send after a failure, 0 none */
	uint8_t err_recv;    /* ERR_CODE received, 0 none */
	uint8_t flags;
	int16_t err_rc;	     /* the failure behind err_send */
	uint8_t c_i_len, c_r_len;
	unsigned char c_i[SG_EDHOC_CID_MAX], c_r[SG_EDHOC_CID_MAX];
	uint8_t n_suites_i, n_suites_r;
	int16_t suites_i[SG_EDHOC_SUITES_MAX]; /* SUITES_I of message_1 */
	int16_t suites_r[SG_EDHOC_SUITES_MAX]; /* SUITES_R of a received error 2 */
	unsigned char eph[32];	   /* X or Y */
	unsigned char g_x[32];	   /* R: G_X between message_1 and message_2 */
	unsigned char th[32];	   /* H(message_1), then TH_2 .. TH_4 */
	unsigned char prk_3e2m[32];
	unsigned char prk_4e3m[32];
	unsigned char prk_out[32];
	unsigned char prk_exporter[32];
	unsigned char k_4[16], iv_4[13];
};

/* Set up an engine for one handshake. Checks the configuration
 * (SG_ECONFIG: no priv, no credential, no check_identity, no rng, an
 * unsupported suite or method, a CID too long). */
int sg_edhoc_init(struct sg_edhoc *e, const struct sg_edhoc_config *cfg);

/* Wipe every secret and forget the session (the struct can be reused
 * with sg_edhoc_init). */
void sg_edhoc_wipe(struct sg_edhoc *e);

/* Wall-clock time (seconds since the epoch, or SG_TIME_UNKNOWN) for
 * certificate validity; initially cfg->cert_policy.now. */
void sg_edhoc_set_time(struct sg_edhoc *e, int64_t now);

/* Override how the own credential is identified for this session (e.g.
 * x5chain for a peer known not to have the certificate cached). Before
 * the message that carries it. SG_ECONFIG if the credential type cannot
 * be sent that way. */
int sg_edhoc_set_id_cred(struct sg_edhoc *e, enum sg_edhoc_idcred how);

/* Initiator, before write_message_1: select this suite (remembered from
 * an earlier error 2). Must be one of cfg->suites; SUITES_I is then the
 * preference list up to it. */
int sg_edhoc_set_suite(struct sg_edhoc *e, uint8_t suite);

/* Attach EAD (an encoded EAD sequence, RFC 9528 3.8) to the next message
 * written. The bytes must stay valid until that write. SG_EDECODE if
 * they are not a well-formed EAD sequence. */
int sg_edhoc_set_ead(struct sg_edhoc *e, const unsigned char *ead, size_t len);

/* ---- messages ------------------------------------------------------------ */

int sg_edhoc_write_message_1(struct sg_edhoc *e, unsigned char *out, size_t cap,
			     size_t *out_len);
int sg_edhoc_process_message_1(struct sg_edhoc *e, unsigned char *msg, size_t len);
int sg_edhoc_write_message_2(struct sg_edhoc *e, unsigned char *out, size_t cap,
			     size_t *out_len);
int sg_edhoc_process_message_2(struct sg_edhoc *e, unsigned char *msg, size_t len);
int sg_edhoc_write_message_3(struct sg_edhoc *e, unsigned char *out, size_t cap,
			     size_t *out_len);
int sg_edhoc_process_message_3(struct sg_edhoc *e, unsigned char *msg, size_t len);
int sg_edhoc_write_message_4(struct sg_edhoc *e, unsigned char *out, size_t cap,
			     size_t *out_len);
int sg_edhoc_process_message_4(struct sg_edhoc *e, unsigned char *msg, size_t len);

/*
 * A received EDHOC error message. Accepted while waiting for message_2,
 * message_3 or message_4 (the peer refused our last message): the session
 * aborts and SG_EPEERERR is returned; sg_edhoc_peer_error() gives the
 * code. In any other state SG_EUNEXPECTED (an established session is not
 * torn down by an unauthenticated error). SG_ECBOR/SG_EDECODE for a
 * buffer that is not an error message (state unchanged).
 */
int sg_edhoc_process_error(struct sg_edhoc *e, const unsigned char *msg, size_t len);

/*
 * After a failed process call: the error message to send. Writes it and
 * sets *out_len, or sets *out_len = 0 when none is due (we received an
 * error, ERR_CODE 0, or the failure was local). ERR_CODE 2 carries our
 * suites, 3 is sent for an unknown x5t/kid, 1 otherwise with a short
 * English diagnostic that names the class of failure only.
 */
int sg_edhoc_write_error(const struct sg_edhoc *e, unsigned char *out, size_t cap,
			 size_t *out_len);

/*
 * Initiator after SG_EPEERERR with ERR_CODE 2 or 3: start over in this
 * engine with the next suite both support (code 2) or sending the own
 * certificate by value (code 3). Fresh ephemeral key and state; call
 * write_message_1 next. SG_ESUITE if no suite is left, SG_ESTATE in any
 * other situation.
 */
int sg_edhoc_retry(struct sg_edhoc *e);

/* ---- state and results ---------------------------------------------------- */

enum sg_edhoc_state sg_edhoc_state(const struct sg_edhoc *e);
/* PRK_out is available (I: after message_3; R: after message_3 verified). */
bool sg_edhoc_established(const struct sg_edhoc *e);
int sg_edhoc_method(const struct sg_edhoc *e);
int sg_edhoc_suite(const struct sg_edhoc *e);
/* ERR_CODE of the error message received, 0 if none. */
int sg_edhoc_peer_error(const struct sg_edhoc *e);
/* The code of the failure that aborted the session (0 if none). */
int sg_edhoc_failure(const struct sg_edhoc *e);
/* Connection identifiers as bytes; NULL until known. */
const unsigned char *sg_edhoc_c_i(const struct sg_edhoc *e, size_t *len);
const unsigned char *sg_edhoc_c_r(const struct sg_edhoc *e, size_t *len);

/*
 * EDHOC_Exporter(label, context, length) = EDHOC_KDF(PRK_exporter, label,
 * context, length) (RFC 9528 4.2.1). Requires sg_edhoc_established(). Use
 * labels 32768..65535 (private use) for the record layer, one per purpose.
 * len at most 8160.
 */
int sg_edhoc_exporter(const struct sg_edhoc *e, uint16_t label, const void *ctx,
		      size_t ctx_len, unsigned char *out, size_t len);

/*
 * EDHOC_KeyUpdate(context) (RFC 9528 appendix H): PRK_out =
 * EDHOC_KDF(PRK_out, 11, context, 32), PRK_exporter re-derived. The old
 * keys are wiped. Both sides must call it with the same context.
 */
int sg_edhoc_key_update(struct sg_edhoc *e, const void *ctx, size_t ctx_len);

/* ---- test hooks ------------------------------------------------------------ */

/*
 * Use this ephemeral private key (32 bytes) for the next message_1 /
 * message_2 instead of one from the RNG, once: the hook is consumed by
 * that message. For test vectors only; never in products.
 */
int sg_edhoc_test_ephemeral(struct sg_edhoc *e, const unsigned char priv[32]);
/*
 * Initiator: send exactly this SUITES_I (the last entry is the selected
 * suite and must be 2 or 3; the others may be any suite numbers) in the
 * next message_1, once. RFC 9529 trace 2 sends [6, 2], naming a suite
 * this implementation does not run. For test vectors only.
 */
int sg_edhoc_test_suites_i(struct sg_edhoc *e, const int16_t *suites, size_t n);

#endif
