# serguardd. Included by the top-level Makefile.am; paths from the top.

SG_DAEMON_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -DSG_SYSCONFDIR='"$(sysconfdir)"' \
	-DSG_VERSION='"$(PACKAGE_VERSION)"'
SG_DAEMON_CFLAGS = $(AM_CFLAGS) $(SG_C11) $(UV_CFLAGS) $(SERIALPORT_CFLAGS) $(INIH_CFLAGS)
SG_DAEMON_LIBS = $(UV_LIBS) $(SERIALPORT_LIBS) $(INIH_LIBS)

# Everything but main(), so that tests link the same objects.
noinst_LIBRARIES += daemon/libserguardd.a
daemon_libserguardd_a_SOURCES = \
	daemon/bus.c \
	daemon/bus.h \
	daemon/config.c \
	daemon/config.h \
	daemon/keyfile.c \
	daemon/keyfile.h \
	daemon/line.c \
	daemon/line.h \
	daemon/link.c \
	daemon/link.h \
	daemon/log.c \
	daemon/log.h \
	daemon/port.c \
	daemon/port.h
daemon_libserguardd_a_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
daemon_libserguardd_a_CFLAGS = $(SG_DAEMON_CFLAGS)

sbin_PROGRAMS += daemon/serguardd
daemon_serguardd_SOURCES = daemon/main.c
daemon_serguardd_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
daemon_serguardd_CFLAGS = $(SG_DAEMON_CFLAGS)
daemon_serguardd_LDADD = daemon/libserguardd.a $(SG_CORE_LIBS) $(SG_DAEMON_LIBS)

man5_MANS = man/serguard.conf.5
EXTRA_DIST += $(man5_MANS)
