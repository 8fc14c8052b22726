# systemd/: the service unit and the sysusers.d file. Included by the
# top-level Makefile.am; paths from the top.

# Paths in generated files are filled in by make, not configure, so that
# `make prefix=...` (or sbindir=..., sysconfdir=...) at build time gives
# files that name the directories the programs are installed in.
SG_SUBST = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

# The values SG_SUBST puts in, one line, rewritten only when one changes:
# files generated with SG_SUBST depend on it, so `make prefix=/opt/sg` after
# a build with another prefix regenerates them (and nothing else).
SG_SUBST_VALUES = $(sbindir) $(bindir) $(sysconfdir) $(docdir) $(PACKAGE_VERSION)
sg-subst.stamp: sg-force
	@echo '$(SG_SUBST_VALUES)' >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
sg-force:
.PHONY: sg-force
CLEANFILES += sg-subst.stamp sg-subst.stamp.tmp

nodist_systemdsystemunit_DATA = systemd/serguard.service
systemd/serguard.service: $(srcdir)/systemd/serguard.service.in sg-subst.stamp
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(SG_SUBST) $(srcdir)/systemd/serguard.service.in >$@.tmp && mv $@.tmp $@
CLEANFILES += systemd/serguard.service systemd/serguard.service.tmp

# Creates the serguard user when the package is installed (systemd-sysusers
# runs from the package's postinst or at boot), never at make install.
dist_sysusers_DATA = systemd/sysusers.d/serguard.conf

EXTRA_DIST += systemd/serguard.service.in
