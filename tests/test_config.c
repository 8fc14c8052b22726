/*
 * Tests of the configuration parser (daemon/config.c): a valid file with
 * every option, the defaults, then every error the parser can report,
 * each asserting the exact message with its FILE:LINE.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/config.h"

/* Four lines: a minimal valid [global]. */
#define G                                                                                    \
	"[global]\n"                                                                         \
	"ca = /etc/serguard/ca.pem\n"                                                        \
	"cert = /etc/serguard/gw.pem\n"                                                      \
	"key = /etc/serguard/gw.key\n"

/* Lines 5..7 after G: an RS485 port. */
#define P485                                                                                 \
	"[port bus]\n"                                                                       \
	"device = /dev/ttyUSB0\n"                                                            \
	"mode = rs485\n"

/* Lines 5..6 after G: an RS232 port. */
#define P232                                                                                 \
	"[port line]\n"                                                                      \
	"device = /dev/ttyS0\n"

static int parse(struct config *cf, const char *text)
{
	return config_parse(cf, "t.conf", text, strlen(text));
}

static void dump_errors(const struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->nerrors; i++)
		fprintf(stderr, "  got: %s\n", cf->errors[i].msg);
}

static void parse_ok(struct config *cf, const char *text)
{
	int r = parse(cf, text);

	if (r != 0)
		dump_errors(cf);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(cf->nerrors, 0);
}

