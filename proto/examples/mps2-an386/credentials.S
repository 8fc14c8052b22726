/*
 * The device's credentials, embedded at build time from DER files named
 * on the command line (-DFW_CA_CERT='"path"' and so on; mcu/mcu.mk uses
 * the test PKI in tests/pki/fixtures). Each NAME gives
 *   const unsigned char NAME[];  const uint32_t NAME_len;
 *
 * In a product the private key is not part of the firmware image: it is
 * generated or written once at manufacturing into a protected flash page
 * (or kept in a secure element), and the certificate with it; the image
 * carries the CA only. Everything here is read through two symbols, so
 * replacing this file with a read of the provisioning area is local.
 */
#if !defined(FW_CA_CERT) || !defined(FW_DEV_CERT) || !defined(FW_DEV_KEY)
#error "define FW_CA_CERT, FW_DEV_CERT and FW_DEV_KEY (paths to DER files)"
#endif

	.section .rodata.fw_credentials, "a"

	.macro blob name, file
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

	blob fw_ca_crt, FW_CA_CERT
	blob fw_dev_crt, FW_DEV_CERT
	blob fw_dev_key, FW_DEV_KEY
