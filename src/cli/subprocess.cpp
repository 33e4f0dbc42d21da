#include "cli/subprocess.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace simdml::cli {
namespace {

// Our environment with `extra` set on top (replacing variables of the same name).
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!extra.contains(std::string(entry.substr(0, entry.find('='))))) out.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads the pipe to its end, handing over each complete line (and a last unterminated one).
void read_lines(int fd, const std::function<void(std::string_view)>& on_line) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      on_line(std::string_view(pending).substr(start, nl - start));
    pending.erase(0, start);
  }
  if (!pending.empty()) on_line(pending);
}

volatile std::sig_atomic_t g_child = 0;
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void forward_interrupt(int signal_number) {
  g_interrupted = 1;
  if (g_child > 0) kill(static_cast<pid_t>(g_child), signal_number);
}

// Forwarding handlers for the life of one child; the previous dispositions come back after.
class ForwardInterrupts {
 public:
  // A signal we ignore (a background job's SIGINT) stays ignored, for us and for the child.
  explicit ForwardInterrupts(pid_t child) {
    g_child = child;
    struct sigaction action {};
    action.sa_handler = forward_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < kForwarded.size(); ++i) {
      sigaction(kForwarded[i], nullptr, &previous_[i]);
      if (previous_[i].sa_handler != SIG_IGN) sigaction(kForwarded[i], &action, nullptr);
    }
  }
  ~ForwardInterrupts() {
    for (std::size_t i = 0; i < kForwarded.size(); ++i)
      sigaction(kForwarded[i], &previous_[i], nullptr);
    g_child = 0;
  }
  ForwardInterrupts(const ForwardInterrupts&) = delete;
  ForwardInterrupts& operator=(const ForwardInterrupts&) = delete;

 private:
  static constexpr std::array<int, 2> kForwarded = {SIGINT, SIGTERM};
  std::array<struct sigaction, 2> previous_{};
};

}  // namespace

bool interrupted() { return g_interrupted != 0; }

int run_program(const std::vector<std::string>& argv,
                const std::map<std::string, std::string>& environment,
                const std::function<void(std::string_view)>& on_line) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::vector<std::string> args = argv, env = merged_environment(environment);
  std::vector<char*> c_args = c_strings(args), c_env = c_strings(env);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (error != 0) {
    close(pipe_fds[0]);
    throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(error));
  }
  const ForwardInterrupts forward(pid);
  read_lines(pipe_fds[0], on_line);
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace simdml::cli
