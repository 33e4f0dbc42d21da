// simdml run: the main job. Runs the reproducible accuracy runs and a benchmark set as separate
// programs (see run_stages.cpp), shows their progress, keeps their logs, and finishes with the
// report: results.json, report.md and the plots, in one results folder.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <tuple>
#include <utility>

#include "cli/command.hpp"
#include "cli/json.hpp"
#include "cli/report.hpp"
#include "cli/run_stages.hpp"
#include "cli/subprocess.hpp"
#include "simdml/atomic_file.hpp"
#include "simdml/interference.hpp"

namespace simdml::cli {
namespace {

namespace fs = std::filesystem;

struct StageOutcome {
  int status = 0;
  double seconds = 0.0;
  std::string summary;  // the stage's summary line, its output file, or its last line
  Interference load;    // what else the machine did meanwhile (the stage's own threads: all)
};

// stages.json: each finished stage's name, exit status, seconds and interference, rewritten after
// every stage so that the report (the last stage) reads all before it.
std::string stages_json(const std::vector<std::pair<std::string, StageOutcome>>& done) {
  Json j;
  j.begin_object().key("stages").begin_array();
  for (const auto& [name, outcome] : done) {
    j.begin_object().field("name", name).field("status", outcome.status);
    j.field("seconds", outcome.seconds);
    write_interference(j, "interference", outcome.load);
    j.end_object();
  }
  j.end_array().end_object();
  return j.str();
}

// One line that the running stage's latest output overwrites on a terminal; silent otherwise.
class StatusLine {
 public:
  StatusLine() : terminal_(isatty(STDOUT_FILENO) != 0) {
    winsize size{};
    if (terminal_ && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
      width_ = size.ws_col - 1;
  }
  void show(std::string_view prefix, std::string_view text) {
    if (!terminal_) return;
    std::string line = std::string(prefix) + std::string(text);
    if (line.size() > width_) line.resize(width_);
    std::printf("\r\033[K%s", line.c_str());
    std::fflush(stdout);
  }
  void clear() {
    if (terminal_) std::printf("\r\033[K");
  }

 private:
  bool terminal_;
  std::size_t width_ = 100;
};

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

StageOutcome run_stage(const Stage& stage, const fs::path& log_path, std::string_view prefix,
                       StatusLine& status, int threads) {
  std::ofstream log(log_path);
  log << "$";
  for (const auto& [name, value] : stage.environment) log << ' ' << name << '=' << value;
  for (const std::string& word : stage.argv) log << ' ' << word;
  log << "\n";
  StageOutcome outcome;
  std::string last;
  const auto start = std::chrono::steady_clock::now();
  const InterferenceProbe probe;
  outcome.status = run_program(stage.argv, stage.environment, [&](std::string_view line) {
    log << line << '\n';
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) return;
    last = line;
    if (!stage.summary_prefix.empty() && line.starts_with(stage.summary_prefix))
      outcome.summary = line;
    status.show(prefix, line);
  });
  outcome.seconds = seconds_since(start);
  outcome.load = probe.stop(threads);
  if (stage.summary_prefix.empty() && !stage.output.empty())
    outcome.summary = "wrote " + stage.output;
  if (outcome.summary.empty()) outcome.summary = last;
  return outcome;
}

// The log's last lines, shown when a stage fails.
void print_log_tail(const fs::path& log_path, std::size_t lines) {
  std::ifstream in(log_path);
  std::vector<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.erase(tail.begin());
  }
  for (const std::string& line : tail) std::printf("      | %s\n", line.c_str());
}

// MNIST when the data root has it, else Fashion-MNIST (also from Debian's package); the second
// string says why, for the header line.
std::pair<std::string, std::string> choose_dataset(const Arguments& args) {
  if (const auto name = args.get("dataset")) {
    if (*name != "mnist" && *name != "fashion-mnist")
      throw UsageError("--dataset must be mnist or fashion-mnist");
    return {*name, "as asked"};
  }
  const fs::path root = resolve_data_root(args.get("data"));
  if (dataset_available("mnist", root)) return {"mnist", "found under " + root.string()};
  if (dataset_available("fashion-mnist", root))
    return {"fashion-mnist", "no MNIST under " + root.string() + ", so Fashion-MNIST"};
  throw UsageError("no dataset found: neither " + (root / "mnist").string() +
                   " nor Fashion-MNIST (apt install dataset-fashion-mnist); run scripts/setup.sh, "
                   "or point --data or "
                   "SIMDML_DATA at a folder holding mnist/");
}

// The history database must be a regular SQLite file (or a new one) in a writable folder: found
// out before the hour-long run whose results it is to record, not after.
void check_history_option(const std::string& path) {
  if (path.empty()) throw UsageError("--history needs a file name");
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status))
    throw UsageError("--history " + path + " is a directory, not a history database");
  if (fs::exists(status) && !fs::is_regular_file(status))
    throw UsageError("--history " + path +
                     " is not a regular file (a history database is an SQLite file)");
  check_writable(path);
}

bool have_valgrind() { return std::system("command -v valgrind >/dev/null 2>&1") == 0; }