/* Parse text and require exactly the messages given, in order. */
static void expect(const char *text, const char *const *msgs)
{
	struct config cf;
	size_t n = 0, i;
	int r;

	while (msgs[n] != NULL)
		n++;
	r = parse(&cf, text);
	if (cf.nerrors != n)
		dump_errors(&cf);
	ck_assert_int_eq(r, -1);
	ck_assert_uint_eq(cf.nerrors, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(cf.errors[i].msg, msgs[i]);
	config_free(&cf);
}

#define EXPECT(text, ...)                                                                    \
	do {                                                                                 \
		const char *const m_[] = { __VA_ARGS__, NULL };                              \
		expect(text, m_);                                                            \
	} while (0)

/* ---- valid files ------------------------------------------------------------------ */

START_TEST(full_config)
{
	static const char text[] =
		"; every option\n"
		"[global]\n"
		"ca = /etc/serguard/ca.pem\n"
		"cert = /etc/serguard/gw.pem\n"
		"key = /etc/serguard/gw.key\n"
		"crl = /etc/serguard/ca.crl\n"
		"socket_dir = /run/sg\n"
		"socket_mode = 0640\n"
		"socket_group = sgclients\n"
		"control_socket = /run/sg/ctl\n"
		"log_level = debug\n"
		"queue_max = 10\n"
		"queue_max_age_ms = 2500\n"
		"max_message = 512\n"
		"max_clients = 3\n"
		"\n"
		"[port bus1]\n"
		"device = /dev/serial/by-id/usb-FTDI_FT232R-if00-port0\n"
		"mode = rs485\n"
		"baud = 19200\n"
		"data_bits = 7\n"
		"parity = even\n"
		"stop_bits = 2\n"
		"flow_control = none\n"
		"rs485_rts_on_send = no\n"
		"rs485_delay_before_ms = 1\n"
		"rs485_delay_after_ms = 2\n"
		"response_timeout_ms = 150\n"
		"turnaround_ms = 4\n"
		"handshake_timeout_ms = 2000\n"
		"poll_interval_ms = 50\n"
		"down_poll_interval_ms = 10000\n"
		"down_after_timeouts = 5\n"
		"max_frame = 128\n"
		"\n"
		"[device pump-1]\n"
		"port = bus1\n"
		"address = 7\n"
		"identity = cn:pump-1.plant.example\n"
		"socket = /run/sg/pump1\n"
		"key_update_records = 1000\n"
		"key_update_seconds = 600\n"
		"session_lifetime_seconds = 7200\n"
		"max_record_age_ms = 3000\n"
		"role = initiator\n"
		"\n"
		"[device valve]\n"
		"port = bus1\n"
		"address = 254\n"
		"identity = serial:00:8F:01,issuer-sha256:"
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"[device meter]\n"
		"port = bus1\n"
		"address = 1\n"
		"identity = spki-sha256:"
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
		"[port console]\n"
		"device = /dev/ttyS1\n"
		"flow_control = rtscts\n"
		"[device plc]\n"
		"port = console\n"
		"identity = uri:urn:dev:ops:32473-plc-1\n"
		"role = responder\n"
		"[device dnsdev]\n"
		"port = bus1\n"
		"address = 2\n"
		"identity = dns:meter.plant.example\n";
	struct config cf;
	struct cfg_port *p;
	struct cfg_device *d;

	parse_ok(&cf, text);
	ck_assert_uint_eq(cf.nports, 2);
	ck_assert_uint_eq(cf.ndevices, 5);
	ck_assert_str_eq(cf.global.ca, "/etc/serguard/ca.pem");
	ck_assert_str_eq(cf.global.cert, "/etc/serguard/gw.pem");
	ck_assert_str_eq(cf.global.key, "/etc/serguard/gw.key");
	ck_assert_str_eq(cf.global.crl, "/etc/serguard/ca.crl");
	ck_assert_str_eq(cf.global.socket_dir, "/run/sg");
	ck_assert_uint_eq(cf.global.socket_mode, 0640);
	ck_assert_str_eq(cf.global.socket_group, "sgclients");
	ck_assert_str_eq(cf.global.control_socket, "/run/sg/ctl");
	ck_assert_int_eq(cf.global.log_level, LOG_DEBUG);
	ck_assert_uint_eq(cf.global.queue_max, 10);
	ck_assert_uint_eq(cf.global.queue_max_age_ms, 2500);
	ck_assert_uint_eq(cf.global.max_message, 512);
	ck_assert_uint_eq(cf.global.max_clients, 3);

	p = config_port(&cf, "bus1");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->at.line, 17);
	ck_assert_str_eq(p->device, "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0");
	ck_assert_int_eq(p->mode, CFG_RS485);
	ck_assert_uint_eq(p->baud, 19200);
	ck_assert_uint_eq(p->data_bits, 7);
	ck_assert_int_eq(p->parity, CFG_PARITY_EVEN);
	ck_assert_uint_eq(p->stop_bits, 2);
	ck_assert_int_eq(p->flow_control, CFG_FLOW_NONE);
	ck_assert(!p->rs485_rts_on_send);
	ck_assert_uint_eq(p->rs485_delay_before_ms, 1);
	ck_assert_uint_eq(p->rs485_delay_after_ms, 2);
	ck_assert_uint_eq(p->response_timeout_ms, 150);
	ck_assert_uint_eq(p->turnaround_ms, 4);
	ck_assert_uint_eq(p->handshake_timeout_ms, 2000);
	ck_assert_uint_eq(p->poll_interval_ms, 50);
	ck_assert_uint_eq(p->down_poll_interval_ms, 10000);
	ck_assert_uint_eq(p->down_after_timeouts, 5);
	ck_assert_uint_eq(p->max_frame, 128);
	ck_assert_uint_eq(p->ndevices, 4);
	p = config_port(&cf, "console");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->mode, CFG_RS232);
	ck_assert_int_eq(p->flow_control, CFG_FLOW_RTSCTS);
	ck_assert_uint_eq(p->ndevices, 1);

	d = config_device(&cf, "pump-1");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_eq(d->port, config_port(&cf, "bus1"));
	ck_assert_str_eq(d->port_name, "bus1");
	ck_assert_uint_eq(d->address, 7);
	ck_assert_int_eq(d->identity.kind, CFG_ID_CN);
	ck_assert_str_eq(d->identity.text, "pump-1.plant.example");
	ck_assert_str_eq(d->socket, "/run/sg/pump1");
	ck_assert_uint_eq(d->key_update_records, 1000);
	ck_assert_uint_eq(d->key_update_seconds, 600);
	ck_assert_uint_eq(d->session_lifetime_seconds, 7200);
	ck_assert_uint_eq(d->max_record_age_ms, 3000);
	ck_assert_int_eq(d->role, CFG_ROLE_INITIATOR);

	d = config_device(&cf, "valve");
	ck_assert_int_eq(d->identity.kind, CFG_ID_SERIAL);
	ck_assert_uint_eq(d->identity.bin_len, 2); /* leading zero byte removed */
	ck_assert_uint_eq(d->identity.bin[0], 0x8f);
	ck_assert_uint_eq(d->identity.bin[1], 0x01);
	ck_assert(d->identity.has_issuer);
	ck_assert_uint_eq(d->identity.issuer_sha256[0], 0x9f);
	ck_assert_uint_eq(d->identity.issuer_sha256[31], 0x08);
	ck_assert_str_eq(d->socket, "/run/sg/valve.sock");
	ck_assert_int_eq(d->role, CFG_ROLE_AUTO);

	d = config_device(&cf, "meter");
	ck_assert_int_eq(d->identity.kind, CFG_ID_SPKI);
	ck_assert_uint_eq(d->identity.bin_len, 32);
	ck_assert_uint_eq(d->identity.bin[0], 0xe3);
	ck_assert_uint_eq(d->identity.bin[31], 0x55);

	d = config_device(&cf, "plc");
	ck_assert_int_eq(d->identity.kind, CFG_ID_URI);
	ck_assert_str_eq(d->identity.text, "urn:dev:ops:32473-plc-1");
	ck_assert_uint_eq(d->address, 1); /* default on rs232 */
	ck_assert_int_eq(d->role, CFG_ROLE_RESPONDER);
	ck_assert_ptr_eq(d->port, config_port(&cf, "console"));

	d = config_device(&cf, "dnsdev");
	ck_assert_int_eq(d->identity.kind, CFG_ID_DNS);
	ck_assert_str_eq(d->identity.text, "meter.plant.example");

	ck_assert_ptr_null(config_device(&cf, "nope"));
	ck_assert_ptr_null(config_port(&cf, "nope"));
	/* 32 + 2 per port + (1 + max_clients) per device */
	ck_assert_uint_eq(config_fds_needed(&cf), 32 + 2 * 2 + 5 * (1 + 3));
	config_free(&cf);
}
END_TEST

