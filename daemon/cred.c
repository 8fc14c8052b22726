/*
 * serguardd: credentials and identity policy (see cred.h).
 *
 * Implementation notes:
 * - PEM is decoded with mbedTLS's PEM reader (mbedtls_pem_read_buffer),
 *   block by block; a file with no "-----BEGIN " line is taken as one
 *   DER object. Certificates then go to the core's store
 *   (sg_cert_store_add_ca/_crl), which checks that a CA is a P-256 CA.
 * - The private key is parsed with mbedtls_pk_parse_key (PEM or DER,
 *   SEC1 or PKCS#8); a file of exactly 32 bytes is the raw scalar. Only
 *   the scalar is kept; mbedTLS's copy is freed (mbedtls_pk_free zeroises
 *   the key material) and the file's bytes are wiped by keyfile_release.
 * - The key must match the certificate: Q = d*G is computed and compared
 *   with the certificate's public key, so a wrong key file is reported
 *   at start-up and not as every handshake failing on the devices.
 * - The own certificate is also validated against the own trust store
 *   (role gateway, now): if that fails the devices with the same CA will
 *   refuse it too, which deserves a warning, but not a refusal to start
 *   (devices may trust another CA).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "daemon/cred.h"
#include "daemon/entropy.h"
#include "daemon/keyfile.h"
#include "daemon/log.h"
#include "serguard/crypto.h"
#include "serguard/err.h"

#define CRED_FILE_MAX (1u << 20)

/* The whole file, NUL-terminated (not counted in *len). */
static unsigned char *read_file(const char *path, const char *what, size_t *len)
{
	unsigned char *b = NULL;
	size_t have = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		log_err("%s: cannot open the %s: %s", path, what, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CRED_FILE_MAX) {
		log_err("%s: the %s is not a regular file of at most %u bytes", path, what,
			CRED_FILE_MAX);
		goto fail;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		log_err("%s: out of memory", path);
		goto fail;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, b + have, (size_t)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("%s: cannot read the %s: %s", path, what,
				n < 0 ? strerror(errno) : "file shrank");
			goto fail;
		}
		have += (size_t)n;
	}
	close(fd);
	b[have] = 0;
	*len = have;
	return b;
fail:
	free(b);
	close(fd);
	return NULL;
}

static bool is_pem(const unsigned char *b, size_t len)
{
	return memmem(b, len, "-----BEGIN ", 11) != NULL;
}

typedef int (*der_fn)(struct cred *c, const char *path, const unsigned char *der, size_t len);

/* Call each() for every DER object of the file: the PEM blocks with the
 * given label, or the file itself. Returns the number of objects, or -1
 * (logged). */
static int for_each_der(struct cred *c, const char *path, const char *what,
			const char *label, der_fn each)
{
	char hdr[64], ftr[64];
	unsigned char *b;
	const unsigned char *p;
	size_t len;
	int n = 0;

	b = read_file(path, what, &len);
	if (b == NULL)
		return -1;
	if (!is_pem(b, len)) {
		n = each(c, path, b, len) == 0 ? 1 : -1;
		free(b);
		return n;
	}
	snprintf(hdr, sizeof(hdr), "-----BEGIN %s-----", label);
	snprintf(ftr, sizeof(ftr), "-----END %s-----", label);
	p = b;
	for (;;) {
		mbedtls_pem_context pem;
		size_t used = 0;
		int r;

		mbedtls_pem_init(&pem);
		r = mbedtls_pem_read_buffer(&pem, hdr, ftr, p, NULL, 0, &used);
		if (r == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
			mbedtls_pem_free(&pem);
			break;
		}
		if (r != 0) {
			log_err("%s: the %s: PEM block %d does not decode (mbedTLS -0x%04x)", path,
				what, n + 1, (unsigned)-r);
			mbedtls_pem_free(&pem);
			n = -1;
			break;
		}
		if (each(c, path, pem.buf, pem.buflen) != 0) {
			mbedtls_pem_free(&pem);
			n = -1;
			break;
		}
		mbedtls_pem_free(&pem);
		n++;
		p += used;
	}
	free(b);
	if (n == 0) {
		log_err("%s: the %s has no \"%s\" block", path, what, hdr);
		return -1;
	}
	return n;
}

static int add_ca(struct cred *c, const char *path, const unsigned char *der, size_t len)
{
	mbedtls_x509_crt crt;
	unsigned char(*grown)[32];
	int r;

	r = sg_cert_store_add_ca(&c->store, der, len);
	if (r != 0) {
		log_err("%s: CA certificate %zu: %s (a P-256 CA certificate is needed)", path,
			c->n_ca + 1, sg_strerror(r));
		return -1;
	}
	grown = realloc(c->ca_subject, (c->n_ca + 1) * sizeof(*grown));
	if (grown == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}
	c->ca_subject = grown;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, der, len) != 0 ||
	    sg_sha256(crt.subject_raw.p, crt.subject_raw.len, c->ca_subject[c->n_ca]) != 0) {
		mbedtls_x509_crt_free(&crt);
		log_err("%s: CA certificate %zu: cannot read its subject", path, c->n_ca + 1);
		return -1;
	}
	mbedtls_x509_crt_free(&crt);
	c->n_ca++;
	return 0;
}

