/*
 * Record layer: seal/open with AES-CCM, key phases, replay, freshness.
 *
 * Implementation notes:
 * - Everything an attacker can send is checked in order of cost, and
 *   nothing in the state changes before the tag verified: length, header,
 *   sequence reconstruction, limit, replay window, key selection, then
 *   AEAD. A next-phase key is derived into locals and installed only when
 *   a record verified under it (catalogue C2). The only things a forged
 *   record changes are the drop counters and the failed-decryption count
 *   of the key it was tried against (that count is the AEAD limit).
 * - The sequence number runs on across key updates (as in QUIC), so one
 *   replay window per direction covers every phase, a (key, nonce) pair
 *   can never repeat, and the phase of a record with the "other" phase
 *   bit follows from its sequence number: below the lowest number seen
 *   in the current phase it is the previous phase, above the highest it
 *   is the next one, anything in between cannot be genuine.
 * - Time: every entry point maps now_ms onto an internal clock that never
 *   goes backwards (a backward step is added to clock_fix, counted and
 *   flagged), so grace periods, key ages and record ages never see
 *   negative intervals.
 * - Freshness: d = receiver time - sender time of a record is the clock
 *   offset plus the record's delay. A reference record (initially the
 *   session anchor, d = anchor skew) bounds the offset, and with the
 *   drift allowance rho, age >= d - d_ref - rho * |s - s_ref|: a lower
 *   bound on the true delay, so a record is refused only when it is
 *   provably older than max_age (doc/PROTOCOL.md 3.8 has the error
 *   bounds). The full timestamp is in the AAD, so a misreconstructed one
 *   fails the tag instead of being judged on a wrong value.
 * - Secrets are wiped as soon as they are replaced; locals holding key
 *   material are wiped at one exit label.
 */
#include "serguard/record.h"

#include <string.h>

/* Header flag bits (byte 0). */
#define F_RESERVED 0x88u
#define F_PHASE 0x40u
#define F_ECHO 0x20u
#define F_TS 0x10u
#define F_KIND 0x07u

#define MAX_AAD (SG_RECORD_HEADER_LEN + SG_RECORD_TS_LEN + 2u + 8u)
#define MAX_RECORD_PT 65535u /* CCM with a 13-byte nonce: 2-byte length */
#define MAX_AGE_BOUND ((uint64_t)1 << 22) /* max_age + skew, ms */
#define MAX_DRIFT_PPM 100000u

/* HKDF-Expand labels of the record layer, in one table. */
enum label { LBL_KEY, LBL_IV, LBL_UPDATE };
#define LABEL(s, n) { (s), sizeof(s) - 1u, (n) }
static const struct {
	const char *info;
	size_t info_len;
	size_t out_len;
} labels[] = {
	LABEL("serguard key", SG_CCM_KEY_LEN),
	LABEL("serguard iv", SG_CCM_NONCE_LEN),
	LABEL("serguard key update", SG_RECORD_SECRET_LEN),
};

enum which { USE_CUR, USE_PREV, USE_NEXT, USE_NONE };

static int expand(const unsigned char secret[SG_RECORD_SECRET_LEN], enum label l,
		  unsigned char *out)
{
	return sg_hkdf_expand(secret, SG_RECORD_SECRET_LEN, labels[l].info,
			      labels[l].info_len, out, labels[l].out_len);
}

static int derive_keys(const unsigned char secret[SG_RECORD_SECRET_LEN],
		       struct sg_record_keys *k)
{
	int rc = expand(secret, LBL_KEY, k->key);

	if (rc == 0)
		rc = expand(secret, LBL_IV, k->iv);
	if (rc != 0)
		sg_wipe(k, sizeof(*k));
	return rc;
}

/* secret_{n+1} = HKDF-Expand(secret_n, "serguard key update", 32) */
static int next_secret(const unsigned char secret[SG_RECORD_SECRET_LEN],
		       unsigned char next[SG_RECORD_SECRET_LEN])
{
	int rc = expand(secret, LBL_UPDATE, next);

	if (rc != 0)
		sg_wipe(next, SG_RECORD_SECRET_LEN);
	return rc;
}

