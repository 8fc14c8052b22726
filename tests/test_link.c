/*
 * Tests of a device's link (daemon/link.c) and the gateway's credential
 * (daemon/cred.c): the link's engine against a device engine of the core
 * (tests/testenv.c), frame by frame in one process with a simulated
 * clock, as the bus would carry them, without a port. Credentials come
 * from the test PKI (tests/pki/fixtures), in DER, PEM and raw form.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "daemon/config.h"
#include "daemon/cred.h"
#include "daemon/link.h"
#include "daemon/log.h"
#include "serguard/err.h"
#include "testenv.h"

static char dir[64];
static char fix[512];
static char *logbuf;
static size_t loglen;
static FILE *logmem;

static const char *logged(void)
{
	fflush(logmem);
	return logbuf != NULL ? logbuf : "";
}

static void put_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* A fixture as PEM with the given label. */
static void put_pem(const char *name, const char *fixture, const char *label, mode_t mode,
		    bool twice)
{
	unsigned char der[2048], b64[4096];
	char pem[8192];
	size_t n, m, i, k = 0;
	int rep;

	n = te_fixture(fixture, der, sizeof(der));
	ck_assert_int_eq(mbedtls_base64_encode(b64, sizeof(b64), &m, der, n), 0);
	for (rep = 0; rep < (twice ? 2 : 1); rep++) {
		k += (size_t)snprintf(pem + k, sizeof(pem) - k, "junk before\n-----BEGIN %s-----\n",
				      label);
		for (i = 0; i < m; i += 64)
			k += (size_t)snprintf(pem + k, sizeof(pem) - k, "%.*s\n",
					      (int)(m - i < 64 ? m - i : 64), b64 + i);
		k += (size_t)snprintf(pem + k, sizeof(pem) - k, "-----END %s-----\n", label);
	}
	put_file(name, pem, k, mode);
}

static void copy_fixture(const char *name, const char *fixture, mode_t mode)
{
	unsigned char b[4096];
	size_t n = te_fixture(fixture, b, sizeof(b));

	put_file(name, b, n, mode);
}

static void setup(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof(dir), "/tmp/sg-test-link.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fix, sizeof(fix), "%s/tests/pki/fixtures", top != NULL ? top : "..");
	copy_fixture("gw.key", "gw.key.der", 0600);
	logmem = open_memstream(&logbuf, &loglen);
	log_set_stream(logmem, LOG_STYLE_PLAIN);
	log_set_level(LOG_DEBUG);
}

static void teardown(void)
{
	char cmd[128];

	log_set_stream(NULL, LOG_STYLE_PLAIN);
	fclose(logmem);
	free(logbuf);
	logbuf = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Parse a configuration; @D in text is the temp dir, @F the fixtures. */
static void parse(struct config *cf, const char *text)
{
	char out[4096];
	size_t i, k = 0;

	for (i = 0; text[i] != '\0' && k < sizeof(out) - 600; i++) {
		if (text[i] == '@' && text[i + 1] == 'D') {
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s", dir);
			i++;
		} else if (text[i] == '@' && text[i + 1] == 'F') {
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s", fix);
			i++;
		} else {
			out[k++] = text[i];
		}
	}
	if (config_parse(cf, "t.conf", out, k) != 0)
		for (i = 0; i < cf->nerrors; i++)
			fprintf(stderr, "%s\n", cf->errors[i].msg);
	ck_assert_uint_eq(cf->nerrors, 0);
}

#define GLOBAL                                                                \
	"[global]\nca = @F/ca.crt.der\ncert = @F/gw.crt.der\nkey = @D/gw.key\n" \
	"socket_dir = @D\n"

/* ---- credentials ------------------------------------------------------------ */

START_TEST(cred_formats)
{
	struct config cf;
	struct cred *c;
	unsigned char raw[64];
	size_t n;

	/* DER everything (the key in SEC1) */
	parse(&cf, GLOBAL);
	c = cred_load(&cf.global);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->self.id.subject_cn, "gateway");
	ck_assert_uint_eq(c->n_ca, 1);
	ck_assert_int_eq(c->id_cred, SG_EDHOC_ID_X5CHAIN);
	cred_unref(c);
	config_free(&cf);

	/* PEM: a CA bundle of two, the certificate, the key; by reference */
	put_pem("ca.pem", "ca.crt.der", "CERTIFICATE", 0644, true);
	put_pem("gw.pem", "gw.crt.der", "CERTIFICATE", 0644, false);
	put_pem("gw.key.pem", "gw.key.der", "EC PRIVATE KEY", 0600, false);
	put_pem("crl.pem", "ca.crl.der", "X509 CRL", 0644, false);
	parse(&cf, "[global]\nca = @D/ca.pem\ncert = @D/gw.pem\nkey = @D/gw.key.pem\n"
		   "crl = @D/crl.pem\nsend_certificate = by-reference\n");
	c = cred_load(&cf.global);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->n_ca, 2);
	ck_assert(c->store.has_crl);
	ck_assert_int_eq(c->id_cred, SG_EDHOC_ID_X5T);
	cred_unref(c);
	config_free(&cf);

	/* the raw 32-byte scalar */
	n = te_fixture("gw.key.raw", raw, sizeof(raw));
	put_file("gw.key", raw, n, 0600);
	parse(&cf, GLOBAL);
	c = cred_load(&cf.global);
	ck_assert_ptr_nonnull(c);
	cred_unref(c);
	config_free(&cf);
}
END_TEST