START_TEST(defaults)
{
	struct config cf;
	struct cfg_port *p;
	struct cfg_device *d;

	parse_ok(&cf, G P232 "[device d]\nport = line\nidentity = cn:d\n");
	ck_assert_ptr_null(cf.global.crl);
	ck_assert_str_eq(cf.global.socket_dir, "/run/serguard");
	ck_assert_uint_eq(cf.global.socket_mode, 0660);
	ck_assert_ptr_null(cf.global.socket_group);
	ck_assert_str_eq(cf.global.control_socket, "/run/serguard/control.sock");
	ck_assert_int_eq(cf.global.log_level, LOG_INFO);
	ck_assert_uint_eq(cf.global.queue_max, 64);
	ck_assert_uint_eq(cf.global.queue_max_age_ms, 10000);
	ck_assert_uint_eq(cf.global.max_message, 1024);
	ck_assert_uint_eq(cf.global.max_clients, 4);
	p = config_port(&cf, "line");
	ck_assert_int_eq(p->mode, CFG_RS232);
	ck_assert_uint_eq(p->baud, 115200);
	ck_assert_uint_eq(p->data_bits, 8);
	ck_assert_int_eq(p->parity, CFG_PARITY_NONE);
	ck_assert_uint_eq(p->stop_bits, 1);
	ck_assert_int_eq(p->flow_control, CFG_FLOW_NONE);
	ck_assert(p->rs485_rts_on_send);
	ck_assert_uint_eq(p->rs485_delay_before_ms, 0);
	ck_assert_uint_eq(p->rs485_delay_after_ms, 0);
	ck_assert_uint_eq(p->response_timeout_ms, 200);
	ck_assert_uint_eq(p->turnaround_ms, 5);
	ck_assert_uint_eq(p->handshake_timeout_ms, 3000);
	ck_assert_uint_eq(p->poll_interval_ms, 100);
	ck_assert_uint_eq(p->down_poll_interval_ms, 5000);
	ck_assert_uint_eq(p->down_after_timeouts, 3);
	ck_assert_uint_eq(p->max_frame, 255);
	d = config_device(&cf, "d");
	ck_assert_uint_eq(d->address, 1);
	ck_assert_str_eq(d->socket, "/run/serguard/d.sock");
	ck_assert_uint_eq(d->key_update_records, 65536);
	ck_assert_uint_eq(d->key_update_seconds, 3600);
	ck_assert_uint_eq(d->session_lifetime_seconds, 86400);
	ck_assert_uint_eq(d->max_record_age_ms, 5000);
	ck_assert_int_eq(d->role, CFG_ROLE_AUTO);
	config_free(&cf);
}
END_TEST

/* What inih does and we keep: comments, "name: value", inline "; ..."
 * comments, a byte order mark, CRLF; and what we change: indentation is
 * allowed and never makes a continuation line. */
START_TEST(syntax_accepted)
{
	struct config cf;

	parse_ok(&cf, "\xEF\xBB\xBF# comment\r\n"
		      "; comment\r\n"
		      "[global]   ; the global section\r\n"
		      "  ca = /etc/ca.pem ; inline comment\r\n"
		      "  cert: /etc/gw.pem\r\n"
		      "\tkey=/etc/gw.key\r\n"
		      "    crl = /etc/x;y\r\n"
		      "  [ port   p1 ]\n"
		      "device = /dev/ttyS0\n");
	ck_assert_str_eq(cf.global.ca, "/etc/ca.pem");
	ck_assert_str_eq(cf.global.cert, "/etc/gw.pem");
	ck_assert_str_eq(cf.global.key, "/etc/gw.key");
	ck_assert_str_eq(cf.global.crl, "/etc/x;y");
	ck_assert_ptr_nonnull(config_port(&cf, "p1"));
	ck_assert_uint_eq(config_port(&cf, "p1")->at.line, 8);
	config_free(&cf);
	/* no file at all is a file without [global] */
	EXPECT("", "t.conf: [global] section is missing (it must set ca, cert and key)");
}
END_TEST