/* nonce = IV XOR (0^40 || seq as 64-bit big-endian) */
static void make_nonce(const struct sg_record_keys *k, uint64_t seq,
		       unsigned char nonce[SG_CCM_NONCE_LEN])
{
	unsigned i;

	memcpy(nonce, k->iv, SG_CCM_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[SG_CCM_NONCE_LEN - 1u - i] ^= (unsigned char)(seq >> (8u * i));
}

static void put24(unsigned char *p, uint64_t v)
{
	p[0] = (unsigned char)(v >> 16);
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)v;
}

static uint64_t get24(const unsigned char *p)
{
	return ((uint64_t)p[0] << 16) | ((uint64_t)p[1] << 8) | p[2];
}

/* AAD = header || addr || direction [|| full timestamp, 8 bytes BE] */
static size_t make_aad(unsigned char aad[MAX_AAD], const unsigned char *hdr,
		       size_t hlen, uint8_t addr, uint8_t dir, bool has_ts,
		       uint64_t ts)
{
	size_t n = hlen;
	unsigned i;

	memcpy(aad, hdr, hlen);
	aad[n++] = addr;
	aad[n++] = dir;
	if (has_ts)
		for (i = 0; i < 8; i++)
			aad[n++] = (unsigned char)(ts >> (56u - 8u * i));
	return n;
}

/*
 * The value closest to expected whose low `bits` bits are trunc (RFC 9000
 * Appendix A.3, RFC 9147 4.2.2). Result r: expected - 2^(bits-1) < r <=
 * expected + 2^(bits-1), except near 0 where it cannot go below 0.
 */
static uint64_t reconstruct(uint64_t expected, uint64_t trunc, unsigned bits)
{
	const uint64_t win = (uint64_t)1 << bits, hwin = win >> 1;
	uint64_t cand = (expected & ~(win - 1u)) | trunc;

	if (cand + hwin <= expected)
		cand += win;
	else if (cand > expected + hwin && cand >= win)
		cand -= win;
	return cand;
}

/* ceil(rho_ppm * dt / 10^6) without overflow for dt < 2^63. */
static uint64_t drift_slack(uint64_t dt, uint32_t ppm)
{
	return (dt / 1000000u) * ppm + ((dt % 1000000u) * ppm + 999999u) / 1000000u;
}

static size_t header_len(const struct sg_record *rec)
{
	return SG_RECORD_HEADER_LEN + (rec->cfg.freshness ? SG_RECORD_TS_LEN : 0u);
}

size_t sg_record_header_len(const struct sg_record *rec)
{
	return header_len(rec);
}

size_t sg_record_overhead(const struct sg_record *rec)
{
	return header_len(rec) + rec->cfg.tag_len;
}

/* The internal clock: now_ms plus every backward step seen so far. */
static uint64_t clock_peek(const struct sg_record *rec, uint64_t now_ms)
{
	uint64_t t = now_ms + rec->rx.clock_fix;

	return t < rec->rx.last_t ? rec->rx.last_t : t;
}

static uint64_t clock_note(struct sg_record *rec, uint64_t now_ms)
{
	uint64_t t = now_ms + rec->rx.clock_fix;

	if (t < rec->rx.last_t) {
		rec->rx.clock_fix += rec->rx.last_t - t;
		rec->rx.clock_stepped = true;
		rec->stats.clock_steps++;
		t = rec->rx.last_t;
	}
	rec->rx.last_t = t;
	return t;
}

static void drop_prev(struct sg_record *rec)
{
	sg_wipe(&rec->rx.prev, sizeof(rec->rx.prev));
	rec->rx.prev_held = false;
	rec->rx.prev_failures = 0;
}

static void expire_prev(struct sg_record *rec, uint64_t t)
{
	if (rec->rx.prev_held && (t - rec->rx.switch_ms >= rec->cfg.grace_ms ||
				  rec->rx.cur_records >= rec->cfg.grace_records))
		drop_prev(rec);
}