START_TEST(cred_refusals)
{
	struct config cf;

	/* another key than the certificate's */
	copy_fixture("gw.key", "dev-a.key.der", 0600);
	parse(&cf, GLOBAL);
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "/gw.key: the private key does not belong to the "
					       "gateway certificate\n"));
	config_free(&cf);

	/* a key others can read */
	copy_fixture("gw.key", "gw.key.der", 0644);
	parse(&cf, GLOBAL);
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "private key file is accessible by group or others"));
	config_free(&cf);

	/* not a key at all */
	put_file("gw.key", "hello, world\n", 13, 0600);
	parse(&cf, GLOBAL);
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "/gw.key: not a private key"));
	config_free(&cf);

	/* a CA file that is a leaf */
	copy_fixture("gw.key", "gw.key.der", 0600);
	parse(&cf, "[global]\nca = @F/dev-a.crt.der\ncert = @F/gw.crt.der\nkey = @D/gw.key\n");
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "/dev-a.crt.der: CA certificate 1: "));
	config_free(&cf);

	/* a missing certificate */
	parse(&cf, "[global]\nca = @F/ca.crt.der\ncert = @D/none.pem\nkey = @D/gw.key\n");
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "/none.pem: cannot open the gateway certificate: "
					       "No such file or directory\n"));
	config_free(&cf);

	/* PEM without the block asked for */
	put_file("x.pem", "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", 42, 0644);
	parse(&cf, "[global]\nca = @D/x.pem\ncert = @F/gw.crt.der\nkey = @D/gw.key\n");
	ck_assert_ptr_null(cred_load(&cf.global));
	ck_assert_ptr_nonnull(strstr(logged(), "has no \"-----BEGIN CERTIFICATE-----\" block"));
	config_free(&cf);
}
END_TEST

