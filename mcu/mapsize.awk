# Flash and RAM of a linked image by origin, from the GNU ld map file
# (-Wl,-Map). Sums every input section the linker kept:
#   core     proto/ (libserguard.a) without the crypto adapter
#   adapter  proto/src/crypto_mbedtls*.c
#   mbedtls  libmbedcrypto.a + libmbedx509.a
#   libc     newlib (libc_nano, libg_nano, libnosys, librdimon), libgcc
#   app      everything else: start-up, drivers, the application
# flash = .text + .rodata + .data (its initial values), ram = .data + .bss.
# Usage: awk -f mapsize.awk -v what=summary|core IMAGE.map
function hex(s,    i, c, v) {
	v = 0
	s = tolower(s)
	sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + c
	}
	return v
}
function add(sec, size, file,    n, obj, who, k) {
	n = hex(size)
	if (n == 0)
		return
	obj = file
	who = "app"
	if (file ~ /libserguard\.a\(/) {
		sub(/.*\(/, "", obj); sub(/\)$/, "", obj)
		who = obj ~ /^crypto_mbedtls/ ? "adapter" : "core"
		objs[obj] = 1
	} else if (file ~ /libmbed(crypto|x509|tls)\.a\(/ || file ~ /memory_buffer_alloc/) {
		who = "mbedtls"
	} else if (file ~ /lib(c_nano|g_nano|c|g|nosys|rdimon|rdimon_nano|gcc|m)\.a\(/ || file ~ /\/crt/) {
		who = "libc"
	}
	if (sec ~ /^\.(text|rodata|isr_vector|ARM)/) k = "text"
	else if (sec ~ /^\.data/) k = "data"
	else if (sec ~ /^(\.bss|COMMON)/) k = "bss"
	else return
	sum[who, k] += n
	if (who == "core" || who == "adapter")
		per[obj, k] += n
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^ [.A-Za-z_]/ {
	if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) { add($1, $3, $4); pend = "" }
	else if (NF == 1) pend = $1
	else pend = ""
	next
}
pend != "" && NF == 3 && $1 ~ /^0x/ && $2 ~ /^0x/ { add(pend, $2, $3); pend = ""; next }
{ pend = "" }
END {
	if (what == "core") {
		for (o in objs)
			printf "%-24s %7d %5d %5d\n", o, per[o, "text"], per[o, "data"], per[o, "bss"]
		exit
	}
	n = split("core adapter mbedtls libc app", order, " ")
	for (i = 1; i <= n; i++) {
		w = order[i]
		printf "%-8s flash %7d ram %7d (text %d data %d bss %d)\n", w,
			sum[w, "text"] + sum[w, "data"], sum[w, "data"] + sum[w, "bss"],
			sum[w, "text"], sum[w, "data"], sum[w, "bss"]
		tf += sum[w, "text"] + sum[w, "data"]; tr += sum[w, "data"] + sum[w, "bss"]
	}
	printf "%-8s flash %7d ram %7d\n", "total", tf, tr
}
