// The loops around the micro-kernel, BLIS style, one loop level per function:
//
//   jc_loop   for each NC-wide panel of op(B)           (columns of C)
//   pc_loop     for each KC-deep block of K             pack KC x NC of op(B), shared by the team
//   ic_loop       for each MC-tall block of op(A)       pack MC x KC of op(A), one per thread
//   macro_kernel    for each NR-wide panel (jr)  x  each MR-tall panel (ir): micro-kernel
//
// and a no-packing path for small or skinny problems, where copying operands costs more than it
// saves: A is read in place and B in place too unless it is transposed or ragged.
//
// Threading: one OpenMP team per call, over (MC block x slice of NR panels) tasks in the packed
// path and over contiguous ranges of C's columns or rows in the unpacked path, which runs a
// one-thread team inline. K is never split, so every element of C is produced by one thread in the
// order fixed by KC, whatever the thread count.
//
// Everything here has internal linkage: each target's translation unit gets its own copy, so the
// linker can never hand code compiled for one target to another (docs/design.md, "One definition
// per target").
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <utility>

#include "gemm/simd/buffer.hpp"
#include "gemm/simd/microkernel.hpp"
#include "gemm/simd/pack.hpp"
#include "kernels/run_tasks.hpp"

namespace {

using simdml::GemmExecution;
using simdml::GemmPath;
using simdml::GemmProblem;
using simdml::GemmSplit;
using simdml::Trans;

// Below this much work per thread, a second thread costs more to wake than it saves. Waking costs
// ~1 us while libgomp's idle threads spin (its default between nearby parallel regions), ~10 us
// under OMP_WAIT_POLICY=passive, where every region is a futex wake-up; and when the caller goes
// on with C on its own thread (training updates the weights in place), the other thread's share
// of C has to come back from its cache. The grain is each target's (blocking.hpp): the faster the
// kernel, the more flops those microseconds are worth.
template <class Arch>
double flops_per_extra_thread() {
  static const double threshold = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const bool passive = policy != nullptr && (std::string_view(policy) == "passive" ||
                                               std::string_view(policy) == "PASSIVE");
    // A passive wait makes every region a futex wake-up (docs/experiments.md#e35).
    return Tile<Arch>::kFlopsPerExtraThread * (passive ? 20.0 : 1.0);
  }();
  return threshold;
}

