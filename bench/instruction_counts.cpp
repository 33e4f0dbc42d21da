// Fixed workloads for the instruction-count gate (simdml_run.icount_gate). Each workload runs one
// kernel on fixed data, once to warm up (first-call allocations, dispatch), then once between
// CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT(name), so callgrind counts exactly that call.
// Instruction counts do not depend on load, frequency or neighbours, so CI can gate on them
// tightly where wall-clock times drift by 10 %.
//
// Everything runs on one thread on the avx2 target (valgrind has no AVX-512; its emulated CPU is
// the same on every host, so counts agree across machines with the same build). Outside valgrind
// the macros do nothing and the program is a quick smoke test of the workloads.
//
//   instruction_counts [--list] [NAME...]     # all workloads, or those named
#include <valgrind/callgrind.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "simdml/activations.hpp"
#include "simdml/gemm.hpp"
#include "simdml/knn.hpp"
#include "simdml/network.hpp"
#include "simdml/random.hpp"
#include "synthetic_images.hpp"

namespace {

using namespace simdml;
using simdml::bench::synthetic_images;

struct Workload {
  std::string name;
  std::function<void()> run;
};

std::vector<float> random_floats(std::size_t n, std::uint64_t seed, double low = -1.0,
                                 double high = 1.0) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(low + (high - low) * rng.uniform());
  return v;
}

// C = A op(B) on fixed operands; the buffers live as long as the workload.
Workload gemm_workload(std::string kernel, Trans ta, Trans tb, std::int64_t m, std::int64_t n,
                       std::int64_t k) {
  auto a = std::make_shared<std::vector<float>>(random_floats(static_cast<std::size_t>(m * k), 1));
  auto b = std::make_shared<std::vector<float>>(random_floats(static_cast<std::size_t>(k * n), 2));
  auto c = std::make_shared<std::vector<float>>(static_cast<std::size_t>(m * n));
  const std::string shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
                            (ta == Trans::yes ? "T" : "N") + (tb == Trans::yes ? "T" : "N");
  return {"gemm/" + kernel + "/" + shape, [=] {
            GemmProblem p;
            p.trans_a = ta, p.trans_b = tb, p.m = m, p.n = n, p.k = k;
            p.a = a->data(), p.lda = ta == Trans::yes ? m : k;
            p.b = b->data(), p.ldb = tb == Trans::yes ? k : n;
            p.c = c->data(), p.ldc = n;
            sgemm(gemm_kernel(kernel), p);
          }};
}

std::vector<Workload> activation_workloads() {
  constexpr std::size_t n = 100'000;
  auto x = std::make_shared<std::vector<float>>(random_floats(n, 3, -20.0, 20.0));
  auto y = std::make_shared<std::vector<float>>(n);
  const ElementwiseKernels& k = activation_kernels("simd-avx2");
  return {
      {"activation/exp/100000", [=, &k] { k.exp(x->data(), y->data(), n); }},
      {"activation/sigmoid/100000", [=, &k] { k.sigmoid(x->data(), y->data(), n); }},
      {"activation/tanh/100000", [=, &k] { k.tanh(x->data(), y->data(), n); }},
      {"activation/relu/100000", [=, &k] { k.relu(x->data(), y->data(), n); }},
      {"activation/softmax/10000x10",
       [=, &k] { k.softmax_rows(x->data(), y->data(), n / 10, 10); }},
  };
}

// One epoch of Nielsen's network on 500 samples: forward, backward and update through the
// dispatched kernels (the gate forces avx2). Each run starts from the same initial weights, copied
// (drawing them is not what we count).
Workload training_workload() {
  auto data = std::make_shared<Dataset>(synthetic_images(500, 4));
  auto initial = std::make_shared<Network>(
      make_network({784, 30, 10}, {Activation::sigmoid}, Loss::quadratic, Init::normal, 1));
  return {"train/784-30-10/b10/500-samples", [data, initial] {
            Network net = *initial;
            Rng shuffle(1, kShuffleStream);
            Trainer(net, TrainingOptions{}, Compute{}).epoch(*data, shuffle);
          }};
}

Workload knn_workload(std::string kernel) {
  auto train = std::make_shared<Dataset>(synthetic_images(1000, 5));
  auto queries = std::make_shared<Dataset>(synthetic_images(50, 6));
  return {"knn/" + kernel + "/1000x50/k7", [=] {
            find_neighbors(knn_kernel(kernel), *train, *queries, KnnSearch{7, 1});
          }};
}

std::vector<Workload> workloads() {
  std::vector<Workload> all = {
      gemm_workload("simd-avx2", Trans::no, Trans::no, 256, 256, 256),  // packed path
      gemm_workload("simd-avx2", Trans::no, Trans::yes, 100, 30,
                    784),  // unpacked: a training forward pass
      gemm_workload("simd-avx2", Trans::yes, Trans::no, 784, 100, 100),  // a weight gradient
      gemm_workload("blocked", Trans::no, Trans::no, 128, 128, 128),
      gemm_workload("naive", Trans::no, Trans::no, 64, 64, 64),
  };
  for (Workload& w : activation_workloads()) all.push_back(std::move(w));
  all.push_back(training_workload());
  all.push_back(knn_workload("int8-avx2"));
  all.push_back(knn_workload("blocked"));
  return all;
}

bool selected(const std::string& name, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  for (const auto& w : wanted)
    if (w == name) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> wanted(argv + 1, argv + argc);
  const bool list = !wanted.empty() && wanted.front() == "--list";
  if (!list && active_isa() != Isa::avx2) {
    std::fprintf(stderr,
                 "instruction_counts: the counted target is avx2, but the kernels would run %s "
                 "(run with SIMDML_ISA=avx2 on a CPU with AVX2)\n",
                 std::string(isa_name(active_isa())).c_str());
    return 77;  // "skipped": this CPU cannot run what is counted
  }
  if (!list)
    std::printf("compiler GCC %s, simd target %s\n", __VERSION__,
                std::string(isa_name(active_isa())).c_str());
  try {
    for (const Workload& w : workloads()) {
      if (list) {
        std::printf("%s\n", w.name.c_str());
        continue;
      }
      if (!selected(w.name, wanted)) continue;
      w.run();  // warm-up: first-call allocations and lazy set-up are not what we count
      CALLGRIND_ZERO_STATS;
      w.run();
      CALLGRIND_DUMP_STATS_AT(w.name.c_str());
      std::printf("ran %s\n", w.name.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "instruction_counts: %s\n", e.what());
    return 1;
  }
  return 0;
}
