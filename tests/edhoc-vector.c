/*
 * edhoc-vector: run serguard's EDHOC on the inputs of a test vector file
 * and print every value computed, named as in RFC 9529's traces.
 *
 *   edhoc-vector [--now EPOCH] INPUT
 *   edhoc-vector [--now EPOCH] --role initiator|responder INPUT
 *
 * See usage() for the input names. Without --role both sides run in this
 * process against each other (with the file's fixed ephemeral keys) and
 * every value goes to stdout as `name = hex`; the two sides must agree on
 * every value both compute, or the tool fails. With --role one side runs
 * against any other implementation: messages as hex lines on
 * stdout/stdin, PRK_out and PRK_exporter printed at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/src/internal.h"
#include "serguard/cbor.h"
#include "serguard/cert.h"
#include "serguard/crypto.h"
#include "serguard/edhoc.h"
#include "tracebuf.h"
#include "vectorfile.h"

#define MSG_MAX 16384

static const char *prog = "edhoc-vector";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--now EPOCH] [--role initiator|responder [--no-message-4]] INPUT\n"
		"\n"
		"INPUT has one `NAME = HEX` per line (the format of tests/vectors/edhoc/);\n"
		"lines with other names are ignored. Inputs:\n"
		"  METHOD       EDHOC method as CBOR: 00 (signature) or 03 (static DH)\n"
		"  SUITES_I     SUITES_I as CBOR: an int (02) or an array (820602); the\n"
		"               last entry is the selected suite (2 or 3)\n"
		"  SUITES_R     (responder, optional) suites it accepts, CBOR int or array;\n"
		"               default: the suite SUITES_I selects\n"
		"  X, Y         ephemeral private keys of I and R (optional: random)\n"
		"  SK_I, SK_R   private keys: ES256 scalars for method 0, static DH keys\n"
		"               for method 3 (32 bytes)\n"
		"  C_I, C_R     connection identifiers (the bytes, not their CBOR)\n"
		"  CRED_I, CRED_R  credentials: an X.509 certificate (DER) when ID_CRED\n"
		"               is x5t/x5chain, a CCS when ID_CRED is a kid\n"
		"  ID_CRED_I, ID_CRED_R  the COSE header maps: {4: kid}, {34: x5t},\n"
		"               {33: x5chain}; they must match the credentials\n"
		"  EAD_1 .. EAD_4  EAD sequences to send (optional)\n"
		"  KeyUpdate_context  context for EDHOC_KeyUpdate (optional)\n"
		"  Root_CERT    DER of the CA certificate: X.509 credentials are validated\n"
		"               against it at --now (default: the current time); without\n"
		"               it, raw keys (CCS) are taken as given and X.509 refused\n"
		"\n"
		"Both sides (no --role): prints message_1..message_4 and every intermediate\n"
		"value under RFC 9529's names (TH_2, PRK_3e2m, K_3, ...), then\n"
		"OSCORE_Master_Secret/_Salt and, with KeyUpdate_context, the\n"
		"*_after_KeyUpdate values.\n"
		"\n"
		"--role initiator|responder: one side only, its own inputs from INPUT (the\n"
		"peer's credential, if given, is its cache for x5t/kid references). Each\n"
		"message it sends is one hex line on stdout; each message of the peer is\n"
		"read as one hex line from stdin (a line that starts with a CBOR int is an\n"
		"EDHOC error message). The responder sends message_4 and the initiator\n"
		"waits for it (or for end of input), unless --no-message-4 is given (for\n"
		"peers that confirm keys otherwise). Ends with PRK_out = HEX and\n"
		"PRK_exporter = HEX. A refused message: the error message goes out as a\n"
		"hex line, the reason to stderr, exit status 1.\n",
		prog);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* ---- inputs --------------------------------------------------------------- */

