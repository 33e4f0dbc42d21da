// simdml: one program, one subcommand per job. Each subcommand parses its arguments, calls the
// library and prints; this file only routes and turns errors into messages and exit codes.
#include <cstdio>
#include <cstdlib>

#include <unistd.h>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>

#include "cli/command.hpp"
#include "cli/job.hpp"
#include "simdml/network.hpp"
#ifdef SIMDML_WITH_MPI
#include "cluster/mpi_cluster.hpp"
#endif

namespace {

using simdml::cli::Command;
using simdml::cli::Option;

constexpr Option kIsa{"isa", "sse2|avx2|avx512"}, kThreads{"threads", "N|auto"},
    kJson{"json", "FILE"}, kData{"data", "DIR"}, kGemm{"gemm", "naive|blocked|simd"},
    kFlush{"flush-denormals", ""};

constexpr Option kInfoOptions[] = {kIsa, kThreads, kJson};

constexpr Option kTrainOptions[] = {
    {"dataset", "mnist|fashion-mnist|iris"},
    kData,
    {"layers", "784,30,10"},
    {"activation", "sigmoid|tanh|relu[,...]"},
    {"loss", "quadratic|cross-entropy"},
    {"init", "normal|xavier|he"},
    {"epochs", "30"},
    {"batch", "10"},
    {"eta", "3.0"},
    {"momentum", "0"},
    {"l2", "0"},
    {"seed", "1"},
    {"validation", "FRACTION"},
    {"train-limit", "N"},
    {"test-limit", "N"},
    {"save", "MODEL.npz"},
    kJson,
    {"optimizer", "sgd|adam"},
    {"beta1", "0.9"},
    {"beta2", "0.999"},
    {"epsilon", "1e-8"},
    kThreads,
    kGemm,
    kIsa,
    kFlush,
    {"slices", "S"},
};

constexpr Option kEvaluateOptions[] = {
    {"model", "MODEL.npz"},
    {"dataset", "mnist|fashion-mnist|iris"},
    kData,
    {"split", "test|train"},
    {"limit", "N"},
    kJson,
    kThreads,
    kGemm,
    kIsa,
    kFlush,
};

constexpr Option kPredictOptions[] = {
    {"model", "MODEL.npz"},
    {"dataset", "mnist|fashion-mnist|iris"},
    kData,
    {"split", "test|train"},
    {"index", "I"},
    kIsa,
};

constexpr Option kKnnOptions[] = {
    {"dataset", "mnist|fashion-mnist|iris"},
    kData,
    {"k", "1,3,5,7|1-31"},
    {"weights", "uniform|distance"},
    {"ties", "nearest|lowest-class"},
    {"variant", "auto|naive|blocked|int8|pruned|adaptive|KERNEL"},
    {"cv", "FOLDS"},
    {"seed", "1"},
    {"train-limit", "N"},
    {"test-limit", "N"},
    kJson,
    {"plot", "FILE.svg"},
    {"plot-features", "3,4"},
    {"plot-k", "K"},
    kThreads,
    kIsa,
    {"shard", "training|queries"},
};

constexpr Option kRunOptions[] = {
    {"quick", ""},
    {"full", ""},
    {"out", "DIR"},
    {"dataset", "mnist|fashion-mnist"},
    kData,
    kThreads,
    {"only", "accuracy,benchmarks,instructions,report"},
    {"suites", "gemm_bench,..."},
    {"history", "FILE"},
};

constexpr Command kCommands[] = {
    {"info", "print the CPU, the SIMD target and thread count the kernels use, and versions",
     kInfoOptions, "", simdml::cli::run_info},
    {"train",
     "train a fully-connected network with mini-batch SGD (defaults: Nielsen's network.py)",
     kTrainOptions,
     "(under mpirun -np N: --slices S >= N cuts every mini-batch into S slices, shared by the "
     "ranks)",
     simdml::cli::run_train},
    {"evaluate", "accuracy and confusion matrix of a saved model on a dataset", kEvaluateOptions,
     "", simdml::cli::run_evaluate},
    {"predict", "classify one sample with a saved model and draw it", kPredictOptions, "",
     simdml::cli::run_predict},
    {"knn", "exact k-nearest-neighbour classification: accuracy per k, or k-fold cross-validation",
     kKnnOptions, "(under mpirun: --shard says what the ranks share)", simdml::cli::run_knn},
    {"run",
     "the main job: accuracy runs, benchmarks and instruction counts into a results folder with a "
     "report",
     kRunOptions, "", simdml::cli::run_main_job},
    {"history",
     "regression tracking: record runs, find change points, draw the trends, export",
     {},
     "add|list|check|report|export ... (simdml history --help lists every option)",
     nullptr,
     simdml::cli::run_history},
};

void print_help() {
  std::printf("simdml %s - fast, reproducible classic ML kernels on the CPU\n\n", SIMDML_VERSION);
  std::printf("usage: simdml <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands)
    std::printf("  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                static_cast<int>(c.summary.size()), c.summary.data());
  std::printf(
      "\nenvironment: SIMDML_ISA caps the SIMD target; OMP_NUM_THREADS sets the default "
      "thread count;\nSIMDML_FLUSH_DENORMALS=1 flushes denormals to zero (as "
      "--flush-denormals).\n");
}

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

// Under mpirun: MPI's world, and rank 0 alone prints to stdout (one report, not one per rank).
std::unique_ptr<simdml::Cluster> open_job(int& argc, char**& argv) {
  const int launched = simdml::launcher_world_size();
  std::unique_ptr<simdml::Cluster> world;
#ifdef SIMDML_WITH_MPI
  if (launched > 0) world = simdml::open_mpi_world(argc, argv);
#else
  (void)argc, (void)argv;
  if (launched > 1) {
    std::fprintf(stderr,
                 "simdml: started by an MPI launcher as one of %d processes, but this build has no "
                 "MPI (install libopenmpi-dev and rebuild)\n",
                 launched);
    std::exit(2);
  }
#endif
  simdml::cli::set_job(world ? *world : simdml::single_process());
  if (simdml::cli::job().rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr)
    std::fclose(stdout);
  return world;
}

// An error on some ranks only would leave the others waiting in their next collective: such a
// rank reports itself and ends the whole job.
[[noreturn]] void abort_job(const char* command, const char* what, int status) {
  simdml::Cluster& job = simdml::cli::job();
  std::fprintf(stderr, "simdml %s: error on rank %d of %d: %s\n", command, job.rank(), job.size(),
               what);
  std::fflush(stderr);
  job.abort(status);
  std::_Exit(status);  // abort does not return; the call through the interface hides that from GCC
}

}  // namespace

int main(int argc, char** argv) {
  // libgomp's idle threads spin up to 300,000 rounds before they sleep. Where another process
  // holds a core, such a thread takes time from the one doing the work (docs/experiments.md#e77).
  // The library reads the variable when it loads, before main, so set it and start again.
  if (std::getenv("GOMP_SPINCOUNT") == nullptr && std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("GOMP_SPINCOUNT", "10000", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
  }
  const std::unique_ptr<simdml::Cluster> world = open_job(argc, argv);
  const bool reports = simdml::cli::writes_outputs();
  const std::span<char*> words(argv, static_cast<std::size_t>(argc));
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  const Command* command = find_command(argv[1]);
  if (command == nullptr) {
    if (reports)
      std::fprintf(stderr, "simdml: unknown command '%s' (try simdml --help)\n", argv[1]);
    return 2;
  }
  const std::vector<std::string_view> words_after(words.begin() + 2, words.end());
  try {
    if (command->run_words != nullptr) return command->run_words(words_after);
    for (std::string_view a : words_after) {
      if (a == "--help" || a == "-h") {
        std::printf("usage: %s\n", command->usage().c_str());
        return 0;
      }
    }
    return command->run(simdml::cli::Arguments(words_after, command->options));
  } catch (const simdml::cli::UsageError& e) {  // the same words give every rank the same error
    if (reports)
      std::fprintf(stderr, "simdml %s: %s\nusage: %s\n", argv[1], e.what(),
                   command->usage().c_str());
    return 2;
  } catch (const simdml::cli::JobMismatch& e) {
    if (reports) std::fprintf(stderr, "simdml %s: error: %s\n", argv[1], e.what());
    return 1;
  } catch (const simdml::TrainingDiverged& e) {  // every rank holds the same weights and loss
    if (reports) std::fprintf(stderr, "simdml %s: error: %s\n", argv[1], e.what());
    return 1;
  } catch (const std::exception& e) {
    if (simdml::cli::job().distributed()) abort_job(argv[1], e.what(), 1);
    std::fprintf(stderr, "simdml %s: error: %s\n", argv[1], e.what());
    return 1;
  }
}
