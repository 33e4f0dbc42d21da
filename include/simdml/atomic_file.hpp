// Writing an output file so that nothing is replaced that should have been written into, and no
// reader ever sees a partial file. Where the path leads decides how:
// - nowhere yet, or a regular file: the bytes go to a temporary file in the same folder, are
//   flushed to disk and renamed over the destination (an existing file keeps its permissions);
// - a symbolic link: followed, and the file it leads to is created or replaced that way; the link
//   stays a link;
// - the program's own standard output or error (/dev/stdout, or the file a stream is redirected
//   to): the bytes are written to that stream;
// - a character device or a FIFO (/dev/null, a named pipe): written in place; a FIFO that no
//   process is reading is an error, not a wait;
// - a folder, a block device or a socket: refused.
// Errors are std::runtime_error naming the path and the reason; a failed write leaves no temporary.
// SIGINT, SIGTERM or SIGHUP during the write remove the temporary before the signal takes its usual
// effect (Ctrl-C leaves no partial file).
#pragma once

#include <filesystem>
#include <string_view>

namespace simdml {

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Throws the error write_file_atomically would give for `path` when it is a folder or another
// refused kind of file, its folder is missing or not writable, or a device cannot be written: a
// long run checks its outputs before it starts, so that a typo does not cost it its results.
void check_writable(const std::filesystem::path& path);

// Whether two paths lead to the same file, links followed: the same device and inode when both
// exist, else the same resolved name (an output that does not exist yet against another path).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace simdml