struct input {
	struct vf vf;
	int method;
	int16_t suites_i[SG_EDHOC_SUITES_MAX], suites_r[SG_EDHOC_SUITES_MAX];
	size_t n_suites_i, n_suites_r;
	struct sg_cert_store store;
	bool have_root;
	int64_t now;
};

static const unsigned char *get(const struct input *in, const char *name, size_t *len)
{
	return vf_get(&in->vf, name, len);
}

static const unsigned char *need(const struct input *in, const char *name, size_t *len)
{
	const unsigned char *p = get(in, name, len);

	if (p == NULL)
		die("input %s missing", name);
	return p;
}

/* A CBOR int or array of ints. */
static size_t parse_suites(const struct input *in, const char *name, int16_t *out)
{
	struct sg_cbor_dec d;
	const unsigned char *p;
	size_t len, n = 1, i;
	int64_t v;

	p = need(in, name, &len);
	sg_cbor_dec_init(&d, p, len);
	if (sg_cbor_peek_type(&d) == SG_CBOR_ARRAY && sg_cbor_get_array(&d, &n) != 0)
		die("%s: not a CBOR array", name);
	if (n == 0 || n > SG_EDHOC_SUITES_MAX)
		die("%s: 1 to 8 suites", name);
	for (i = 0; i < n; i++) {
		if (sg_cbor_get_int(&d, &v) != 0 || v < INT16_MIN || v > INT16_MAX)
			die("%s: not a list of suite numbers", name);
		out[i] = (int16_t)v;
	}
	if (!sg_cbor_dec_done(&d))
		die("%s: trailing bytes", name);
	return n;
}

static void load_input(struct input *in, const char *path)
{
	const unsigned char *p;
	struct sg_cbor_dec d;
	size_t len;
	int64_t v;

	if (vf_load(&in->vf, path) != 0)
		exit(2);
	in->method = -1;
	if ((p = get(in, "METHOD", &len)) != NULL) {
		sg_cbor_dec_init(&d, p, len);
		if (sg_cbor_get_int(&d, &v) != 0 || !sg_cbor_dec_done(&d) || v < 0 || v > 3)
			die("%s", "METHOD: not a CBOR int 0..3");
		in->method = (int)v;
	}
	if (get(in, "SUITES_I", NULL) != NULL)
		in->n_suites_i = parse_suites(in, "SUITES_I", in->suites_i);
	if (get(in, "SUITES_R", NULL) != NULL)
		in->n_suites_r = parse_suites(in, "SUITES_R", in->suites_r);
	else if (in->n_suites_i > 0) {
		in->suites_r[0] = in->suites_i[in->n_suites_i - 1];
		in->n_suites_r = 1;
	}
	if ((p = get(in, "Root_CERT", &len)) != NULL) {
		if (sg_cert_store_init(&in->store) != 0 ||
		    sg_cert_store_add_ca(&in->store, p, len) != 0)
			die("%s", "Root_CERT: not a usable CA certificate");
		in->have_root = true;
	}
}

/* ---- one party -------------------------------------------------------------- */

struct party {
	struct sg_edhoc_config cfg;
	struct sg_edhoc e;
	const struct input *in;
	const char *who;	    /* "I" or "R" */
	const unsigned char *peer_cred; /* the peer's credential from the file (cache) */
	size_t peer_cred_len;
	unsigned char peer_kid[SG_EDHOC_KID_MAX];
	size_t peer_kid_len;
	bool peer_is_ccs;
	unsigned char kid[SG_EDHOC_KID_MAX];
};

