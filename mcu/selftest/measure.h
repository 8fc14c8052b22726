/*
 * Measuring under QEMU: instruction counts, stack and heap high-water.
 *
 * Instructions: with `qemu-system-arm -icount shift=0` the virtual clock
 * advances exactly 1 ns per guest instruction, and SysTick (clocked from
 * the CPU clock, 25 MHz on mps2-an386) counts that virtual time. A wrap
 * counter extends it to 64 bits. meas_init() runs a loop of exactly
 * 2,000,000 instructions and calibrates ticks to instructions from it,
 * so the board's clock does not need to be known; the resolution is one
 * tick (40 instructions at 25 MHz). Without -icount the figures follow
 * host time and mean nothing; meas_init() reports which case it sees.
 *
 * Stack: the free stack is painted with a pattern; the lowest address
 * whose pattern was overwritten is the high-water mark.
 */
#ifndef SG_MCU_MEASURE_H
#define SG_MCU_MEASURE_H

#include <stdint.h>

/* Start SysTick and calibrate. Returns the ticks the 2,000,000-instruction
 * loop took. */
uint32_t meas_init(void);
/* Elapsed ticks since meas_init(). */
uint64_t meas_ticks(void);
/* Instructions in a measured interval of t ticks (the cost of reading
 * the counter twice is subtracted). */
uint32_t meas_insns(uint64_t t);

/* Paint the free stack below the caller's frame; then meas_stack_used()
 * gives the deepest stack use (bytes from the top of RAM) since. */
void meas_stack_paint(void);
uint32_t meas_stack_used(void);
/* Stack in use at the caller (bytes from the top of RAM): subtracted
 * from meas_stack_used() it gives what a call below it used. */
uint32_t meas_stack_depth(void);

#endif
