/*
 * SysTick millisecond clock (see systick.h).
 *
 * The interrupt only increments a 32-bit counter (one store, atomic on
 * Cortex-M). The main loop widens it to 64 bits: the counter wraps after
 * 49.7 days, and every reading notices a wrap because it is taken far
 * more often than that.
 */
#include "systick.h"

#include "board.h"

static volatile uint32_t ticks;
static uint32_t last;
static uint64_t high;

void SysTick_Handler(void)
{
	ticks++;
}

void systick_init(void)
{
	SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
	SYST_CVR = 0;
	SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

uint64_t systick_now_ms(void)
{
	uint32_t t = ticks;

	if (t < last)
		high += (uint64_t)1 << 32;
	last = t;
	return high | t;
}
