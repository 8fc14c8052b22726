/*
 * libFuzzer target: the responder's message_1 parser and checks
 * (RFC 9528 5.2.3). An accepted message_1 must lead to a message_2.
 * First byte, bit 0: a responder that accepts method 0 or method 3.
 * See edhoc_fuzz.h for the deterministic world.
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

	if (size < 1 || size > sizeof(buf))
		return 0;
	m = &fz_world()->m[data[0] & 1];
	r = before = m->r_wait_m1;
	memcpy(buf, data + 1, size - 1);
	m->r.rng = 22;
	rc = sg_edhoc_process_message_1(&r, buf, size - 1);
	fz_check(&r, &before, rc);
	if (rc == 0 && sg_edhoc_write_message_2(&r, out, sizeof(out), &len) != 0)
		abort();
	sg_edhoc_wipe(&r);
	return 0;
}
