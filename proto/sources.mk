# The protocol core's sources, listed once. Included by the top-level
# Makefile.am (automake) and usable from a plain firmware Makefile:
#   include serguard/proto/sources.mk
#   SRCS += $(addprefix serguard/,$(SG_PROTO_SOURCES))
# Paths are relative to the repository root. crypto_mbedtls*.c are the only
# files that include mbedTLS headers (crypto_mbedtls_x509.c: certificates).

SG_PROTO_SOURCES = \
	proto/src/cbor.c \
	proto/src/cobs.c \
	proto/src/conn.c \
	proto/src/crc.c \
	proto/src/cred.c \
	proto/src/edhoc.c \
	proto/src/err.c \
	proto/src/flight.c \
	proto/src/frame.c \
	proto/src/kdf.c \
	proto/src/msgq.c \
	proto/src/record.c \
	proto/src/replay.c \
	proto/src/util.c

SG_PROTO_CRYPTO_SOURCES = \
	proto/src/crypto_mbedtls.c \
	proto/src/crypto_mbedtls_x509.c

SG_PROTO_HEADER_FILES = \
	proto/include/serguard/cbor.h \
	proto/include/serguard/cert.h \
	proto/include/serguard/conn.h \
	proto/include/serguard/crypto.h \
	proto/include/serguard/edhoc.h \
	proto/include/serguard/err.h \
	proto/include/serguard/flight.h \
	proto/include/serguard/frame.h \
	proto/include/serguard/msgq.h \
	proto/include/serguard/record.h \
	proto/include/serguard/replay.h \
	proto/include/serguard/sg.h \
	proto/src/internal.h
