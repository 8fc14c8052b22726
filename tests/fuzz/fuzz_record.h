/*
 * Fixed parameters shared by the record-layer fuzz target and its seed
 * corpus generator: both ends' secrets and configuration, and the input
 * operation codes. Test code only.
 */
#ifndef SG_FUZZ_RECORD_H
#define SG_FUZZ_RECORD_H

#include <string.h>

#include "serguard/record.h"

#define FR_ADDR 42
#define FR_T0 1000u
#define FR_BUF 320

/* Input: one options byte, then operations, each an opcode byte
 * (value % FR_NOPS) followed by its argument bytes. */
#define FR_OPT_TAG16 0x01u /* 16-byte tags (else 8) */
#define FR_OPT_FRESH 0x02u /* freshness on */
#define FR_OPT_LIMITS 0x04u /* tiny AEAD/grace limits to reach those paths */
enum fr_op {
	FR_RAW,	    /* len, len bytes: a record as it came off the wire */
	FR_SEAL,    /* kind, plen, flip: the sender seals, maybe one bit flipped */
	FR_UPDATE,  /* the sender updates its key */
	FR_ANSWER,  /* the receiver answers (PING, or KEY_UPDATE request) */
	FR_TIME,    /* step: advance the clock */
	FR_HOLD,    /* slot: seal one and hold it back */
	FR_RELEASE, /* slot: deliver a held one */
	FR_LOSE,    /* n, shift: the sender's next n << shift records are lost */
	FR_NOPS
};

static inline void fr_secrets(unsigned char d2g[32], unsigned char g2d[32])
{
	unsigned i;

	for (i = 0; i < 32; i++) {
		d2g[i] = (unsigned char)(0x30 + i);
		g2d[i] = (unsigned char)(0xC0 ^ i);
	}
}

/* The device (sender) and gateway (receiver) configurations. */
static inline void fr_config(unsigned opts, struct sg_record_config *dev,
			     struct sg_record_config *gw)
{
	size_t tag = (opts & FR_OPT_TAG16) ? 16 : 8;

	sg_record_config_default(dev, tag, FR_ADDR, SG_FRAME_FROM_DEVICE);
	sg_record_config_default(gw, tag, FR_ADDR, SG_FRAME_FROM_GATEWAY);
	dev->window = gw->window = 64;
	dev->freshness = gw->freshness = (opts & FR_OPT_FRESH) != 0;
	dev->max_age_ms = gw->max_age_ms = 1000;
	dev->anchor_skew_ms = gw->anchor_skew_ms = 50;
	dev->drift_ppm = gw->drift_ppm = 1000;
	if (opts & FR_OPT_LIMITS) {
		dev->limit_failures = gw->limit_failures = 3;
		dev->limit_records = gw->limit_records = 40;
		dev->update_after_records = gw->update_after_records = 20;
		dev->grace_records = gw->grace_records = 4;
		dev->grace_ms = gw->grace_ms = 500;
	}
}

#endif
