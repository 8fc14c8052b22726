/*
 * serguard protocol core: the record layer (doc/PROTOCOL.md, section 3).
 *
 * After the handshake each direction has its own 32-byte traffic secret
 * (the session engine derives them with EDHOC_Exporter). From a secret
 * the layer derives an AES-128-CCM key and a 13-byte IV; each record is
 *
 *   flags(1) | seq24(3) | [ts24(3)] | ciphertext | tag(8 or 16)
 *
 * flags: bit 7 reserved (0) | bit 6 key phase | bit 5 echo phase |
 *        bit 4 timestamp present | bit 3 reserved (0) | bits 2..0 kind
 *
 * - nonce = IV XOR the full 64-bit sequence number, right-aligned (TLS 1.3,
 *   OSCORE); sequence numbers run on across key updates and never repeat
 *   in one direction of a session, and never wrap (SG_RECORD_SEQ_LIMIT);
 * - AAD = the header as sent || bus address || direction byte
 *   [|| the full 64-bit timestamp], so a record moved to the other
 *   direction (reflection), another address or another position fails;
 * - the receiver rebuilds the full sequence number from its low 24 bits
 *   as the value closest to the next expected one (DTLS 1.3, QUIC): up to
 *   SG_RECORD_RECON_BOUND (2^23) consecutive lost records are survived;
 * - key update: secret' = HKDF-Expand(secret, "serguard key update", 32)
 *   per direction; the key phase bit says which key a record is under;
 *   the echo bit carries the sender's current receive phase, which is
 *   how a sender learns that its peer follows (one update at a time);
 * - freshness (optional per session): the sender's monotonic ms since the
 *   session anchor, compressed to 24 bits; the receiver bounds each
 *   record's age against a tracked clock offset with a drift allowance.
 *
 * The layer is sans-I/O: the caller owns struct sg_record and every
 * buffer, passes monotonic time in ms as now_ms (below 2^62; a backward
 * step is detected, absorbed and flagged), and moves the records to
 * and from the link. A dropped record is not an error: sg_record_open()
 * returns a peer-range code naming the reason and counts it in
 * rec->stats; the caller ignores it.
 */
#ifndef SERGUARD_RECORD_H
#define SERGUARD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serguard/crypto.h"
#include "serguard/frame.h"
#include "serguard/replay.h"
#include "serguard/sg.h"

#define SG_RECORD_SECRET_LEN 32u
#define SG_RECORD_HEADER_LEN 4u	 /* flags + 24-bit sequence number */
#define SG_RECORD_TS_LEN 3u	 /* optional 24-bit timestamp */
#define SG_RECORD_MAX_TAG_LEN 16u
/* Bytes a record adds to its plaintext. */
#define SG_RECORD_OVERHEAD(tag_len, fresh)                                     \
	(SG_RECORD_HEADER_LEN + ((fresh) ? SG_RECORD_TS_LEN : 0u) + (tag_len))

/* Sequence numbers 0 .. SG_RECORD_SEQ_LIMIT - 1 exist; the sender refuses
 * to seal at the limit and the receiver drops anything at or past it. */
#define SG_RECORD_SEQ_LIMIT ((uint64_t)1 << 62)
/* Reconstruction: with E = highest delivered + 1 (0 before the first), a
 * record is placed at the value r with E - 2^23 < r <= E + 2^23 that has
 * its 24 low bits. So 2^23 consecutive lost records are survived. */
#define SG_RECORD_SEQ_BITS 24u
#define SG_RECORD_RECON_BOUND ((uint64_t)1 << 23)
#define SG_RECORD_TS_BITS 24u

/* The inner kinds (flags bits 2..0). 6 and 7 are reserved: dropped. */
enum sg_record_kind {
	SG_RECORD_APP = 0,	   /* application data */
	SG_RECORD_KEY_UPDATE = 1,  /* 1 byte of flags; see SG_RECORD_KU_* */
	SG_RECORD_CLOSE = 2,	   /* orderly close; payload owned by the session */
	SG_RECORD_PING = 3,	   /* liveness probe / carries the echo bit */
	SG_RECORD_PONG = 4,	   /* answer to PING, echoing its payload */
	SG_RECORD_REHANDSHAKE = 5  /* authenticated request for a new handshake */
};
#define SG_RECORD_KIND_MAX 5u