/* Kind (and kid) of an ID_CRED map given in the file. */
static enum sg_edhoc_idcred idcred_kind(const unsigned char *p, size_t len, unsigned char *kid,
					size_t *kid_len, const char *name)
{
	struct sg_cbor_dec d;
	const unsigned char *k;
	size_t n;
	uint64_t label;

	sg_cbor_dec_init(&d, p, len);
	if (sg_cbor_get_map(&d, &n) != 0 || n != 1 || sg_cbor_get_uint(&d, &label) != 0)
		die("%s: not a one-entry COSE header map", name);
	if (label == 4) {
		if (sg_cbor_get_bstr(&d, &k, &n) != 0 || n == 0 || n > SG_EDHOC_KID_MAX)
			die("%s: kid must be a bstr of 1..8 bytes", name);
		memcpy(kid, k, n);
		*kid_len = n;
		return SG_EDHOC_ID_KID;
	}
	if (label == 34)
		return SG_EDHOC_ID_X5T;
	if (label == 33)
		return SG_EDHOC_ID_X5CHAIN;
	die("%s: only kid (4), x5t (34) and x5chain (33) are supported", name);
	return SG_EDHOC_ID_KID;
}

static int lookup(void *ctx, enum sg_edhoc_idcred kind, const unsigned char *ref,
		  size_t ref_len, const unsigned char **cred, size_t *len)
{
	const struct party *p = ctx;
	unsigned char h[32];

	if (p->peer_cred == NULL)
		return -1;
	if (kind == SG_EDHOC_ID_KID) {
		if (!p->peer_is_ccs || ref_len != p->peer_kid_len ||
		    memcmp(ref, p->peer_kid, ref_len) != 0)
			return -1;
	} else {
		if (p->peer_is_ccs || sg_sha256(p->peer_cred, p->peer_cred_len, h) != 0 ||
		    ref_len > 32 || memcmp(h, ref, ref_len) != 0)
			return -1;
	}
	*cred = p->peer_cred;
	*len = p->peer_cred_len;
	return 0;
}

static int accept_identity(void *ctx, const struct sg_peer_cert *peer)
{
	const struct party *p = ctx;

	fprintf(stderr, "%s: %s: peer identity: CN \"%s\", SAN URI \"%s\"\n", prog,
		p->who[0] == 'I' ? "initiator" : "responder", peer->id.subject_cn,
		peer->id.san_uri);
	return 0;
}

static int random_bytes(void *ctx, unsigned char *buf, size_t len)
{
	FILE *f = ctx;

	return fread(buf, 1, len, f) == len ? 0 : -1;
}

static FILE *urandom;
static bool no_message_4;

static void party_init(struct party *p, const struct input *in, enum sg_edhoc_role role,
		       struct tracebuf *tb)
{
	bool ini = role == SG_EDHOC_INITIATOR;
	const char *me = ini ? "I" : "R", *peer = ini ? "R" : "I";
	char n_sk[8], n_cred[16], n_id[16], n_c[8], n_pcred[16], n_pid[16];
	const unsigned char *id, *pid;
	size_t id_len, pid_len, i;
	enum sg_edhoc_idcred kind;
	struct sg__idcred own;
	struct sg__cred own_cred;

	memset(p, 0, sizeof(*p));
	p->in = in;
	p->who = me;
	snprintf(n_sk, sizeof(n_sk), "SK_%s", me);
	snprintf(n_cred, sizeof(n_cred), "CRED_%s", me);
	snprintf(n_id, sizeof(n_id), "ID_CRED_%s", me);
	snprintf(n_c, sizeof(n_c), "C_%s", me);
	snprintf(n_pcred, sizeof(n_pcred), "CRED_%s", peer);
	snprintf(n_pid, sizeof(n_pid), "ID_CRED_%s", peer);

