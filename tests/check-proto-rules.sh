#!/bin/sh
# Rules of the portable core that the compiler cannot enforce:
#  1. no malloc/calloc/realloc in proto/src and proto/include, except in
#     the mbedTLS adapter;
#  2. only <string.h>, <stdint.h>, <stddef.h>, <stdbool.h> from libc;
#     mbedTLS headers only in the adapter(s) named crypto_mbedtls*.c.
# Exit 1 with the offending lines when a rule is broken.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
fail=0

hits=$(grep -nE '\b(malloc|calloc|realloc)[[:space:]]*\(' \
	"$top"/proto/src/*.c "$top"/proto/src/*.h "$top"/proto/include/serguard/*.h 2>/dev/null |
	grep -v '/crypto_mbedtls[^/]*\.c:')
if [ -n "$hits" ]; then
	echo "proto/ must not allocate; found:"
	echo "$hits"
	fail=1
fi

hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' \
	"$top"/proto/src/*.c "$top"/proto/src/*.h "$top"/proto/include/serguard/*.h 2>/dev/null |
	grep -vE '<(string|stdint|stddef|stdbool)\.h>' |
	grep -vE '/crypto_mbedtls[^/]*\.c:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*<mbedtls/')
if [ -n "$hits" ]; then
	echo "proto/ may include only string.h, stdint.h, stddef.h, stdbool.h (and mbedTLS in the adapter); found:"
	echo "$hits"
	fail=1
fi

[ $fail -eq 0 ] && echo "proto rules: ok"
exit $fail
