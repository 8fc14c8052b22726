# The example configuration conf/serguard.conf (serguard.conf(5)).
# Included by the top-level Makefile.am.
#
# - Always installed as $(docdir)/examples/serguard.conf, the reference
#   copy that each install refreshes.
# - Installed as $(sysconfdir)/serguard/serguard.conf, the file serguardd
#   reads, only when there is none: make install never overwrites an
#   operator's configuration.
# - make uninstall removes that file only while it is still the shipped
#   one, so an edited configuration survives (and distcheck, which never
#   edits it, finds nothing left).

sgexamplesdir = $(docdir)/examples
dist_sgexamples_DATA = conf/serguard.conf
sgconfdir = $(sysconfdir)/serguard

install-data-hook: sg-install-conf
uninstall-hook: sg-uninstall-conf

sg-install-conf:
	@f='$(DESTDIR)$(sgconfdir)/serguard.conf'; \
	if test -e "$$f"; then \
	  echo "keeping the existing $$f; the shipped one is $(sgexamplesdir)/serguard.conf"; \
	else \
	  $(MKDIR_P) '$(DESTDIR)$(sgconfdir)' && \
	  echo " $(INSTALL_DATA) conf/serguard.conf '$$f'" && \
	  $(INSTALL_DATA) $(srcdir)/conf/serguard.conf "$$f"; \
	fi

sg-uninstall-conf:
	@f='$(DESTDIR)$(sgconfdir)/serguard.conf'; \
	if test -f "$$f" && cmp -s $(srcdir)/conf/serguard.conf "$$f"; then \
	  echo " rm -f '$$f'"; rm -f "$$f"; \
	elif test -e "$$f"; then \
	  echo "keeping $$f: it differs from the shipped configuration"; \
	fi; \
	rmdir '$(DESTDIR)$(sgconfdir)' 2>/dev/null || :

.PHONY: sg-install-conf sg-uninstall-conf
