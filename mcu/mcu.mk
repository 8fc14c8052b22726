# The Cortex-M build and its tests under QEMU (GNU make; see mcu/README.md).
#
#   make -f mcu/mcu.mk top_srcdir=DIR B=BUILDDIR [target]
#
# `make check-mcu` in the configured build tree runs this with
# top_srcdir = the source tree and B = <build>/mcu. Targets:
#   all       (default) fetch mbedTLS, build every library, image and map
#   check     all, then run the self-tests under qemu-system-arm and print
#             the figures (B/figures.txt, B/sizes.txt)
#   sizes     the flash/RAM tables only
# Needs: gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm,
# dpkg-dev (scripts/install-deps installs them).
#
# The core is compiled from the same list as the host build,
# $(SG_PROTO_SOURCES) $(SG_PROTO_CRYPTO_SOURCES) of proto/sources.mk, with
# the project's warnings as errors. mbedTLS comes from Debian's source
# package (mcu/fetch-mbedtls.sh) and is compiled with mcu/mbedtls_config.h.

top_srcdir ?= .
B ?= $(top_srcdir)/build/mcu
override top_srcdir := $(abspath $(top_srcdir))
override B := $(abspath $(B))

CROSS ?= arm-none-eabi-
XCC = $(CROSS)gcc
XAR = $(CROSS)ar
XSIZE = $(CROSS)size
QEMU ?= qemu-system-arm
# wall-clock bound of one emulator run (the self-test takes ~1-3 s)
QEMU_TIMEOUT ?= 300

# The CPUs built. Each runs its self-test on a QEMU board: v6-M code
# (Cortex-M0+) runs unchanged on the Cortex-M4 of mps2-an386 (an ARMv6-M
# instruction is an ARMv7-M instruction with the same semantics), so its
# instruction counts are those of the M0+ code; Cortex-M33 runs on
# mps2-an505, which boots with its memory at other addresses.
CPUS = m4 m0plus m33
CPUFLAGS_m4 = -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
CPUFLAGS_m0plus = -mcpu=cortex-m0plus -mthumb
CPUFLAGS_m33 = -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
BOARD_m4 = mps2-an386
BOARD_m0plus = mps2-an386
BOARD_m33 = mps2-an505
LDSCRIPT_mps2-an386 = $(EXAMPLE)/mps2-an386.ld
LDSCRIPT_mps2-an505 = $(top_srcdir)/mcu/selftest/mps2-an505.ld

EXAMPLE = $(top_srcdir)/proto/examples/mps2-an386
FIXTURES = $(addprefix $(top_srcdir)/tests/pki/fixtures/,ca.crt.der ca.crl.der \
	gw.crt.der gw.key.raw gw.key.der dev-a.crt.der dev-a.key.raw dev-a.key.der)

# The reference firmware: its objects, credentials (the test PKI's device
# dev-a) and settings (see the top of its main.c).
FW_OBJS = startup.o main.o uart.o clock.o rng.o credentials.o
FW_CA_CERT ?= $(top_srcdir)/tests/pki/fixtures/ca.crt.der
FW_DEV_CERT ?= $(top_srcdir)/tests/pki/fixtures/dev-a.crt.der
FW_DEV_KEY ?= $(top_srcdir)/tests/pki/fixtures/dev-a.key.raw
FW_CRED_FILES = $(FW_CA_CERT) $(FW_DEV_CERT) $(FW_DEV_KEY)
FW_CRED_DEFS = -DFW_CA_CERT='"$(FW_CA_CERT)"' -DFW_DEV_CERT='"$(FW_DEV_CERT)"' \
	-DFW_DEV_KEY='"$(FW_DEV_KEY)"'
# the device's clock floor (main.c, wall_clock): the build time
FW_BUILD_UNIX ?= $(shell date +%s)
FW_DEFS = -DFW_BUILD_UNIX=$(FW_BUILD_UNIX)

MCU_OPT = -Os -g -ffunction-sections -fdata-sections -MMD -MP
MBED_CPPFLAGS = -I$(top_srcdir)/mcu -I$(MBEDTLS)/include \
	-DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"'
