/*
 * serguardd: the configuration file (serguard.conf(5)) as a struct.
 *
 * config_load() parses a file into a fresh struct config; nothing global
 * is touched, so a reload parses the new file beside the running
 * configuration and compares them with config_*_same(). On any error the
 * struct holds every message, each "FILE:LINE: option: message" (or
 * "FILE:LINE: message" for a line that is not an option, "FILE: message"
 * for the file as a whole), sorted by line, and must not be used except
 * to print them and config_free() it.
 *
 * Paths and names are validated as text only: no file is opened, no
 * group is resolved, no device is touched (that happens when the daemon
 * starts), so --check-config gives the same answer on any machine.
 *
 * Ownership: every string and section belongs to the struct config and
 * lives until config_free(). A struct config holds list heads that point
 * into it: never copy one by value; keep it where it was parsed (the
 * daemon allocates it and swaps pointers on reload).
 */
#ifndef SERGUARDD_CONFIG_H
#define SERGUARDD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#define CFG_NAME_MAX 32		 /* port and device names */
#define CFG_FILE_MAX (1u << 20)	 /* bytes in a configuration file */
#define CFG_ERRORS_MAX 100	 /* messages kept; then "too many errors" */
#define CFG_NOPTS 41		 /* entries of the option table (config.c) */

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define CFG_DEFAULT_FILE SG_SYSCONFDIR "/serguard/serguard.conf"

enum cfg_mode { CFG_RS232 = 0, CFG_RS485 = 1 };
enum cfg_parity {
	CFG_PARITY_NONE = 0,
	CFG_PARITY_ODD,
	CFG_PARITY_EVEN,
	CFG_PARITY_MARK,
	CFG_PARITY_SPACE
};
enum cfg_flow { CFG_FLOW_NONE = 0, CFG_FLOW_RTSCTS = 1 };
enum cfg_role { CFG_ROLE_AUTO = 0, CFG_ROLE_INITIATOR, CFG_ROLE_RESPONDER };
enum cfg_sendcert { CFG_SENDCERT_ALWAYS = 0, CFG_SENDCERT_BY_REFERENCE = 1 };

/* The certificate identity expected of a device (struct sg_cert_id). */
enum cfg_id_kind {
	CFG_ID_NONE = 0,
	CFG_ID_CN,	/* subject commonName equals text */
	CFG_ID_URI,	/* first URI subjectAltName equals text */
	CFG_ID_DNS,	/* first dNSName subjectAltName equals text */
	CFG_ID_SERIAL,	/* serial number equals bin (and issuer, see below) */
	CFG_ID_SPKI	/* SHA-256 of SubjectPublicKeyInfo equals bin (a pin) */
};

struct cfg_identity {
	int kind;		  /* enum cfg_id_kind */
	char text[129];		  /* CN, URI or DNS name */
	unsigned char bin[32];	  /* serial (big-endian, leading zero bytes
				   * removed) or SPKI SHA-256 */
	size_t bin_len;
	/* For serial: SHA-256 of the issuer Name DER (sg_cert_id.issuer_hash)
	 * when given as ",issuer-sha256:HEX"; otherwise the issuer must be
	 * the subject of the certificate in `ca`. */
	bool has_issuer;
	unsigned char issuer_sha256[32];
};

/* Line of each option in its section (0 = not set, default applies),
 * indexed by the option's position in the table. */
struct cfg_lines {
	unsigned line; /* of the section header, 0 if absent */
	unsigned opt[CFG_NOPTS];
};

struct cfg_global {
	struct cfg_lines at;
	char *ca;		/* root CA certificate(s), DER or PEM */
	char *cert;		/* gateway certificate */
	char *key;		/* gateway private key */
	char *crl;		/* NULL: none */
	int send_certificate;	/* enum cfg_sendcert: own certificate by value or x5t */
	char *socket_dir;
	uint32_t socket_mode;	/* permission bits of the device sockets */
	char *socket_group;	/* NULL: the daemon's group */
	char *control_socket;	/* default socket_dir "/control.sock" */
	char *control_group;	/* NULL: control socket 0600, else 0660 and this group */
	int log_level;		/* LOG_ERR .. LOG_DEBUG */
	uint32_t queue_max;	/* messages per device and direction */
	uint32_t queue_max_age_ms;
	uint32_t max_message;	/* bytes of one application message */
	uint32_t max_clients;	/* local clients per device socket */
};