void sg_record_config_default(struct sg_record_config *cfg, size_t tag_len,
			      uint8_t addr, uint8_t tx_dir)
{
	if (cfg == NULL)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->tag_len = tag_len;
	cfg->addr = addr;
	cfg->tx_dir = tx_dir;
	cfg->window = SG_REPLAY_DEFAULT_WINDOW;
	cfg->max_plaintext = 0;
	if (tag_len == 8) {
		cfg->limit_records = SG_RECORD_CCM8_MAX_RECORDS;
		cfg->limit_failures = SG_RECORD_CCM8_MAX_FAILURES;
	} else {
		cfg->limit_records = SG_RECORD_CCM16_MAX_RECORDS;
		cfg->limit_failures = SG_RECORD_CCM16_MAX_FAILURES;
	}
	cfg->update_after_records = cfg->limit_records / 2u;
	cfg->update_after_ms = 3600u * 1000u;
	cfg->grace_ms = 2000;
	cfg->grace_records = 64;
	cfg->freshness = false;
	cfg->max_age_ms = 2000;
	cfg->anchor_skew_ms = 500;
	cfg->drift_ppm = 1000;
	cfg->suspect_after = 3;
}

static int config_check(struct sg_record_config *c)
{
	uint64_t max_rec, max_fail;
	size_t over;

	if (c->tag_len == 8) {
		max_rec = SG_RECORD_CCM8_MAX_RECORDS;
		max_fail = SG_RECORD_CCM8_MAX_FAILURES;
	} else if (c->tag_len == 16) {
		max_rec = SG_RECORD_CCM16_MAX_RECORDS;
		max_fail = SG_RECORD_CCM16_MAX_FAILURES;
	} else {
		return SG_ECONFIG;
	}
	if (c->addr < SG_FRAME_ADDR_MIN || c->addr > SG_FRAME_ADDR_MAX)
		return SG_ECONFIG;
	if (c->tx_dir != SG_FRAME_FROM_GATEWAY && c->tx_dir != SG_FRAME_FROM_DEVICE)
		return SG_ECONFIG;
	if (c->limit_records < 1 || c->limit_records > max_rec ||
	    c->limit_failures < 1 || c->limit_failures > max_fail ||
	    c->update_after_records > c->limit_records)
		return SG_ECONFIG;
	over = SG_RECORD_OVERHEAD(c->tag_len, c->freshness);
	if (c->max_plaintext == 0)
		c->max_plaintext = SG_FRAME_DEFAULT_MAX_PAYLOAD - over;
	if (c->max_plaintext > MAX_RECORD_PT)
		return SG_ECONFIG;
	if (c->freshness &&
	    (c->max_age_ms < 1 ||
	     (uint64_t)c->max_age_ms + c->anchor_skew_ms >= MAX_AGE_BOUND ||
	     c->drift_ppm > MAX_DRIFT_PPM))
		return SG_ECONFIG;
	return 0;
}

int sg_record_init(struct sg_record *rec, const struct sg_record_config *cfg,
		   const unsigned char tx_secret[SG_RECORD_SECRET_LEN],
		   const unsigned char rx_secret[SG_RECORD_SECRET_LEN],
		   uint64_t now_ms)
{
	int rc;

	if (rec == NULL || cfg == NULL || tx_secret == NULL || rx_secret == NULL)
		return SG_EINVAL;
	memset(rec, 0, sizeof(*rec));
	rec->cfg = *cfg;
	rc = config_check(&rec->cfg);
	if (rc == 0 && sg_ct_equal(tx_secret, rx_secret, SG_RECORD_SECRET_LEN))
		rc = SG_ECONFIG; /* one key for both directions: nonce reuse */
	if (rc == 0)
		rc = sg_replay_init(&rec->rx.win, rec->cfg.window);
	if (rc == 0) {
		memcpy(rec->tx.secret, tx_secret, SG_RECORD_SECRET_LEN);
		memcpy(rec->rx.secret, rx_secret, SG_RECORD_SECRET_LEN);
		rc = derive_keys(rec->tx.secret, &rec->tx.k);
	}
	if (rc == 0)
		rc = derive_keys(rec->rx.secret, &rec->rx.cur);
	if (rc != 0) {
		sg_wipe(rec, sizeof(*rec));
		return rc;
	}
	rec->tx.confirmed = true; /* the peer receives phase 0 from the start */
	rec->tx.key_since_ms = now_ms;
	rec->tx.anchor_ms = now_ms;
	rec->rx.switch_ms = now_ms;
	rec->rx.last_t = now_ms;
	rec->rx.anchor_ms = now_ms;
	rec->rx.ref_d = (int64_t)rec->cfg.anchor_skew_ms;
	rec->rx.ref_s = 0;
	return 0;
}