static int add_crl(struct cred *c, const char *path, const unsigned char *der, size_t len)
{
	int r = sg_cert_store_add_crl(&c->store, der, len);

	if (r != 0) {
		log_err("%s: CRL: %s (it must be issued by a CA of `ca`)", path, sg_strerror(r));
		return -1;
	}
	return 0;
}

static int set_cert(struct cred *c, const char *path, const unsigned char *der, size_t len)
{
	int r;

	if (c->cert != NULL)
		return 0; /* the first certificate of a PEM file is ours */
	r = sg_cert_parse(der, len, &c->self);
	if (r != 0) {
		log_err("%s: the gateway certificate: %s", path, sg_strerror(r));
		return -1;
	}
	c->cert = malloc(len);
	if (c->cert == NULL) {
		log_err("%s: out of memory", path);
		return -1;
	}
	memcpy(c->cert, der, len);
	c->cert_len = len;
	return 0;
}

static int mbedtls_rng(void *ctx, unsigned char *buf, size_t len)
{
	return entropy_rng(ctx, buf, len) == 0 ? 0 : MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

/* The private scalar from a key file's bytes. */
static int parse_key(const char *path, const unsigned char *b, size_t len,
		     unsigned char priv[32])
{
	mbedtls_pk_context pk;
	mbedtls_ecp_keypair *ec;
	int r;

	if (len == 32) {
		memcpy(priv, b, 32);
		return 0;
	}
	mbedtls_pk_init(&pk);
	/* PEM input must include its terminating NUL in the length */
	r = mbedtls_pk_parse_key(&pk, b, is_pem(b, len) ? len + 1 : len, NULL, 0);
	if (r != 0) {
		log_err("%s: not a private key (PEM or DER, SEC1 or PKCS#8, unencrypted) nor a "
			"32-byte raw P-256 scalar (mbedTLS -0x%04x)",
			path, (unsigned)-r);
		mbedtls_pk_free(&pk);
		return -1;
	}
	if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY &&
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECDSA) {
		log_err("%s: not an EC private key", path);
		mbedtls_pk_free(&pk);
		return -1;
	}
	ec = mbedtls_pk_ec(pk);
	if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1 ||
	    mbedtls_mpi_write_binary(&ec->d, priv, 32) != 0) {
		log_err("%s: not a P-256 (prime256v1) private key", path);
		mbedtls_pk_free(&pk);
		return -1;
	}
	mbedtls_pk_free(&pk);
	return 0;
}

/* d is a valid scalar and d*G is the certificate's public key. */
static int key_matches(const struct cred *c, const char *path)
{
	mbedtls_ecp_group grp;
	mbedtls_mpi d;
	mbedtls_ecp_point q;
	unsigned char x[32], y[32];
	int ok = -1;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
	    mbedtls_mpi_read_binary(&d, c->priv, 32) != 0) {
		log_err("%s: cannot load the key", path);
		goto out;
	}
	if (mbedtls_ecp_check_privkey(&grp, &d) != 0) {
		log_err("%s: not a valid P-256 private key (scalar out of range)", path);
		goto out;
	}
	if (mbedtls_ecp_mul(&grp, &q, &d, &grp.G, mbedtls_rng, NULL) != 0 ||
	    mbedtls_mpi_write_binary(&q.X, x, 32) != 0 ||
	    mbedtls_mpi_write_binary(&q.Y, y, 32) != 0) {
		log_err("%s: cannot compute the public key", path);
		goto out;
	}
	if (memcmp(x, c->self.pub_x, 32) != 0 || memcmp(y, c->self.pub_y, 32) != 0) {
		log_err("%s: the private key does not belong to the gateway certificate", path);
		goto out;
	}
	ok = 0;
out:
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_group_free(&grp);
	return ok;
}

struct cred *cred_load(const struct cfg_global *g)
{
	struct cred *c = calloc(1, sizeof(*c));
	struct sg_cert_policy pol;
	struct sg_peer_cert tmp;
	unsigned char *kb = NULL;
	size_t klen = 0;
	int r;

