/*
 * libFuzzer target: the responder's message_3 processing (RFC 9528
 * 5.4.3): the AEAD, the PLAINTEXT_3 parser, ID_CRED_I, EAD_3, the
 * credential lookup and MAC_3/signature check. First byte: bit 0 method
 * 0/3, bit 1 raw message_3 / PLAINTEXT_3 sealed by the harness with the
 * honest initiator's K_3, IV_3 and A_3.
 */
#include "edhoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[FZ_MSG_MAX], out[FZ_MSG_MAX];
	struct fz_method *m;
	struct sg_edhoc r, before;
	size_t len;
	int rc;

	if (size < 1 || size > sizeof(buf) - 32)
		return 0;
	m = &fz_world()->m[data[0] & 1];
	r = before = m->r_wait_m3;
	if (data[0] & 2) {
		len = fz_wrap_aead(m->k_3, m->iv_3, m->a_3, m->tag, data + 1, size - 1, buf,
				   sizeof(buf));
	} else {
		len = size - 1;
		memcpy(buf, data + 1, len);
	}
	rc = sg_edhoc_process_message_3(&r, buf, len);
	fz_check(&r, &before, rc);
	if (rc == 0) {
		if (!sg_edhoc_established(&r) ||
		    sg_edhoc_write_message_4(&r, out, sizeof(out), &len) != 0)
			abort();
	}
	sg_edhoc_wipe(&r);
	return 0;
}
