# man/: manual pages in mdoc. Included by the top-level Makefile.am.
# Pages that name installed paths are PAGE.in, filled in by make with
# SG_SUBST (systemd/local.mk) like the unit; the rest are installed as
# they are. tests/test-install.sh lints every installed page with
# mandoc -Tlint -W warning.

SG_MAN_GENERATED = man/serguardd.8 man/serguardctl.8 man/serguard-protocol.7
nodist_man_MANS = $(SG_MAN_GENERATED)
dist_man_MANS = man/sg_conn.3 man/sg_frame.3
EXTRA_DIST += $(SG_MAN_GENERATED:=.in)
CLEANFILES += $(SG_MAN_GENERATED)

$(SG_MAN_GENERATED): sg-subst.stamp
	$(AM_V_GEN)$(MKDIR_P) man && \
	$(SG_SUBST) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@
man/serguardd.8: $(srcdir)/man/serguardd.8.in
man/serguardctl.8: $(srcdir)/man/serguardctl.8.in
man/serguard-protocol.7: $(srcdir)/man/serguard-protocol.7.in