	p->cfg.role = role;
	if (in->method < 0)
		die("%s", "input METHOD missing");
	p->cfg.method = (uint8_t)in->method;
	p->cfg.methods = SG_EDHOC_METHOD_BIT(in->method);
	if (ini) {
		if (in->n_suites_i == 0)
			die("%s", "input SUITES_I missing");
		p->cfg.suites[0] = (uint8_t)in->suites_i[in->n_suites_i - 1];
		p->cfg.n_suites = 1;
	} else {
		for (i = 0; i < in->n_suites_r; i++) {
			if (in->suites_r[i] != 2 && in->suites_r[i] != 3)
				continue; /* suites this implementation does not run */
			p->cfg.suites[p->cfg.n_suites++] = (uint8_t)in->suites_r[i];
		}
	}
	p->cfg.priv = need(in, n_sk, &i);
	if (i != 32)
		die("%s: must be 32 bytes", n_sk);
	p->cfg.cred.bytes = need(in, n_cred, &p->cfg.cred.len);
	id = need(in, n_id, &id_len);
	kind = idcred_kind(id, id_len, p->kid, &p->cfg.cred.kid_len, n_id);
	p->cfg.cred.type = kind == SG_EDHOC_ID_KID ? SG_EDHOC_CRED_CCS : SG_EDHOC_CRED_X509;
	p->cfg.cred.kid = kind == SG_EDHOC_ID_KID ? p->kid : NULL;
	p->cfg.id_cred = kind;
	/* what the engine will send must be what the file says */
	if (sg__cred_own(&p->cfg.cred, kind, &own, &own_cred) != 0 ||
	    sg__idcred_len(&own) != id_len ||
	    memcmp(own.map[0].p, id, own.map[0].len) != 0 ||
	    (own.map[1].len > 0 && memcmp(own.map[1].p, id + own.map[0].len, own.map[1].len) != 0))
		die("%s does not identify the credential given (x5t must be SHA-256/64)", n_id);
	p->cfg.cid = need(in, n_c, &p->cfg.cid_len);
	if (p->cfg.cid_len > SG_EDHOC_CID_MAX)
		die("%s: at most 8 bytes", n_c);

	/* the peer's credential, if the file has it, is this side's cache */
	p->peer_cred = get(in, n_pcred, &p->peer_cred_len);
	if ((pid = get(in, n_pid, &pid_len)) != NULL)
		p->peer_is_ccs = idcred_kind(pid, pid_len, p->peer_kid, &p->peer_kid_len, n_pid) ==
				 SG_EDHOC_ID_KID;
	p->cfg.lookup = lookup;
	p->cfg.lookup_ctx = p;
	p->cfg.store = in->have_root ? &in->store : NULL;
	p->cfg.cert_policy.now = in->now;
	p->cfg.cert_policy.notime = SG_NOTIME_REJECT;
	p->cfg.cert_policy.role = SG_ROLE_ANY;
	p->cfg.check_identity = accept_identity;
	p->cfg.identity_ctx = p;
	p->cfg.rng = random_bytes;
	p->cfg.rng_ctx = urandom;
	p->cfg.trace = tb_hook;
	p->cfg.trace_ctx = tb;
	if (sg_edhoc_init(&p->e, &p->cfg) != 0)
		die("%s", "configuration refused by the engine (method, suite, credential?)");
	/* test hooks: the file's ephemeral key, the file's SUITES_I */
	{
		const char *eph = ini ? "X" : "Y";
		const unsigned char *k = get(in, eph, &i);

		if (k != NULL && (i != 32 || sg_edhoc_test_ephemeral(&p->e, k) != 0))
			die("%s: not a usable 32-byte scalar", eph);
	}
	if (ini && sg_edhoc_test_suites_i(&p->e, in->suites_i, in->n_suites_i) != 0)
		die("%s", "SUITES_I: the selected (last) suite must be 2 or 3");
}

static void set_ead(struct party *p, int n)
{
	char name[8];
	const unsigned char *ead;
	size_t len;

	snprintf(name, sizeof(name), "EAD_%d", n);
	if ((ead = get(p->in, name, &len)) != NULL && sg_edhoc_set_ead(&p->e, ead, len) != 0)
		die("%s: not an EAD sequence", name);
}

/* ---- output --------------------------------------------------------------------- */

static void print_hex(FILE *f, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
}

static void print_value(const char *name, const unsigned char *p, size_t len)
{
	printf("%s = ", name);
	print_hex(stdout, p, len);
	putchar('\n');
}

