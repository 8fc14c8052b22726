/*
 * The test PKI (tests/pki/fixtures, DER) embedded at build time with
 * .incbin: the bytes come from the committed files, never from code.
 * Assemble with -Wa,-I<source tree>. Each fixture NAME gives
 *   const unsigned char NAME[];  const uint32_t NAME_len;
 */
	.section .rodata.sg_fixtures, "a"

	.macro fixture name, file
	.global \name
	.global \name\()_len
	.balign 4
\name:
	.incbin "\file"
\name\()_end:
	.balign 4
\name\()_len:
	.word \name\()_end - \name
	.endm

	fixture fx_ca_crt, "tests/pki/fixtures/ca.crt.der"
	fixture fx_ca_crl, "tests/pki/fixtures/ca.crl.der"
	fixture fx_gw_crt, "tests/pki/fixtures/gw.crt.der"
	fixture fx_gw_key, "tests/pki/fixtures/gw.key.raw"
	fixture fx_dev_a_crt, "tests/pki/fixtures/dev-a.crt.der"
	fixture fx_dev_a_key, "tests/pki/fixtures/dev-a.key.raw"
	/* PKCS#8, for the DTLS comparison (mcu/dtls) */
	fixture fx_gw_key_der, "tests/pki/fixtures/gw.key.der"
	fixture fx_dev_a_key_der, "tests/pki/fixtures/dev-a.key.der"
