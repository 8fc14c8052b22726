/*
 * sg-cert-check: validate a certificate file with the core's
 * sg_cert_verify(), for the shell tests of the PKI tools (certificates
 * that serguard-pki issues must be what the core accepts).
 *
 *   sg-cert-check [--ca FILE]... [--crl FILE] [--role any|gateway|device]
 *                 [--dh] [--now SECONDS|unknown] [--skip-time] CERT
 *
 * Prints the result's symbolic name (SG_OK, SG_ECERTCHAIN, ...) and, on
 * success, "cn=... uri=... serial=HEX". Exit status 0 when the check ran
 * (whatever its result), 2 on a usage or file error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serguard/cert.h"

static int load(const char *path, unsigned char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "sg-cert-check: cannot open %s\n", path);
		return -1;
	}
	*len = fread(buf, 1, cap, f);
	if (!feof(f) || ferror(f)) {
		fprintf(stderr, "sg-cert-check: %s: too large or unreadable\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: sg-cert-check [--ca FILE]... [--crl FILE] "
			"[--role any|gateway|device] [--dh] [--now SECONDS|unknown] "
			"[--skip-time] CERT\n");
	return 2;
}

int main(int argc, char **argv)
{
	static unsigned char buf[16384];
	struct sg_cert_store st;
	struct sg_cert_policy pol = { 0, SG_NOTIME_REJECT, SG_ROLE_ANY, SG_USAGE_SIGN };
	struct sg_peer_cert p;
	size_t len, i;
	int a, r;

	if (sg_cert_store_init(&st) != 0)
		return 2;
	pol.now = SG_TIME_UNKNOWN;
	for (a = 1; a < argc - 1; a++) {
		if (strcmp(argv[a], "--ca") == 0 && a + 1 < argc - 1) {
			if (load(argv[++a], buf, sizeof(buf), &len) != 0)
				return 2;
			r = sg_cert_store_add_ca(&st, buf, len);
			if (r != 0) {
				printf("add-ca %s\n", sg_errname(r));
				return 0;
			}
		} else if (strcmp(argv[a], "--crl") == 0 && a + 1 < argc - 1) {
			if (load(argv[++a], buf, sizeof(buf), &len) != 0)
				return 2;
			r = sg_cert_store_add_crl(&st, buf, len);
			if (r != 0) {
				printf("add-crl %s\n", sg_errname(r));
				return 0;
			}
		} else if (strcmp(argv[a], "--role") == 0 && a + 1 < argc - 1) {
			a++;
			if (strcmp(argv[a], "gateway") == 0)
				pol.role = SG_ROLE_GATEWAY;
			else if (strcmp(argv[a], "device") == 0)
				pol.role = SG_ROLE_DEVICE;
			else if (strcmp(argv[a], "any") == 0)
				pol.role = SG_ROLE_ANY;
			else
				return usage();
		} else if (strcmp(argv[a], "--dh") == 0) {
			pol.usage = SG_USAGE_DH;
		} else if (strcmp(argv[a], "--skip-time") == 0) {
			pol.notime = SG_NOTIME_SKIP_VALIDITY;
		} else if (strcmp(argv[a], "--now") == 0 && a + 1 < argc - 1) {
			a++;
			pol.now = strcmp(argv[a], "unknown") == 0 ? SG_TIME_UNKNOWN
								  : strtoll(argv[a], NULL, 10);
		} else {
			return usage();
		}
	}
	if (a != argc - 1)
		return usage();
	if (load(argv[a], buf, sizeof(buf), &len) != 0)
		return 2;
	r = sg_cert_verify(&st, buf, len, &pol, &p);
	printf("%s", sg_errname(r));
	if (r == 0) {
		printf(" cn=%s uri=%s serial=", p.id.subject_cn, p.id.san_uri);
		for (i = 0; i < p.id.serial_len; i++)
			printf("%02X", p.id.serial[i]);
	}
	printf("\n");
	sg_cert_store_free(&st);
	return 0;
}