START_TEST(same_for_reload)
{
	struct config a, b, c;
	const char *base = G P485 "[device d]\nport = bus\naddress = 3\nidentity = cn:d\n";

	parse_ok(&a, base);
	parse_ok(&b, base);
	parse_ok(&c, G "log_level = debug\n"
		       "[port bus]\ndevice = /dev/ttyUSB0\nmode = rs485\nbaud = 9600\n"
		       "[device d]\nport = bus\naddress = 4\nidentity = cn:d\n");
	ck_assert(config_global_same(&a.global, &b.global));
	ck_assert(config_port_same(config_port(&a, "bus"), config_port(&b, "bus")));
	ck_assert(config_device_same(config_device(&a, "d"), config_device(&b, "d")));
	ck_assert(!config_global_same(&a.global, &c.global));
	ck_assert(!config_port_same(config_port(&a, "bus"), config_port(&c, "bus")));
	ck_assert(!config_device_same(config_device(&a, "d"), config_device(&c, "d")));
	config_free(&a);
	config_free(&b);
	config_free(&c);
}
END_TEST

/* ---- errors: lines and sections --------------------------------------------------- */

START_TEST(err_syntax)
{
	EXPECT(G "just words\n", "t.conf:5: expected 'option = value'");
	EXPECT(G "= 5\n", "t.conf:5: missing option name before '='");
	EXPECT(G "  : 5\n", "t.conf:5: missing option name before ':'");
	/* a ';' after whitespace starts a comment, so this has no '=' */
	EXPECT(G "name ; = 5\n", "t.conf:5: expected 'option = value'");
}
END_TEST

START_TEST(err_nul_byte)
{
	static const char text[] = G "crl = /a\0b\n";
	struct config cf;

	ck_assert_int_eq(config_parse(&cf, "t.conf", text, sizeof(text) - 1), -1);
	ck_assert_uint_eq(cf.nerrors, 1);
	ck_assert_str_eq(cf.errors[0].msg, "t.conf:5: line contains a NUL byte");
	config_free(&cf);
}
END_TEST

START_TEST(err_long_line)
{
	char text[600];
	char path[300];

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[250] = '\0';
	snprintf(text, sizeof(text), G "crl = %s\nfoo = 1\n", path);
	/* inih's buffer on Debian is 200 bytes: 197 of text, then "\r\n\0".
	 * The line after it is still line 6, not a phantom continuation. */
	EXPECT(text, "t.conf:5: line too long (256 bytes, at most 197)",
	       "t.conf:6: foo: unknown option in [global]");
	path[191] = '\0'; /* "crl = " + 191 = 197 bytes: fits */
	snprintf(text, sizeof(text), G "crl = %s\n", path);
	{
		struct config cf;

		parse_ok(&cf, text);
		ck_assert_uint_eq(strlen(cf.global.crl), 191);
		config_free(&cf);
	}
}
END_TEST

