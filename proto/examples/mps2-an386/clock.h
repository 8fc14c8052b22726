/*
 * The millisecond clock: clock_now_ms() is the monotonic now_ms the
 * engine takes on every call (64 bits, so it never wraps in the life of
 * a device). SysTick interrupts once per millisecond to wake the main
 * loop from its sleep, so timers run on time.
 */
#ifndef FW_CLOCK_H
#define FW_CLOCK_H

#include <stdint.h>

void clock_init(void);
/* Milliseconds since clock_init(). Main loop only (not reentrant). */
uint64_t clock_now_ms(void);
/* The raw counter (cycles, counting down), for the RNG's emulator seed. */
uint32_t clock_cycles(void);

#endif
