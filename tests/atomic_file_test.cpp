// Writing outputs (simdml/atomic_file.hpp): a regular file is replaced whole or not at all, and
// nothing that should be written into is replaced instead -- a link, a device, a FIFO, the
// program's own standard output. Nothing is ever left behind, also when a signal interrupts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <string>

#include "simdml/atomic_file.hpp"
#include "temp_dir.hpp"

namespace simdml {
namespace {

namespace fs = std::filesystem;
using testing::read_bytes;
using testing::TempDir;

std::string write_error(const fs::path& path, std::string_view bytes = "new") {
  try {
    write_file_atomically(path, bytes);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AtomicFile, ReplacesARegularFileWholeAndKeepsItsPermissions) {
  TempDir dir;
  const auto file = dir.write("out.json", std::string(100000, 'x'));
  ASSERT_EQ(chmod(file.c_str(), 0640), 0);
  write_file_atomically(file, "new");
  EXPECT_EQ(read_bytes(file), "new");
  EXPECT_EQ(fs::status(file).permissions(), fs::perms(0640));
  EXPECT_EQ(dir.file_count(), 1u);
}

// latest.json -> runs/1.json: the run lands in runs/1.json, and latest.json stays the link.
TEST(AtomicFile, FollowsALinkAndKeepsIt) {
  TempDir dir;
  fs::create_directory(dir / "runs");
  const auto target = dir.write("runs/1.json", "old");
  fs::create_symlink("runs/1.json", dir / "latest.json");
  write_file_atomically(dir / "latest.json", "new");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "latest.json")));
  EXPECT_EQ(read_bytes(target), "new");
  EXPECT_EQ(dir.file_count(), 2u);  // runs/ and the link: no temporary
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "runs"), {}), 1);
}

TEST(AtomicFile, ALinkToNothingYetCreatesItsTarget) {
  TempDir dir;
  fs::create_directory(dir / "runs");
  fs::create_symlink(dir / "runs" / "2.json", dir / "latest.json");
  write_file_atomically(dir / "latest.json", "new");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "latest.json")));
  EXPECT_EQ(read_bytes(dir / "runs" / "2.json"), "new");
}

// A character device is written into, never replaced (as root, --json /dev/null would otherwise
// replace the system's /dev/null with a regular file).
TEST(AtomicFile, WritesIntoACharacterDevice) {
  TempDir dir;
  fs::path device = dir / "null";
  if (mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    device = "/dev/null";  // not root: /dev is not writable, so a wrong rename would fail too
  write_file_atomically(device, "into the device");
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(device)));
  check_writable(device);
  if (device != "/dev/null") {
    EXPECT_EQ(dir.file_count(), 1u);
  }
}

TEST(AtomicFile, WritesIntoAFifoThatIsRead) {
  TempDir dir;
  const auto fifo = dir / "pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] { return read_bytes(fifo); });
  std::string error;
  // The reader may not have opened its end yet: a FIFO without one is refused, so try again.
  for (int attempt = 0; attempt < 200; ++attempt) {
    error = write_error(fifo, "through the pipe");
    if (error == "(no error)") break;
    usleep(10000);
  }
  EXPECT_EQ(error, "(no error)");
  EXPECT_EQ(reader.get(), "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_EQ(dir.file_count(), 1u);
}

TEST(AtomicFile, AFifoNobodyReadsIsAnErrorNotAWait) {
  TempDir dir;
  const auto fifo = dir / "pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string message = write_error(fifo);
  EXPECT_NE(message.find("a FIFO that no process is reading"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_EQ(dir.file_count(), 1u);
}

// /dev/stdout, or any path to the file standard output goes to: the bytes go to the stream (a
// rename would cut the stream off from its file, or replace /dev/stdout's link as root).
TEST(AtomicFile, WritesThePathOfStandardOutputToTheStream) {
  TempDir dir;
  const auto captured = dir / "stdout.txt";
  std::fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  ASSERT_TRUE(std::freopen(captured.c_str(), "w", stdout) != nullptr);
  std::printf("printed first\n");
  fs::create_symlink("/proc/self/fd/1", dir / "stdout-link");
  const std::string through_link = write_error(dir / "stdout-link", "through the link\n");
  const std::string by_name = write_error(captured, "by its name\n");
  std::printf("printed last\n");
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  EXPECT_EQ(through_link, "(no error)");
  EXPECT_EQ(by_name, "(no error)");
  EXPECT_EQ(read_bytes(captured), "printed first\nthrough the link\nby its name\nprinted last\n");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / "stdout-link")));
}

