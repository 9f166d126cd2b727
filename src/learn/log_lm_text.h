// Text preparation for the log language model: strips the static metadata around a raw log line
// (container wrappers, timestamps, fixed prefixes) and masks variable values, so the model learns
// what services say rather than when and with which ids.
#pragma once

#include <string>
#include <string_view>

namespace augur::learn {

// Longest prepared line kept, in bytes: longer lines are cut here (their head carries the message;
// the tail is usually a dump of parameters or a stack frame list).
inline constexpr size_t kLogLmMaxLineBytes = 400;

// Removes the wrappers and header fields that carry no meaning for the model: a docker JSON line
// ({"log":"...","stream":...}) is unwrapped, a CRI prefix ("<time> stdout F ") dropped, leading
// timestamps/dates/times and log-level-free fixed fields such as epoch numbers removed. The message
// and its level word are kept. Swappable for the log miner's header splitter.
std::string StripLogHeader(std::string_view raw);

// Masks variable values: every whitespace/punctuation-delimited token holding a digit (numbers,
// ids, IPs, times, hex, UUIDs) becomes "<*>" (except source locations such as "Impl#415"), runs of
// masks collapse into one, bytes outside printable ASCII become '?', whitespace is squeezed, and
// the result is cut to kLogLmMaxLineBytes.
std::string MaskLogLine(std::string_view stripped);

// StripLogHeader then MaskLogLine: the text the tokenizer and the model see.
std::string PrepareLogLine(std::string_view raw);

}  // namespace augur::learn
