#pragma once

// /proc/PID/cmdline: arguments separated (and usually terminated) by NUL bytes.
// Empty for kernel threads and zombies. A process may rewrite its own argv
// (setproctitle), leaving spaces instead of NULs: that is kept as is.

#include <string>
#include <string_view>

namespace hyperion::collectors {

// Arguments joined by single spaces, trailing NULs dropped, other control bytes
// shown as '?', at most `max_bytes` bytes (cut at a UTF-8 character boundary).
// The result is always valid UTF-8 (it goes into JSON): each byte of an invalid
// sequence is shown as '?', and so are the C1 controls U+0080..U+009F.
std::string parse_proc_pid_cmdline(std::string_view text, std::size_t max_bytes = 4096);

}  // namespace hyperion::collectors
