/*
 * Instruction counter and stack high-water (see measure.h).
 *
 * Implementation notes:
 * - SysTick counts down from 0xFFFFFF and interrupts on each wrap; the
 *   handler counts wraps. Reading (wraps, current value) must be
 *   consistent: with interrupts masked, a wrap that happened but was not
 *   yet serviced shows as PENDSTSET in ICSR, and then the value is read
 *   again (it is certainly after the wrap) and the wrap added.
 * - The calibration loop is two instructions per iteration (subs, bne)
 *   in inline assembly, valid on ARMv6-M and ARMv7-M/v8-M alike.
 */
#include "measure.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)

#define CAL_INSNS 2000000u

extern uint32_t _sstack, _estack;

static volatile uint32_t wraps;
static uint32_t cal_ticks = 1;	 /* ticks per CAL_INSNS instructions */
static uint32_t read_overhead; /* instructions of one meas_ticks() pair */

void SysTick_Handler(void)
{
	wraps++;
}

uint64_t meas_ticks(void)
{
	uint32_t w, v;

	__asm volatile("cpsid i" ::: "memory");
	w = wraps;
	v = SYST_CVR;
	if (SCB_ICSR & ICSR_PENDSTSET) {
		v = SYST_CVR;
		w++;
	}
	__asm volatile("cpsie i" ::: "memory");
	return ((uint64_t)w << 24) + (0xFFFFFFu - v);
}

static uint32_t to_insns(uint64_t t)
{
	return (uint32_t)((t * CAL_INSNS + cal_ticks / 2) / cal_ticks);
}

uint32_t meas_insns(uint64_t t)
{
	uint32_t n = to_insns(t);

	return n > read_overhead ? n - read_overhead : 0;
}

uint32_t meas_init(void)
{
	uint32_t n = CAL_INSNS / 2;
	uint64_t t0, t1;

	SYST_RVR = 0xFFFFFFu;
	SYST_CVR = 0;
	SYST_CSR = 7u; /* processor clock, interrupt, enable */
	/* the counter loads the reload value on its first tick */
	while (SYST_CVR == 0) {
	}
	wraps = 0;
	t0 = meas_ticks();
#if defined(__ARM_ARCH_6M__)
	/* GCC hands Thumb-1 inline assembly over in divided syntax */
	__asm volatile(".syntax unified\n1: subs %0, %0, #1\n\tbne 1b\n\t.syntax divided"
		       : "+l"(n) : : "cc");
#else
	__asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
#endif
	t1 = meas_ticks();
	cal_ticks = (uint32_t)(t1 - t0);
	if (cal_ticks == 0)
		cal_ticks = 1;
	t0 = meas_ticks();
	t1 = meas_ticks();
	read_overhead = to_insns(t1 - t0);
	return cal_ticks;
}

#define PAINT 0xC5C5C5C5u

void meas_stack_paint(void)
{
	uint32_t *p, *top;

	/* everything more than 64 bytes below the current stack pointer */
	__asm volatile("mov %0, sp" : "=r"(top));
	top -= 16;
	for (p = &_sstack; p < top; p++)
		*p = PAINT;
}

uint32_t meas_stack_used(void)
{
	const uint32_t *p = &_sstack;

	while (p < &_estack && *p == PAINT)
		p++;
	return (uint32_t)((uintptr_t)&_estack - (uintptr_t)p);
}

uint32_t meas_stack_depth(void)
{
	uintptr_t sp;

	__asm volatile("mov %0, sp" : "=r"(sp));
	return (uint32_t)((uintptr_t)&_estack - sp);
}