int sg_record_seal(struct sg_record *rec, enum sg_record_kind kind,
		   const void *pt, size_t len, uint64_t now_ms,
		   unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char nonce[SG_CCM_NONCE_LEN], aad[MAX_AAD];
	const struct sg_record_config *c;
	size_t hlen, aad_len;
	uint64_t t, ts = 0;
	unsigned flags;
	int rc;

	if (rec == NULL || out == NULL || out_len == NULL || (pt == NULL && len > 0))
		return SG_EINVAL;
	c = &rec->cfg;
	if ((unsigned)kind > SG_RECORD_KIND_MAX)
		return SG_EINVAL;
	if (kind == SG_RECORD_KEY_UPDATE &&
	    (len != 1 || (((const unsigned char *)pt)[0] & ~SG_RECORD_KU_REQUEST) != 0))
		return SG_EINVAL;
	if (len > c->max_plaintext)
		return SG_ETOOBIG;
	hlen = header_len(rec);
	if (cap < len + hlen + c->tag_len)
		return SG_ENOSPC;
	if (rec->tx.seq >= SG_RECORD_SEQ_LIMIT || rec->tx.key_records >= c->limit_records)
		return SG_ELIMIT;
	t = clock_note(rec, now_ms);
	expire_prev(rec, t);

	flags = (unsigned)kind;
	if (rec->tx.phase & 1u)
		flags |= F_PHASE;
	if (rec->rx.phase & 1u)
		flags |= F_ECHO;
	if (c->freshness) {
		flags |= F_TS;
		ts = t - rec->tx.anchor_ms;
		if (ts < rec->tx.ts_last)
			ts = rec->tx.ts_last;
		put24(out + SG_RECORD_HEADER_LEN, ts & 0xFFFFFFu);
	}
	out[0] = (unsigned char)flags;
	put24(out + 1, rec->tx.seq & 0xFFFFFFu);
	make_nonce(&rec->tx.k, rec->tx.seq, nonce);
	aad_len = make_aad(aad, out, hlen, c->addr, c->tx_dir, c->freshness, ts);
	rc = sg_ccm_seal(rec->tx.k.key, nonce, aad, aad_len, pt, len, out + hlen,
			 c->tag_len);
	sg_wipe(nonce, sizeof(nonce));
	if (rc != 0) {
		sg_wipe(out, hlen);
		return rc;
	}
	rec->tx.seq++;
	rec->tx.key_records++;
	rec->tx.ts_last = ts;
	rec->tx.echo_due = false;
	*out_len = len + hlen + c->tag_len;
	return 0;
}

/* Freshness verdict for an authentic record with sender time s. */
static int fresh_check(const struct sg_record *rec, uint64_t s, uint64_t t,
		       int64_t *d_out)
{
	const struct sg_record_config *c = &rec->cfg;
	int64_t d = (int64_t)(t - rec->rx.anchor_ms) - (int64_t)s;
	uint64_t ds = s >= rec->rx.ref_s ? s - rec->rx.ref_s : rec->rx.ref_s - s;

	*d_out = d;
	/* The offset is at least -skew at the anchor, minus drift since. */
	if (d < -(int64_t)c->anchor_skew_ms - (int64_t)drift_slack(s, c->drift_ppm))
		return SG_EFUTURE;
	/* Lower bound on the delay, against the reference record. */
	if (d - rec->rx.ref_d - (int64_t)drift_slack(ds, c->drift_ppm) >
	    (int64_t)c->max_age_ms)
		return SG_ESTALE;
	return 0;
}