/* KEY_UPDATE payload (1 byte). The record itself is the first of the
 * sender's new key phase (or any later one); REQUEST asks the peer to
 * update its own sending key (our receive key reached a limit). */
#define SG_RECORD_KU_REQUEST 0x01u

/*
 * AEAD limits per key (doc/PROTOCOL.md 3.9):
 * - 16-byte tag (AEAD_AES_128_CCM): RFC 9147 4.5.3 and Appendix B:
 *   2^23 records protected (confidentiality, advantage 2^-60) and
 *   2^23.5 failed decryptions (integrity, 2^-57).
 * - 8-byte tag (AEAD_AES_128_CCM_8): RFC 9147 Appendix B.3 shows the
 *   forgery limit is dominated by v/2^64 and requires a deployment-specific
 *   limit; we use the triplet (q, v, l) = (2^20, 2^14, 2^8) that
 *   draft-ietf-core-oscore-key-limits (ex draft-ietf-core-oscore-key-update,
 *   "Limits for q and v") recommends for CCM_8, advantage <= 2^-50, for
 *   messages of at most 2^8 blocks (ours are at most 17).
 * A configuration may lower these, never raise them.
 */
#define SG_RECORD_CCM16_MAX_RECORDS ((uint64_t)1 << 23)
#define SG_RECORD_CCM16_MAX_FAILURES ((uint64_t)11863283) /* floor(2^23.5) */
#define SG_RECORD_CCM8_MAX_RECORDS ((uint64_t)1 << 20)
#define SG_RECORD_CCM8_MAX_FAILURES ((uint64_t)1 << 14)

struct sg_record_config {
	size_t tag_len;		/* 8 (EDHOC suite 2) or 16 (suite 3) */
	uint8_t addr;		/* the device's bus address, 1..254 */
	uint8_t tx_dir;		/* SG_FRAME_FROM_GATEWAY or SG_FRAME_FROM_DEVICE */
	uint32_t window;	/* replay window in bits (see replay.h) */
	/* Largest plaintext sealed or accepted; 0 = what fits in a frame of
	 * SG_FRAME_DEFAULT_MAX_PAYLOAD bytes. At most 65535 - overhead. */
	size_t max_plaintext;
	/* Key lifecycle. Soft limits raise SG_RECORD_ST_UPDATE_DUE; the hard
	 * limits stop the key. 0 for a soft limit disables it. */
	uint64_t update_after_records;
	uint64_t update_after_ms;
	uint64_t limit_records;	 /* per key, sent and received; <= AEAD limit */
	uint64_t limit_failures; /* failed decryptions per receive key */
	/* The previous receive key is kept until grace_ms have passed since
	 * the switch or grace_records records of the new phase arrived,
	 * whichever comes first; either 0 means no grace at all. */
	uint32_t grace_ms;
	uint32_t grace_records;
	/* Freshness (doc/PROTOCOL.md 3.8). Both sides must agree: a record
	 * without a timestamp is dropped when freshness is on, and one with a
	 * timestamp when it is off. */
	bool freshness;
	uint32_t max_age_ms;	  /* accept age <= max_age_ms */
	uint32_t anchor_skew_ms;  /* bound on |sender anchor - receiver anchor| */
	uint32_t drift_ppm;	  /* bound on the relative clock rate error */
	uint32_t suspect_after;	  /* consecutive stale/future -> CLOCK_SUSPECT */
};

/* Counters of what sg_record_open() did with each input. Every call that
 * is not a caller error counts exactly once. They wrap at 2^32. */
struct sg_record_stats {
	uint32_t delivered;
	uint32_t too_short;   /* shorter than header (+ timestamp) + tag */
	uint32_t too_long;    /* plaintext longer than max_plaintext */
	uint32_t bad_header;  /* reserved bits or kind, timestamp presence, bad KEY_UPDATE */
	uint32_t replay;      /* inside the window, already delivered */
	uint32_t too_old;     /* left of the replay window */
	uint32_t wrong_phase; /* previous key already dropped, or impossible phase */
	uint32_t limit;	      /* key at its AEAD limit, or seq >= SG_RECORD_SEQ_LIMIT */
	uint32_t bad_tag;     /* AEAD verification failed */
	uint32_t stale;	      /* authentic but older than max_age_ms */
	uint32_t future;      /* authentic but beyond the sender clock bound */
	uint32_t clock_steps; /* now_ms went backwards (detected, absorbed) */
};

