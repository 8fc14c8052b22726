/*
 * libFuzzer target: X.509 parsing, CRL loading and validation
 * (serguard/cert.h; catalogue F11).
 *
 * The whole input is first parsed as one certificate. Then it is read as
 *   [len_ca:2 BE][CA DER][len_crl:2 BE][CRL DER][leaf DER]
 * (a section whose length runs past the end takes what is left): the CA
 * goes into a fresh store, the CRL after it, and the leaf is validated.
 * Invariants: a failure leaves the output all zero; a success has
 * NUL-terminated strings and a serial of at most 20 bytes; a leaf that
 * validates also parses, to the same identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_out(int r, const struct sg_peer_cert *p)
{
	const unsigned char *b = (const void *)p;
	size_t i;

	if (r != 0) {
		for (i = 0; i < sizeof(*p); i++)
			if (b[i] != 0)
				abort();
		return;
	}
	if (memchr(p->id.subject_cn, 0, sizeof(p->id.subject_cn)) == NULL ||
	    memchr(p->id.san_dns, 0, sizeof(p->id.san_dns)) == NULL ||
	    memchr(p->id.san_uri, 0, sizeof(p->id.san_uri)) == NULL ||
	    p->id.serial_len > sizeof(p->id.serial))
		abort();
}

/* Take a 2-byte length and that many bytes (or what is left). */
static const uint8_t *section(const uint8_t **d, size_t *n, size_t *len)
{
	const uint8_t *s;

	if (*n < 2) {
		*len = 0;
		return *d;
	}
	*len = (size_t)(*d)[0] << 8 | (*d)[1];
	*d += 2;
	*n -= 2;
	if (*len > *n)
		*len = *n;
	s = *d;
	*d += *len;
	*n -= *len;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_peer_cert p, q;
	struct sg_cert_store st;
	struct sg_cert_policy pol;
	const uint8_t *ca, *crl;
	size_t ca_len, crl_len;
	int r;

	r = sg_cert_parse(data, size, &p);
	check_out(r, &p);

	ca = section(&data, &size, &ca_len);
	crl = section(&data, &size, &crl_len);
	if (sg_cert_store_init(&st) != 0)
		abort();
	(void)sg_cert_store_add_ca(&st, ca, ca_len);
	(void)sg_cert_store_add_crl(&st, crl, crl_len);

	pol.now = INT64_C(1893456000); /* 2030-01-01 */
	pol.notime = SG_NOTIME_REJECT;
	pol.role = SG_ROLE_ANY;
	pol.usage = SG_USAGE_SIGN;
	r = sg_cert_verify(&st, data, size, &pol, &p);
	check_out(r, &p);
	if (r == 0) {
		if (sg_cert_parse(data, size, &q) != 0 || memcmp(&p, &q, sizeof(p)) != 0)
			abort();
	}
	pol.now = SG_TIME_UNKNOWN;
	pol.notime = SG_NOTIME_SKIP_VALIDITY;
	r = sg_cert_verify(&st, data, size, &pol, &p);
	check_out(r, &p);
	sg_cert_store_free(&st);
	return 0;
}