static void print_all(const struct tracebuf *tb)
{
	size_t i;

	for (i = 0; i < tb->count; i++)
		print_value(tb->items[i].name, tb->items[i].data, tb->items[i].len);
	fflush(stdout);
}

static int refused(const char *who, const char *what, int rc)
{
	fprintf(stderr, "%s: %s refused %s: %s (%s)\n", prog, who, what, sg_errname(rc),
		sg_strerror(rc));
	return 1;
}

/* ---- both sides ---------------------------------------------------------------- */

static void exporter_values(struct party *a, struct party *b, struct tracebuf *tb,
			    const char *suffix)
{
	unsigned char s1[16], s2[16], t1[8], t2[8];
	char n1[64], n2[64];

	if (sg_edhoc_exporter(&a->e, 0, NULL, 0, s1, 16) != 0 ||
	    sg_edhoc_exporter(&b->e, 0, NULL, 0, s2, 16) != 0 ||
	    sg_edhoc_exporter(&a->e, 1, NULL, 0, t1, 8) != 0 ||
	    sg_edhoc_exporter(&b->e, 1, NULL, 0, t2, 8) != 0)
		die("%s", "exporter failed");
	if (memcmp(s1, s2, 16) != 0 || memcmp(t1, t2, 8) != 0)
		die("%s", "initiator and responder export different keys");
	snprintf(n1, sizeof(n1), "OSCORE_Master_Secret%s", suffix);
	snprintf(n2, sizeof(n2), "OSCORE_Master_Salt%s", suffix);
	tb->suffix = NULL;
	tb_put(tb, n1, s1, 16);
	tb_put(tb, n2, t1, 8);
}

static int run_both(const struct input *in)
{
	struct tracebuf tb;
	struct party *i = calloc(1, sizeof(*i)), *r = calloc(1, sizeof(*r));
	unsigned char *m = malloc(MSG_MAX), *copy = malloc(MSG_MAX);
	const unsigned char *ku;
	size_t len, ku_len;
	int rc, status = 0;

	if (i == NULL || r == NULL || m == NULL || copy == NULL)
		die("%s", "out of memory");
	tb_init(&tb);
	party_init(i, in, SG_EDHOC_INITIATOR, &tb);
	party_init(r, in, SG_EDHOC_RESPONDER, &tb);

	set_ead(i, 1);
	if ((rc = sg_edhoc_write_message_1(&i->e, m, MSG_MAX, &len)) != 0)
		die("write message_1: %s", sg_errname(rc));
	tb_put(&tb, "message_1", m, len);
	if ((rc = sg_edhoc_process_message_1(&r->e, m, len)) != 0) {
		status = refused("responder", "message_1", rc);
		goto out;
	}
	set_ead(r, 2);
	if ((rc = sg_edhoc_write_message_2(&r->e, m, MSG_MAX, &len)) != 0)
		die("write message_2: %s", sg_errname(rc));
	tb_put(&tb, "message_2", m, len);
	if ((rc = sg_edhoc_process_message_2(&i->e, m, len)) != 0) {
		status = refused("initiator", "message_2", rc);
		goto out;
	}
	set_ead(i, 3);
	if ((rc = sg_edhoc_write_message_3(&i->e, m, MSG_MAX, &len)) != 0)
		die("write message_3: %s", sg_errname(rc));
	tb_put(&tb, "message_3", m, len);
	if ((rc = sg_edhoc_process_message_3(&r->e, m, len)) != 0) {
		status = refused("responder", "message_3", rc);
		goto out;
	}
	set_ead(r, 4);
	if ((rc = sg_edhoc_write_message_4(&r->e, m, MSG_MAX, &len)) != 0)
		die("write message_4: %s", sg_errname(rc));
	tb_put(&tb, "message_4", m, len);
	if ((rc = sg_edhoc_process_message_4(&i->e, m, len)) != 0) {
		status = refused("initiator", "message_4", rc);
		goto out;
	}
	exporter_values(i, r, &tb, "");
	if ((ku = get(in, "KeyUpdate_context", &ku_len)) != NULL) {
		tb.suffix = "_after_KeyUpdate";
		if (sg_edhoc_key_update(&i->e, ku, ku_len) != 0 ||
		    sg_edhoc_key_update(&r->e, ku, ku_len) != 0)
			die("%s", "key update failed");
		exporter_values(i, r, &tb, "_after_KeyUpdate");
	}
out:
	print_all(&tb);
	if (tb.conflicts > 0) {
		fprintf(stderr, "%s: initiator and responder computed different %s\n", prog,
			tb.conflict_name);
		status = 2;
	}
	sg_edhoc_wipe(&i->e);
	sg_edhoc_wipe(&r->e);
	tb_free(&tb);
	free(i);
	free(r);
	free(m);
	free(copy);
	return status;
}

