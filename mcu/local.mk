# Cortex-M: cross build, self-tests and firmware tests under QEMU
# (`make check-mcu`; see mcu/README.md and doc/MCU.md). Included by the
# top-level Makefile.am; paths from the top.
#
# check-mcu needs gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# qemu-system-arm and dpkg-dev (scripts/install-deps), and fetches
# mbedTLS's source from Debian into mcu-build/ of the build tree.

SG_MCU_BUILD = $(abs_top_builddir)/mcu-build

# The firmware tests use tests/gw-peer (a scripted gateway), serguardd
# and tests/sg-sock (a device-socket client).
check-mcu: tests/gw-peer$(EXEEXT) daemon/serguardd$(EXEEXT) tests/sg-sock$(EXEEXT)
	$(MAKE) -f $(abs_top_srcdir)/mcu/mcu.mk top_srcdir=$(abs_top_srcdir) \
		B=$(SG_MCU_BUILD) check
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		SG_MCU_BUILD='$(SG_MCU_BUILD)' $(SHELL) $(abs_top_srcdir)/tests/test-mcu-line.sh
	@rc=0; top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		SG_MCU_BUILD='$(SG_MCU_BUILD)' \
		$(SHELL) $(abs_top_srcdir)/tests/test-mcu-e2e.sh || rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-mcu: test-mcu-e2e.sh SKIPPED (reason above)"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi
.PHONY: check-mcu

clean-local: clean-mcu
clean-mcu:
	-rm -rf $(SG_MCU_BUILD)
.PHONY: clean-mcu

EXTRA_DIST += mcu/README.md mcu/fetch-mbedtls.sh mcu/mbedtls_config.h mcu/mcu.mk \
	mcu/mapsize.awk mcu/report.sh \
	mcu/selftest/selftest.c mcu/selftest/measure.c mcu/selftest/measure.h \
	mcu/selftest/fixtures.S mcu/selftest/mps2-an505.ld mcu/dtls/dtls.c \
	proto/examples/mps2-an386/README.md proto/examples/mps2-an386/board.h \
	proto/examples/mps2-an386/credentials.S proto/examples/mps2-an386/main.c \
	proto/examples/mps2-an386/mps2-an386.ld proto/examples/mps2-an386/sections.ld \
	proto/examples/mps2-an386/rng.c proto/examples/mps2-an386/rng.h \
	proto/examples/mps2-an386/startup.c proto/examples/mps2-an386/clock.c \
	proto/examples/mps2-an386/clock.h proto/examples/mps2-an386/uart.c \
	proto/examples/mps2-an386/uart.h \
	tests/mcu-qemu.sh tests/test-mcu-line.sh tests/test-mcu-e2e.sh doc/MCU.md