template <class Arch>
int useful_threads(const GemmProblem& p, int requested, std::int64_t max_tasks) {
  const double flops =
      2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
  const auto by_work = static_cast<std::int64_t>(flops / flops_per_extra_thread<Arch>()) + 1;
  return static_cast<int>(
      std::max<std::int64_t>(1, std::min({std::int64_t{requested}, by_work, max_tasks})));
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------------------------------------
// Packed path.

template <class Arch>
struct PackedGemm {
  using T = Tile<Arch>;
  static constexpr int MR = T::kMr, NR = T::kNr;

  const GemmProblem& p;
  float* b_panel;  // KC x NC, packed by the whole team in pc_loop

  // C[i0 : i0+mc, j0 + jr_begin*NR : ...] over NR panels [jr_begin, jr_end) of the packed panel,
  // in the order that keeps the target's kInL1 micro-panel in L1 (see blocking.hpp).
  void macro_kernel(const float* a_block, std::int64_t i0, std::int64_t mc, std::int64_t l0,
                    std::int64_t kc, std::int64_t j0, std::int64_t nc, std::int64_t jr_begin,
                    std::int64_t jr_end) const {
    const float beta = l0 == 0 ? p.beta : 1.0f;
    // The tiles of NR panel jr in rows [ir_begin, ir_end) of the A block, MR rows at a time.
    const auto tiles = [&](std::int64_t jr, std::int64_t ir_begin, std::int64_t ir_end) {
      const std::int64_t n_valid = std::min<std::int64_t>(NR, nc - jr * NR);
      const float* b = b_panel + jr * NR * kc;
      with_tile_width<Arch>(n_valid, [&](auto width) {
        constexpr int NV = decltype(width)::value;
        for (std::int64_t ir = ir_begin; ir < ir_end; ir += MR) {
          float* c = p.c + (i0 + ir) * p.ldc + j0 + jr * NR;
          run_tile<Arch, NV>(std::min<std::int64_t>(MR, mc - ir), kc,
                             PackedA<MR>{a_block + ir * kc}, b, NR,
                             WholeVector<typename T::Vector>{}, p.alpha, beta, c, p.ldc, n_valid);
        }
      });
    };
    if constexpr (T::kInL1 == InL1::b_micro_panel) {
      for (std::int64_t jr = jr_begin; jr < jr_end; ++jr) tiles(jr, 0, mc);
    } else {
      for (std::int64_t ir = 0; ir < mc; ir += MR)
        for (std::int64_t jr = jr_begin; jr < jr_end; ++jr) tiles(jr, ir, std::min(ir + MR, mc));
    }
  }

  // How many A blocks the MC x KC packing cuts op(A) into: enough for blocks of at most MC rows,
  // and a multiple of the team so that every thread gets as many (when there is more than one and
  // there are tiles enough).
  static std::int64_t a_block_count(std::int64_t m, int threads) {
    const std::int64_t blocks = ceil_div(m, T::kMc);
    return blocks > 1 ? std::min(ceil_div(blocks, threads) * threads, ceil_div(m, MR)) : blocks;
  }

  // Rows [begin, end) of A block `block` of `blocks`: whole MR tiles, shared out in proportion, so
  // that blocks (and the threads that take them) differ by at most one tile. A fixed MC step
  // rounded up to MR would not: 2048 rows on 2 threads as 16 x 132 leave one thread 1056 rows and
  // the other 992, and the second waited for the first 5 to 9 % of each 2048^3 call (perf).
  static std::pair<std::int64_t, std::int64_t> a_block_rows(std::int64_t m, std::int64_t blocks,
                                                            std::int64_t block) {
    const std::int64_t tiles = ceil_div(m, MR);
    return {tiles * block / blocks * MR, std::min(m, tiles * (block + 1) / blocks * MR)};
  }

  void ic_loop(std::int64_t l0, std::int64_t kc, std::int64_t j0, std::int64_t nc) const {
    const int threads = omp_get_num_threads();
    const std::int64_t ic_blocks = a_block_count(p.m, threads);
    const std::int64_t panels = ceil_div(nc, NR);
    // Fewer row blocks than threads (small M): also split the NR panels so every thread has work.
    const std::int64_t slices = std::min(panels, ceil_div(threads, ic_blocks));
    const std::int64_t tasks = ic_blocks * slices;
#pragma omp for schedule(static)
    for (std::int64_t task = 0; task < tasks; ++task) {
      const auto [i0, i_end] = a_block_rows(p.m, ic_blocks, task / slices);
      const std::int64_t slice = task % slices, mc = i_end - i0;
      const auto a_floats =
          static_cast<std::size_t>(ceil_div(mc, MR) * MR * kc + kPackASlack<Arch>);
      float* a_block = thread_scratch().ensure(a_floats);
      pack_a<Arch>(p, i0, mc, l0, kc, a_block);
      macro_kernel(a_block, i0, mc, l0, kc, j0, nc, panels * slice / slices,
                   panels * (slice + 1) / slices);
    }
  }

  void pc_loop(std::int64_t j0, std::int64_t nc) const {
    for (std::int64_t l0 = 0; l0 < p.k; l0 += T::kKc) {
      const std::int64_t kc = std::min(T::kKc, p.k - l0);
#pragma omp for schedule(static)
      for (std::int64_t jr = 0; jr < ceil_div(nc, NR); ++jr)
        pack_b_panel<Arch>(p, l0, kc, j0 + jr * NR, b_panel + jr * NR * kc);
      ic_loop(l0, kc, j0, nc);  // its omp for ends in a barrier before b_panel is repacked
    }
  }

  void jc_loop() const {
    for (std::int64_t j0 = 0; j0 < p.n; j0 += T::kNc) pc_loop(j0, std::min(T::kNc, p.n - j0));
  }
};

template <class Arch>
void packed_gemm(const GemmProblem& p, int threads) {
  using T = Tile<Arch>;
  const std::int64_t panel_cols = std::min(T::kNc, ceil_div(p.n, T::kNr) * T::kNr);
  float* b_panel = shared_panel().ensure(static_cast<std::size_t>(T::kKc * panel_cols));
  const std::int64_t max_tasks = ceil_div(p.m, T::kMc) * ceil_div(panel_cols, T::kNr);
  const PackedGemm<Arch> gemm{p, b_panel};
  // Always a region of its own, even of one thread: the loops' orphaned omp for would otherwise
  // bind to a caller's parallel region (k-NN calls GEMMs from one) and split its work across
  // threads that are running GEMMs of their own. Packed problems are large; the region is noise.
#pragma omp parallel num_threads(useful_threads <Arch>(p, threads, max_tasks))
  gemm.jc_loop();
}

// ---------------------------------------------------------------------------------------------
// Unpacked path: A in place; an untransposed B in place too, a ragged last vector read through a
// masked load (AVX and AVX-512); otherwise one K x NR strip packed per panel (the copy is K * NR
// floats, small next to the panel's work).

// Rows [i_begin, i_end) of the NR panel at column j0.
template <class Arch>
void unpacked_panel(const GemmProblem& p, std::int64_t j0, std::int64_t i_begin,
                    std::int64_t i_end) {
  using T = Tile<Arch>;
  using V = typename T::Vector;
  constexpr int MR = T::kMr, NR = T::kNr, W = T::kWidth;
  const std::int64_t n_valid = std::min<std::int64_t>(NR, p.n - j0);

  // The strip is as wide as the kernel that reads it: NR, or one vector for a narrow panel.
  const std::int64_t strip_width = n_valid <= W ? W : NR;
  const float* b = p.b + j0;
  std::int64_t rs_b = p.ldb;
  // SSE2 has no masked loads (its PartialVector copies through a buffer): it packs a ragged B too.
  constexpr bool kMaskedLoads = W >= 8;
  if (p.trans_b == Trans::yes || (!kMaskedLoads && n_valid < strip_width)) {
    float* strip = thread_scratch().ensure(static_cast<std::size_t>(p.k * strip_width));
    if (strip_width == NR)
      pack_b_panel<Arch, NR>(p, 0, p.k, j0, strip);
    else
      pack_b_panel<Arch, W>(p, 0, p.k, j0, strip);
    b = strip;
    rs_b = strip_width;
  }
  // Every MR-row tile of the panel, each K block in turn; a_tile(i0, l0, rows) reads op(A) there.
  const auto sweep = [&](auto width, auto a_tile, const auto& b_last) {
    constexpr int NV = decltype(width)::value;
    for (std::int64_t l0 = 0; l0 < p.k; l0 += T::kKc) {
      const std::int64_t kc = std::min(T::kKc, p.k - l0);
      const float beta = l0 == 0 ? p.beta : 1.0f;
      for (std::int64_t i0 = i_begin; i0 < i_end; i0 += MR) {
        const std::int64_t m_valid = std::min<std::int64_t>(MR, i_end - i0);
        run_tile<Arch, NV>(m_valid, kc, a_tile(i0, l0, m_valid), b + l0 * rs_b, rs_b, b_last,
                           p.alpha, beta, p.c + i0 * p.ldc + j0, p.ldc, n_valid);
      }
    }
  };
  // ... with B's last vector whole, or masked to the lanes B has (in place and ragged).
  const auto sweep_b = [&](auto width, auto a_tile) {
    constexpr int NV = decltype(width)::value;
    if (b == p.b + j0 && n_valid < strip_width)
      sweep(width, a_tile, PartialVector<V>(n_valid - (NV - 1) * W));
    else
      sweep(width, a_tile, WholeVector<V>{});
  };
  with_tile_width<Arch>(n_valid, [&](auto width) {
    if (p.trans_a == Trans::no)  // op(A)(i, k) at a[i * lda + k]
      sweep_b(width, [&](std::int64_t i0, std::int64_t l0, std::int64_t rows) {
        return RowsOfA<MR>(p.a + i0 * p.lda + l0, p.lda, rows);
      });
    else  // op(A)(i, k) at a[k * lda + i]
      sweep_b(width, [&](std::int64_t i0, std::int64_t l0, std::int64_t) {
        return ColumnsOfA{p.a + l0 * p.lda + i0, p.lda};
      });
  });
}

// The dimension of C the unpacked path divides between `threads` threads (as many as the work
// pays for): the hint's, else columns when every thread can have a whole NR panel of them (each
// then packs only its own B strips), else the dimension with more vector-wide pieces (a skinny C,
// such as a 30-unit layer's, by rows).
template <class Arch>
GemmSplit unpacked_split(const GemmProblem& p, int threads, GemmSplit hint) {
  using T = Tile<Arch>;
  if (hint != GemmSplit::automatic) return hint;
  if (ceil_div(p.n, T::kNr) >= threads) return GemmSplit::columns;
  return ceil_div(p.m, T::kWidth) >= ceil_div(p.n, T::kWidth) ? GemmSplit::rows
                                                              : GemmSplit::columns;
}

// One thread's share of C: rows [i_begin, i_end) of the NR panels from column j_begin up to C's
// last column, part.n (p itself, or p cut short so that no panel reads B's columns past the share).
struct UnpackedShare {
  GemmProblem part;
  std::int64_t j_begin, i_begin, i_end;
};

// Thread t takes one contiguous range of C's rows or columns, cut at multiples of the vector width:
// the threads' shares differ by at most one vector, and rows and columns of the same size are cut
// alike (see GemmSplit). Whole MR tiles and NR panels would leave uneven shares: 256 rows in tiles
// of 12 went to 2 threads as 132 and 124, and 784 columns in panels of 32 as 416 and 368.
template <class Arch>
void unpacked_gemm(const GemmProblem& p, int threads, GemmSplit hint) {
  using T = Tile<Arch>;
  const int wanted = useful_threads<Arch>(p, threads, std::numeric_limits<std::int64_t>::max());
  const GemmSplit split = unpacked_split<Arch>(p, wanted, hint);
  const std::int64_t size = split == GemmSplit::rows ? p.m : p.n;
  const std::int64_t pieces = ceil_div(size, T::kWidth);
  const int team = static_cast<int>(std::min<std::int64_t>(wanted, pieces));
  const auto share = [&](std::int64_t t) -> UnpackedShare {
    const std::int64_t begin = std::min(size, pieces * t / team * T::kWidth);
    const std::int64_t end = std::min(size, pieces * (t + 1) / team * T::kWidth);
    if (split == GemmSplit::rows) return {p, 0, begin, end};
    GemmProblem left_part = p;
    left_part.n = end;
    return {left_part, begin, 0, p.m};
  };
  run_tasks(team, team, [&](std::int64_t t) {
    const UnpackedShare s = share(t);
    for (std::int64_t j0 = s.j_begin; j0 < s.part.n; j0 += T::kNr)
      unpacked_panel<Arch>(s.part, j0, s.i_begin, s.i_end);
  });
}

// ---------------------------------------------------------------------------------------------

// Shape alone decides (never the target or thread count), so a call's numerics never change.
// Packing A pays when each of its elements meets many NR panels of B. At most 32 columns are
// one or two panels, where the packing is a whole extra pass over A: 256x30x784 ran 1.4x faster
// unpacked, on 1 and on 2 threads. Up to 128 columns and 5e7 flops (the training products of
// 100-unit layers) the unpacked path won by 1.05x to 1.36x on avx2 and avx512. Wider, it is
// not worth its spread: 256^3 ran 1.08x faster unpacked on avx512, but on sse2 took 740 us in
// one process and 940 in the next, and packing wins from 512^3 (docs/experiments.md#e67).
bool prefer_unpacked(const GemmProblem& p) {
  constexpr std::int64_t kSmallRows = 32, kSmallColumns = 32, kFewPanelsColumns = 128;
  constexpr double kSmallFlops = 8.0e6, kFewPanelsFlops = 5.0e7;
  const double flops =
      2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
  return p.m <= kSmallRows || p.n <= kSmallColumns || flops <= kSmallFlops ||
         (p.n <= kFewPanelsColumns && flops <= kFewPanelsFlops);
}

template <class Arch>
void simd_gemm(const GemmProblem& p, const GemmExecution& exec) {
  const bool unpacked =
      exec.path == GemmPath::unpacked || (exec.path == GemmPath::automatic && prefer_unpacked(p));
  if (unpacked)
    unpacked_gemm<Arch>(p, exec.threads, exec.split);
  else
    packed_gemm<Arch>(p, exec.threads);
}

}  // namespace
