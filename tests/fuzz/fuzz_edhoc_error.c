/*
 * libFuzzer target: EDHOC error messages (RFC 9528 6) at both roles: the
 * initiator waiting for message_2 or message_4, the responder waiting
 * for message_3. After an accepted error the initiator may retry, which
 * must leave it able to write a new message_1 or refuse cleanly. First
 * byte: receiver (value % 3) and method (bit 2).
 */
#include "edhoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char out[FZ_MSG_MAX];
	struct fz_method *m;
	struct sg_edhoc e, before;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	m = &fz_world()->m[(data[0] >> 2) & 1];
	switch (data[0] % 3) {
	case 0:
		e = m->i_wait_m2;
		break;
	case 1:
		e = m->r_wait_m3;
		break;
	default:
		e = m->i_wait_m4;
		break;
	}
	before = e;
	rc = sg_edhoc_process_error(&e, data + 1, size - 1);
	fz_check(&e, &before, rc);
	if (rc == SG_EPEERERR) {
		if (sg_edhoc_established(&e))
			abort();
		rc = sg_edhoc_retry(&e);
		if (rc != 0 && rc != SG_ESUITE && rc != SG_ESTATE)
			abort();
		if (rc == 0) {
			m->i.rng = 11;
			if (sg_edhoc_write_message_1(&e, out, sizeof(out), &len) != 0)
				abort();
		}
	} else if (rc != SG_EUNEXPECTED && rc != SG_ECBOR && rc != SG_EDECODE) {
		abort();
	}
	sg_edhoc_wipe(&e);
	return 0;
}
