/*
 * libFuzzer target: the initiator's message_2 processing (RFC 9528
 * 5.3.3): G_Y validation, KEYSTREAM_2, the PLAINTEXT_2 parser, ID_CRED_R,
 * EAD_2, the credential lookup and MAC_2/signature check. First byte:
 * bit 0 method 0/3, bit 1 raw message_2 / PLAINTEXT_2 encrypted by the
 * harness as the honest responder would.
 */
#include "edhoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[FZ_MSG_MAX], out[FZ_MSG_MAX];
	struct fz_method *m;
	struct sg_edhoc i, before;
	size_t len;
	int rc;

	if (size < 1 || size > sizeof(buf) - 8)
		return 0;
	m = &fz_world()->m[data[0] & 1];
	i = before = m->i_wait_m2;
	if (data[0] & 2) {
		len = fz_wrap_plaintext_2(m, data + 1, size - 1, buf, sizeof(buf));
	} else {
		len = size - 1;
		memcpy(buf, data + 1, len);
	}
	m->i.rng = 11;
	rc = sg_edhoc_process_message_2(&i, buf, len);
	fz_check(&i, &before, rc);
	if (rc == 0 && sg_edhoc_write_message_3(&i, out, sizeof(out), &len) != 0)
		abort();
	sg_edhoc_wipe(&i);
	return 0;
}
