# device/: serguard-device, the emulated field device. Included by the
# top-level Makefile.am.

# the parts the test gateway (tests/gw-peer) shares: port, line, credentials
SG_DEVICE_COMMON_SOURCES = device/port.c device/port.h device/line.c device/line.h \
	device/cred.c device/cred.h

bin_PROGRAMS += device/serguard-device
device_serguard_device_SOURCES = device/main.c device/node.c device/node.h \
	device/app.c device/app.h device/log.c device/log.h $(SG_DEVICE_COMMON_SOURCES)
device_serguard_device_CFLAGS = $(AM_CFLAGS) $(SG_C11)
device_serguard_device_LDADD = $(SG_CORE_LIBS)

dist_man1_MANS += man/serguard-device.1
EXTRA_DIST += device/README.md
