/*
 * Millisecond clock (see clock.h).
 *
 * Implementation notes:
 * - Time is read from a free-running 32-bit hardware counter (CMSDK APB
 *   Timer0, counting down at the 25 MHz bus clock), not counted in an
 *   interrupt: a tick interrupt that cannot be taken within its period (a
 *   long critical section; on the emulator, a host that stalls QEMU) is
 *   lost, and a clock built on it runs slow. The engine's record
 *   freshness check (doc/PROTOCOL.md 3.8) bounds the rate difference
 *   between the two ends' clocks (1000 ppm by default), so a clock that
 *   loses ticks makes records look stale or early, and the session asks
 *   for a new handshake. A part without a spare 32-bit timer can use its
 *   RTC, or DWT->CYCCNT on Cortex-M3/M4/M7.
 * - The counter wraps every 171 s; every reading adds the cycles since
 *   the previous one, which the main loop takes far more often than that
 *   (SysTick wakes it every millisecond).
 * - SysTick only wakes the core; its handler has nothing to do.
 */
#include "clock.h"

#include "board.h"

#define TIMER0_CTRL REG32(BOARD_TIMER0_BASE + 0x0u)
#define TIMER0_VALUE REG32(BOARD_TIMER0_BASE + 0x4u)
#define TIMER0_RELOAD REG32(BOARD_TIMER0_BASE + 0x8u)

#define CYCLES_PER_MS (BOARD_CPU_HZ / 1000u)

static uint32_t last;	/* counter at the previous reading */
static uint32_t rest;	/* cycles not yet a whole millisecond */
static uint64_t ms;

void SysTick_Handler(void)
{
}

void clock_init(void)
{
	TIMER0_RELOAD = 0xFFFFFFFFu; /* also loads the counter */
	TIMER0_CTRL = 1u;	     /* enable, no interrupt */
	last = TIMER0_VALUE;
	SYST_RVR = CYCLES_PER_MS - 1u;
	SYST_CVR = 0;
	SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

uint32_t clock_cycles(void)
{
	return TIMER0_VALUE;
}

uint64_t clock_now_ms(void)
{
	uint32_t now = TIMER0_VALUE;
	uint32_t d = last - now; /* it counts down; modulo 2^32 */

	last = now;
	ms += d / CYCLES_PER_MS;
	rest += d % CYCLES_PER_MS;
	if (rest >= CYCLES_PER_MS) {
		ms++;
		rest -= CYCLES_PER_MS;
	}
	return ms;
}
