#!/bin/sh
# Print the figures of a Cortex-M build (mcu/mcu.mk check): flash and RAM
# from the linker maps (B/CPU/sizes.txt), instruction counts and high-water
# marks from the self-tests under QEMU (B/CPU/figures.txt).
#   mcu/report.sh B CPU...
set -eu
B=$1
shift
cpus="$*"

fig() { # CPU NAME
	awk -v k="$2" '$1 == k { print $2; exit }' "$B/$1/figures.txt"
}
linked() { # CPU WHO -> flash ram
	awk -v w="$2" '$1 == "linked" && $2 == w { print $4, $6; exit }' "$B/$1/sizes.txt"
}
archive() { # CPU LIB -> text
	awk -v l="$2" '$1 == "archive" && $2 == l { print $3; exit }' "$B/$1/sizes.txt"
}
name() {
	case $1 in
	m4) echo "Cortex-M4" ;;
	m0plus) echo "Cortex-M0+" ;;
	m33) echo "Cortex-M33" ;;
	*) echo "$1" ;;
	esac
}
row() { # LABEL then one value per CPU
	label=$1
	shift
	printf '| %-58s |' "$label"
	for v in "$@"; do printf ' %12s |' "$v"; done
	printf '\n'
}
head() {
	printf '| %-58s |' "$1"
	for c in $cpus; do printf ' %12s |' "$(name "$c")"; done
	printf '\n|%s|' "------------------------------------------------------------"
	for c in $cpus; do printf '%s|' "-------------:"; done
	printf '\n'
}
# ms at 64 MHz for an instruction count, at 1 cycle per instruction
ms64() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 64000 }'; }

echo "serguard on Cortex-M: figures of this build"
echo
echo "Flash (text + data) and static RAM (data + bss) of the reference firmware, bytes,"
echo "by origin (linker map; string literals counted before the linker merges them)"
echo
head ""
for w in core adapter mbedtls libc app total; do
	case $w in
	core) label="protocol core (proto/, without the crypto adapter)" ;;
	adapter) label="crypto adapter (crypto_mbedtls*.c)" ;;
	mbedtls) label="mbedTLS (minimal config)" ;;
	libc) label="newlib-nano + libgcc" ;;
	app) label="firmware: start-up, drivers, application, keys" ;;
	total) label="sum of the above (strings not yet merged)" ;;
	esac
	set --
	for c in $cpus; do set -- "$@" "$(linked "$c" "$w" | cut -d' ' -f1)"; done
	row "$label flash" "$@"
done
set --
for c in $cpus; do
	set -- "$@" "$(awk '$1 == "firmware_size" { print $2 + $3; exit }' "$B/$c/sizes.txt")"
done
row "firmware flash (arm-none-eabi-size: text + data)" "$@"
set --
for c in $cpus; do
	set -- "$@" "$(awk '$1 == "firmware_size" { print $3 + $4; exit }' "$B/$c/sizes.txt")"
done
row "firmware static RAM (data + bss: engine, buffers, arena)" "$@"
set --
for c in $cpus; do set -- "$@" "$(archive "$c" libserguard)"; done
row "libserguard.a, every object (text)" "$@"
set --
for c in $cpus; do set -- "$@" "$(($(archive "$c" libmbedcrypto) + $(archive "$c" libmbedx509)))"; done
row "libmbedcrypto.a + libmbedx509.a, every object (text)" "$@"

echo
echo "RAM of one session on the device side, bytes (self-test buffers: 255-byte frames,"
echo "certificates by value up to 512 bytes, 4 queued messages of 128 bytes each way)"
echo
head ""
for k in sizeof_sg_conn session_buffers heap stack total; do
	set --
	for c in $cpus; do
		conn=$(fig "$c" sizeof_sg_conn)
		buf=$(fig "$c" session_buffers)
		heap=$(($(fig "$c" handshake_dev_heap) + 32 * $(fig "$c" handshake_dev_heap_blocks)))
		stack=$(fig "$c" handshake_dev_stack)
		case $k in
		sizeof_sg_conn) v=$conn ;;
		session_buffers) v=$buf ;;
		heap) v=$heap ;;
		stack) v=$stack ;;
		total) v=$((conn + buf + heap + stack)) ;;
		esac
		set -- "$@" "$v"
	done
	case $k in
	sizeof_sg_conn) label="struct sg_conn" ;;
	session_buffers) label="buffers (struct sg_conn_buffers)" ;;
	heap) label="mbedTLS heap high-water, handshake (+32 B per block)" ;;
	stack) label="stack high-water, handshake (below the caller)" ;;
	total) label="total" ;;
	esac
	row "$label" "$@"
done

