#pragma once

// File helpers shared by the sources (internal to the collectors module).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hyperion::collectors::file_io {

// base + "/" + relative, without doubled slashes.
std::string join(const std::string& base, std::string_view relative);

// Reads from a descriptor at offset 0 into buf (grown as needed, at most `limit` bytes).
bool pread_all(int fd, std::string& buf, std::size_t limit = SIZE_MAX);
// openat + pread_all + close; buf is cleared when the file cannot be opened.
bool read_at(int dir_fd, const char* name, std::string& buf, std::size_t limit = SIZE_MAX);
bool read_path(const std::string& path, std::string& buf);

// Sorted entry names of a directory, without "." entries; with `dirs_only` only its
// subdirectories (symbolic links are not followed). Empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& path, bool dirs_only);

// A /proc entry name that is a PID ("1234"), or nullopt.
std::optional<std::int32_t> pid_of(std::string_view name);

}  // namespace hyperion::collectors::file_io