START_TEST(err_sections)
{
	EXPECT(G "[foo]\n",
	       "t.conf:5: unknown section [foo] (allowed: [global], [port NAME], [device NAME])");
	EXPECT(G "[ports bus]\n", "t.conf:5: unknown section [ports bus] (allowed: [global], "
				  "[port NAME], [device NAME])");
	EXPECT(G "[averyveryverylongsectiontype x]\n",
	       "t.conf:5: unknown section [averyveryverylongsectiontype x] (allowed: [global], "
	       "[port NAME], [device NAME])");
	EXPECT(G "[global x]\n", "t.conf:5: [global x]: the global section takes no name");
	EXPECT(G "[port]\n", "t.conf:5: [port]: missing name (write [port NAME])");
	EXPECT(G "[device]\n", "t.conf:5: [device]: missing name (write [device NAME])");
	EXPECT(G "[port a/b]\n", "t.conf:5: [port a/b]: invalid name (1..32 letters, digits, "
				 "'.', '_' or '-', not starting with '.' or '-')");
	EXPECT(G "[device -x]\n", "t.conf:5: [device -x]: invalid name (1..32 letters, "
				  "digits, '.', '_' or '-', not starting with '.' or '-')");
	EXPECT(G "[port a23456789012345678901234567890123]\n",
	       "t.conf:5: [port a23456789012345678901234567890123]: invalid name (1..32 "
	       "letters, digits, '.', '_' or '-', not starting with '.' or '-')");
	EXPECT(G "[port a b]\n", "t.conf:5: [port a b]: invalid name (1..32 letters, digits, "
				 "'.', '_' or '-', not starting with '.' or '-')");
	EXPECT(G "[port p\n", "t.conf:5: section header without closing ']'");
	EXPECT(G "[port p] device = /dev/x\n",
	       "t.conf:5: unexpected text after the section header");
	{
		char text[300];
		char name[140];

		memset(name, 'x', sizeof(name));
		name[sizeof(name) - 1] = '\0';
		snprintf(text, sizeof(text), G "[port %s]\n", name);
		EXPECT(text, "t.conf:5: section header too long");
	}
	/* options of an invalid section are skipped, not reported again */
	EXPECT(G "[foo]\nbar = 1\nbaz = 2\n",
	       "t.conf:5: unknown section [foo] (allowed: [global], [port NAME], [device NAME])");
	EXPECT("ca = /x\n" G,
	       "t.conf:1: ca: option outside any section (global options go under [global])");
}
END_TEST

START_TEST(err_repeated_sections)
{
	EXPECT(G "[global]\ncrl = /x\n", "t.conf:5: [global]: repeated section (first at line "
					 "1); put all global options in one section");
	EXPECT(G P232 "[port line]\nbaud = 9600\n",
	       "t.conf:7: [port line]: repeated section (first at line 5)");
	EXPECT(G P232 "[device a]\nport = line\nidentity = cn:a\n"
		      "[device a]\nport = line\nidentity = cn:b\n",
	       "t.conf:10: [device a]: repeated section (first at line 7)");
}
END_TEST

START_TEST(err_options)
{
	EXPECT(G "bogus = 1\n", "t.conf:5: bogus: unknown option in [global]");
	EXPECT(G P232 "address = 1\n", "t.conf:7: address: unknown option in [port line]");
	EXPECT(G P232 "Baud = 9600\n", "t.conf:7: Baud: unknown option in [port line]");
	EXPECT(G P232 "baud = 9600\nbaud = 19200\n",
	       "t.conf:8: baud: set twice in [port line] (first at line 7)");
	EXPECT(G "crl =\n", "t.conf:5: crl: empty value");
	EXPECT(G "crl = ;\n", "t.conf:5: crl: empty value");
}
END_TEST

START_TEST(err_required)
{
	EXPECT("[global]\nca = /a\n",
	       "t.conf:1: [global]: required option 'cert' is missing",
	       "t.conf:1: [global]: required option 'key' is missing");
	EXPECT(G "[port p]\nbaud = 9600\n", "t.conf:5: [port p]: required option 'device' is "
					    "missing");
	EXPECT(G P232 "[device d]\naddress = 3\n",
	       "t.conf:7: [device d]: required option 'port' is missing",
	       "t.conf:7: [device d]: required option 'identity' is missing");
	EXPECT(G P485 "[device d]\nport = bus\nidentity = cn:d\n",
	       "t.conf:8: [device d]: required option 'address' is missing (port bus is rs485)");
	EXPECT("[port p]\ndevice = /dev/ttyS0\n",
	       "t.conf: [global] section is missing (it must set ca, cert and key)");
}
END_TEST

/* ---- errors: values ------------------------------------------------------------------ */

