# Sourced by the firmware tests (test-mcu-line.sh, test-mcu-e2e.sh): start
# the reference firmware under qemu-system-arm with its UART0 on a pty.
#
# Needs: $tmp (a private directory), $SG_MCU_BUILD (the Cortex-M build,
# <build>/mcu-build, made by `make check-mcu`). Sets $firmware (the RS232
# image), and mcu_start sets $qemu_pid and $pty;
# the firmware's debug log (UART1) goes to $tmp/firmware.log. The caller's
# clean-up kills $qemu_pid.

mcu_need() { # SCRIPT-NAME: exit 77 naming what is missing
	qemu=${QEMU:-qemu-system-arm}
	if ! command -v "$qemu" >/dev/null 2>&1; then
		echo "SKIP: $1 needs $qemu (Debian: qemu-system-arm)"
		exit 77
	fi
	firmware=${SG_MCU_BUILD:-}/m4/firmware.elf
	if [ -z "${SG_MCU_BUILD:-}" ] || [ ! -f "$firmware" ]; then
		echo "SKIP: $1 needs the Cortex-M firmware (run it through make check-mcu)"
		exit 77
	fi
}

# mcu_start [IMAGE]: start QEMU with IMAGE (default the RS232 firmware,
# m4/firmware.elf, under $SG_MCU_BUILD); wait until it has named its pty.
mcu_start() {
	: >"$tmp/qemu.out"
	: >"$tmp/firmware.log"
	"$qemu" -M mps2-an386 -nographic -monitor none \
		-serial pty -serial "file:$tmp/firmware.log" \
		-kernel "${1:-$firmware}" >"$tmp/qemu.out" 2>&1 &
	qemu_pid=$!
	pty=
	i=0
	while [ -z "$pty" ]; do
		pty=$(sed -n 's/.*char device redirected to \(\/dev\/[^ ]*\) (label serial0).*/\1/p' \
			"$tmp/qemu.out")
		i=$((i + 1))
		if [ $i -gt 500 ] || ! kill -0 "$qemu_pid" 2>/dev/null; then
			echo "FAIL: qemu did not start:"
			sed 's/^/  | /' "$tmp/qemu.out"
			exit 1
		fi
		[ -n "$pty" ] || sleep 0.01
	done
}

mcu_stop() {
	if [ -n "${qemu_pid:-}" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
		qemu_pid=
	fi
}
