# conf/: installed tools and examples. Included by the top-level Makefile.am.

# The operator's certificate authority (POSIX sh on openssl).
dist_bin_SCRIPTS = conf/serguard-pki
dist_man1_MANS = man/serguard-pki.1