/* ---- one side against a peer on stdin/stdout ------------------------------------- */

/* One hex line from stdin into buf; 0 at end of input. */
static size_t read_message(unsigned char *buf, size_t cap)
{
	char line[2 * MSG_MAX + 8];
	size_t n = 0, i, len;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	len = strcspn(line, "\r\n");
	if (line[len] == 0 && !feof(stdin))
		die("%s", "input line too long");
	line[len] = 0;
	if (len % 2 != 0)
		die("%s", "odd number of hex digits from the peer");
	for (i = 0; i < len; i += 2) {
		unsigned v;

		if (sscanf(line + i, "%2x", &v) != 1 || n >= cap)
			die("%s", "not a hex line from the peer");
		buf[n++] = (unsigned char)v;
	}
	if (n == 0)
		die("%s", "empty message from the peer");
	return n;
}

static void send_message(const unsigned char *m, size_t len)
{
	print_hex(stdout, m, len);
	putchar('\n');
	fflush(stdout);
}

static bool is_error_message(const unsigned char *m)
{
	return (m[0] >> 5) == SG_CBOR_UINT || (m[0] >> 5) == SG_CBOR_NINT;
}

/* A refusal: the error message to the peer, the reason to stderr. */
static int refuse(struct party *p, const char *what, int rc)
{
	unsigned char err[SG_EDHOC_ERROR_MAX];
	size_t len = 0;

	if (sg_edhoc_write_error(&p->e, err, sizeof(err), &len) == 0 && len > 0)
		send_message(err, len);
	return refused(p->who[0] == 'I' ? "initiator" : "responder", what, rc);
}

static int peer_error(struct party *p, const unsigned char *m, size_t len)
{
	int rc = sg_edhoc_process_error(&p->e, m, len);

	if (rc == SG_EPEERERR) {
		fprintf(stderr, "%s: the peer sent an EDHOC error, ERR_CODE %d\n", prog,
			sg_edhoc_peer_error(&p->e));
		return 1;
	}
	fprintf(stderr, "%s: unexpected error message: %s\n", prog, sg_errname(rc));
	return 1;
}