START_TEST(err_values)
{
	EXPECT(G "crl = etc/ca.crl\n", "t.conf:5: crl: 'etc/ca.crl' is not an absolute path");
	EXPECT(G "crl = /a\tb\n", "t.conf:5: crl: control character in path");
	{
		char text[5000], path[4200];

		memset(path, 'p', sizeof(path));
		path[0] = '/';
		path[4100] = '\0';
		snprintf(text, sizeof(text), G "crl = %s\n", path);
		/* longer than inih's line, so it fails there first */
		EXPECT(text, "t.conf:5: line too long (4106 bytes, at most 197)");
	}
	EXPECT(G P232 "baud = fast\n",
	       "t.conf:7: baud: 'fast' is not a number (allowed: 50..4000000)");
	EXPECT(G P232 "baud = -9600\n",
	       "t.conf:7: baud: '-9600' is not a number (allowed: 50..4000000)");
	EXPECT(G P232 "baud = 10\n", "t.conf:7: baud: 10 is out of range (allowed: 50..4000000)");
	EXPECT(G P232 "baud = 99999999999999999999\n",
	       "t.conf:7: baud: 99999999999999999999 is out of range (allowed: 50..4000000)");
	EXPECT(G P232 "data_bits = 9\n", "t.conf:7: data_bits: 9 is out of range (allowed: 5..8)");
	EXPECT(G P232 "stop_bits = 0\n", "t.conf:7: stop_bits: 0 is out of range (allowed: 1..2)");
	EXPECT(G P232 "max_frame = 2000\n",
	       "t.conf:7: max_frame: 2000 is out of range (allowed: 32..1024)");
	EXPECT(G P232 "parity = evn\n", "t.conf:7: parity: 'evn' is not allowed (allowed: none, "
					"odd, even, mark, space)");
	EXPECT(G P232 "mode = rs422\n",
	       "t.conf:7: mode: 'rs422' is not allowed (allowed: rs232, rs485)");
	EXPECT(G P232 "flow_control = xonxoff\n",
	       "t.conf:7: flow_control: 'xonxoff' is not allowed (allowed: none, rtscts)");
	EXPECT(G "log_level = loud\n", "t.conf:5: log_level: 'loud' is not allowed (allowed: "
				       "err, warning, notice, info, debug)");
	EXPECT(G P485 "rs485_rts_on_send = maybe\n",
	       "t.conf:8: rs485_rts_on_send: 'maybe' is not allowed (allowed: yes, no)");
	EXPECT(G "socket_mode = 0668\n",
	       "t.conf:5: socket_mode: '0668' is not an octal mode (allowed: 0600..0777)");
	EXPECT(G "socket_mode = 0000000\n",
	       "t.conf:5: socket_mode: '0000000' is not an octal mode (allowed: 0600..0777)");
	EXPECT(G "socket_mode = 0460\n",
	       "t.conf:5: socket_mode: 0460 is not allowed (octal 0600..0777, and the owner "
	       "needs read and write: 0600)");
	EXPECT(G "socket_mode = 4770\n",
	       "t.conf:5: socket_mode: 4770 is not allowed (octal 0600..0777, and the owner "
	       "needs read and write: 0600)");
	EXPECT(G "socket_group = a:b\n",
	       "t.conf:5: socket_group: 'a:b' is not a valid group name or number");
	EXPECT(G P232 "[device d]\nport = ../x\nidentity = cn:d\n",
	       "t.conf:8: port: '../x' is not a valid name (1..32 letters, digits, '.', '_' or "
	       "'-')");
	EXPECT(G P485 "[device d]\nport = bus\naddress = 0\nidentity = cn:d\n",
	       "t.conf:10: address: 0 is out of range (allowed: 1..254)");
	EXPECT(G P485 "[device d]\nport = bus\naddress = 255\nidentity = cn:d\n",
	       "t.conf:10: address: 255 is out of range (allowed: 1..254)");
	EXPECT(G P232 "[device d]\nport = line\nidentity = cn:d\nrole = master\n",
	       "t.conf:10: role: 'master' is not allowed (allowed: auto, initiator, responder)");
	EXPECT(G P232 "[device d]\nport = line\nidentity = cn:d\nkey_update_records = 1\n",
	       "t.conf:10: key_update_records: 1 is out of range (allowed: 16..2147483648)");
}
END_TEST

START_TEST(err_identity)
{
#define DEV G P232 "[device d]\nport = line\nidentity = "
	EXPECT(DEV "pump-1\n", "t.conf:9: identity: 'pump-1' is not an identity (allowed: "
			       "cn:NAME, uri:URI, dns:NAME, serial:HEX[,issuer-sha256:HEX], "
			       "spki-sha256:HEX)");
	EXPECT(DEV "cn:\n", "t.conf:9: identity: cn: empty name");
	EXPECT(DEV "dns:\n", "t.conf:9: identity: dns: empty name");
	EXPECT(DEV "cn:"
		   "12345678901234567890123456789012345678901234567890123456789012345\n",
	       "t.conf:9: identity: cn: longer than 64 characters (the certificate identity "
	       "limit)");
	EXPECT(DEV "uri:"
		   "1234567890123456789012345678901234567890123456789012345678901234567890"
		   "12345678901234567890123456789012345678901234567890123456789\n",
	       "t.conf:9: identity: uri: longer than 128 characters (the certificate identity "
	       "limit)");
	EXPECT(DEV "serial:\n", "t.conf:9: identity: serial: no hex digits");
	EXPECT(DEV "serial:123\n", "t.conf:9: identity: serial: odd number of hex digits");
	EXPECT(DEV "serial:12zz\n", "t.conf:9: identity: serial: 'z' is not a hex digit");
	EXPECT(DEV "serial:0102030405060708090a0b0c0d0e0f101112131415\n",
	       "t.conf:9: identity: serial: more than 20 bytes");
	EXPECT(DEV "serial:0102,issuer:00\n", "t.conf:9: identity: serial: expected "
					      "',issuer-sha256:HEX' after the serial number");
	EXPECT(DEV "serial:0102,issuer-sha256:abcd\n",
	       "t.conf:9: identity: issuer-sha256: 2 bytes, expected 32 (64 hex digits)");
	EXPECT(DEV "spki-sha256:00\n",
	       "t.conf:9: identity: spki-sha256: 1 bytes, expected 32 (64 hex digits)");
	EXPECT(DEV "spki-sha256:"
		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85500\n",
	       "t.conf:9: identity: spki-sha256: more than 32 bytes");
#undef DEV
}
END_TEST

