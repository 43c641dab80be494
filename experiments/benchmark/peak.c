/* The peak of one core, measured: `experiments.benchmark.peak` compiles and runs it.

   Prints one line, `clock_ghz=C bf16_flops_per_cycle=B fp32_flops_per_cycle=F`:

   - the clock: a chain of dependent integer adds (one per cycle on any x86
     core) per second of this process's CPU time, so that time the core
     spends on other processes does not count;
   - VDPBF16PS zmm (AVX512-BF16): 32 bfloat16 products summed in pairs into
     16 float32 accumulators, 64 FLOPs per instruction;
   - VFMADD231PS zmm (AVX-512 F): 16 float32 multiply-adds, 32 FLOPs;

   each with NACC independent accumulators (more than latency x throughput
   on current cores), per CPU second, divided by the clock. The argument is
   the number of loop iterations (default 20000000, about 0.1 s a part). */

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NACC 24

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 20000000L;
  long v = 1;
  double t = cpu_seconds();
  for (long k = 0; k < iters; k++) {
    __asm__ volatile(
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
        : "+r"(v));
  }
  double hz = 8.0 * iters / (cpu_seconds() - t);

  __m512 acc[NACC];
  for (int i = 0; i < NACC; i++) acc[i] = _mm512_set1_ps(0.001f * i);
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3f80); /* 1.0 */
  t = cpu_seconds();
  for (long k = 0; k < iters; k++) {
#pragma GCC unroll 24
    for (int i = 0; i < NACC; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    __asm__ volatile("" : "+v"(a));
  }
  double bf16 = 64.0 * NACC * iters / (cpu_seconds() - t);
  float sink = 0;
  for (int i = 0; i < NACC; i++) sink += _mm512_reduce_add_ps(acc[i]);

  __m512 x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < NACC; i++) acc[i] = _mm512_set1_ps(0.001f * i);
  t = cpu_seconds();
  for (long k = 0; k < iters; k++) {
#pragma GCC unroll 24
    for (int i = 0; i < NACC; i++) acc[i] = _mm512_fmadd_ps(x, y, acc[i]);
    __asm__ volatile("" : "+v"(x));
  }
  double fp32 = 32.0 * NACC * iters / (cpu_seconds() - t);
  for (int i = 0; i < NACC; i++) sink += _mm512_reduce_add_ps(acc[i]);

  printf("clock_ghz=%.4f bf16_flops_per_cycle=%.2f fp32_flops_per_cycle=%.2f sink=%g\n", hz / 1e9, bf16 / hz,
         fp32 / hz, (double)sink);
  return 0;
}
