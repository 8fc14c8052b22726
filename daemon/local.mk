# serguardd. Included by the top-level Makefile.am; paths from the top.

SG_DAEMON_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -DSG_SYSCONFDIR='"$(sysconfdir)"' \
	-DSG_VERSION='"$(PACKAGE_VERSION)"'
SG_DAEMON_CFLAGS = $(AM_CFLAGS) $(SG_C11) $(UV_CFLAGS) $(SERIALPORT_CFLAGS) $(INIH_CFLAGS)
SG_DAEMON_LIBS = $(UV_LIBS) $(SERIALPORT_LIBS) $(INIH_LIBS)

# Everything but main(), so that tests link the same objects.
noinst_LIBRARIES += daemon/libserguardd.a
daemon_libserguardd_a_SOURCES = \
	daemon/buf.c \
	daemon/buf.h \
	daemon/bus.c \
	daemon/bus.h \
	daemon/client.c \
	daemon/client.h \
	daemon/config.c \
	daemon/config.h \
	daemon/cred.c \
	daemon/cred.h \
	daemon/ctl.c \
	daemon/ctl.h \
	daemon/entropy.c \
	daemon/entropy.h \
	daemon/gateway.c \
	daemon/gateway.h \
	daemon/keyfile.c \
	daemon/keyfile.h \
	daemon/line.c \
	daemon/line.h \
	daemon/link.c \
	daemon/link.h \
	daemon/log.c \
	daemon/log.h \
	daemon/notify.c \
	daemon/notify.h \
	daemon/port.c \
	daemon/port.h \
	daemon/report.c \
	daemon/report.h \
	daemon/sockfile.c \
	daemon/sockfile.h
daemon_libserguardd_a_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
daemon_libserguardd_a_CFLAGS = $(SG_DAEMON_CFLAGS)

sbin_PROGRAMS += daemon/serguardd
daemon_serguardd_SOURCES = daemon/main.c
daemon_serguardd_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
daemon_serguardd_CFLAGS = $(SG_DAEMON_CFLAGS)
daemon_serguardd_LDADD = daemon/libserguardd.a $(SG_CORE_LIBS) $(SG_DAEMON_LIBS)

bin_PROGRAMS += daemon/serguardctl
daemon_serguardctl_SOURCES = daemon/serguardctl.c
daemon_serguardctl_CPPFLAGS = $(SG_DAEMON_CPPFLAGS)
daemon_serguardctl_CFLAGS = $(SG_DAEMON_CFLAGS)
daemon_serguardctl_LDADD = daemon/libserguardd.a $(SG_CORE_LIBS) $(SG_DAEMON_LIBS)

man5_MANS = man/serguard.conf.5
EXTRA_DIST += $(man5_MANS)