/* ---- errors: across sections ----------------------------------------------------------- */

START_TEST(err_cross)
{
	/* a device naming an unknown port */
	EXPECT(G P232 "[device d]\nport = nope\nidentity = cn:d\n",
	       "t.conf:8: port: no [port nope] section in this file");
	/* two devices on an rs232 port */
	EXPECT(G P232 "[device a]\nport = line\nidentity = cn:a\n"
		      "[device b]\nport = line\nidentity = cn:b\n",
	       "t.conf:11: port: rs232 port line already has [device a] (line 7); rs232 is "
	       "point-to-point (use mode = rs485 for a bus)");
	/* two devices on one address of a bus; a port declared after its devices */
	EXPECT(G "[device a]\nport = bus\naddress = 9\nidentity = cn:a\n"
		 "[device b]\nport = bus\naddress = 9\nidentity = cn:b\n" P485,
	       "t.conf:11: address: 9 is already used on port bus by [device a] (line 7)");
	/* one address on two buses is fine */
	{
		struct config cf;

		parse_ok(&cf, G P485 "[port bus2]\ndevice = /dev/ttyUSB1\nmode = rs485\n"
				     "[device a]\nport = bus\naddress = 9\nidentity = cn:a\n"
				     "[device b]\nport = bus2\naddress = 9\nidentity = cn:b\n");
		config_free(&cf);
	}
	/* rs485-only options on an rs232 port */
	EXPECT(G P232 "turnaround_ms = 3\nrs485_delay_after_ms = 1\n",
	       "t.conf:7: turnaround_ms: applies to rs485 ports only ([port line] has mode = "
	       "rs232)",
	       "t.conf:8: rs485_delay_after_ms: applies to rs485 ports only ([port line] has "
	       "mode = rs232)");
	/* rtscts on rs485 */
	EXPECT(G P485 "flow_control = rtscts\n",
	       "t.conf:8: flow_control: rtscts is not possible on an rs485 port (RTS drives the "
	       "transceiver's direction)");
	/* handshake timeout shorter than the response timeout */
	EXPECT(G P485 "response_timeout_ms = 500\nhandshake_timeout_ms = 400\n",
	       "t.conf:9: handshake_timeout_ms: 400 is shorter than response_timeout_ms (500)");
	EXPECT(G P485 "response_timeout_ms = 5000\n",
	       "t.conf:8: response_timeout_ms: 5000 is longer than handshake_timeout_ms (3000)");
	/* role on a bus */
	EXPECT(G P485 "[device d]\nport = bus\naddress = 2\nidentity = cn:d\nrole = responder\n",
	       "t.conf:12: role: only 'initiator' is possible on rs485 port bus (the gateway is "
	       "the bus master)");
	/* two ports on one device path */
	EXPECT(G P232 "[port again]\ndevice = /dev/ttyS0\n",
	       "t.conf:8: device: /dev/ttyS0 is already used by [port line] (line 6)");
	/* two devices with one identity */
	EXPECT(G P485 "[device a]\nport = bus\naddress = 1\nidentity = cn:same\n"
		      "[device b]\nport = bus\naddress = 2\nidentity = cn:same\n",
	       "t.conf:15: identity: the same identity as [device a] (line 11)");
}
END_TEST