START_TEST(identity_policy)
{
	struct config cf;
	struct cred *c;
	struct sg_peer_cert a, b;
	unsigned char der[2048], h[32];
	char text[1024], buf[300];
	size_t n, i;
	const struct cfg_device *d;

	n = te_fixture("dev-a.crt.der", der, sizeof(der));
	ck_assert_int_eq(sg_cert_parse(der, n, &a), 0);
	n = te_fixture("dev-b.crt.der", der, sizeof(der));
	ck_assert_int_eq(sg_cert_parse(der, n, &b), 0);
	n = te_fixture("ca.crt.der", der, sizeof(der));

	i = (size_t)snprintf(text, sizeof(text),
			     GLOBAL "[port p]\ndevice = /dev/null\nmode = rs485\n"
				    "[device cn]\nport = p\naddress = 1\nidentity = cn:dev-a\n"
				    "[device uri]\nport = p\naddress = 2\nidentity = "
				    "uri:urn:serguard:dev:a\n"
				    "[device serial]\nport = p\naddress = 3\nidentity = serial:00:21\n"
				    "[device spki]\nport = p\naddress = 4\nidentity = spki-sha256:");
	for (n = 0; n < 32; n++)
		i += (size_t)snprintf(text + i, sizeof(text) - i, "%02x", a.id.spki_hash[n]);
	snprintf(text + i, sizeof(text) - i,
		 "\n[device issuer]\nport = p\naddress = 5\nidentity = "
		 "serial:21,issuer-sha256:%064d\n",
		 0);
	parse(&cf, text);
	c = cred_load(&cf.global);
	ck_assert_ptr_nonnull(c);
	(void)h;
	for (d = TAILQ_FIRST(&cf.devices); d != NULL; d = TAILQ_NEXT(d, entry)) {
		bool want = strcmp(d->name, "issuer") != 0;

		ck_assert_msg(cred_identity_match(c, &d->identity, &a.id) == want, "%s", d->name);
		ck_assert_msg(!cred_identity_match(c, &d->identity, &b.id), "%s vs dev-b", d->name);
	}
	/* a truncated name never matches */
	a.id.truncated = true;
	ck_assert(!cred_identity_match(c, &config_device(&cf, "cn")->identity, &a.id));
	ck_assert(cred_identity_match(c, &config_device(&cf, "spki")->identity, &a.id));

	cred_identity_format(&config_device(&cf, "serial")->identity, buf, sizeof(buf));
	ck_assert_str_eq(buf, "serial:21");
	cred_peer_format(&b.id, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CN dev-b, serial 22, URI urn:serguard:dev:b");
	cred_unref(c);
	config_free(&cf);
}
END_TEST

/* ---- a link against a device engine --------------------------------------------- */

struct pair {
	struct config cf;
	struct cred *cred;
	struct link *l;
	struct te_end dev;
	struct sg_frame_decoder dec;
	unsigned char decbuf[SG_FRAME_DECODE_BUF_LEN(255)];
	uint64_t now;
	unsigned polls;
};

static void pair_open(struct pair *p, const char *device, const char *dev_cert,
		      const char *extra_global)
{
	char text[2048];

	memset(p, 0, sizeof(*p));
	snprintf(text, sizeof(text),
		 GLOBAL "queue_max = 4\nqueue_max_age_ms = 1000\n%s"
			"[port p]\ndevice = /dev/null\nmode = rs485\n"
			"[device a]\nport = p\naddress = 1\nidentity = cn:dev-a\n"
			"[device b]\nport = p\naddress = 2\nidentity = cn:dev-b\n",
		 extra_global);
	parse(&p->cf, text);
	p->cred = cred_load(&p->cf.global);
	ck_assert_ptr_nonnull(p->cred);
	p->now = 1000;
	p->l = link_new(config_device(&p->cf, device), &p->cf.global, p->cred, p->now);
	ck_assert_ptr_nonnull(p->l);

	te_end_setup(&p->dev, SG_CONN_DEVICE, dev_cert, "gateway", 42);
	p->dev.cfg.bus = true;
	p->dev.cfg.addr = p->l->bd.addr;
	p->dev.cfg.edhoc.cert_policy.now = (int64_t)time(NULL);
	sg_record_config_default(&p->dev.cfg.record, 8, p->dev.cfg.addr, SG_FRAME_FROM_DEVICE);
	p->dev.cfg.record.freshness = true;
	p->dev.cfg.record.max_age_ms = 5000;
	ck_assert_int_eq(te_end_init(&p->dev, p->now), 0);
	ck_assert_int_eq(sg_conn_start(&p->dev.c, p->now), 0);
	ck_assert_int_eq(sg_frame_decoder_init(&p->dec, p->decbuf, sizeof(p->decbuf), 255,
					       SG_FRAME_FROM_DEVICE, 0),
			 0);
}

static void pair_close(struct pair *p)
{
	link_free(p->l);
	cred_unref(p->cred);
	te_end_free(&p->dev);
	config_free(&p->cf);
}

/* One bus turn: the gateway's frame (or a poll) to the device, the
 * device's answer back, then time passes. */
static void turn(struct pair *p, bool deliver_answer)
{
	unsigned char out[SG_FRAME_ENCODED_MAX(255)];
	const unsigned char *a;
	size_t n = 0, m, used;
	struct sg_frame f;

	link_pump(p->l, p->now);
	if (link_turn(p->l, true, out, sizeof(out), &n, p->now) != 0) {
		ck_assert_int_eq(sg_frame_encode(out, sizeof(out), &n, p->l->bd.addr,
						 SG_FRAME_FROM_GATEWAY | SG_FRAME_POLL, NULL, 0),
				 0);
		p->polls++;
	}
	ck_assert_int_eq(sg_conn_wire_push(&p->dev.c, out, n, p->now), 0);
	while (sg_conn_status(&p->dev.c) & SG_CONN_WANT_WORK)
		sg_conn_work(&p->dev.c, p->now);
	m = sg_conn_wire_peek(&p->dev.c, &a, p->now);
	sg_conn_wire_ack(&p->dev.c, m);
	while (deliver_answer && m > 0) {
		used = 0;
		if (sg_frame_decoder_push(&p->dec, a, m, &used, &f) == 1)
			link_input(p->l, &f, p->now);
		a += used;
		m -= used;
	}
	p->now += 20;
	if (sg_conn_deadline(&p->dev.c) <= p->now)
		sg_conn_tick(&p->dev.c, p->now);
}

static void turns(struct pair *p, int n)
{
	while (n-- > 0)
		turn(p, true);
}

START_TEST(session_up_and_messages)
{
	struct pair p;
	unsigned char buf[300];
	size_t n;
	int i;

	pair_open(&p, "a", "dev-a", "");
	ck_assert_str_eq(link_state_name(p.l), "down");
	turns(&p, 40);
	ck_assert_str_eq(link_state_name(p.l), "up");
	ck_assert(sg_conn_status(&p.dev.c) & SG_CONN_ESTABLISHED);
	ck_assert_str_eq(p.l->peer_cn, "dev-a");
	ck_assert_int_eq(p.l->suite, 2);
	ck_assert_uint_eq(p.l->n.hs_completed, 1);
	ck_assert_ptr_nonnull(strstr(logged(), "device a: session up with CN dev-a, serial 21, "
					       "URI urn:serguard:dev:a, suite 2\n"));
	ck_assert_uint_eq(p.l->max_message, 255 - 15);

	/* downstream: to the device, in order */
	ck_assert(link_can_send(p.l));
	ck_assert_int_eq(link_send(p.l, (const unsigned char *)"one", 3, p.now), 0);
	ck_assert_int_eq(link_send(p.l, (const unsigned char *)"two", 3, p.now), 0);
	turns(&p, 4);
	ck_assert_int_eq(sg_conn_recv(&p.dev.c, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(buf, "one", 3), 0);
	ck_assert_int_eq(sg_conn_recv(&p.dev.c, buf, sizeof(buf), &n), 0);
	ck_assert_int_eq(memcmp(buf, "two", 3), 0);
	ck_assert_uint_eq(p.l->n.app_out, 2);
	ck_assert_uint_eq(p.l->n.app_bytes_out, 6);

	/* too long for one frame: refused and counted */
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(link_send(p.l, buf, p.l->max_message + 1, p.now), -2);
	ck_assert_uint_eq(p.l->drops.oversize, 1);
	ck_assert_int_eq(link_send(p.l, buf, p.l->max_message, p.now), 0);
	turns(&p, 2);
	ck_assert_int_eq(sg_conn_recv(&p.dev.c, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, p.l->max_message);

	/* the queue holds queue_max (4) messages, then refuses */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(link_send(p.l, (const unsigned char *)"q", 1, p.now), 0);
	ck_assert(!link_can_send(p.l));
	ck_assert_int_eq(link_send(p.l, (const unsigned char *)"q", 1, p.now), -1);
	ck_assert_uint_eq(link_tx_queued(p.l), 4);
	turns(&p, 6);
	ck_assert_uint_eq(link_tx_queued(p.l), 0);
	ck_assert(link_can_send(p.l));

	/* upstream with no client: held, then expired after queue_max_age_ms */
	ck_assert_int_eq(sg_conn_send(&p.dev.c, "up", 2, p.now), 0);
	turns(&p, 3);
	ck_assert_uint_eq(link_rx_queued(p.l), 1);
	ck_assert_uint_eq(p.l->n.app_in, 1);
	ck_assert_uint_le(p.l->deadline, p.now + 1000);
	p.now += 1001;
	link_pump(p.l, p.now);
	ck_assert_uint_eq(link_rx_queued(p.l), 0);
	ck_assert_uint_eq(p.l->drops.rx_expired, 1);

	/* an operator's new handshake replaces the session */
	link_rehandshake(p.l, p.now);
	turns(&p, 40);
	ck_assert_uint_eq(p.l->n.hs_completed, 2);
	ck_assert_ptr_nonnull(strstr(logged(), "device a: session renewed with CN dev-a"));

	/* close: the device gets CLOSE */
	link_close(p.l, p.now);
	ck_assert(!link_flushed(p.l) || p.l->line == NULL);
	turns(&p, 2);
	ck_assert(sg_conn_status(&p.dev.c) & SG_CONN_CLOSED);
	ck_assert_str_eq(link_state_name(p.l), "closed");
	ck_assert_ptr_nonnull(strstr(logged(), "device a: session closed\n"));
	ck_assert(!link_can_send(p.l));
	pair_close(&p);
}
END_TEST

START_TEST(wrong_identity_refused)
{
	struct pair p;

	/* dev-a's certificate at the address where dev-b is expected */
	pair_open(&p, "b", "dev-a", "");
	turns(&p, 60);
	ck_assert_str_ne(link_state_name(p.l), "up");
	ck_assert_uint_ge(p.l->n.hs_failed, 1);
	ck_assert_int_eq(p.l->last_error, SG_EIDENTITY);
	ck_assert_str_eq(p.l->refused, "CN dev-a, serial 21, URI urn:serguard:dev:a");
	ck_assert_ptr_nonnull(strstr(logged(),
				     "warning: device b: refused a valid certificate that is not "
				     "this device's: it has CN dev-a, serial 21, URI "
				     "urn:serguard:dev:a; expected cn:dev-b\n"));
	ck_assert_ptr_null(strstr(logged(), "session up"));
	pair_close(&p);
}
END_TEST

START_TEST(queued_while_down_expire)
{
	struct pair p;
	int i;

	pair_open(&p, "a", "dev-a", "");
	/* no session yet: messages wait, then expire after 1000 ms */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(link_send(p.l, (const unsigned char *)"w", 1, p.now), 0);
	ck_assert_uint_eq(link_tx_queued(p.l), 3);
	p.now += 500;
	link_pump(p.l, p.now);
	ck_assert_uint_eq(link_tx_queued(p.l), 3);
	p.now += 501;
	link_pump(p.l, p.now);
	ck_assert_uint_eq(link_tx_queued(p.l), 0);
	ck_assert_uint_eq(p.l->drops.tx_expired, 3);

	/* queued while down and delivered once the session is up */
	ck_assert_int_eq(link_send(p.l, (const unsigned char *)"late", 4, p.now), 0);
	turns(&p, 40);
	ck_assert_str_eq(link_state_name(p.l), "up");
	ck_assert_uint_eq(p.l->n.app_out, 1);
	pair_close(&p);
}
END_TEST

START_TEST(device_answers_lost)
{
	struct pair p;
	int i;

	pair_open(&p, "a", "dev-a", "");
	/* the device hears but its answers never arrive: the exchange times
	 * out (60 s) and the failure is logged once */
	for (i = 0; i < 4000; i++)
		turn(&p, false);
	ck_assert_str_eq(link_state_name(p.l), "handshaking");
	ck_assert_uint_ge(p.l->n.hs_timeouts, 1);
	ck_assert_ptr_nonnull(strstr(logged(), "warning: device a: handshake failed: peer did not "
					       "answer in time\n"));
	/* answers get through again: up by the next retransmission of
	 * message_1 (the timeout has grown to its 16 s cap) */
	turns(&p, 1000);
	ck_assert_str_eq(link_state_name(p.l), "up");
	pair_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("link");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cred_formats);
	tcase_add_test(tc, cred_refusals);
	tcase_add_test(tc, identity_policy);
	tcase_add_test(tc, session_up_and_messages);
	tcase_add_test(tc, wrong_identity_refused);
	tcase_add_test(tc, queued_while_down_expire);
	tcase_add_test(tc, device_answers_lost);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
