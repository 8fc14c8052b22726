/*
 * Cortex-M start-up: the vector table and the reset handler. No CMSIS, no
 * C library start-up code (the image links with -nostartfiles).
 *
 * Reset: copy .data from flash, clear .bss, enable the FPU when the build
 * uses it, then main() (C has no static constructors to run). main() returning is a bug on a device; here it
 * ends in exit() so that a test image's status reaches the host through
 * semihosting (the self-test), and in a stop loop otherwise.
 *
 * Interrupts: every handler is a weak alias of Default_Handler, so a
 * driver defines the one it needs (SysTick_Handler in clock.c,
 * UART0RX_Handler in uart.c) and everything else stops in a visible
 * loop. The external interrupt numbers are those of the MPS2 AN385/AN386
 * FPGA images (QEMU's mps2-an386): UART0 RX = 0, UART0 TX = 1.
 */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
extern void exit(int status);

void Reset_Handler(void);
void Default_Handler(void);

/* A fault or an unexpected interrupt: stop here, where a debugger finds
 * it (a product would rather log the fault and reset, or let its
 * watchdog do that). */
void Default_Handler(void)
{
	for (;;) {
	}
}

#define WEAK_ALIAS __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) WEAK_ALIAS;
void HardFault_Handler(void) WEAK_ALIAS;
void MemManage_Handler(void) WEAK_ALIAS;
void BusFault_Handler(void) WEAK_ALIAS;
void UsageFault_Handler(void) WEAK_ALIAS;
void SVC_Handler(void) WEAK_ALIAS;
void DebugMon_Handler(void) WEAK_ALIAS;
void PendSV_Handler(void) WEAK_ALIAS;
void SysTick_Handler(void) WEAK_ALIAS;
void UART0RX_Handler(void) WEAK_ALIAS;
void UART0TX_Handler(void) WEAK_ALIAS;

typedef void (*vector_fn)(void);

/* 16 system exceptions, then the board's external interrupts 0 and 1;
 * the table ends there because nothing else is enabled. */
__attribute__((section(".isr_vector"), used)) const vector_fn sg_vectors[18] = {
	(vector_fn)(uintptr_t)&_estack, /* initial stack pointer */
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	SVC_Handler,
	DebugMon_Handler,
	0,
	PendSV_Handler,
	SysTick_Handler,
	UART0RX_Handler, /* IRQ 0 */
	UART0TX_Handler, /* IRQ 1 */
};

void Reset_Handler(void)
{
	const uint32_t *s = &_sidata;
	uint32_t *d;

	for (d = &_sdata; d < &_edata;)
		*d++ = *s++;
	for (d = &_sbss; d < &_ebss;)
		*d++ = 0;
#if defined(__ARM_FP)
	/* CPACR: full access to CP10 and CP11 (the FPU) */
	*(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
	__asm volatile("dsb\n\tisb");
#endif
	exit(main());
}