START_TEST(err_sockets)
{
	/* the default socket path is too long for sun_path */
	EXPECT("[global]\nca = /a\ncert = /b\nkey = /c\nsocket_dir = "
	       "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	       "t.conf:1: [global]: socket path "
	       "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... is longer than "
	       "107 bytes (the Unix socket path limit)");
	EXPECT(G P232 "[device d]\nport = line\nidentity = cn:d\nsocket = "
		      "/run/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
	       "t.conf:10: socket: socket path "
	       "/run/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb... is longer than "
	       "107 bytes (the Unix socket path limit)");
	EXPECT(G P232 "[device control]\nport = line\nidentity = cn:d\n",
	       "t.conf:7: [device control]: socket /run/serguard/control.sock is the control "
	       "socket");
	EXPECT(G P485 "[device a]\nport = bus\naddress = 1\nidentity = cn:a\nsocket = /run/x\n"
		      "[device b]\nport = bus\naddress = 2\nidentity = cn:b\nsocket = /run/x\n",
	       "t.conf:17: socket: socket /run/x is already used by [device a] (line 12)");
}
END_TEST

/* Errors from different stages come sorted by line. */
START_TEST(err_many_sorted)
{
	EXPECT(G P485 "[device a]\nport = bus\nidentity = cn:a\nbaud = 1\n"
		      "[port x]\nfoo = 1\n",
	       "t.conf:8: [device a]: required option 'address' is missing (port bus is rs485)",
	       "t.conf:11: baud: unknown option in [device a]",
	       "t.conf:12: [port x]: required option 'device' is missing",
	       "t.conf:13: foo: unknown option in [port x]");
}
END_TEST

START_TEST(err_too_many)
{
	char *text = malloc(8 + 150 * 10 + sizeof(G));
	struct config cf;
	size_t i, n;

	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "%s", G);
	for (i = 0; i < 150; i++)
		n += (size_t)sprintf(text + n, "bad%03zu\n", i);
	ck_assert_int_eq(parse(&cf, text), -1);
	ck_assert_uint_eq(cf.nerrors, CFG_ERRORS_MAX + 1);
	ck_assert_str_eq(cf.errors[0].msg, "t.conf: too many errors; only the first 100 are shown");
	ck_assert_str_eq(cf.errors[1].msg, "t.conf:5: expected 'option = value'");
	ck_assert_str_eq(cf.errors[100].msg, "t.conf:104: expected 'option = value'");
	config_free(&cf);
	free(text);
}
END_TEST

/* ---- files -------------------------------------------------------------------------------- */

START_TEST(load_files)
{
	char dir[] = "/tmp/sg-test-config.XXXXXX", path[64], msg[128];
	struct config cf;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_int_eq(config_load(&cf, path), -1);
	ck_assert_uint_eq(cf.nerrors, 1);
	snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", path);
	ck_assert_str_eq(cf.errors[0].msg, msg);
	config_free(&cf);

	ck_assert_int_eq(config_load(&cf, dir), -1);
	snprintf(msg, sizeof(msg), "%s: not a regular file", dir);
	ck_assert_uint_eq(cf.nerrors, 1);
	ck_assert_str_eq(cf.errors[0].msg, msg);
	config_free(&cf);

	snprintf(path, sizeof(path), "%s/big.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), CFG_FILE_MAX + 1), 0);
	fclose(f);
	ck_assert_int_eq(config_load(&cf, path), -1);
	snprintf(msg, sizeof(msg), "%s: larger than 1048576 bytes", path);
	ck_assert_uint_eq(cf.nerrors, 1);
	ck_assert_str_eq(cf.errors[0].msg, msg);
	config_free(&cf);
	unlink(path);

	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(G P232 "[device d]\nport = line\nidentity = cn:d\nbogus = 1\n", f);
	fclose(f);
	ck_assert_int_eq(config_load(&cf, path), -1);
	snprintf(msg, sizeof(msg), "%s:10: bogus: unknown option in [device d]", path);
	ck_assert_uint_eq(cf.nerrors, 1);
	ck_assert_str_eq(cf.errors[0].msg, msg);
	config_free(&cf);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *ok = tcase_create("valid"), *err = tcase_create("errors");
	SRunner *sr;
	int failed;

	tcase_add_test(ok, full_config);
	tcase_add_test(ok, defaults);
	tcase_add_test(ok, syntax_accepted);
	tcase_add_test(ok, same_for_reload);
	tcase_add_test(err, err_syntax);
	tcase_add_test(err, err_nul_byte);
	tcase_add_test(err, err_long_line);
	tcase_add_test(err, err_sections);
	tcase_add_test(err, err_repeated_sections);
	tcase_add_test(err, err_options);
	tcase_add_test(err, err_required);
	tcase_add_test(err, err_values);
	tcase_add_test(err, err_identity);
	tcase_add_test(err, err_cross);
	tcase_add_test(err, err_sockets);
	tcase_add_test(err, err_many_sorted);
	tcase_add_test(err, err_too_many);
	tcase_add_test(err, load_files);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, err);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