static int drop(uint32_t *counter, int code)
{
	(*counter)++;
	return code;
}

int sg_record_open(struct sg_record *rec, const unsigned char *in, size_t len,
		   uint64_t now_ms, enum sg_record_kind *kind,
		   unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char nonce[SG_CCM_NONCE_LEN], aad[MAX_AAD];
	unsigned char nsec[SG_RECORD_SECRET_LEN];
	struct sg_record_keys nkeys;
	const struct sg_record_keys *keys;
	struct sg_record_stats *st;
	const struct sg_record_config *c;
	struct sg_record_rx *rx;
	size_t hlen, ct_len, aad_len;
	uint64_t t, seq, expected, floor_seq, s = 0;
	int64_t d = 0;
	enum which which;
	unsigned flags;
	bool has_ts;
	int rc;

	if (rec == NULL || (in == NULL && len > 0) || kind == NULL || out_len == NULL ||
	    (out == NULL && cap > 0))
		return SG_EINVAL;
	*out_len = 0;
	c = &rec->cfg;
	rx = &rec->rx;
	st = &rec->stats;
	t = clock_note(rec, now_ms);
	expire_prev(rec, t);

	/* 1. shape */
	if (len < SG_RECORD_HEADER_LEN + c->tag_len)
		return drop(&st->too_short, SG_ELENGTH);
	flags = in[0];
	has_ts = (flags & F_TS) != 0;
	if ((flags & F_RESERVED) != 0 || (flags & F_KIND) > SG_RECORD_KIND_MAX ||
	    has_ts != c->freshness)
		return drop(&st->bad_header, SG_EDECODE);
	hlen = header_len(rec);
	if (len < hlen + c->tag_len)
		return drop(&st->too_short, SG_ELENGTH);
	ct_len = len - hlen - c->tag_len;
	if (ct_len > c->max_plaintext)
		return drop(&st->too_long, SG_ELENGTH);
	if (cap < ct_len)
		return SG_ENOSPC;

	/* 2. sequence number, limit, replay window */
	expected = rx->win.empty ? 0 : rx->win.top + 1u;
	seq = reconstruct(expected, get24(in + 1), SG_RECORD_SEQ_BITS);
	if (seq >= SG_RECORD_SEQ_LIMIT)
		return drop(&st->limit, SG_ELIMIT);
	rc = sg_replay_check(&rx->win, seq);
	if (rc == SG_EREPLAY)
		return drop(&st->replay, rc);
	if (rc != 0)
		return drop(&st->too_old, rc);

	/* 3. which key: the phase bit, disambiguated by the sequence number.
	 * Phases are monotonic in the sequence number, so the current bit
	 * below phase_floor is two or more phases old, the other bit below
	 * phase_min the previous phase, above top the next one. */
	if (((flags & F_PHASE) != 0) == ((rx->phase & 1u) != 0))
		which = seq >= rx->phase_floor ? USE_CUR : USE_NONE;
	else if (seq < rx->phase_min)
		which = USE_PREV;
	else if (rx->win.empty || seq > rx->win.top)
		which = USE_NEXT;
	else
		which = USE_NONE;
	if (which == USE_NONE || (which == USE_PREV && !rx->prev_held))
		return drop(&st->wrong_phase, SG_EPHASE);
	if ((which == USE_CUR && (rx->cur_failures >= c->limit_failures ||
				  rx->cur_records >= c->limit_records)) ||
	    (which == USE_PREV && rx->prev_failures >= c->limit_failures) ||
	    (which == USE_NEXT && rx->next_failures >= c->limit_failures))
		return drop(&st->limit, SG_ELIMIT);

	if (which == USE_NEXT) {
		rc = next_secret(rx->secret, nsec);
		if (rc == 0)
			rc = derive_keys(nsec, &nkeys);
		if (rc != 0)
			goto out;
		keys = &nkeys;
	} else {
		keys = which == USE_CUR ? &rx->cur : &rx->prev;
	}

	/* 4. AEAD */
	if (has_ts) {
		int64_t e = (int64_t)(t - rx->anchor_ms) - rx->ref_d;

		s = reconstruct(e > 0 ? (uint64_t)e : 0u, get24(in + SG_RECORD_HEADER_LEN),
				SG_RECORD_TS_BITS);
	}
	make_nonce(keys, seq, nonce);
	aad_len = make_aad(aad, in, hlen, c->addr,
			   (uint8_t)(c->tx_dir ^ SG_FRAME_DIR_MASK), has_ts, s);
	rc = sg_ccm_open(keys->key, nonce, aad, aad_len, in + hlen,
			 ct_len + c->tag_len, out, c->tag_len);
	if (rc == SG_EAUTH) {
		if (which == USE_CUR)
			rx->cur_failures++;
		else if (which == USE_PREV)
			rx->prev_failures++;
		else
			rx->next_failures++;
		rc = drop(&st->bad_tag, SG_EAUTH);
		goto out;
	}
	if (rc != 0)
		goto out;

	/* 5. authentic; checks that need the authenticated content */
	if (has_ts) {
		rc = fresh_check(rec, s, t, &d);
		if (rc != 0) {
			rx->suspect_run++;
			rc = drop(rc == SG_ESTALE ? &st->stale : &st->future, rc);
			goto wipe_out;
		}
	}
	if ((flags & F_KIND) == SG_RECORD_KEY_UPDATE &&
	    (ct_len != 1 || (out[0] & ~SG_RECORD_KU_REQUEST) != 0)) {
		rc = drop(&st->bad_header, SG_EDECODE);
		goto wipe_out;
	}

	/* 6. commit: window, key phase, freshness reference, echo */
	floor_seq = rx->win.empty ? 0 : rx->win.top + 1u;
	(void)sg_replay_commit(&rx->win, seq);
	if (which == USE_NEXT) {
		drop_prev(rec);
		if (c->grace_ms > 0 && c->grace_records > 0) {
			rx->prev = rx->cur;
			rx->prev_held = true;
			rx->prev_failures = rx->cur_failures;
		}
		rx->cur = nkeys;
		memcpy(rx->secret, nsec, sizeof(nsec));
		rx->phase++;
		rx->phase_min = seq;
		rx->phase_floor = floor_seq;
		rx->switch_ms = t;
		rx->cur_records = 0;
		rx->cur_failures = rx->next_failures;
		rx->next_failures = 0;
		rec->tx.echo_due = true;
	}
	if (which != USE_PREV) {
		rx->cur_records++;
		if (seq < rx->phase_min)
			rx->phase_min = seq;
	}
	if (has_ts) {
		if (s >= rx->ref_s &&
		    d - rx->ref_d - (int64_t)drift_slack(s - rx->ref_s, c->drift_ppm) <= 0) {
			rx->ref_d = d;
			rx->ref_s = s;
		}
		rx->suspect_run = 0;
	}
	if (!rec->tx.confirmed && ((flags & F_ECHO) != 0) == ((rec->tx.phase & 1u) != 0) &&
	    seq >= rec->tx.confirm_min)
		rec->tx.confirmed = true;
	if ((flags & F_KIND) == SG_RECORD_KEY_UPDATE && (out[0] & SG_RECORD_KU_REQUEST))
		rec->tx.peer_request = true;
	expire_prev(rec, t);
	st->delivered++;
	*kind = (enum sg_record_kind)(flags & F_KIND);
	*out_len = ct_len;
	rc = 0;
	goto out;

wipe_out:
	if (ct_len > 0)
		sg_wipe(out, ct_len);
out:
	sg_wipe(nonce, sizeof(nonce));
	sg_wipe(nsec, sizeof(nsec));
	sg_wipe(&nkeys, sizeof(nkeys));
	return rc;
}