SG_WARN = -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes -Werror
SG_CPPFLAGS = -I$(top_srcdir)/proto/include $(MBED_CPPFLAGS)
LDFLAGS_COMMON = -nostartfiles -Wl,--gc-sections -L$(EXAMPLE)

include $(top_srcdir)/proto/sources.mk
SG_CORE = $(SG_PROTO_SOURCES) $(SG_PROTO_CRYPTO_SOURCES)

ifeq ($(MBEDTLS),)
# ---- phase 1: get the mbedTLS source, then build with it ---------------
all check sizes: fetch
	@$(MAKE) -f $(top_srcdir)/mcu/mcu.mk top_srcdir=$(top_srcdir) B=$(B) \
		MBEDTLS=$(B)/mbedtls $@
fetch: tools
	@$(top_srcdir)/mcu/fetch-mbedtls.sh $(B) >/dev/null
tools:
	@missing=""; \
	command -v $(XCC) >/dev/null 2>&1 || missing="$$missing gcc-arm-none-eabi"; \
	test -f "$$($(XCC) -print-file-name=nano.specs)" || missing="$$missing libnewlib-arm-none-eabi"; \
	command -v $(QEMU) >/dev/null 2>&1 || missing="$$missing qemu-system-arm"; \
	command -v dpkg-source >/dev/null 2>&1 || missing="$$missing dpkg-dev"; \
	if [ -n "$$missing" ]; then \
		echo "check-mcu: missing tools; on Debian install:$$missing (or run scripts/install-deps)" >&2; \
		exit 1; \
	fi