/* Key and IV of one AES-CCM key. */
struct sg_record_keys {
	unsigned char key[SG_CCM_KEY_LEN];
	unsigned char iv[SG_CCM_NONCE_LEN];
};

struct sg_record_tx {
	unsigned char secret[SG_RECORD_SECRET_LEN];
	struct sg_record_keys k;
	uint64_t seq;	       /* next sequence number */
	uint64_t phase;	       /* key updates so far; bit 0 goes on the wire */
	uint64_t key_records;  /* records sealed under k */
	uint64_t key_since_ms; /* when k was installed */
	uint64_t confirm_min;  /* peer seq from which an echo confirms */
	uint64_t anchor_ms;    /* timestamps count from here */
	uint64_t ts_last;      /* last timestamp sent, for monotonicity */
	bool confirmed;	       /* peer is known to receive under phase */
	bool echo_due;	       /* our receive phase moved; peer not told */
	bool peer_request;     /* peer asked us to update */
};

struct sg_record_rx {
	unsigned char secret[SG_RECORD_SECRET_LEN]; /* of the current phase */
	struct sg_record_keys cur;
	struct sg_record_keys prev; /* all zero unless prev_held */
	uint64_t phase;
	uint64_t phase_min;	/* lowest seq delivered under cur */
	uint64_t phase_floor;	/* highest delivered before cur, + 1 */
	uint64_t switch_ms;	/* when cur became current */
	uint64_t cur_records, cur_failures;
	uint64_t prev_failures, next_failures;
	bool prev_held;
	bool clock_stepped;
	uint32_t suspect_run;	/* consecutive stale/future records */
	struct sg_replay win;
	/* freshness: offsets d = receiver ms - sender ms */
	uint64_t anchor_ms;	/* receiver time of the session anchor */
	int64_t ref_d;		/* offset of the reference record */
	uint64_t ref_s;		/* sender timestamp of the reference */
	/* internal clock = now_ms + clock_fix, never below last_t */
	uint64_t last_t;
	uint64_t clock_fix;	/* sum of the backward steps of now_ms */
};

struct sg_record {
	struct sg_record_config cfg;
	struct sg_record_tx tx;
	struct sg_record_rx rx;
	struct sg_record_stats stats;
};

/* sg_record_status() bits */
#define SG_RECORD_ST_UPDATE_DUE 0x01u	  /* soft limit: call sg_record_key_update() */
#define SG_RECORD_ST_PEER_REQUEST 0x02u	  /* peer asked for an update of our tx key */
#define SG_RECORD_ST_RX_EXHAUSTED 0x04u	  /* rx key at a limit: send KEY_UPDATE(REQUEST) */
#define SG_RECORD_ST_TX_BLOCKED 0x08u	  /* tx key at its hard limit: seal refuses */
#define SG_RECORD_ST_SEQ_EXHAUSTED 0x10u  /* sequence space spent: re-handshake */
#define SG_RECORD_ST_ECHO_DUE 0x20u	  /* send any record (PING) so the peer sees our phase */
#define SG_RECORD_ST_UNCONFIRMED 0x40u	  /* last tx update not confirmed; next one refused */
#define SG_RECORD_ST_CLOCK_SUSPECT 0x80u  /* freshness unreliable: re-handshake */

/*
 * Fill cfg with the defaults for a tag length (8 or 16): window 128,
 * max_plaintext 0 (derived), AEAD limits for the tag, key update due at
 * half the record limit or after one hour, grace 2000 ms / 64 records,
 * freshness off (max age 2000 ms, anchor skew 500 ms, drift 1000 ppm,
 * suspect after 3 when switched on). The caller then sets what differs.
 */
void sg_record_config_default(struct sg_record_config *cfg, size_t tag_len,
			      uint8_t addr, uint8_t tx_dir);

