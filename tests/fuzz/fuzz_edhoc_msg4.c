/*
 * libFuzzer target: the initiator's message_4 processing (RFC 9528
 * 5.5.3): the AEAD and the EAD_4 parser. First byte: bit 0 method 0/3,
 * bit 1 raw message_4 / PLAINTEXT_4 sealed by the harness with the
 * honest responder's K_4, IV_4 and A_4.
 */
#include "edhoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[FZ_MSG_MAX];
	unsigned char k[16];
	struct fz_method *m;
	struct sg_edhoc i, before;
	size_t len;
	int rc;

	if (size < 1 || size > sizeof(buf) - 32)
		return 0;
	m = &fz_world()->m[data[0] & 1];
	i = before = m->i_wait_m4;
	if (data[0] & 2) {
		len = fz_wrap_aead(m->k_4, m->iv_4, m->a_4, m->tag, data + 1, size - 1, buf,
				   sizeof(buf));
	} else {
		len = size - 1;
		memcpy(buf, data + 1, len);
	}
	rc = sg_edhoc_process_message_4(&i, buf, len);
	fz_check(&i, &before, rc);
	/* established after message_3 already; refused message_4 drops it */
	if ((rc == 0) != sg_edhoc_established(&i))
		abort();
	if (rc == 0 && sg_edhoc_exporter(&i, 40000, NULL, 0, k, sizeof(k)) != 0)
		abort();
	sg_edhoc_wipe(&i);
	return 0;
}
