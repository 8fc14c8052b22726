#!/bin/sh
# Seed corpora of the EDHOC fuzz targets, from the RFC 9529 vectors:
#   sh tests/fuzz/make-edhoc-corpus.sh    (from the top of the tree)
# writes tests/fuzz/corpus/fuzz_edhoc_*/. The first byte of a seed selects
# the method (bit 0) and for msg2..msg4 raw/plaintext mode (bit 1); of an
# error seed, the receiver (value % 3). See tests/fuzz/edhoc_fuzz.h.
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
v=$top/tests/vectors/edhoc
out=$top/tests/fuzz/corpus

val() { sed -n "s/^$2 = //p" "$v/$1" | head -n 1; }
seed() { # seed TARGET NAME HEX
	mkdir -p "$out/$1"
	perl -e 'print pack("H*", $ARGV[0])' "$3" >"$out/$1/$2"
}

for f in rfc9529-trace1.txt rfc9529-trace2.txt; do
	t=${f%.txt}; t=${t#rfc9529-}
	seed fuzz_edhoc_msg1 "$t-message_1" "00$(val $f message_1)"
	seed fuzz_edhoc_msg1 "$t-message_1-m3" "01$(val $f message_1)"
	for b in 00 01; do
		seed fuzz_edhoc_msg2 "$t-message_2-$b" "$b$(val $f message_2)"
		seed fuzz_edhoc_msg3 "$t-message_3-$b" "$b$(val $f message_3)"
		seed fuzz_edhoc_msg4 "$t-message_4-$b" "$b$(val $f message_4)"
	done
	for b in 02 03; do
		seed fuzz_edhoc_msg2 "$t-PLAINTEXT_2-$b" "$b$(val $f PLAINTEXT_2)"
		seed fuzz_edhoc_msg3 "$t-PLAINTEXT_3-$b" "$b$(val $f PLAINTEXT_3)"
	done
done
seed fuzz_edhoc_msg1 trace2-message_1_attempt1 "01$(val rfc9529-trace2.txt message_1_attempt1)"
for n in $(sed -n 's/^\(invalid_[0-9_]*message_1\) = .*/\1/p' "$v/rfc9529-invalid.txt"); do
	seed fuzz_edhoc_msg1 "$n" "01$(val rfc9529-invalid.txt "$n")"
done
seed fuzz_edhoc_msg2 invalid_4_1_5_message_2 "00$(val rfc9529-invalid.txt invalid_4_1_5_message_2)"
for n in $(sed -n 's/^\(invalid_[0-9_]*PLAINTEXT_2\) = .*/\1/p' "$v/rfc9529-invalid.txt"); do
	seed fuzz_edhoc_msg2 "$n" "03$(val rfc9529-invalid.txt "$n")"
done
seed fuzz_edhoc_msg4 empty-plaintext-02 02
seed fuzz_edhoc_msg4 padding-02 "02004401020304"
for b in 00 01 02; do
	seed fuzz_edhoc_error "error_message-$b" "$b$(val rfc9529-trace2.txt error_message)"
	seed fuzz_edhoc_error "unknown-cred-$b" "${b}03f5"
	seed fuzz_edhoc_error "unspecified-$b" "${b}016d6d616c666f726d6564"
done
seed fuzz_edhoc_error suites-array-00 "000282030a"