/*
 * Set up rec for one session. cfg is copied. tx_secret and rx_secret are
 * this side's sending and receiving traffic secrets; they are copied and
 * the caller should wipe its copies. now_ms anchors both directions'
 * freshness clocks (call at the moment the session keys exist). The two
 * secrets must differ (one key for both directions would reuse nonces).
 * Errors: SG_EINVAL, SG_ECONFIG (invalid or unsafe configuration, equal
 * secrets), SG_ECRYPTO. On error rec is wiped.
 */
int sg_record_init(struct sg_record *rec, const struct sg_record_config *cfg,
		   const unsigned char tx_secret[SG_RECORD_SECRET_LEN],
		   const unsigned char rx_secret[SG_RECORD_SECRET_LEN],
		   uint64_t now_ms);

/* Bytes a record adds to its plaintext with this configuration, and the
 * part of them in front of the ciphertext (4, or 7 with freshness). */
size_t sg_record_overhead(const struct sg_record *rec);
size_t sg_record_header_len(const struct sg_record *rec);

/*
 * Seal len bytes of pt as one record of the given kind into out (cap
 * bytes), writing *out_len = len + sg_record_overhead(rec). pt may be
 * NULL when len is 0; pt and out must not overlap, except that pt may be
 * exactly out + sg_record_header_len(rec) (sealing in place).
 * Errors (nothing sent, no sequence number used): SG_EINVAL (bad kind or
 * arguments, or a KEY_UPDATE payload that is not one valid flags byte),
 * SG_ETOOBIG (len > max_plaintext), SG_ENOSPC, SG_ELIMIT (sequence space
 * exhausted, or the current key reached limit_records: update the key or
 * re-handshake; see sg_record_status()), SG_ECRYPTO.
 */
int sg_record_seal(struct sg_record *rec, enum sg_record_kind kind,
		   const void *pt, size_t len, uint64_t now_ms,
		   unsigned char *out, size_t cap, size_t *out_len);

/*
 * Open one record (the payload of a RECORD frame). Returns 0 and fills
 * *kind, out[0 .. *out_len) when delivered; otherwise the record is
 * dropped, counted in rec->stats, out holds nothing, and the code names
 * why: SG_ELENGTH (too short / too long), SG_EDECODE (bad header),
 * SG_EREPLAY, SG_ETOOOLD, SG_EPHASE, SG_ELIMIT, SG_EAUTH (bad tag),
 * SG_ESTALE, SG_EFUTURE. Caller errors (not counted, state unchanged):
 * SG_EINVAL, SG_ENOSPC (cap smaller than the record's plaintext; a cap of
 * max_plaintext always suffices). out may be exactly in +
 * sg_record_header_len(rec) (opening in place) or must not overlap in.
 */
int sg_record_open(struct sg_record *rec, const unsigned char *in, size_t len,
		   uint64_t now_ms, enum sg_record_kind *kind,
		   unsigned char *out, size_t cap, size_t *out_len);

/*
 * Switch our sending direction to the next key phase: the next record
 * sealed carries the new phase bit (send a KEY_UPDATE record if there is
 * no data). Refused with SG_EAGAIN while the previous update is not yet
 * confirmed by the peer (SG_RECORD_ST_UNCONFIRMED), so the peer is never
 * more than one phase behind; SG_ECRYPTO on backend failure.
 */
int sg_record_key_update(struct sg_record *rec, uint64_t now_ms);

/* What the session should do next: a mask of SG_RECORD_ST_* bits. */
unsigned sg_record_status(const struct sg_record *rec, uint64_t now_ms);

/* The next time sg_record_tick() has work (the previous receive key's
 * grace expires, a time-based key update falls due); UINT64_MAX if none. */
uint64_t sg_record_deadline(const struct sg_record *rec);

/* Drop (and wipe) the previous receive key once its grace has expired. */
void sg_record_tick(struct sg_record *rec, uint64_t now_ms);

/* Wipe every secret and all state; rec is all zero afterwards. */
void sg_record_wipe(struct sg_record *rec);

/* Test hook (catalogue C10): 1 when no previous receive key is held and
 * every byte of its storage is zero, 0 otherwise. */
int sg_record_prev_key_zero(const struct sg_record *rec);

#endif
