/*
 * The board: ARM MPS2 with the AN386 FPGA image (Cortex-M4), as QEMU's
 * mps2-an386 models it. Everything board-specific the drivers need is
 * here; porting to another part starts by rewriting this file, uart.c
 * and the memory map in mps2-an386.ld.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stdint.h>

/* SYSCLK: the CPU and the APB peripherals run at 25 MHz. */
#define BOARD_CPU_HZ 25000000u

/* CMSDK APB UARTs (ARM DDI 0479C): UART0 carries the protocol, UART1 a
 * debug log (QEMU: the first and second -serial). */
#define BOARD_UART0_BASE 0x40004000u
#define BOARD_UART1_BASE 0x40005000u
#define BOARD_UART0_RX_IRQ 0 /* external interrupt numbers */
#define BOARD_UART0_TX_IRQ 1
/* CMSDK APB timer 0: the clock's free-running counter */
#define BOARD_TIMER0_BASE 0x40000000u

/* Cortex-M system registers (ARMv7-M ARM, B3) */
#define REG32(a) (*(volatile uint32_t *)(a))
#define NVIC_ISER0 REG32(0xE000E100u)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

static inline void irq_disable(void)
{
	__asm volatile("cpsid i" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm volatile("cpsie i" ::: "memory");
}

/* Sleep until an interrupt is pending. Called with interrupts disabled
 * after checking that there is nothing to do, so that an interrupt
 * arriving between the check and the sleep still wakes the core (WFI
 * wakes on a pending interrupt even while PRIMASK masks it). */
static inline void wait_for_interrupt(void)
{
	__asm volatile("dsb\n\twfi" ::: "memory");
}

#endif