.PHONY: all check sizes fetch tools
else
# ---- phase 2 ---------------------------------------------------------------
MBED_ALL := $(sort $(notdir $(wildcard $(MBEDTLS)/library/*.c)))
MBED_X509 := $(filter x509%,$(MBED_ALL))
MBED_TLS := $(filter ssl_% debug.c net_sockets.c,$(MBED_ALL))
MBED_CRYPTO := $(filter-out $(MBED_X509) $(MBED_TLS),$(MBED_ALL))

all: $(foreach c,$(CPUS),$(B)/$(c)/selftest.elf $(B)/$(c)/firmware.elf) $(B)/m4/firmware-bus.elf \
	$(B)/m4-dtls/dtls.elf $(B)/m4-dtlscli/dtls-client.elf

# mbedTLS archives of a variant: $(1) its directory, $(2) the CPU, $(3)
# extra definitions for mbedtls_config.h (the DTLS comparison).
define mbed_rules
$(B)/$(1)/mbedtls/%.o: $$(MBEDTLS)/library/%.c $$(top_srcdir)/mcu/mbedtls_config.h
	@mkdir -p $$(@D)
	$$(XCC) $$(CPUFLAGS_$(2)) $$(MCU_OPT) -Wall $$(MBED_CPPFLAGS) $(3) -c $$< -o $$@
$(B)/$(1)/mbedtls/memory_buffer_alloc_debug.o: $$(MBEDTLS)/library/memory_buffer_alloc.c $$(top_srcdir)/mcu/mbedtls_config.h
	@mkdir -p $$(@D)
	$$(XCC) $$(CPUFLAGS_$(2)) $$(MCU_OPT) -Wall $$(MBED_CPPFLAGS) $(3) -DSG_MCU_HEAP_DEBUG -c $$< -o $$@
$(B)/$(1)/libmbedcrypto.a: $$(patsubst %.c,$(B)/$(1)/mbedtls/%.o,$$(MBED_CRYPTO))
	@rm -f $$@
	$$(XAR) rcs $$@ $$^
$(B)/$(1)/libmbedx509.a: $$(patsubst %.c,$(B)/$(1)/mbedtls/%.o,$$(MBED_X509))
	@rm -f $$@
	$$(XAR) rcs $$@ $$^
$(B)/$(1)/libmbedtls.a: $$(patsubst %.c,$(B)/$(1)/mbedtls/%.o,$$(MBED_TLS))
	@rm -f $$@
	$$(XAR) rcs $$@ $$^
endef

# Per CPU: mbedTLS archives, the core's archive, the images.
define cpu_rules
$(1)_CFLAGS = $$(CPUFLAGS_$(1)) $$(MCU_OPT)
$$(eval $$(call mbed_rules,$(1),$(1),))

$(B)/$(1)/proto/%.o: $$(top_srcdir)/proto/src/%.c $$(top_srcdir)/mcu/mbedtls_config.h
	@mkdir -p $$(@D)
	$$(XCC) $$($(1)_CFLAGS) -std=c99 $$(SG_WARN) $$(SG_CPPFLAGS) -c $$< -o $$@
$(B)/$(1)/libserguard.a: $$(patsubst proto/src/%.c,$(B)/$(1)/proto/%.o,$$(SG_CORE))
	@rm -f $$@
	$$(XAR) rcs $$@ $$^

# the self-test image (semihosting: printf and the exit status reach the host)
$(B)/$(1)/selftest/%.o: $$(top_srcdir)/mcu/selftest/%.c
	@mkdir -p $$(@D)
	$$(XCC) $$($(1)_CFLAGS) -std=c99 $$(SG_WARN) $$(SG_CPPFLAGS) -DSG_MCU_HEAP_DEBUG -c $$< -o $$@
$(B)/$(1)/selftest/fixtures.o: $$(top_srcdir)/mcu/selftest/fixtures.S $$(FIXTURES)
	@mkdir -p $$(@D)
	$$(XCC) $$($(1)_CFLAGS) -Wa,-I$$(top_srcdir) -c $$< -o $$@
$(B)/$(1)/example/%.o: $$(EXAMPLE)/%.c
	@mkdir -p $$(@D)
	$$(XCC) $$($(1)_CFLAGS) -std=c99 $$(SG_WARN) $$(SG_CPPFLAGS) $$(FW_DEFS) -c $$< -o $$@
$(B)/$(1)/selftest.elf: $(B)/$(1)/example/startup.o $$(addprefix $(B)/$(1)/selftest/,selftest.o measure.o fixtures.o) \
		$(B)/$(1)/mbedtls/memory_buffer_alloc_debug.o \
		$(B)/$(1)/libserguard.a $(B)/$(1)/libmbedx509.a $(B)/$(1)/libmbedcrypto.a \
		$$(LDSCRIPT_$$(BOARD_$(1))) $$(EXAMPLE)/sections.ld
	$$(XCC) $$($(1)_CFLAGS) --specs=nano.specs --specs=rdimon.specs $$(LDFLAGS_COMMON) \
		-Wl,--defsym=_heap_size=4096 \
		-T $$(LDSCRIPT_$$(BOARD_$(1))) -Wl,-Map=$$@.map -o $$@ $$(filter %.o,$$^) \
		-L$(B)/$(1) -lserguard -lmbedx509 -lmbedcrypto

# the reference firmware (proto/examples/mps2-an386); runs on the M4
# board, built for every CPU for its size
$(B)/$(1)/example/credentials.o: $$(EXAMPLE)/credentials.S $$(FW_CRED_FILES)
	@mkdir -p $$(@D)
	$$(XCC) $$($(1)_CFLAGS) $$(FW_CRED_DEFS) -c $$< -o $$@
$(B)/$(1)/firmware.elf: $$(addprefix $(B)/$(1)/example/,$$(FW_OBJS)) \
		$(B)/$(1)/libserguard.a $(B)/$(1)/libmbedx509.a $(B)/$(1)/libmbedcrypto.a \
		$$(EXAMPLE)/mps2-an386.ld $$(EXAMPLE)/sections.ld
	$$(XCC) $$($(1)_CFLAGS) --specs=nano.specs --specs=nosys.specs $$(LDFLAGS_COMMON) \
		-T $$(EXAMPLE)/mps2-an386.ld -Wl,-Map=$$@.map -o $$@ $$(filter %.o,$$^) \
		-L$(B)/$(1) -lserguard -lmbedx509 -lmbedcrypto
endef
$(foreach c,$(CPUS),$(eval $(call cpu_rules,$(c))))

# the firmware as an RS485 bus device (FW_BUS=1), for the bus test
$(B)/m4/example-bus/main.o: $(EXAMPLE)/main.c
	@mkdir -p $(@D)
	$(XCC) $(m4_CFLAGS) -std=c99 $(SG_WARN) $(SG_CPPFLAGS) $(FW_DEFS) -DFW_BUS=1 -c $< -o $@
$(B)/m4/firmware-bus.elf: $(B)/m4/example-bus/main.o \
		$(addprefix $(B)/m4/example/,$(filter-out main.o,$(FW_OBJS))) \
		$(B)/m4/libserguard.a $(B)/m4/libmbedx509.a $(B)/m4/libmbedcrypto.a \
		$(EXAMPLE)/mps2-an386.ld $(EXAMPLE)/sections.ld
	$(XCC) $(m4_CFLAGS) --specs=nano.specs --specs=nosys.specs $(LDFLAGS_COMMON) \
		-T $(EXAMPLE)/mps2-an386.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^) \
		-L$(B)/m4 -lserguard -lmbedx509 -lmbedcrypto

# ---- the DTLS 1.2 comparison (mcu/dtls/dtls.c), Cortex-M4 ---------------------
# m4-dtls: client and server in one image, run for the figures;
# m4-dtlscli: mbedTLS without the server, a device's client image, linked
# for its size.
DTLS_DEFS = -DSG_MCU_DTLS
DTLSCLI_DEFS = -DSG_MCU_DTLS -DSG_MCU_DTLS_CLIENT_ONLY
$(eval $(call mbed_rules,m4-dtls,m4,$(DTLS_DEFS)))
$(eval $(call mbed_rules,m4-dtlscli,m4,$(DTLSCLI_DEFS)))
$(B)/m4-dtls/dtls.o: $(top_srcdir)/mcu/dtls/dtls.c
	@mkdir -p $(@D)
	$(XCC) $(m4_CFLAGS) -std=c99 $(SG_WARN) $(MBED_CPPFLAGS) $(DTLS_DEFS) -DSG_MCU_HEAP_DEBUG \
		-I$(top_srcdir)/mcu/selftest -c $< -o $@
$(B)/m4-dtlscli/dtls-client.o: $(top_srcdir)/mcu/dtls/dtls.c
	@mkdir -p $(@D)
	$(XCC) $(m4_CFLAGS) -std=c99 $(SG_WARN) $(MBED_CPPFLAGS) $(DTLSCLI_DEFS) -DDTLS_CLIENT_ONLY \
		-c $< -o $@
$(B)/m4-dtls/dtls.elf: $(B)/m4/example/startup.o $(B)/m4-dtls/dtls.o \
		$(B)/m4/selftest/measure.o $(B)/m4/selftest/fixtures.o \
		$(B)/m4-dtls/mbedtls/memory_buffer_alloc_debug.o $(B)/m4-dtls/libmbedtls.a \
		$(B)/m4-dtls/libmbedx509.a $(B)/m4-dtls/libmbedcrypto.a \
		$(EXAMPLE)/mps2-an386.ld $(EXAMPLE)/sections.ld
	$(XCC) $(m4_CFLAGS) --specs=nano.specs --specs=rdimon.specs $(LDFLAGS_COMMON) \
		-Wl,--defsym=_heap_size=4096 \
		-T $(EXAMPLE)/mps2-an386.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^) \
		-L$(B)/m4-dtls -lmbedtls -lmbedx509 -lmbedcrypto
$(B)/m4-dtlscli/dtls-client.elf: $(B)/m4/example/startup.o $(B)/m4-dtlscli/dtls-client.o \
		$(B)/m4/selftest/fixtures.o $(B)/m4-dtlscli/libmbedtls.a \
		$(B)/m4-dtlscli/libmbedx509.a $(B)/m4-dtlscli/libmbedcrypto.a \
		$(EXAMPLE)/mps2-an386.ld $(EXAMPLE)/sections.ld
	$(XCC) $(m4_CFLAGS) --specs=nano.specs --specs=nosys.specs $(LDFLAGS_COMMON) \
		-T $(EXAMPLE)/mps2-an386.ld -Wl,-Map=$@.map -o $@ $(filter %.o,$^) \
		-L$(B)/m4-dtlscli -lmbedtls -lmbedx509 -lmbedcrypto
$(B)/m4-dtls/dtls.log: $(B)/m4-dtls/dtls.elf $(B)/m4-dtlscli/dtls-client.elf
	@echo "  QEMU     m4-dtls/dtls.elf on mps2-an386"
	@status=0; timeout $(QEMU_TIMEOUT) $(QEMU) -M mps2-an386 $(QEMU_FLAGS) -kernel $< \
		>$@.tmp 2>&1 || status=$$?; \
	if [ $$status -ne 0 ] || ! grep -qx 'DTLS PASS' $@.tmp; then \
		cat $@.tmp; echo "check-mcu: m4-dtls/dtls.elf failed (exit $$status)" >&2; \
		exit 1; \
	fi; \
	mv $@.tmp $@; \
	{ sed -n 's/^@fig //p' $@; \
	  awk -f $(top_srcdir)/mcu/mapsize.awk $(B)/m4-dtlscli/dtls-client.elf.map | \
		awk '{ print "dtls_client_image_" $$1 "_flash", $$3; print "dtls_client_image_" $$1 "_ram", $$5 }'; \
	} >$(B)/m4-dtls/figures.txt

# ---- running the self-tests --------------------------------------------------
QEMU_FLAGS = -nographic -monitor none -semihosting-config enable=on,target=native \
	-icount shift=0
$(B)/%/selftest.log: $(B)/%/selftest.elf
	@echo "  QEMU     $*/selftest.elf on $(BOARD_$*)"
	@status=0; timeout $(QEMU_TIMEOUT) $(QEMU) -M $(BOARD_$*) $(QEMU_FLAGS) -kernel $< \
		>$@.tmp 2>&1 || status=$$?; \
	if [ $$status -ne 0 ] || ! grep -qx 'SELFTEST PASS' $@.tmp; then \
		cat $@.tmp; echo "check-mcu: $*/selftest.elf failed (exit $$status)" >&2; \
		exit 1; \
	fi; \
	mv $@.tmp $@; sed -n 's/^@fig //p' $@ >$(B)/$*/figures.txt

# ---- sizes ---------------------------------------------------------------------
$(B)/%/sizes.txt: $(B)/%/firmware.elf $(B)/%/libserguard.a $(top_srcdir)/mcu/mapsize.awk
	@{ echo "firmware_size $$($(XSIZE) $< | awk 'NR == 2 { print $$1, $$2, $$3 }')"; \
	   awk -f $(top_srcdir)/mcu/mapsize.awk $<.map | sed 's/^/linked /'; \
	   awk -v what=core -f $(top_srcdir)/mcu/mapsize.awk $<.map | sort | sed 's/^/object /'; \
	   for a in libserguard libmbedcrypto libmbedx509; do \
		echo "archive $$a $$($(XSIZE) -t $(B)/$*/$$a.a | awk 'END { print $$1, $$2, $$3 }')"; \
	   done; } >$@

check: $(foreach c,$(CPUS),$(B)/$(c)/selftest.log $(B)/$(c)/sizes.txt) $(B)/m4-dtls/dtls.log \
		$(B)/m4/firmware-bus.elf
	@sh $(top_srcdir)/mcu/report.sh $(B) $(CPUS) | tee $(B)/report.txt
sizes: $(foreach c,$(CPUS),$(B)/$(c)/sizes.txt)
	@for c in $(CPUS); do echo "== $$c"; cat $(B)/$$c/sizes.txt; done

.PHONY: all check sizes
endif

-include $(foreach c,$(CPUS) m4-dtls m4-dtlscli,$(wildcard $(B)/$(c)/*/*.d $(B)/$(c)/*.d))
