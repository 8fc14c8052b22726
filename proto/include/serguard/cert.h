/*
 * serguard protocol core: X.509 certificate validation and identity.
 *
 * The handshake hands the peer's end-entity certificate (DER, as carried
 * in CRED_x) to sg_cert_verify(), which runs the steps in a fixed order,
 * each a separate check (architecture.md, example 3):
 *
 *   1. parse (DER, ECDSA P-256 key, no trailing garbage),
 *   2. chain to a trust anchor of the store (the leaf's issuer must be a
 *      CA certificate in the store; intermediates may be added to the
 *      store as well), with signature algorithms and curves restricted to
 *      ECDSA P-256/SHA-256 by an explicit profile,
 *   3. validity of every certificate in the path against the wall-clock
 *      time the caller gives (never the platform clock: mbedTLS's own
 *      time checks are overridden),
 *   4. key usage: digitalSignature must be allowed (keyAgreement for
 *      static-DH credentials), and the extended key usage if the caller
 *      asks for a role,
 *   5. revocation against the store's CRL when one is loaded,
 *   6. identity extraction into struct sg_cert_id, which the caller's
 *      policy then compares with what it expects for the peer.
 *
 * Proof of possession (the EDHOC signature or MAC) is the handshake's
 * job and comes after all of this.
 *
 * Memory: mbedTLS's X.509 parser allocates. On a microcontroller route
 * mbedTLS's calloc/free to its buffer allocator (a static arena); the
 * bound is documented in doc/PROTOCOL.md. struct sg_cert_store holds a
 * pointer to backend state the adapter allocates in sg_cert_store_init()
 * and frees in sg_cert_store_free().
 */
#ifndef SERGUARD_CERT_H
#define SERGUARD_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/sg.h"

/* Wall-clock time (seconds since the Unix epoch, UTC). */
#define SG_TIME_UNKNOWN INT64_MIN

/* What to do when the caller does not know the time (a device whose RTC
 * lost power). The choice is the integrator's, explicitly. */
enum sg_notime_policy {
	SG_NOTIME_REJECT = 0,	/* refuse: SG_ENOTIME (the default) */
	SG_NOTIME_SKIP_VALIDITY /* accept without the validity check */
};

/* Role a certificate must carry (extended key usage), if any. */
enum sg_cert_role {
	SG_ROLE_ANY = 0, /* no EKU requirement */
	SG_ROLE_GATEWAY, /* id-kp-serverAuth */
	SG_ROLE_DEVICE	 /* id-kp-clientAuth */
};

/* Key usage the credential is used with. */
enum sg_cert_usage {
	SG_USAGE_SIGN = 0, /* EDHOC methods with signatures: digitalSignature */
	SG_USAGE_DH	   /* static-DH methods: keyAgreement */
};

struct sg_cert_store {
	void *backend; /* owned by the adapter */
	bool has_crl;
};

/* Identity of a validated certificate. Strings are NUL-terminated and
 * truncated to fit (a truncated value is flagged, and a policy must not
 * match on it). Never a hash of the whole certificate: mbedTLS 2.28
 * accepts several encodings of the same signature, so such a hash is not
 * an identity. */
struct sg_cert_id {
	char subject_cn[65];
	char san_dns[65];    /* first dNSName SAN, "" when none */
	char san_uri[129];   /* first uniformResourceIdentifier SAN, "" when none */
	unsigned char serial[20];
	size_t serial_len;
	unsigned char issuer_hash[32]; /* SHA-256 of the issuer Name DER */
	unsigned char spki_hash[32];   /* SHA-256 of SubjectPublicKeyInfo DER: the pin */
	bool truncated;
	int64_t not_before, not_after;
};

/* A validated peer: its public key and identity. */
struct sg_peer_cert {
	unsigned char pub_x[32], pub_y[32];
	struct sg_cert_id id;
};

/* Validation options. */
struct sg_cert_policy {
	int64_t now;			   /* wall clock, or SG_TIME_UNKNOWN */
	enum sg_notime_policy notime;
	enum sg_cert_role role;
	enum sg_cert_usage usage;
};

/* Set up an empty store. Returns SG_ECRYPTO if the backend cannot get
 * memory. Free with sg_cert_store_free(). */
int sg_cert_store_init(struct sg_cert_store *s);
/* Add a trusted CA certificate (DER). SG_ECERT when it does not parse or
 * is not a P-256 CA certificate. */
int sg_cert_store_add_ca(struct sg_cert_store *s, const unsigned char *der, size_t len);
/* Load a CRL (DER) issued by a CA in the store. */
int sg_cert_store_add_crl(struct sg_cert_store *s, const unsigned char *der, size_t len);
void sg_cert_store_free(struct sg_cert_store *s);

/*
 * Validate an end-entity certificate (steps 1..6 above). On success
 * fills *out and returns 0. Errors: SG_ECERT (malformed), SG_ECERTKEY
 * (not ECDSA P-256), SG_ECERTCHAIN, SG_ECERTEXPIRED, SG_ECERTFUTURE,
 * SG_ENOTIME, SG_ECERTUSAGE, SG_ECERTREVOKED. *out is wiped on failure.
 */
int sg_cert_verify(const struct sg_cert_store *s, const unsigned char *der,
		   size_t len, const struct sg_cert_policy *policy,
		   struct sg_peer_cert *out);

/* Identity and public key of a certificate without validating it (for
 * one's own certificate). */
int sg_cert_parse(const unsigned char *der, size_t len, struct sg_peer_cert *out);

#endif