static int run_role(const struct input *in, enum sg_edhoc_role role)
{
	struct tracebuf tb;
	struct party *p = calloc(1, sizeof(*p));
	unsigned char *m = malloc(MSG_MAX);
	const unsigned char *v;
	size_t len, vl;
	int rc, status = 0;

	if (p == NULL || m == NULL)
		die("%s", "out of memory");
	tb_init(&tb);
	party_init(p, in, role, &tb);
	if (role == SG_EDHOC_INITIATOR) {
		set_ead(p, 1);
		if ((rc = sg_edhoc_write_message_1(&p->e, m, MSG_MAX, &len)) != 0)
			die("write message_1: %s", sg_errname(rc));
		send_message(m, len);
		if ((len = read_message(m, MSG_MAX)) == 0)
			die("%s", "no message_2");
		if (is_error_message(m)) {
			status = peer_error(p, m, len);
			goto out;
		}
		if ((rc = sg_edhoc_process_message_2(&p->e, m, len)) != 0) {
			status = refuse(p, "message_2", rc);
			goto out;
		}
		set_ead(p, 3);
		if ((rc = sg_edhoc_write_message_3(&p->e, m, MSG_MAX, &len)) != 0)
			die("write message_3: %s", sg_errname(rc));
		send_message(m, len);
		if (!no_message_4 && (len = read_message(m, MSG_MAX)) > 0) {
			if (is_error_message(m)) {
				status = peer_error(p, m, len);
				goto out;
			}
			if ((rc = sg_edhoc_process_message_4(&p->e, m, len)) != 0) {
				status = refuse(p, "message_4", rc);
				goto out;
			}
		}
	} else {
		if ((len = read_message(m, MSG_MAX)) == 0)
			die("%s", "no message_1");
		if ((rc = sg_edhoc_process_message_1(&p->e, m, len)) != 0) {
			status = refuse(p, "message_1", rc);
			goto out;
		}
		set_ead(p, 2);
		if ((rc = sg_edhoc_write_message_2(&p->e, m, MSG_MAX, &len)) != 0)
			die("write message_2: %s", sg_errname(rc));
		send_message(m, len);
		if ((len = read_message(m, MSG_MAX)) == 0)
			die("%s", "no message_3");
		if (is_error_message(m)) {
			status = peer_error(p, m, len);
			goto out;
		}
		if ((rc = sg_edhoc_process_message_3(&p->e, m, len)) != 0) {
			status = refuse(p, "message_3", rc);
			goto out;
		}
		if (!no_message_4) {
			set_ead(p, 4);
			if ((rc = sg_edhoc_write_message_4(&p->e, m, MSG_MAX, &len)) != 0)
				die("write message_4: %s", sg_errname(rc));
			send_message(m, len);
		}
	}
	/* the session keys, from the last values the engine reported */
	if ((v = tb_get(&tb, "PRK_out", &vl)) == NULL)
		die("%s", "no PRK_out");
	print_value("PRK_out", v, vl);
	if ((v = tb_get(&tb, "PRK_exporter", &vl)) == NULL)
		die("%s", "no PRK_exporter");
	print_value("PRK_exporter", v, vl);
	fflush(stdout);
out:
	sg_edhoc_wipe(&p->e);
	tb_free(&tb);
	free(p);
	free(m);
	return status;
}

int main(int argc, char **argv)
{
	struct input in;
	const char *role = NULL, *path = NULL;
	int a, status;

	memset(&in, 0, sizeof(in));
	in.now = (int64_t)time(NULL);
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--role") == 0 && a + 1 < argc) {
			role = argv[++a];
		} else if (strcmp(argv[a], "--now") == 0 && a + 1 < argc) {
			char *end;

			errno = 0;
			in.now = (int64_t)strtoll(argv[++a], &end, 10);
			if (errno != 0 || *end != 0)
				die("--now: not a number: %s", argv[a]);
		} else if (strcmp(argv[a], "--no-message-4") == 0) {
			no_message_4 = true;
		} else if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[a][0] == '-' || path != NULL) {
			usage(stderr);
			return 2;
		} else {
			path = argv[a];
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	if (role != NULL && strcmp(role, "initiator") != 0 && strcmp(role, "responder") != 0) {
		usage(stderr);
		return 2;
	}
	urandom = fopen("/dev/urandom", "rb");
	if (urandom == NULL)
		die("%s", "cannot open /dev/urandom");
	load_input(&in, path);
	if (role == NULL)
		status = run_both(&in);
	else
		status = run_role(&in, strcmp(role, "initiator") == 0 ? SG_EDHOC_INITIATOR
								    : SG_EDHOC_RESPONDER);
	if (in.have_root)
		sg_cert_store_free(&in.store);
	vf_free(&in.vf);
	fclose(urandom);
	return status;
}