struct cfg_port {
	TAILQ_ENTRY(cfg_port) entry;
	struct cfg_lines at;
	char *name;
	char *device;		/* path as written (may be a by-id link) */
	uint32_t baud;
	uint32_t data_bits;	/* 5..8 */
	int parity;		/* enum cfg_parity */
	uint32_t stop_bits;	/* 1, 2 */
	int flow_control;	/* enum cfg_flow */
	int mode;		/* enum cfg_mode */
	bool rs485_rts_on_send;
	uint32_t rs485_delay_before_ms;
	uint32_t rs485_delay_after_ms;
	uint32_t response_timeout_ms;
	uint32_t turnaround_ms;
	uint32_t handshake_timeout_ms;
	uint32_t poll_interval_ms;
	uint32_t down_poll_interval_ms;
	uint32_t down_after_timeouts; /* consecutive timeouts before "down" */
	uint32_t max_frame;	/* payload bytes of one frame */
	unsigned ndevices;	/* derived: devices on this port */
};

struct cfg_device {
	TAILQ_ENTRY(cfg_device) entry;
	struct cfg_lines at;
	char *name;
	char *port_name;
	struct cfg_port *port;	/* resolved */
	uint32_t address;	/* 1..254 */
	struct cfg_identity identity;
	char *socket;		/* resolved: default socket_dir "/" name ".sock" */
	uint32_t key_update_records;
	uint32_t key_update_seconds;
	uint32_t session_lifetime_seconds;
	uint32_t max_record_age_ms;
	int role;		/* enum cfg_role */
};

TAILQ_HEAD(cfg_port_list, cfg_port);
TAILQ_HEAD(cfg_device_list, cfg_device);

struct cfg_error {
	unsigned line; /* 0: the file as a whole */
	char *msg;     /* the complete line to print */
};

struct config {
	char *file;
	struct cfg_global global;
	struct cfg_port_list ports;
	struct cfg_device_list devices;
	unsigned nports, ndevices;
	struct cfg_error *errors; /* sorted by line */
	size_t nerrors;
	bool errors_truncated;
};

/*
 * Parse len bytes of text (need not be NUL-terminated) named file in
 * messages. cf is overwritten (no need to initialise it) and must be
 * released with config_free() whatever the result. Returns 0 if the
 * configuration is valid, -1 if cf->errors holds at least one message.
 */
int config_parse(struct config *cf, const char *file, const char *text, size_t len);
/* The same from a file; an unreadable file is an error message too. */
int config_load(struct config *cf, const char *path);
void config_free(struct config *cf);

struct cfg_port *config_port(const struct config *cf, const char *name);
struct cfg_device *config_device(const struct config *cf, const char *name);

/* Same settings (everything a reload would have to apply)? Devices are
 * compared with their port's name, not its settings. */
bool config_global_same(const struct cfg_global *a, const struct cfg_global *b);
bool config_port_same(const struct cfg_port *a, const struct cfg_port *b);
bool config_device_same(const struct cfg_device *a, const struct cfg_device *b);

/* Descriptors the configuration may need at most (ports, sockets,
 * clients, the loop's own), for RLIMIT_NOFILE. */
unsigned long config_fds_needed(const struct config *cf);

/* Print the option table, one option a line, tab-separated:
 * section, name, type, default ("-" none, "(required)"), unit, allowed. */
void config_dump_options(FILE *f);

const char *config_mode_name(int mode);
const char *config_parity_name(int parity);
const char *config_flow_name(int flow);

#endif