	if (c == NULL) {
		log_err("out of memory");
		return NULL;
	}
	c->refs = 1;
	if (sg_cert_store_init(&c->store) != 0) {
		log_err("cannot set up the certificate store");
		free(c);
		return NULL;
	}
	if (for_each_der(c, g->ca, "CA certificate", "CERTIFICATE", add_ca) < 0 ||
	    (g->crl != NULL && for_each_der(c, g->crl, "CRL", "X509 CRL", add_crl) < 0) ||
	    for_each_der(c, g->cert, "gateway certificate", "CERTIFICATE", set_cert) < 0)
		goto fail;
	if (keyfile_read(g->key, &kb, &klen) != 0)
		goto fail;
	r = parse_key(g->key, kb, klen, c->priv);
	keyfile_release(kb, klen + 1);
	if (r != 0 || key_matches(c, g->key) != 0)
		goto fail;
	c->id_cred = g->send_certificate == CFG_SENDCERT_BY_REFERENCE ? SG_EDHOC_ID_X5T
								      : SG_EDHOC_ID_X5CHAIN;

	memset(&pol, 0, sizeof(pol));
	pol.now = (int64_t)time(NULL);
	pol.role = SG_ROLE_GATEWAY;
	pol.usage = SG_USAGE_SIGN;
	r = sg_cert_verify(&c->store, c->cert, c->cert_len, &pol, &tmp);
	if (r != 0)
		log_warn("%s: the gateway certificate does not validate against %s: %s; devices "
			 "that trust the same CA will refuse it",
			 g->cert, g->ca, sg_strerror(r));
	sg_wipe(&tmp, sizeof(tmp));
	return c;
fail:
	cred_unref(c);
	return NULL;
}

struct cred *cred_ref(struct cred *c)
{
	c->refs++;
	return c;
}

void cred_unref(struct cred *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	sg_wipe(c->priv, sizeof(c->priv));
	sg_cert_store_free(&c->store);
	free(c->cert);
	free(c->ca_subject);
	free(c);
}

/* ---- identity policy ------------------------------------------------------ */

bool cred_identity_match(const struct cred *c, const struct cfg_identity *want,
			 const struct sg_cert_id *seen)
{
	const unsigned char *s = seen->serial;
	size_t n = seen->serial_len, i;

	switch (want->kind) {
	case CFG_ID_CN:
		return !seen->truncated && strcmp(want->text, seen->subject_cn) == 0;
	case CFG_ID_URI:
		return !seen->truncated && strcmp(want->text, seen->san_uri) == 0;
	case CFG_ID_DNS:
		return !seen->truncated && strcmp(want->text, seen->san_dns) == 0;
	case CFG_ID_SERIAL:
		while (n > 0 && s[0] == 0) {
			s++;
			n--;
		}
		if (n != want->bin_len || memcmp(s, want->bin, n) != 0)
			return false;
		if (want->has_issuer)
			return memcmp(seen->issuer_hash, want->issuer_sha256, 32) == 0;
		for (i = 0; i < c->n_ca; i++)
			if (memcmp(seen->issuer_hash, c->ca_subject[i], 32) == 0)
				return true;
		return false;
	case CFG_ID_SPKI:
		return want->bin_len == 32 && memcmp(seen->spki_hash, want->bin, 32) == 0;
	default:
		return false;
	}
}

static void hex(char *out, size_t cap, const unsigned char *b, size_t n)
{
	size_t i;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void cred_identity_format(const struct cfg_identity *want, char *buf, size_t len)
{
	char h[65], ih[65];

	switch (want->kind) {
	case CFG_ID_CN:
		snprintf(buf, len, "cn:%s", want->text);
		break;
	case CFG_ID_URI:
		snprintf(buf, len, "uri:%s", want->text);
		break;
	case CFG_ID_DNS:
		snprintf(buf, len, "dns:%s", want->text);
		break;
	case CFG_ID_SERIAL:
		hex(h, sizeof(h), want->bin, want->bin_len);
		if (want->has_issuer) {
			hex(ih, sizeof(ih), want->issuer_sha256, 32);
			snprintf(buf, len, "serial:%s,issuer-sha256:%s", h, ih);
		} else {
			snprintf(buf, len, "serial:%s", h);
		}
		break;
	case CFG_ID_SPKI:
		hex(h, sizeof(h), want->bin, want->bin_len);
		snprintf(buf, len, "spki-sha256:%s", h);
		break;
	default:
		snprintf(buf, len, "(none)");
		break;
	}
}

void cred_peer_format(const struct sg_cert_id *seen, char *buf, size_t len)
{
	const unsigned char *s = seen->serial;
	size_t n = seen->serial_len, k;
	char h[41];
	int w;

	while (n > 1 && s[0] == 0) {
		s++;
		n--;
	}
	hex(h, sizeof(h), s, n);
	w = snprintf(buf, len, "CN %s, serial %s", seen->subject_cn[0] ? seen->subject_cn : "(none)",
		     h);
	k = w > 0 ? (size_t)w : 0;
	if (seen->san_uri[0] != '\0' && k < len) {
		w = snprintf(buf + k, len - k, ", URI %s", seen->san_uri);
		k += w > 0 ? (size_t)w : 0;
	}
	if (seen->san_dns[0] != '\0' && k < len)
		snprintf(buf + k, len - k, ", DNS %s", seen->san_dns);
}