echo
echo "Guest instructions (QEMU -icount, calibrated SysTick; +-40 per measurement) and"
echo "milliseconds at 64 MHz assuming 1 cycle per instruction (a lower bound)"
echo
head ""
for k in handshake_dev_insns handshake_gw_insns record_dev_send_insns record_dev_recv_insns \
	rl_seal64_insns rl_open64_insns rl_key_update_insns rl_open_next_key_insns store_gw_insns; do
	set --
	for c in $cpus; do set -- "$@" "$(fig "$c" $k)"; done
	case $k in
	handshake_dev_insns) label="handshake, device (responder), all calls" ;;
	handshake_gw_insns) label="handshake, gateway (initiator), all calls" ;;
	record_dev_send_insns) label="64-byte message sent (engine: queue, seal, frame)" ;;
	record_dev_recv_insns) label="64-byte message received (engine: deframe, open)" ;;
	rl_seal64_insns) label="record layer: seal 64 bytes" ;;
	rl_open64_insns) label="record layer: open 64 bytes" ;;
	rl_key_update_insns) label="key update, sender (derive the next key)" ;;
	rl_open_next_key_insns) label="first record under the next key, receiver (derive + open)" ;;
	store_gw_insns) label="trust store: CA + CRL (its signature checked)" ;;
	esac
	row "$label" "$@"
	set --
	for c in $cpus; do set -- "$@" "$(ms64 "$(fig "$c" $k)")"; done
	row "  ms at 64 MHz" "$@"
done

# ---- the DTLS 1.2 comparison (mcu/dtls), Cortex-M4 ---------------------------
d="$B/m4-dtls/figures.txt"
[ -f "$d" ] || exit 0
dfig() { awk -v k="$1" '$1 == k { print $2; exit }' "$d"; }
cmp_row() { printf '| %-58s | %14s | %14s |\n' "$1" "$2" "$3"; }
echo
echo "serguard and an mbedTLS DTLS 1.2 client on the same Cortex-M4, same minimal mbedTLS"
echo "configuration, certificates and measurements (DTLS: ECDHE-ECDSA-AES-128-CCM-8, mutual"
echo "authentication, no cookie, MTU 255, 1 KiB record buffers)"
echo
cmp_row "device side" "serguard" "DTLS 1.2 client"
printf '|%s|%s|%s|\n' "------------------------------------------------------------" \
	"---------------:" "---------------:"
cmp_row "handshake, instructions" "$(fig m4 handshake_dev_insns)" \
	"$(dfig dtls_handshake_client_insns)"
cmp_row "  ms at 64 MHz (1 cycle per instruction)" "$(ms64 "$(fig m4 handshake_dev_insns)")" \
	"$(ms64 "$(dfig dtls_handshake_client_insns)")"
cmp_row "64-byte message sent, instructions" "$(fig m4 record_dev_send_insns)" \
	"$(dfig dtls_record_client_send_insns)"
cmp_row "64-byte message received, instructions" "$(fig m4 record_dev_recv_insns)" \
	"$(dfig dtls_record_client_recv_insns)"
cmp_row "  serguard's record layer alone: seal / open" \
	"$(fig m4 rl_seal64_insns) / $(fig m4 rl_open64_insns)" ""
cmp_row "heap high-water in the handshake (+32 B per block)" \
	"$(($(fig m4 handshake_dev_heap) + 32 * $(fig m4 handshake_dev_heap_blocks)))" \
	"$(($(dfig dtls_handshake_client_heap) + 32 * $(dfig dtls_handshake_client_heap_blocks)))"
cmp_row "heap held by an established session (+32 B per block)" \
	"$(($(fig m4 store_dev_heap) + 32 * $(fig m4 store_dev_heap_blocks)))" \
	"$(($(dfig dtls_established_client_heap) + 32 * $(dfig dtls_established_client_heap_blocks)))"
cmp_row "stack high-water in the handshake" "$(fig m4 handshake_dev_stack)" \
	"$(dfig dtls_handshake_client_stack)"
cmp_row "static session state (sg_conn / ssl_context + ssl_config)" "$(fig m4 sizeof_sg_conn)" \
	"$(($(dfig dtls_sizeof_ssl_context) + $(dfig dtls_sizeof_ssl_config)))"
sg_total=$(($(fig m4 sizeof_sg_conn) + $(fig m4 session_buffers) + $(fig m4 handshake_dev_heap) + \
	32 * $(fig m4 handshake_dev_heap_blocks) + $(fig m4 handshake_dev_stack)))
dtls_total=$(($(dfig dtls_sizeof_ssl_context) + $(dfig dtls_sizeof_ssl_config) + \
	$(dfig dtls_handshake_client_heap) + 32 * $(dfig dtls_handshake_client_heap_blocks) + \
	$(dfig dtls_handshake_client_stack)))
cmp_row "RAM of a session: state, buffers, heap and stack peaks" "$sg_total" "$dtls_total"
sg_lib=$(($(linked m4 core | cut -d' ' -f1) + $(linked m4 adapter | cut -d' ' -f1) + \
	$(linked m4 mbedtls | cut -d' ' -f1)))
cmp_row "flash: protocol + crypto (serguard core, adapter, mbedTLS)" "$sg_lib" \
	"$(dfig dtls_client_image_mbedtls_flash)"
cmp_row "flash: whole device image (sum of the map's rows)" "$(linked m4 total | cut -d' ' -f1)" \
	"$(dfig dtls_client_image_total_flash)"
