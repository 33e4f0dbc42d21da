#include "simdml/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace simdml {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int error) {
  throw std::runtime_error("cannot write " + path.string() + ": " + what + ": " +
                           std::strerror(error));
}

// Ctrl-C (or SIGTERM, SIGHUP) while the temporary file exists must not leave it behind. The signal
// may land on any thread (OpenMP's workers do not block it), so instead of blocking it we catch it
// process-wide for the life of the temporary: the handler removes the file with async-signal-safe
// calls, puts the previous disposition back and raises the signal again, so the program ends (or
// carries on) exactly as it would have. One write at a time owns the handler.
constexpr std::array<int, 3> kInterrupts = {SIGINT, SIGTERM, SIGHUP};
char g_temp_path[4096];
volatile std::sig_atomic_t g_temp_exists = 0;
struct sigaction g_previous[kInterrupts.size()];

std::size_t interrupt_index(int signal_number) {
  std::size_t i = 0;
  while (i + 1 < kInterrupts.size() && kInterrupts[i] != signal_number) ++i;
  return i;
}

extern "C" void remove_temp_and_reraise(int signal_number) {
  if (g_temp_exists != 0) ::unlink(g_temp_path);
  ::sigaction(signal_number, &g_previous[interrupt_index(signal_number)], nullptr);
  ::raise(signal_number);
}

class InterruptCleanup {
 public:
  // A signal the process ignores (a background job's SIGINT) stays ignored: it would not end the
  // program, so it must not remove the file being written either.
  InterruptCleanup() : lock_(mutex()) {
    struct sigaction action {};
    action.sa_handler = remove_temp_and_reraise;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kInterrupts.size(); ++i) {
      ::sigaction(kInterrupts[i], nullptr, &g_previous[i]);
      installed_[i] = g_previous[i].sa_handler != SIG_IGN;
      if (installed_[i]) ::sigaction(kInterrupts[i], &action, nullptr);
    }
  }
  ~InterruptCleanup() {
    g_temp_exists = 0;
    for (std::size_t i = 0; i < kInterrupts.size(); ++i)
      if (installed_[i]) ::sigaction(kInterrupts[i], &g_previous[i], nullptr);
  }
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

  // The temporary now exists at `path` (shorter than the buffer: checked by the caller).
  void track(const std::string& path) {
    std::memcpy(g_temp_path, path.c_str(), path.size() + 1);
    g_temp_exists = 1;
  }
  void forget() { g_temp_exists = 0; }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  std::array<bool, kInterrupts.size()> installed_{};
};

// The folder the temporary file goes in, after refusing a destination that is itself a folder.
std::filesystem::path destination_folder(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "it is a directory", EISDIR);
  return path.has_parent_path() ? path.parent_path() : ".";
}

std::string temp_file_error(const std::filesystem::path& folder) {
  return "cannot create a temporary file in " + folder.string();
}

}  // namespace

void check_writable(const std::filesystem::path& path) {
  const std::filesystem::path folder = destination_folder(path);
  if (::access(folder.c_str(), W_OK | X_OK) != 0) fail(path, temp_file_error(folder), errno);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path folder = destination_folder(path);
  std::string temp_name =
      ".";  // built by appending: GCC 12 warns falsely on "literal" + string (PR 105651)
  temp_name += path.filename().string();
  temp_name += ".tmp-XXXXXX";
  std::string temp = (folder / temp_name).string();
  if (temp.size() >= sizeof g_temp_path) fail(path, "the path is too long", ENAMETOOLONG);
  InterruptCleanup interrupts;
  const int fd = mkstemp(temp.data());
  if (fd < 0) fail(path, temp_file_error(folder), errno);
  interrupts.track(temp);
  const auto give_up = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, error);
  };
  for (std::size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) give_up("write failed");
    written += static_cast<std::size_t>(n);
  }
  // mkstemp creates 0600; give the file the permissions a plain create would have.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) give_up("chmod failed");
  if (::fsync(fd) != 0) give_up("fsync failed");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "close failed", error);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "rename failed", error);
  }
  interrupts.forget();  // renamed: the handler must not remove what is now the destination's name
}

}  // namespace simdml
