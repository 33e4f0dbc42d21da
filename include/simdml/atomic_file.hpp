// Writing a file so that readers see either the old contents or the complete new ones, never a
// partial file: the bytes go to a temporary file in the same folder, are flushed to disk, and the
// temporary is renamed over the destination. On failure the temporary is removed and
// std::runtime_error names the path and the reason. SIGINT, SIGTERM or SIGHUP during the write
// remove the temporary before the signal takes its usual effect (Ctrl-C leaves no partial file).
#pragma once

#include <filesystem>
#include <string_view>

namespace simdml {

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Throws the error write_file_atomically would give for `path` when its folder is missing or not
// writable, or the path is a folder: a long run checks its outputs before it starts, so that a
// typo in a folder name does not cost it its results at the end.
void check_writable(const std::filesystem::path& path);

}  // namespace simdml