int sg_record_key_update(struct sg_record *rec, uint64_t now_ms)
{
	unsigned char nsec[SG_RECORD_SECRET_LEN];
	struct sg_record_keys nk;
	int rc;

	if (rec == NULL)
		return SG_EINVAL;
	if (!rec->tx.confirmed)
		return SG_EAGAIN;
	rc = next_secret(rec->tx.secret, nsec);
	if (rc == 0)
		rc = derive_keys(nsec, &nk);
	if (rc == 0) {
		memcpy(rec->tx.secret, nsec, sizeof(nsec));
		rec->tx.k = nk;
		rec->tx.phase++;
		rec->tx.key_records = 0;
		rec->tx.key_since_ms = clock_note(rec, now_ms);
		rec->tx.confirmed = false;
		rec->tx.confirm_min = rec->rx.win.empty ? 0 : rec->rx.win.top + 1u;
		rec->tx.peer_request = false;
	}
	sg_wipe(nsec, sizeof(nsec));
	sg_wipe(&nk, sizeof(nk));
	return rc;
}

unsigned sg_record_status(const struct sg_record *rec, uint64_t now_ms)
{
	const struct sg_record_config *c;
	unsigned st = 0;
	uint64_t t;

	if (rec == NULL)
		return 0;
	c = &rec->cfg;
	t = clock_peek(rec, now_ms);
	if ((c->update_after_records > 0 && rec->tx.key_records >= c->update_after_records) ||
	    (c->update_after_ms > 0 && t - rec->tx.key_since_ms >= c->update_after_ms))
		st |= SG_RECORD_ST_UPDATE_DUE;
	if (rec->tx.peer_request)
		st |= SG_RECORD_ST_PEER_REQUEST;
	if (rec->rx.cur_failures >= c->limit_failures ||
	    rec->rx.cur_records >= c->limit_records)
		st |= SG_RECORD_ST_RX_EXHAUSTED;
	if (rec->tx.key_records >= c->limit_records)
		st |= SG_RECORD_ST_TX_BLOCKED;
	if (rec->tx.seq >= SG_RECORD_SEQ_LIMIT)
		st |= SG_RECORD_ST_SEQ_EXHAUSTED;
	if (rec->tx.echo_due)
		st |= SG_RECORD_ST_ECHO_DUE;
	if (!rec->tx.confirmed)
		st |= SG_RECORD_ST_UNCONFIRMED;
	if (rec->rx.clock_stepped ||
	    (c->freshness && c->suspect_after > 0 && rec->rx.suspect_run >= c->suspect_after))
		st |= SG_RECORD_ST_CLOCK_SUSPECT;
	return st;
}

uint64_t sg_record_deadline(const struct sg_record *rec)
{
	uint64_t next = UINT64_MAX, d;

	if (rec == NULL)
		return next;
	if (rec->rx.prev_held)
		next = rec->rx.switch_ms + rec->cfg.grace_ms;
	if (rec->cfg.update_after_ms > 0) {
		d = rec->tx.key_since_ms + rec->cfg.update_after_ms;
		if (d < next)
			next = d;
	}
	/* back from the internal clock to the caller's */
	if (next != UINT64_MAX)
		next = next > rec->rx.clock_fix ? next - rec->rx.clock_fix : 0;
	return next;
}

void sg_record_tick(struct sg_record *rec, uint64_t now_ms)
{
	if (rec == NULL)
		return;
	expire_prev(rec, clock_note(rec, now_ms));
}

void sg_record_wipe(struct sg_record *rec)
{
	if (rec != NULL)
		sg_wipe(rec, sizeof(*rec));
}

int sg_record_prev_key_zero(const struct sg_record *rec)
{
	const unsigned char *p = (const unsigned char *)&rec->rx.prev;
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < sizeof(rec->rx.prev); i++)
		acc |= p[i];
	return !rec->rx.prev_held && acc == 0;
}