RunSettings run_settings(const Arguments& args) {
  RunSettings s;
  if (args.has("quick") && args.has("full"))
    throw UsageError("--quick and --full exclude each other");
  s.mode = args.has("quick")  ? RunMode::quick
           : args.has("full") ? RunMode::full
                              : RunMode::standard;
  std::tie(s.dataset, s.dataset_choice) = choose_dataset(args);
  s.data_root = args.get("data");
  s.threads = thread_option(args);
  s.automatic_threads = automatic_threads(args);
  // The committed accuracy baselines hold avx2 results; a CPU without avx2 runs its best target.
  s.accuracy_isa =
      std::string(isa_name(isa_supported(Isa::avx2) ? Isa::avx2 : best_supported_isa()));
  s.out = args.get_or("out", "results/" + timestamp());
  if (s.out.empty()) throw UsageError("--out needs a folder name");
  s.installation = locate_installation();
  if (const auto only = args.get("only")) {
    s.accuracy = s.benchmarks = s.instructions = s.report = false;
    for (std::string_view part : split_list(*only)) {
      if (part == "accuracy")
        s.accuracy = true;
      else if (part == "benchmarks")
        s.benchmarks = true;
      else if (part == "instructions")
        s.instructions = true;
      else if (part == "report")
        s.report = true;
      else
        throw UsageError(
            "--only takes a list of accuracy, benchmarks, instructions, report; got '" + *only +
            "'");
    }
  }
  if (const auto suites = args.get("suites")) {
    const std::vector<std::string> known = benchmark_suites();
    for (std::string_view part : split_list(*suites)) {
      if (std::find(known.begin(), known.end(), part) == known.end()) {
        std::string names;
        for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
        throw UsageError("--suites takes a list of " + names + "; got '" + std::string(part) + "'");
      }
      s.suites.emplace_back(part);
    }
  }
  if (!s.suites.empty() && !s.benchmarks)
    throw UsageError("--suites picks benchmark programs: --only must include benchmarks");
  s.history = args.get("history");
  if (s.history && !s.report)
    throw UsageError("--history records the report's results.json: --only must include report");
  if (s.history) check_history_option(*s.history);
  if (s.mode == RunMode::quick && !args.get("only")) {
    s.instructions = false;  // they take a minute; --only instructions still asks for them
    std::printf("skipping instruction counts: --quick\n");
  }
  return s;
}

// Instruction counts need valgrind and an avx2 CPU.
void drop_unavailable_stages(RunSettings& s) {
  if (!s.instructions) return;
  std::string why;
  if (!have_valgrind())
    why = "valgrind is not installed";
  else if (!isa_supported(Isa::avx2))
    why = "the CPU has no avx2 (the counted target)";
  if (why.empty()) return;
  s.instructions = false;
  std::printf("skipping instruction counts: %s\n", why.c_str());
}

void prepare_folder(const fs::path& out) {
  std::error_code ec;
  const fs::file_status status = fs::status(out, ec);  // a link to a folder is that folder
  if (fs::exists(status) && !fs::is_directory(status))
    throw UsageError("--out " + out.string() + " is not a folder");
  if (fs::exists(status) && !fs::is_empty(out, ec))
    throw UsageError("results folder " + out.string() +
                     " already exists and is not empty; choose another --out");
  fs::create_directories(out / "accuracy");
  fs::create_directories(out / "logs");
}

const char* mode_name(RunMode mode) {
  return mode == RunMode::quick ? "quick" : mode == RunMode::full ? "full" : "standard";
}

}  // namespace

int run_main_job(const Arguments& args) {
  RunSettings settings = run_settings(args);
  drop_unavailable_stages(settings);
  prepare_folder(settings.out);
  const std::vector<Stage> stages = plan_stages(settings);
  std::printf(
      "simdml run (%s): dataset %s (%s), %d %s, accuracy runs on the %s target; results in %s\n",
      mode_name(settings.mode), settings.dataset.c_str(), settings.dataset_choice.c_str(),
      settings.threads, settings.threads == 1 ? "thread" : "threads", settings.accuracy_isa.c_str(),
      settings.out.c_str());
  std::fflush(stdout);

  StatusLine status;
  std::vector<std::string> failed;
  std::vector<std::pair<std::string, StageOutcome>> done;
  std::error_code ec;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Stage& stage = stages[i];
    const std::string prefix =
        "[" + std::to_string(i + 1) + "/" + std::to_string(stages.size()) + "] ";
    std::printf("%s%s\n", prefix.c_str(), stage.title.c_str());
    std::fflush(stdout);
    const fs::path log = settings.out / "logs" / (stage.name + ".log");
    const StageOutcome outcome = run_stage(stage, log, prefix, status, settings.threads);
    status.clear();
    done.emplace_back(stage.name, outcome);
    write_file_atomically(settings.out / "stages.json", stages_json(done));
    // A results folder holds only complete files: what a failed or interrupted stage began goes.
    if (outcome.status != 0 && !stage.output.empty()) fs::remove(settings.out / stage.output, ec);
    if (interrupted()) {
      std::fprintf(stderr,
                   "simdml run: interrupted during '%s'; %s holds the %zu stages completed\n",
                   stage.name.c_str(), settings.out.c_str(), outcome.status == 0 ? i + 1 : i);
      return 130;
    }
    if (outcome.status == 0) {
      std::printf(
          "      %.1f s  %s%s\n", outcome.seconds, outcome.summary.c_str(),
          outcome.load.disturbed() ? ("  [machine " + outcome.load.describe() + "]").c_str() : "");
    } else {
      std::printf("      FAILED (exit status %d) after %.1f s; the end of %s:\n", outcome.status,
                  outcome.seconds, log.c_str());
      print_log_tail(log, 15);
      failed.push_back(stage.name);
    }
    std::fflush(stdout);
  }
  std::printf("done in %.0f s; results in %s%s\n", seconds_since(start), settings.out.c_str(),
              settings.report ? (", report " + (settings.out / "report.md").string()).c_str() : "");
  if (failed.empty()) return 0;
  std::string names;
  for (const auto& n : failed) names += (names.empty() ? "" : ", ") + n;
  std::fprintf(stderr, "simdml run: %zu stage(s) failed: %s (logs in %s)\n", failed.size(),
               names.c_str(), (settings.out / "logs").c_str());
  return 1;
}

}  // namespace simdml::cli
