/*
 * serguardd: the gateway's credential, its trust store, and the identity
 * policy for devices.
 *
 * One struct cred holds what every session engine of the daemon points
 * to: the gateway's certificate (DER), its private key (the 32-byte P-256
 * scalar EDHOC signs with), the trust store built from `ca` (and `crl`),
 * and the SHA-256 of each CA's subject name (the issuer a `serial:`
 * identity implies). The engines keep pointers into it, so it is
 * reference counted: a reload loads a new one and each link moves to it
 * when no handshake of its own is running, while the old one lives until
 * the last link lets it go.
 *
 * Accepted formats: certificates and CRLs in DER or PEM (a PEM `ca` file
 * may hold several certificates, such as intermediate CAs); the private
 * key as PEM or DER (SEC1 "EC PRIVATE KEY" or PKCS#8), or as the raw
 * 32-byte scalar. The key file goes through keyfile_read() (permission
 * check) and is wiped after parsing. The key must be a P-256 key and must
 * match the certificate.
 */
#ifndef SERGUARDD_CRED_H
#define SERGUARDD_CRED_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "serguard/cert.h"
#include "serguard/edhoc.h"

struct cred {
	unsigned refs;
	unsigned char *cert; /* own certificate, DER */
	size_t cert_len;
	unsigned char priv[32];
	struct sg_cert_store store;
	struct sg_peer_cert self;	  /* own certificate's identity, for logs */
	unsigned char (*ca_subject)[32];  /* SHA-256 of each CA's subject Name */
	size_t n_ca;
	enum sg_edhoc_idcred id_cred;	  /* how the own certificate is sent */
};

/* Load ca, cert, key and crl of g. NULL (every problem logged, with the
 * file's name) on failure. The result has one reference. */
struct cred *cred_load(const struct cfg_global *g);
struct cred *cred_ref(struct cred *c);
/* Drop a reference; the last one wipes the key and frees everything. */
void cred_unref(struct cred *c);

/*
 * The identity policy: does the validated certificate `seen` carry the
 * identity `want` of a [device] section? cn/dns/uri compare the text
 * exactly (a truncated value never matches); serial compares the serial
 * number without leading zero bytes and the issuer (the given
 * issuer-sha256, or else any CA certificate of `ca`); spki-sha256
 * compares the key's pin. Returns true when it matches.
 */
bool cred_identity_match(const struct cred *c, const struct cfg_identity *want,
			 const struct sg_cert_id *seen);
/* `want` as written in the configuration ("cn:dev-a"), for messages. */
void cred_identity_format(const struct cfg_identity *want, char *buf, size_t len);
/* What a certificate says about itself, for messages: "CN dev-b, serial
 * 22, URI urn:serguard:dev:b". */
void cred_peer_format(const struct sg_cert_id *seen, char *buf, size_t len);

#endif