TEST(AtomicFile, RefusesAFolderAndLeavesNothing) {
  TempDir dir;
  fs::create_directory(dir / "folder");
  EXPECT_NE(write_error(dir / "folder").find("it is a directory"), std::string::npos);
  fs::create_symlink("folder", dir / "link-to-folder");
  EXPECT_NE(write_error(dir / "link-to-folder").find("it is a directory"), std::string::npos);
  EXPECT_THROW(check_writable(dir / "folder"), std::runtime_error);
  EXPECT_EQ(dir.file_count(), 2u);
  EXPECT_TRUE(fs::is_empty(dir / "folder"));
}

TEST(AtomicFile, AMissingFolderIsAnErrorBeforeAndAtTheWrite) {
  TempDir dir;
  const std::string message = write_error(dir / "absent" / "out.json");
  EXPECT_NE(message.find("cannot create a temporary file in " + (dir / "absent").string()),
            std::string::npos)
      << message;
  EXPECT_THROW(check_writable(dir / "absent" / "out.json"), std::runtime_error);
  EXPECT_THROW(check_writable(""), std::runtime_error);
  EXPECT_EQ(dir.file_count(), 0u);
}

TEST(AtomicFile, SameFileFollowsLinksAndNamesNotYetWritten) {
  TempDir dir;
  const auto data = dir.write("data.csv", "1,0\n");
  fs::create_symlink("data.csv", dir / "alias.csv");
  EXPECT_TRUE(same_file(dir / "alias.csv", data));
  EXPECT_TRUE(same_file(dir / "." / "data.csv", data));
  EXPECT_FALSE(same_file(dir / "other.csv", data));
  EXPECT_TRUE(same_file(dir / "new.json", dir / "." / "new.json"));
  fs::create_symlink("new.json", dir / "dangling");
  EXPECT_TRUE(same_file(dir / "dangling", dir / "new.json"));
}

// Ctrl-C during an atomic write: a child process writes 256 MiB and gets SIGINT after a delay that
// lands before, during or after the write. Whatever the timing, the folder then holds nothing or
// the complete file, never a temporary, and the signal still ends the child.
TEST(AtomicFile, InterruptLeavesNoPartialFile) {
  constexpr std::size_t kSize = std::size_t{256} << 20;
  for (const int delay_ms : {20, 120, 400}) {
    TempDir dir;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const std::string bytes(kSize, 'x');
      write_file_atomically(dir / "big.bin", bytes);
      _exit(0);
    }
    usleep(static_cast<useconds_t>(delay_ms) * 1000);
    kill(child, SIGINT);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
                (WIFEXITED(status) && WEXITSTATUS(status) == 0));
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      EXPECT_EQ(entry.path().filename(), "big.bin")
          << "left behind: " << entry.path() << " (delay " << delay_ms << " ms)";
      EXPECT_EQ(entry.file_size(), kSize);
    }
  }
}

// An ignored SIGINT (a background job's) stays ignored: the write completes.
TEST(AtomicFile, IgnoredInterruptDoesNotStopTheWrite) {
  constexpr std::size_t kSize = std::size_t{256} << 20;
  TempDir dir;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGINT, SIG_IGN);
    const std::string bytes(kSize, 'x');
    write_file_atomically(dir / "big.bin", bytes);
    _exit(0);
  }
  for (int i = 0; i < 8; ++i) {
    usleep(50000);
    kill(child, SIGINT);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(std::filesystem::file_size(dir / "big.bin"), kSize);
}

}  // namespace
}  // namespace simdml
