/*
 * libFuzzer target: the responder's message_1 parser and checks
 * (RFC 9528 5.2.3). An accepted message_1 must lead to a message_2.
 * See edhoc_fuzz.h for the deterministic world.
 */
#include "edhoc_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[FZ_MSG_MAX], out[FZ_MSG_MAX];
	struct fz_method *m = &fz_world()->m[0];
	struct sg_edhoc r = m->r_wait_m1, before = r;
	size_t len;
	int rc;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	m->r.rng = 22;
	rc = sg_edhoc_process_message_1(&r, buf, size);
	fz_check(&r, &before, rc);
	if (rc == 0 && sg_edhoc_write_message_2(&r, out, sizeof(out), &len) != 0)
		abort();
	sg_edhoc_wipe(&r);
	return 0;
}
