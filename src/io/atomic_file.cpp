#include "simdml/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
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

// Where an output path leads: a file to create or replace (links followed), one of the program's
// own standard streams, or a device or FIFO to write in place.
struct Destination {
  enum class Kind { file, stream, in_place } kind = Kind::file;
  std::filesystem::path path;  // for a file: the name the rename lands on, links resolved
  int stream = -1;             // for a stream: its descriptor
  bool exists = false;         // for a file: whether it exists (and `mode` is its permissions)
  mode_t mode = 0;
};

// A path that does not exist yet, through any dangling links: the name a new file takes.
std::filesystem::path follow_links(const std::filesystem::path& path) {
  std::filesystem::path at = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(at, ec))) return at;
    const std::filesystem::path target = std::filesystem::read_symlink(at, ec);
    if (ec) fail(path, "cannot read the link " + at.string(), ec.value());
    at = target.is_absolute() ? target : at.parent_path() / target;
  }
  fail(path, "too many levels of symbolic links", ELOOP);
}

// The standard output or error when `st` is the file behind it, else -1.
int standard_stream_of(const struct stat& st) {
  for (const int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    struct stat s {};
    if (::fstat(fd, &s) == 0 && s.st_dev == st.st_dev && s.st_ino == st.st_ino) return fd;
  }
  return -1;
}

Destination resolve(const std::filesystem::path& path) {
  if (path.empty()) fail(path, "the path is empty", ENOENT);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(path, "cannot examine it", errno);
    return {Destination::Kind::file, follow_links(path)};
  }
  if (S_ISDIR(st.st_mode)) fail(path, "it is a directory", EISDIR);
  if (const int fd = standard_stream_of(st); fd >= 0) return {Destination::Kind::stream, path, fd};
  if (S_ISREG(st.st_mode)) {
    std::error_code ec;
    const std::filesystem::path real = std::filesystem::canonical(path, ec);
    if (ec) fail(path, "cannot resolve its links", ec.value());
    return {Destination::Kind::file, real, -1, true, st.st_mode & 07777};
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) return {Destination::Kind::in_place, path};
  fail(path, "it is a block device or a socket, not a file to write", EINVAL);
}

std::filesystem::path folder_of(const std::filesystem::path& file) {
  return file.has_parent_path() ? file.parent_path() : ".";
}

std::string temp_file_error(const std::filesystem::path& folder) {
  return "cannot create a temporary file in " + folder.string();
}

// Every byte, through short writes and interruptions; false with errno set on failure.
bool write_all(int fd, std::string_view bytes) {
  for (std::size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    written += static_cast<std::size_t>(n);
  }
  return true;
}

// A device or FIFO, opened without blocking so that a FIFO nobody reads fails instead of waiting.
void write_in_place(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == ENXIO) fail(path, "it is a FIFO that no process is reading", ENXIO);
  if (fd < 0) fail(path, "cannot open it for writing", errno);
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || !write_all(fd, bytes)) {
    const int error = errno;
    ::close(fd);
    fail(path, "write failed", error);
  }
  if (::close(fd) != 0) fail(path, "close failed", errno);
}

void write_to_stream(const std::filesystem::path& path, int fd, std::string_view bytes) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (!write_all(fd, bytes)) fail(path, "write failed", errno);
}

void replace_file(const std::filesystem::path& path, const Destination& to,
                  std::string_view bytes) {
  const std::filesystem::path folder = folder_of(to.path);
  std::string temp_name =
      ".";  // built by appending: GCC 12 warns falsely on "literal" + string (PR 105651)
  temp_name += to.path.filename().string();
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
  if (!write_all(fd, bytes)) give_up("write failed");
  // mkstemp creates 0600: a replaced file keeps its permissions, a new one gets a plain create's.
  mode_t mode = to.mode;
  if (!to.exists) {
    mode = ::umask(0);
    ::umask(mode);
    mode = 0666 & ~mode;
  }
  if (::fchmod(fd, mode) != 0) give_up("chmod failed");
  if (::fsync(fd) != 0) give_up("fsync failed");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "close failed", error);
  }
  if (std::rename(temp.c_str(), to.path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "rename failed", error);
  }
  interrupts.forget();  // renamed: the handler must not remove what is now the destination's name
}

}  // namespace

void check_writable(const std::filesystem::path& path) {
  const Destination to = resolve(path);
  if (to.kind == Destination::Kind::in_place && ::access(path.c_str(), W_OK) != 0)
    fail(path, "cannot open it for writing", errno);
  if (to.kind != Destination::Kind::file) return;
  const std::filesystem::path folder = folder_of(to.path);
  if (::access(folder.c_str(), W_OK | X_OK) != 0) fail(path, temp_file_error(folder), errno);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const Destination to = resolve(path);
  switch (to.kind) {
    case Destination::Kind::stream:
      return write_to_stream(path, to.stream, bytes);
    case Destination::Kind::in_place:
      return write_in_place(path, bytes);
    case Destination::Kind::file:
      return replace_file(path, to, bytes);
  }
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  std::error_code ea, eb;
  const auto ra = std::filesystem::weakly_canonical(follow_links(a), ea),
             rb = std::filesystem::weakly_canonical(follow_links(b), eb);
  return !ea && !eb && ra == rb;
}

}  // namespace simdml
