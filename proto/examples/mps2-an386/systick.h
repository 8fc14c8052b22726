/*
 * The millisecond clock: SysTick interrupts once per millisecond and
 * counts. systick_now_ms() is the monotonic now_ms the engine takes on
 * every call (64 bits, so it never wraps in the life of a device).
 */
#ifndef FW_SYSTICK_H
#define FW_SYSTICK_H

#include <stdint.h>

void systick_init(void);
/* Milliseconds since systick_init(). Main loop only (not reentrant). */
uint64_t systick_now_ms(void);

#endif
